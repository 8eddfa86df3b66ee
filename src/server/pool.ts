/**
 * The HTTP server's pool of inpainting worker threads (worker.ts), one job per worker at a time, on
 * the shared ThreadPool (src/util/thread_pool_node.ts: crash replacement, abort with a grace period).
 * The JobQueue (jobs.ts) decides who runs; the pool only hands a free worker to each admitted job.
 */
import type { ImageBatch } from '../types.js';
import type { ImageLosses, InpaintProgress } from '../inpaint/search.js';
import type { DomainCheck } from '../inpaint/domain.js';
import { UserError } from '../util/errors.js';
import { ThreadPool } from '../util/thread_pool_node.js';
import type { InpaintJob, WorkerInit } from './worker.js';

export type WorkerProgress = InpaintProgress;

export interface WorkerResult {
  masked: ImageBatch;
  raw: ImageBatch;
  composite: ImageBatch;
  blended: ImageBatch;
  losses: ImageLosses;
  /** Out-of-domain verdict (src/inpaint/domain.ts), when the model is calibrated. */
  domain?: DomainCheck;
}

/**
 * What the server runs inpainting jobs on: this pool of worker threads, or (serve --redis) the
 * shared queue (src/queue/server_runner.ts).
 */
export interface InpaintRunner {
  /** Resolves with a description of where jobs run (backend name) once ready. */
  ready(): Promise<string>;
  /** Live tensors after the last job, for /healthz (0 when jobs run elsewhere). */
  tensors(): number;
  run(job: InpaintJob, onProgress: (p: WorkerProgress) => void, signal: AbortSignal): Promise<WorkerResult>;
  /** A reason to refuse a new job now (→ 429), or null. Only the queue runner has one. */
  overloaded?(): Promise<{ message: string; retryAfter: number } | null>;
  close(): Promise<void>;
}

/** The server's pool: one image per job on each of `size` worker threads (worker.ts). */
export class InpaintPool extends ThreadPool<InpaintJob, WorkerProgress, WorkerResult> implements InpaintRunner {
  constructor(size: number, init: WorkerInit, graceMs = 2000) {
    super({ url: new URL('./worker.js', import.meta.url), init, size, graceMs, what: 'inpainting worker', abortError: () => new UserError('inpainting aborted') });
  }
}
