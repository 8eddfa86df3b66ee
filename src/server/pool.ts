/**
 * A fixed pool of inpainting worker threads (worker.ts), one job per worker at a time. The JobQueue
 * (jobs.ts) decides who runs; the pool only hands a free worker to each admitted job.
 *
 * Cancelling (client gone, time limit): the worker is asked to abort, which it notices at its next
 * iteration; a worker that has not answered within `graceMs` (stuck inside a long iteration) is
 * terminated and replaced, so a slot is never held hostage.
 */
import { Worker } from 'node:worker_threads';
import type { ImageBatch, Mask } from '../types.js';
import type { ImageLosses } from '../inpaint/search.js';
import type { InpaintOptions } from '../inpaint/options.js';
import { UserError } from '../util/errors.js';
import type { WorkerInit } from './worker.js';

export interface WorkerProgress {
  iter: number;
  iters: number;
  contextual: number;
  prior: number;
  raw?: ImageBatch;
}

export interface WorkerResult {
  masked: ImageBatch;
  raw: ImageBatch;
  composite: ImageBatch;
  blended: ImageBatch;
  losses: ImageLosses;
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
  run(job: { model: string; image: ImageBatch; mask: Mask; options: InpaintOptions }, onProgress: (p: WorkerProgress) => void, signal: AbortSignal): Promise<WorkerResult>;
  /** A reason to refuse a new job now (→ 429), or null. Only the queue runner has one. */
  overloaded?(): Promise<{ message: string; retryAfter: number } | null>;
  close(): Promise<void>;
}

interface Member {
  worker: Worker;
  ready: Promise<string>;
  busy: boolean;
  /** Live tensors in the worker after its last job (a leak shows as growth). */
  tensors: number;
  /** Set while we terminate it on purpose. */
  retiring: boolean;
}

type Msg =
  | { type: 'ready'; backend: string; tensors: number }
  | { type: 'failed'; error: string }
  | ({ type: 'progress'; id: number } & WorkerProgress)
  | ({ type: 'result'; id: number; tensors: number } & WorkerResult)
  | { type: 'error'; id: number; error: string; user: boolean; tensors: number };

const WORKER_URL = new URL('./worker.js', import.meta.url);

export class InpaintPool implements InpaintRunner {
  private readonly members: Member[] = [];
  private seq = 0;

  constructor(size: number, private readonly init: WorkerInit, private readonly graceMs = 2000) {
    for (let i = 0; i < size; i++) this.members.push(this.spawn());
  }

  private spawn(): Member {
    const worker = new Worker(WORKER_URL, { workerData: this.init });
    const m: Member = { worker, busy: false, tensors: 0, retiring: false, ready: Promise.resolve('') };
    m.ready = new Promise<string>((resolve, reject) => {
      const onMsg = (msg: Msg) => {
        if (msg.type === 'ready') {
          m.tensors = msg.tensors;
          resolve(msg.backend);
        } else if (msg.type === 'failed') reject(new UserError(`inpainting worker could not start: ${msg.error}`));
        else return;
        worker.off('message', onMsg);
      };
      worker.on('message', onMsg);
      worker.once('error', reject);
    });
    m.ready.catch(() => {}); // reported by ready() or run()
    worker.on('exit', () => {
      // An unexpected death (crash, out of memory): put a fresh worker in its place.
      const i = this.members.indexOf(m);
      if (i >= 0 && !m.retiring) this.members[i] = this.spawn();
    });
    return m;
  }

  /** Resolves with the backend name once every worker has loaded its models. */
  async ready(): Promise<string> {
    const names = await Promise.all(this.members.map((m) => m.ready));
    return names[0] ?? '';
  }

  /** Live tensors summed over the workers, as of their last finished job. */
  tensors(): number {
    return this.members.reduce((s, m) => s + m.tensors, 0);
  }

  private replace(m: Member): void {
    const i = this.members.indexOf(m);
    m.retiring = true;
    void m.worker.terminate();
    if (i >= 0) this.members[i] = this.spawn();
  }

  /** Run one job on a free worker (the caller's queue guarantees one is free). */
  async run(job: { model: string; image: ImageBatch; mask: Mask; options: InpaintOptions }, onProgress: (p: WorkerProgress) => void, signal: AbortSignal): Promise<WorkerResult> {
    const m = this.members.find((x) => !x.busy);
    if (!m) throw new Error('InpaintPool.run: no free worker (the queue admitted too many jobs)');
    m.busy = true;
    try {
      await m.ready;
    } catch (e) {
      m.busy = false;
      throw e;
    }
    const id = ++this.seq;
    return new Promise<WorkerResult>((resolve, reject) => {
      let kill: NodeJS.Timeout | undefined;
      const finish = (f: () => void) => {
        m.worker.off('message', onMsg);
        m.worker.off('exit', onExit);
        signal.removeEventListener('abort', onAbort);
        clearTimeout(kill);
        m.busy = false;
        f();
      };
      const onMsg = (msg: Msg) => {
        if (!('id' in msg) || msg.id !== id) return;
        if (msg.type === 'progress') onProgress(msg);
        else if (msg.type === 'result') {
          m.tensors = msg.tensors;
          finish(() => resolve({ masked: msg.masked, raw: msg.raw, composite: msg.composite, blended: msg.blended, losses: msg.losses }));
        } else if (msg.type === 'error') {
          m.tensors = msg.tensors;
          finish(() => reject(msg.user ? new UserError(msg.error) : new Error(msg.error)));
        }
      };
      const onExit = (code: number) => finish(() => reject(m.retiring ? new UserError('inpainting aborted') : new Error(`inpainting worker stopped (exit code ${code})`)));
      const onAbort = () => {
        m.worker.postMessage({ type: 'abort', id });
        kill = setTimeout(() => finish(() => {
          this.replace(m);
          reject(new UserError('inpainting aborted'));
        }), this.graceMs);
      };
      m.worker.on('message', onMsg);
      m.worker.on('exit', onExit);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      m.worker.postMessage({ type: 'job', id, ...job });
    });
  }

  async close(): Promise<void> {
    const all = this.members.splice(0);
    for (const m of all) m.retiring = true;
    await Promise.all(all.map((m) => m.worker.terminate()));
  }
}
