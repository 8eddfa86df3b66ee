/**
 * The producer side of the queue (`batch --redis`, `serve --redis`): submit a chunk under its digest
 * id and get its result back once, however it was delivered.
 *
 *  - Enqueuing is idempotent: the job id is the chunk's digest and BullMQ ignores an add whose id
 *    exists. An existing job that already completed (a client that died before collecting it) is
 *    collected at once; one that failed in an earlier run is re-queued (a re-run retries failures).
 *  - Results come from QueueEvents ('completed' carries the return value, 'progress' the progress);
 *    events are a best-effort stream, so a reconcile loop also lists finished ids every second and,
 *    every few seconds, re-adds outstanding jobs Redis no longer knows (a restart without
 *    persistence, a flush): nothing is lost, at worst computed again.
 *  - A collected job is removed at once, completed or failed, so Redis does not grow with results.
 *  - The events stream is capped at EVENTS_MAX_LEN entries (BullMQ's 10,000 would keep ≈ 1,000 chunk
 *    results of ≈ 100 KB in Redis for nothing; the reconcile loop covers anything trimmed).
 */
import { Queue, QueueEvents, Job } from 'bullmq';
import { UserError } from '../util/errors.js';
import { checkRedis, policyWarning, queueConnection, DEFAULT_CONNECT_TIMEOUT_S, type RedisInfo } from './redis.js';
import { CHUNK_JOB, checkQueueName, type ChunkJob, type ChunkProgress, type ChunkResult } from './protocol.js';

export const EVENTS_MAX_LEN = 1000;
/** How often finished ids are listed, ms (events normally arrive first). */
const RECONCILE_MS = 1000;
/** How often outstanding jobs are checked to still exist, ms (a Redis restart loses unpersisted ones). */
const LOST_CHECK_MS = 3000;

/** Options of every chunk job. See worker.ts for the lock settings that go with them. */
export const JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2000 },
  // A safety net only: collected jobs are removed at once; these catch results nobody came back for.
  removeOnComplete: { age: 7 * 86400 },
  removeOnFail: { age: 7 * 86400 },
} as const;

/** A chunk that failed for good (all attempts, or refused); the message is BullMQ's failedReason. */
export class ChunkFailed extends Error {
  override name = 'ChunkFailed';
}

interface Waiter {
  resolve(r: ChunkResult): void;
  reject(e: Error): void;
  onProgress?: ((p: ChunkProgress) => void) | undefined;
}

interface Entry {
  id: string;
  data: ChunkJob;
  waiters: Set<Waiter>;
  /** Added to Redis (the lost-job check only looks at these). */
  queued: boolean;
}

export interface QueueClientOptions {
  connectTimeoutS?: number;
  log?: (line: string) => void;
}

export class QueueClient {
  private readonly entries = new Map<string, Entry>();
  /** Ids collected recently: a late duplicate completion of one of them is removed, not kept. */
  private readonly settled = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private lastLostCheck = 0;
  private ticking = false;
  private closed = false;
  private lastErr = 0;
  /** Running mean of chunk seconds on the workers (for Retry-After estimates). */
  meanChunkSeconds = 1;

  private constructor(readonly queue: Queue<ChunkJob, ChunkResult>, private readonly events: QueueEvents, readonly info: RedisInfo, private readonly log: (l: string) => void) {
    events.on('completed', ({ jobId, returnvalue }) => this.onFinished(jobId, returnvalue as unknown as ChunkResult, null));
    events.on('failed', ({ jobId, failedReason }) => this.onFinished(jobId, null, failedReason));
    events.on('progress', ({ jobId, data }) => {
      const e = this.entries.get(jobId);
      if (e && data && typeof data === 'object') for (const w of e.waiters) w.onProgress?.(data as unknown as ChunkProgress);
    });
    const onErr = (err: Error) => {
      const now = Date.now();
      if (now - this.lastErr > 10_000) this.log(`redis: ${err.message} (retrying)`);
      this.lastErr = now;
    };
    events.on('error', onErr);
    queue.on('error', onErr);
  }

  /** Check Redis (bounded: UserError when unreachable), warn about its eviction policy, connect. */
  static async open(url: string, name: string, o: QueueClientOptions = {}): Promise<QueueClient> {
    const log = o.log ?? (() => {});
    checkQueueName(name);
    const info = await checkRedis(url, o.connectTimeoutS ?? DEFAULT_CONNECT_TIMEOUT_S);
    const warn = policyWarning(url, info);
    if (warn) log(warn);
    const connection = queueConnection(url);
    const queue = new Queue<ChunkJob, ChunkResult>(name, { connection, skipVersionCheck: true, streams: { events: { maxLen: EVENTS_MAX_LEN } } });
    const events = new QueueEvents(name, { connection, skipVersionCheck: true });
    const c = new QueueClient(queue, events, info, log);
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    return c;
  }

  /** Outstanding chunks of this client. */
  get outstanding(): number {
    return this.entries.size;
  }

