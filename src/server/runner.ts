/**
 * What the HTTP server runs an inpainting job on, and the job's shapes: the server's own pool of
 * worker threads (pool.ts, worker.ts) or, with serve --redis, the shared queue
 * (src/queue/server_runner.ts). Its own module so the pool and its worker thread both import it and
 * neither imports the other.
 */
import type { InpaintOptions } from '../inpaint/options.js';
import type { InpaintProgress } from '../inpaint/search.js';
import type { CompletedImage } from '../protocol/convert.js';
import type { ImageBatch, Mask } from '../types.js';

/** What a worker thread starts with: its backend and the served models. */
export interface WorkerInit {
  backend: string;
  /** `encoder`: the model's encoder folder (already checked against its generator), or null. */
  models: { name: string; dir: string; encoder?: string | null }[];
}

/** One image to complete, at its own size, with the options resolved for its model (request.ts). */
export interface InpaintJob {
  model: string;
  image: ImageBatch;
  mask: Mask;
  options: InpaintOptions;
}

export type WorkerProgress = InpaintProgress;

/** A job's outcome: the four images at the upload's size, the losses and the domain verdict (src/protocol/convert.ts). */
export type WorkerResult = CompletedImage<ImageBatch>;

/** A place `admit` granted (give it back when the request ends; idempotent), or a refusal. */
export type Admission = { ok: true; release(): void } | { ok: false; message: string; retryAfter: number };

/**
 * What the server runs inpainting jobs on: the pool of worker threads (pool.ts), or (serve --redis)
 * the shared queue (src/queue/server_runner.ts).
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
