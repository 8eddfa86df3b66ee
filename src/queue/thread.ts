/**
 * A queue worker's compute thread. The search is CPU-bound and yields to the event loop only every
 * 10 iterations (seconds on a busy machine), so on the worker's main thread it would starve BullMQ's
 * lock renewal and the job would be declared stalled and handed to another worker while still
 * running. Here it has a thread of its own; the main thread only talks to Redis.
 *
 * Messages: the ThreadPool protocol (src/util/thread_pool_node.ts); a job is a ChunkJob.
 */
import { initBackend } from '../backends/index.js';
import { loadGanCheckpoint } from '../train/checkpoint.js';
import { attachEncoder } from '../encoder/checkpoint.js';
import type { InpaintModel, InpaintProgress } from '../inpaint/search.js';
import { serveThread } from '../util/thread_pool_node.js';
import { runChunk } from './seam.js';
import type { ChunkJob, ItemResult } from './protocol.js';

export interface ThreadInit {
  backend: string;
  /** Checkpoint folder of the model. */
  modelDir: string;
  /** How messages name the model (the worker's --model). */
  modelName: string;
  /** The worker's --encoder, resolved; null: the model's own (MODEL/encoder/), if any. */
  encoderDir: string | null;
}

export interface ChunkOutcome {
  items: ItemResult[];
  /** Seconds the chunk took on the thread. */
  seconds: number;
}

let model: InpaintModel | null = null;
serveThread<ThreadInit, ChunkJob, InpaintProgress, ChunkOutcome>({
  async start(init) {
    const backend = await initBackend(init.backend);
    // The worker's --encoder, else the model's own (MODEL/encoder/); either is covered by the model
    // digest, so the batch or server that submitted the job saw the same one: jobs with init
    // auto/encoder start from it, as `inpaint` does. No encoder, or the model's own trained for
    // another generator: random starts, and the notice says why; a --encoder for another generator
    // is refused (the worker does not start).
    const ck = await loadGanCheckpoint(init.modelDir);
    const a = await attachEncoder(ck, 'auto', init.encoderDir ?? undefined, init.modelName);
    model = a.model;
    return { backend, notice: a.notice };
  },
  async run(job, { signal, onProgress }) {
    const t0 = performance.now();
    if (!model) throw new Error('a chunk was sent to a compute thread before it started');
    const items = await runChunk(model, job, { signal, onProgress });
    return { items, seconds: (performance.now() - t0) / 1000 };
  },
});
