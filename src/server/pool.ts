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
  /** `admission`: what `admit` granted; the runner may give it back early (the queue: once the job is on it). */
  run(
    job: InpaintJob,
    onProgress: (p: WorkerProgress) => void,
    signal: AbortSignal,
    admission?: { release(): void },
  ): Promise<WorkerResult>;
  /**
   * Take a place for a new job, or say why not (→ 429). Only the queue runner has one: its check and
   * its taking the place are one atomic step, so concurrent requests cannot all pass one check.
   */
  admit?(): Promise<Admission>;
  close(): Promise<void>;
}

/** A place `admit` granted (give it back when the request ends; idempotent), or a refusal. */
export type Admission = { ok: true; release(): void } | { ok: false; message: string; retryAfter: number };

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
