/**
 * The HTTP server's pool of inpainting worker threads (worker.ts), one job per worker at a time, on
 * the shared ThreadPool (src/util/thread_pool_node.ts: crash replacement, abort with a grace period).
 * The JobQueue (jobs.ts) decides who runs; the pool only hands a free worker to each admitted job.
 */
import { UserError } from '../util/errors.js';
import { ThreadPool } from '../util/thread_pool_node.js';
import type { InpaintJob, InpaintRunner, WorkerInit, WorkerProgress, WorkerResult } from './runner.js';

/** The server's pool: one image per job on each of `size` worker threads (worker.ts). */
export class InpaintPool extends ThreadPool<InpaintJob, WorkerProgress, WorkerResult> implements InpaintRunner {
  constructor(size: number, init: WorkerInit, graceMs = 2000) {
    super({
      url: new URL('./worker.js', import.meta.url),
      init,
      size,
      graceMs,
      what: 'inpainting worker',
      abortError: () => new UserError('inpainting aborted'),
    });
  }
}
