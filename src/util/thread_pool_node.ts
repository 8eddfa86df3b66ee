/**
 * A fixed pool of worker threads that each run one job at a time (Node), and the thread side of it.
 * Used by the HTTP server (src/server/pool.ts: one image per job) and the queue worker
 * (src/queue/threads.ts: one chunk per job): a latent search is CPU-bound and yields only every few
 * iterations, so on the main thread it would starve HTTP requests, SSE and BullMQ's lock renewal.
 *
 * - The caller's scheduler (the server's JobQueue, BullMQ's `concurrency`) guarantees no more jobs
 *   than threads; `run` takes the first free one.
 * - A thread that dies unexpectedly (crash, out of memory) is replaced; its job rejects.
 * - Aborting a job asks its thread to stop (noticed at the next iteration); a thread that has not
 *   answered within `graceMs` (stuck inside one long iteration) is terminated and replaced, so a slot
 *   is never held hostage. The job then rejects with the pool's `abortError()`.
 *
 * Protocol (structured-clone messages):
 *   to a thread:   {type:'job', id, job}  |  {type:'abort', id}
 *   from a thread: {type:'ready', backend, notice?, tensors?}  |  {type:'failed', error}   (once, at start)
 *                  {type:'progress', id, progress}
 *                  {type:'result', id, result, tensors?}  |  {type:'error', id, error, user, tensors?}
 * `tensors` = live TF.js tensors in the thread after the job (a leak shows as growth).
 */
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { UserError } from './errors.js';

export type ToThread<J> = { type: 'job'; id: number; job: J } | { type: 'abort'; id: number };

export type FromThread<P, R> =
  | { type: 'ready'; backend: string; notice?: string; tensors?: number }
  | { type: 'failed'; error: string }
  | { type: 'progress'; id: number; progress: P }
  | { type: 'result'; id: number; result: R; tensors?: number }
  | { type: 'error'; id: number; error: string; user: boolean; tensors?: number };

export interface ThreadPoolSpec {
  /** The thread's module (it calls `serveThread`). */
  url: URL;
  /** Passed to the thread as `workerData`. */
  init: unknown;
  size: number;
  /** Milliseconds an aborted job's thread has to answer before it is terminated [2000]. */
  graceMs?: number;
  /** What a thread is called in messages ("inpainting worker", "compute thread"). */
  what: string;
  /** The rejection of an aborted job. */
  abortError: () => Error;
}

interface Member {
  worker: Worker;
  ready: Promise<string>;
  busy: boolean;
  tensors: number;
  /** The thread's one line about how it set up (e.g. where the search starts), if it said one. */
  notice?: string;
  /** Set while we terminate it on purpose. */
  retiring: boolean;
}

export class ThreadPool<J, P, R> {
  private readonly members: Member[] = [];
  private seq = 0;
  private closed = false;

  constructor(private readonly spec: ThreadPoolSpec) {
    for (let i = 0; i < spec.size; i++) this.members.push(this.spawn());
  }

  private spawn(): Member {
    const worker = new Worker(this.spec.url, { workerData: this.spec.init });
    const m: Member = { worker, busy: false, tensors: 0, retiring: false, ready: Promise.resolve('') };
    m.ready = new Promise<string>((resolve, reject) => {
      const onMsg = (msg: FromThread<P, R>) => {
        if (msg.type === 'ready') {
          m.tensors = msg.tensors ?? 0;
          if (msg.notice !== undefined) m.notice = msg.notice;
          resolve(msg.backend);
        } else if (msg.type === 'failed') reject(new UserError(`${this.spec.what} could not start: ${msg.error}`));
        else return;
        worker.off('message', onMsg);
      };
      worker.on('message', onMsg);
      worker.once('error', reject);
    });
    m.ready.catch(() => {}); // reported by ready() or run()
    worker.on('exit', () => {
      const i = this.members.indexOf(m);
      if (i >= 0 && !m.retiring && !this.closed) this.members[i] = this.spawn();
    });
    return m;
  }

  /** The backend name, once every thread has started. */
  async ready(): Promise<string> {
    const names = await Promise.all(this.members.map((m) => m.ready));
    return names[0] ?? '';
  }

  /** The first thread's setup notice (every thread sets up alike), once every thread has started. */
  async notice(): Promise<string | undefined> {
    await this.ready();
    return this.members[0]?.notice;
  }

