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
 *  - Jobs go on their model's queue (`modelQueueName`): only workers of that model see them.
 *  - When the last waiter of a job goes away (serve --redis: its HTTP client left), a job not yet
 *    running is removed; a running one is marked cancelled (`cancelKey`), and its worker ends it.
 *  - Admission (serve --redis, `admit`): one Lua script counts the waiting jobs plus the admissions
 *    not yet on the queue and adds one only below the limit, so concurrent requests on any number
 *    of API instances can never overshoot it (a check followed by a separate add could).
 */
import crypto from 'node:crypto';
import { Queue, QueueEvents, Job } from 'bullmq';
import { Redis } from 'ioredis';
import { UserError } from '../util/errors.js';
import { checkRedis, policyWarning, queueConnection, DEFAULT_CONNECT_TIMEOUT_S, type RedisInfo } from './redis.js';
import {
  CANCELLED,
  CHUNK_JOB,
  admitKey,
  cancelKey,
  checkQueueName,
  modelQueueName,
  type ChunkJob,
  type ChunkProgress,
  type ChunkResult,
  asChunkProgress,
  asChunkResult,
} from './protocol.js';

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

/**
 * How long a cancel mark lives, s. The worker running the job polls it every CANCEL_POLL_MS and
 * deletes it when it ends the job; the TTL only bounds a mark nobody read (the job ended first).
 * A fresh submit of the same job id deletes any mark first.
 */
export const CANCEL_TTL_S = 3600;
/**
 * How long an admission lasts without its job reaching the queue, ms: it covers decoding and fitting
 * the upload (well under a second) with a wide margin; an API instance that crashed in between frees
 * its admissions after this, not never.
 */
export const ADMIT_TTL_MS = 30_000;

/**
 * Atomically: drop expired admissions; count them plus the jobs waiting (wait and paused lists,
 * prioritized and delayed sets: what `depth()` counts); below the limit add one. Redis's clock, so
 * instances with skewed clocks agree. KEYS: admit, wait, paused, prioritized, delayed; ARGV: limit,
 * TTL ms, member. Returns {1 admitted | 0 refused, the count before}.
 */
