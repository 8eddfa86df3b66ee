/**
 * A fixed set of compute threads (thread.ts), one chunk each at a time; BullMQ's `concurrency`
 * guarantees no more chunks arrive than there are threads. A thread that dies unexpectedly is
 * replaced (its chunk fails with an error and BullMQ retries it); an aborted chunk whose thread does
 * not answer within `graceMs` (stuck inside one long iteration) is terminated and replaced.
 */
import { Worker } from 'node:worker_threads';
import type { ImageBatch } from '../types.js';
import { UserError } from '../util/errors.js';
import type { ThreadInit } from './thread.js';
import type { ChunkJob, ItemResult } from './protocol.js';

export interface ThreadProgress {
  iter: number;
  iters: number;
  contextual: number;
  prior: number;
  raw?: ImageBatch;
}

type Msg =
  | { type: 'ready'; backend: string }
  | { type: 'failed'; error: string }
  | ({ type: 'progress'; id: number } & ThreadProgress)
  | { type: 'result'; id: number; items: ItemResult[]; seconds: number }
  | { type: 'error'; id: number; error: string; user: boolean };

interface Member {
  worker: Worker;
  ready: Promise<string>;
  busy: boolean;
  retiring: boolean;
}

const THREAD_URL = new URL('./thread.js', import.meta.url);

/** Rejection of a chunk that was aborted (shutdown hand-back, cancel). */
export class ChunkAborted extends Error {
  override name = 'ChunkAborted';
}

export class ChunkThreads {
  private readonly members: Member[] = [];
  private seq = 0;
  private closed = false;

  constructor(size: number, private readonly init: ThreadInit, private readonly graceMs = 2000) {
    for (let i = 0; i < size; i++) this.members.push(this.spawn());
  }

  private spawn(): Member {
    const worker = new Worker(THREAD_URL, { workerData: this.init });
    const m: Member = { worker, busy: false, retiring: false, ready: Promise.resolve('') };
    m.ready = new Promise<string>((resolve, reject) => {
      const onMsg = (msg: Msg) => {
        if (msg.type === 'ready') resolve(msg.backend);
        else if (msg.type === 'failed') reject(new UserError(`compute thread could not start: ${msg.error}`));
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

  /** The backend name, once every thread has loaded the model. */
  async ready(): Promise<string> {
    const names = await Promise.all(this.members.map((m) => m.ready));
    return names[0] ?? '';
  }

  private replace(m: Member): void {
    const i = this.members.indexOf(m);
    m.retiring = true;
    void m.worker.terminate();
    if (i >= 0 && !this.closed) this.members[i] = this.spawn();
  }

  async run(job: ChunkJob, onProgress: (p: ThreadProgress) => void, signal?: AbortSignal): Promise<{ items: ItemResult[]; seconds: number }> {
    const m = this.members.find((x) => !x.busy);
    if (!m) throw new Error('ChunkThreads.run: no free thread (more jobs than threads)');
    m.busy = true;
    try {
      await m.ready;
    } catch (e) {
      m.busy = false;
      throw e;
    }
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      let kill: NodeJS.Timeout | undefined;
      const finish = (f: () => void) => {
        m.worker.off('message', onMsg);
        m.worker.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(kill);
        m.busy = false;
        f();
      };
      const onMsg = (msg: Msg) => {
        if (!('id' in msg) || msg.id !== id) return;
        if (msg.type === 'progress') onProgress(msg);
        else if (msg.type === 'result') finish(() => resolve({ items: msg.items, seconds: msg.seconds }));
        else if (msg.type === 'error') finish(() => reject(signal?.aborted ? new ChunkAborted('chunk aborted') : msg.user ? new UserError(msg.error) : new Error(msg.error)));
      };
      const onExit = (code: number) => finish(() => reject(m.retiring ? new ChunkAborted('chunk aborted') : new Error(`compute thread stopped (exit code ${code})`)));
      const onAbort = () => {
        m.worker.postMessage({ type: 'abort', id });
        kill = setTimeout(() => finish(() => {
          this.replace(m);
          reject(new ChunkAborted('chunk aborted'));
        }), this.graceMs);
      };
      m.worker.on('message', onMsg);
      m.worker.on('exit', onExit);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      m.worker.postMessage({ type: 'chunk', id, job });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = this.members.splice(0);
    for (const m of all) m.retiring = true;
    await Promise.all(all.map((m) => m.worker.terminate()));
  }
}