  /**
   * Enqueue a chunk (a no-op if a job with this id exists) and resolve with its result; rejects with
   * ChunkFailed when it fails for good. Several submits of one id share one job.
   */
  submit(id: string, data: ChunkJob, onProgress?: (p: ChunkProgress) => void, signal?: AbortSignal): Promise<ChunkResult> {
    if (this.closed) return Promise.reject(new Error('QueueClient is closed'));
    return new Promise<ChunkResult>((resolve, reject) => {
      const w: Waiter = { resolve, reject, onProgress };
      let e = this.entries.get(id);
      if (!e) {
        e = { id, data, waiters: new Set(), queued: false };
        this.entries.set(id, e);
        void this.enqueue(e);
      }
      e.waiters.add(w);
      signal?.addEventListener('abort', () => {
        // Stop waiting; the job itself goes on (it may be running) and is removed when it ends.
        const entry = e!;
        if (entry.waiters.delete(w)) reject(new UserError('inpainting aborted'));
        if (entry.waiters.size > 0) return;
        // Nobody waits any more: drop a job that has not started (remove() refuses a running one,
        // which then finishes and is removed like any other).
        void this.queue.remove(id).then((n) => {
          if (n && this.entries.get(id) === entry && entry.waiters.size === 0) this.entries.delete(id);
        }, () => {});
      }, { once: true });
      this.schedule();
    });
  }

  private async enqueue(e: Entry, fresh = true): Promise<void> {
    try {
      await this.queue.add(CHUNK_JOB, e.data, { jobId: e.id, ...JOB_OPTIONS });
      const state = await this.queue.getJobState(e.id);
      if (state === 'completed') return this.collect(e.id);
      if (state === 'failed' && fresh) {
        // Failed in an earlier run: a re-run tries again.
        await this.queue.remove(e.id);
        await this.queue.add(CHUNK_JOB, e.data, { jobId: e.id, ...JOB_OPTIONS });
      } else if (state === 'failed') return this.collect(e.id);
      e.queued = true;
    } catch (err) {
      if (this.closed) return;
      // Redis is away (the connection retries for ever, so this is rare): try again on the next tick.
      this.log(`redis: could not enqueue ${e.id.slice(0, 13)}: ${(err as Error).message} (retrying)`);
      setTimeout(() => { if (this.entries.has(e.id) && !this.closed) void this.enqueue(e, fresh); }, 1000);
    }
  }

  /** Read a finished job's outcome from Redis and settle it. */
  private async collect(id: string): Promise<void> {
    const job = await Job.fromId<ChunkJob, ChunkResult>(this.queue, id);
    if (!job) return;
    if (job.returnvalue) this.onFinished(id, job.returnvalue, null);
    else if (job.finishedOn && job.failedReason) this.onFinished(id, null, job.failedReason);
  }

  private onFinished(id: string, result: ChunkResult | null, failedReason: string | null): void {
    const e = this.entries.get(id);
    if (!e) {
      // A late second completion of a job collected already (it was re-added after looking lost).
      if (this.settled.has(id)) void this.queue.remove(id).catch(() => {});
      return;
    }
    if (!result && failedReason === null) return;
    this.entries.delete(id);
    this.settled.add(id);
    if (this.settled.size > 10_000) this.settled.delete(this.settled.values().next().value!);
    if (result) {
      this.meanChunkSeconds = 0.8 * this.meanChunkSeconds + 0.2 * (result.seconds ?? 1);
      for (const w of e.waiters) w.resolve(result);
    } else {
      for (const w of e.waiters) w.reject(new ChunkFailed(failedReason ?? 'failed'));
    }
    // The result is ours now: Redis need not keep it.
    void this.queue.remove(id).catch(() => {});
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.tick(), RECONCILE_MS);
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    if (this.entries.size === 0) {
      clearInterval(this.timer!);
      this.timer = null;
      return;
    }
    this.ticking = true;
    try {
      const finished = await this.queue.getRanges(['completed', 'failed'], 0, -1);
      for (const id of finished) if (this.entries.has(id)) await this.collect(id);
      const now = Date.now();
      if (now - this.lastLostCheck >= LOST_CHECK_MS) {
        this.lastLostCheck = now;
        for (const e of [...this.entries.values()]) {
          if (!e.queued || this.closed) continue;
          const state = await this.queue.getJobState(e.id);
          if (state === 'unknown' && this.entries.get(e.id) === e && e.waiters.size === 0) this.entries.delete(e.id);
          else if (state === 'unknown' && this.entries.get(e.id) === e) {
            this.log(`job ${e.id.slice(0, 13)} is no longer in Redis (restarted without persistence?): enqueued again`);
            e.queued = false;
            await this.enqueue(e, false);
          } else if (state === 'completed' || state === 'failed') await this.collect(e.id);
        }
      }
    } catch {
      // Redis away: the next tick tries again.
    } finally {
      this.ticking = false;
    }
  }

  /** Jobs waiting for a worker in the whole queue (every producer's). */
  async depth(): Promise<number> {
    return this.queue.getJobCountByTypes('waiting', 'prioritized', 'delayed');
  }

  /** Workers connected to the queue (BullMQ's CLIENT LIST), or null when Redis does not say. */
  async workers(): Promise<number | null> {
    try {
      return await this.queue.getWorkersCount();
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const e of this.entries.values()) for (const w of e.waiters) w.reject(new UserError('queue client closed'));
    this.entries.clear();
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }
}