const ADMIT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n = redis.call('ZCARD', KEYS[1]) + redis.call('LLEN', KEYS[2]) + redis.call('LLEN', KEYS[3]) + redis.call('ZCARD', KEYS[4]) + redis.call('ZCARD', KEYS[5])
if n >= tonumber(ARGV[1]) then return {0, n} end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, n}
`;

/** A place `admit` granted: give it back once the job is on the queue (or will never be). Idempotent. */
export interface AdmitTicket {
  release(): void;
}

/** Connected workers, from Redis's CLIENT LIST (BullMQ names each worker connection after its queue). */
export interface Fleet {
  /** Workers on this client's model queue. */
  ours: number;
  /** Model digest prefixes (16 hex) of the workers on the same `--queue` name that serve other models, and how many each. */
  others: Map<string, number>;
}

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
  /** Called once the job is in Redis (the admission it held can go). */
  onQueued: Set<() => void>;
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

  private constructor(
    /** The `--queue` name. */
    readonly name: string,
    /** The model digest this client's jobs are for. */
    readonly digest: string,
    readonly queue: Queue<ChunkJob, ChunkResult>,
    private readonly events: QueueEvents,
    /** A plain connection for our own keys (admissions, cancel marks) and CLIENT LIST. */
    private readonly redis: Redis,
    readonly info: RedisInfo,
    private readonly log: (l: string) => void,
  ) {
    events.on('completed', ({ jobId, returnvalue }) => {
      const r = asChunkResult(returnvalue);
      this.onFinished(jobId, r, r ? null : 'the worker returned no chunk result');
    });
    events.on('failed', ({ jobId, failedReason }) => this.onFinished(jobId, null, failedReason));
    events.on('progress', ({ jobId, data }) => {
      const e = this.entries.get(jobId);
      const p = asChunkProgress(data);
      if (e && p) for (const w of e.waiters) w.onProgress?.(p);
    });
    const onErr = (err: Error) => {
      const now = Date.now();
      if (now - this.lastErr > 10_000) this.log(`redis: ${err.message} (retrying)`);
      this.lastErr = now;
    };
    events.on('error', onErr);
    queue.on('error', onErr);
    redis.on('error', onErr);
  }

  /**
   * Check Redis (bounded: UserError when unreachable), warn about its eviction policy, connect to the
   * queue of the model with this digest under the `--queue` name `name`.
   */
  static async open(url: string, name: string, digest: string, o: QueueClientOptions = {}): Promise<QueueClient> {
    const log = o.log ?? (() => {});
    checkQueueName(name);
    const info = await checkRedis(url, o.connectTimeoutS ?? DEFAULT_CONNECT_TIMEOUT_S);
    const warn = policyWarning(url, info);
    if (warn) log(warn);
    const connection = queueConnection(url);
    const bull = modelQueueName(name, digest);
    const queue = new Queue<ChunkJob, ChunkResult>(bull, {
      connection,
      skipVersionCheck: true,
      streams: { events: { maxLen: EVENTS_MAX_LEN } },
    });
    const events = new QueueEvents(bull, { connection, skipVersionCheck: true });
    const c = new QueueClient(name, digest, queue, events, new Redis(connection), info, log);
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    return c;
  }

  /** The BullMQ queue name of this client's model (`modelQueueName`). */
  get bullName(): string {
    return this.queue.name;
  }

  /** Outstanding chunks of this client. */
  get outstanding(): number {
    return this.entries.size;
  }

  /**
   * Enqueue a chunk (a no-op if a job with this id exists) and resolve with its result; rejects with
   * ChunkFailed when it fails for good. Several submits of one id share one job. `signal`: this
   * waiter leaves; when it was the last one, the job is removed (not started yet) or cancelled
   * (running). `onQueued`: called once the job is in Redis (at once when it already was).
   */
  submit(
    id: string,
    data: ChunkJob,
    onProgress?: (p: ChunkProgress) => void,
    signal?: AbortSignal,
    onQueued?: () => void,
  ): Promise<ChunkResult> {
    if (this.closed) return Promise.reject(new Error('QueueClient is closed'));
    return new Promise<ChunkResult>((resolve, reject) => {
      const w: Waiter = { resolve, reject, onProgress };
      let e = this.entries.get(id);
      if (!e) {
        e = { id, data, waiters: new Set(), queued: false, onQueued: new Set() };
        this.entries.set(id, e);
        void this.enqueue(e);
      }
      e.waiters.add(w);
      if (onQueued) {
        if (e.queued) onQueued();
        else e.onQueued.add(onQueued);
      }
      signal?.addEventListener(
        'abort',
        () => {
          const entry = e!;
          if (entry.waiters.delete(w)) reject(new UserError('inpainting aborted'));
          if (onQueued) entry.onQueued.delete(onQueued);
          // Nobody waits any more (a job not in Redis yet is abandoned by enqueue once it is).
          if (entry.waiters.size === 0 && entry.queued) void this.abandon(entry);
        },
        { once: true },
      );
      this.schedule();
    });
  }

  /**
   * The last waiter of a job left: remove it if it has not started (remove() refuses a running one),
   * else mark it cancelled for its worker, which ends it unfinished (worker.ts); either way it ends
   * and is removed like any other.
   */
  private async abandon(e: Entry): Promise<void> {
    try {
      const n = await this.queue.remove(e.id);
      if (n === 1) {
        if (this.entries.get(e.id) === e && e.waiters.size === 0) this.entries.delete(e.id);
        return;
      }
      if (e.waiters.size > 0) return; // someone came back for it meanwhile
      await this.redis.set(cancelKey(this.bullName, e.id), '1', 'EX', CANCEL_TTL_S);
    } catch {
      // Redis away: the job runs to its end and is removed when collected.
    }
  }

  private async enqueue(e: Entry, fresh = true): Promise<void> {
    try {
      // A cancel mark left from an earlier client of the same job id must not end this one.
      await this.redis.del(cancelKey(this.bullName, e.id));
      await this.queue.add(CHUNK_JOB, e.data, { jobId: e.id, ...JOB_OPTIONS });
      const state = await this.queue.getJobState(e.id);
      if (state === 'completed') return this.collect(e.id);
      if (state === 'failed' && fresh) {
        // Failed in an earlier run: a re-run tries again.
        await this.queue.remove(e.id);
        await this.queue.add(CHUNK_JOB, e.data, { jobId: e.id, ...JOB_OPTIONS });
      } else if (state === 'failed') return this.collect(e.id);
      e.queued = true;
      for (const f of e.onQueued) f();
      e.onQueued.clear();
      // Every waiter left while it was being added.
      if (e.waiters.size === 0 && this.entries.get(e.id) === e) void this.abandon(e);
    } catch (err) {
      if (this.closed) return;
      // Redis is away (the connection retries for ever, so this is rare): try again on the next tick.
      this.log(`redis: could not enqueue ${e.id.slice(0, 13)}: ${(err as Error).message} (retrying)`);
      setTimeout(() => {
        if (this.entries.has(e.id) && !this.closed) void this.enqueue(e, fresh);
      }, 1000);
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
    if (!result && failedReason?.startsWith(CANCELLED) && e.waiters.size > 0) {
      // Cancelled because another client of the same job (another API instance) left, while this
      // one still waits: run it again.
      e.queued = false;
      void this.enqueue(e, true);
      return;
    }
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

  /** Workers connected to this model's queue, or null when Redis does not say (CLIENT LIST disabled). */
  async workers(): Promise<number | null> {
    return (await this.fleet())?.ours ?? null;
  }

  /**
   * The workers connected under this `--queue` name, by model: BullMQ names a worker's connections
   * `bull:<base64 of its queue>:w:<worker name>` (a worker holds two: one blocking), so CLIENT LIST
   * tells which model queue each worker listens on. Null when Redis does not let us list clients.
   */
  async fleet(): Promise<Fleet | null> {
    let list: string;
    try {
      list = (await this.redis.client('LIST')) as string;
    } catch {
      return null;
    }
    const byQueue = new Map<string, Set<string>>();
    for (const m of list.matchAll(/\bname=bull:([A-Za-z0-9+/=]+):w:(\S+)/g)) {
      const q = Buffer.from(m[1]!, 'base64').toString('utf8');
      let s = byQueue.get(q);
      if (!s) {
        s = new Set();
        byQueue.set(q, s);
      }
      s.add(m[2]!);
    }
    const others = new Map<string, number>();
    for (const [q, names] of byQueue) {
      if (q !== this.bullName && q.startsWith(`${this.name}.`)) others.set(q.slice(this.name.length + 1), names.size);
    }
    return { ours: byQueue.get(this.bullName)?.size ?? 0, others };
  }

  /**
   * Take a place among the waiting jobs of this model's queue if fewer than `limit` wait (counting
   * other admissions not on the queue yet), atomically (ADMIT_LUA); `count` is how many waited.
   */
  async admit(limit: number): Promise<{ ticket: AdmitTicket | null; count: number }> {
    const k = this.queue.keys;
    const member = crypto.randomUUID();
    const key = admitKey(this.bullName);
    const [ok, count] = (await this.redis.eval(
      ADMIT_LUA,
      5,
      key,
      k.wait!,
      k.paused!,
      k.prioritized!,
      k.delayed!,
      limit,
      ADMIT_TTL_MS,
      member,
    )) as [number, number];
    if (!ok) return { ticket: null, count };
    let done = false;
    return {
      count,
      ticket: {
        release: () => {
          if (done) return;
          done = true;
          void this.redis.zrem(key, member).catch(() => {});
        },
      },
    };
  }

  /**
   * Stop waiting for every outstanding job, taking those not running off the queue (a running one,
   * which cannot be removed, ends and is removed later by whoever collects it, or by age).
   */
  async withdraw(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) {
      await this.queue.remove(e.id).catch(() => 0);
      for (const w of e.waiters) w.reject(new UserError('withdrawn from the queue'));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const e of this.entries.values()) for (const w of e.waiters) w.reject(new UserError('queue client closed'));
    this.entries.clear();
    await Promise.allSettled([this.events.close(), this.queue.close(), this.redis.quit()]);
  }
}
