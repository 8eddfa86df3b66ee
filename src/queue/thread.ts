/**
 * A queue worker's compute thread. The search is CPU-bound and yields to the event loop only every
 * 10 iterations (seconds on a busy machine), so on the worker's main thread it would starve BullMQ's
 * lock renewal and the job would be declared stalled and handed to another worker while still
 * running. Here it has a thread of its own; the main thread only talks to Redis.
 *
 * Protocol (structured-clone messages):
 *   in:  {type:'chunk', id, job: ChunkJob}  |  {type:'abort', id}
 *   out: {type:'ready', backend}  |  {type:'failed', error}                      (once, at start)
 *        {type:'progress', id, iter, iters, contextual, prior, raw?: ImageBatch}
 *        {type:'result', id, items: ItemResult[], seconds}  |  {type:'error', id, error, user}
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backends/index.js';
import { loadCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import { UserError } from '../util/errors.js';
import { runChunk } from './seam.js';
import type { ChunkJob } from './protocol.js';

export interface ThreadInit {
  backend: string;
  /** Checkpoint folder of the model. */
  modelDir: string;
}

export type ThreadIn = { type: 'chunk'; id: number; job: ChunkJob } | { type: 'abort'; id: number };

const port = parentPort;
if (port) {
  const init = workerData as ThreadInit;
  let model: Checkpoint | null = null;
  const controllers = new Map<number, AbortController>();
  const start = async () => {
    const backend = await initBackend(init.backend);
    model = await loadCheckpoint(init.modelDir);
    port.postMessage({ type: 'ready', backend });
  };
  const run = async (id: number, job: ChunkJob) => {
    const ac = new AbortController();
    controllers.set(id, ac);
    const t0 = performance.now();
    try {
      const items = await runChunk(model!, job, {
        signal: ac.signal,
        onProgress: (p) => port.postMessage({ type: 'progress', id, ...p }),
      });
      port.postMessage({ type: 'result', id, items, seconds: (performance.now() - t0) / 1000 });
    } catch (e) {
      port.postMessage({ type: 'error', id, error: (e as Error).message, user: e instanceof UserError });
    } finally {
      controllers.delete(id);
    }
  };
  port.on('message', (m: ThreadIn) => {
    if (m.type === 'abort') controllers.get(m.id)?.abort();
    else if (m.type === 'chunk') void run(m.id, m.job);
  });
  start().catch((e: unknown) => port.postMessage({ type: 'failed', error: (e as Error).message }));
}