  /** Live tensors summed over the threads, as of their last finished job (0 if threads do not say). */
  tensors(): number {
    return this.members.reduce((s, m) => s + m.tensors, 0);
  }

  private replace(m: Member): void {
    const i = this.members.indexOf(m);
    m.retiring = true;
    void m.worker.terminate();
    if (i >= 0 && !this.closed) this.members[i] = this.spawn();
  }

  /** Run one job on a free thread. Rejects with UserError for the thread's user errors. */
  async run(job: J, onProgress: (p: P) => void, signal?: AbortSignal): Promise<R> {
    const m = this.members.find((x) => !x.busy);
    if (!m) throw new Error(`no free ${this.spec.what} (more jobs than threads)`);
    m.busy = true;
    try {
      await m.ready;
    } catch (e) {
      m.busy = false;
      throw e;
    }
    const id = ++this.seq;
    return new Promise<R>((resolve, reject) => {
      let kill: NodeJS.Timeout | undefined;
      const finish = (f: () => void) => {
        m.worker.off('message', onMsg);
        m.worker.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(kill);
        m.busy = false;
        f();
      };
      const onMsg = (msg: FromThread<P, R>) => {
        if (!('id' in msg) || msg.id !== id) return;
        if (msg.type === 'progress') onProgress(msg.progress);
        else if (msg.type === 'result') {
          m.tensors = msg.tensors ?? 0;
          finish(() => resolve(msg.result));
        } else if (msg.type === 'error') {
          m.tensors = msg.tensors ?? 0;
          finish(() =>
            reject(
              signal?.aborted ? this.spec.abortError() : msg.user ? new UserError(msg.error) : new Error(msg.error),
            ),
          );
        }
      };
      const onExit = (code: number) =>
        finish(() =>
          reject(m.retiring ? this.spec.abortError() : new Error(`${this.spec.what} stopped (exit code ${code})`)),
        );
      const onAbort = () => {
        m.worker.postMessage({ type: 'abort', id } satisfies ToThread<J>);
        kill = setTimeout(
          () =>
            finish(() => {
              this.replace(m);
              reject(this.spec.abortError());
            }),
          this.spec.graceMs ?? 2000,
        );
      };
      m.worker.on('message', onMsg);
      m.worker.on('exit', onExit);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      m.worker.postMessage({ type: 'job', id, job } satisfies ToThread<J>);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = this.members.splice(0);
    for (const m of all) m.retiring = true;
    await Promise.all(all.map((m) => m.worker.terminate()));
  }
}

export interface ThreadHandlers<I, J, P, R> {
  /** Set up the thread (backend, models) from the pool's `init`; returns the backend name (and a notice line). */
  start(init: I): Promise<string | { backend: string; notice?: string }>;
  /** Run one job; `signal` aborts it, `onProgress` reports to the pool's caller. */
  run(job: J, h: { signal: AbortSignal; onProgress: (p: P) => void }): Promise<R>;
  /** Live tensors, reported with `ready`, every result and every error. */
  tensors?(): number;
}

/** The thread side: call once at the top level of the thread's module (does nothing on the main thread). */
export function serveThread<I, J, P, R>(h: ThreadHandlers<I, J, P, R>): void {
  const port = parentPort;
  if (!port) return;
  const post = (m: FromThread<P, R>) => port.postMessage(m);
  const tensors = () => (h.tensors ? { tensors: h.tensors() } : {});
  const controllers = new Map<number, AbortController>();
  let started: Promise<unknown> = Promise.resolve();
  const run = async (id: number, job: J) => {
    const ac = new AbortController();
    controllers.set(id, ac);
    try {
      await started;
      const result = await h.run(job, {
        signal: ac.signal,
        onProgress: (progress) => post({ type: 'progress', id, progress }),
      });
      post({ type: 'result', id, result, ...tensors() });
    } catch (e) {
      post({ type: 'error', id, error: (e as Error).message, user: e instanceof UserError, ...tensors() });
    } finally {
      controllers.delete(id);
    }
  };
  port.on('message', (m: ToThread<J>) => {
    if (m.type === 'abort') controllers.get(m.id)?.abort();
    else if (m.type === 'job') void run(m.id, m.job);
  });
  started = h.start(workerData as I).then(
    (r) => post({ type: 'ready', ...(typeof r === 'string' ? { backend: r } : r), ...tensors() }),
    (e: unknown) => post({ type: 'failed', error: (e as Error).message }),
  );
}
