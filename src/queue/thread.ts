/**
 * A queue worker's compute thread. The search is CPU-bound and yields to the event loop only every
 * 10 iterations (seconds on a busy machine), so on the worker's main thread it would starve BullMQ's
 * lock renewal and the job would be declared stalled and handed to another worker while still
 * running. Here it has a thread of its own; the main thread only talks to Redis.
 *
 * Messages: the ThreadPool protocol (src/util/thread_pool_node.ts); a job is a ChunkJob.
 */
import { initBackend } from '../backends/index.js';
import { loadCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import type { InpaintProgress } from '../inpaint/search.js';
import { serveThread } from '../util/thread_pool_node.js';
import { runChunk } from './seam.js';
import type { ChunkJob, ItemResult } from './protocol.js';

export interface ThreadInit {
  backend: string;
  /** Checkpoint folder of the model. */
  modelDir: string;
}

export interface ChunkOutcome {
  items: ItemResult[];
  /** Seconds the chunk took on the thread. */
  seconds: number;
}

let model: Checkpoint | null = null;
serveThread<ThreadInit, ChunkJob, InpaintProgress, ChunkOutcome>({
  async start(init) {
    const backend = await initBackend(init.backend);
    model = await loadCheckpoint(init.modelDir);
    return backend;
  },
  async run(job, { signal, onProgress }) {
    const t0 = performance.now();
    const items = await runChunk(model!, job, { signal, onProgress });
    return { items, seconds: (performance.now() - t0) / 1000 };
  },
});
