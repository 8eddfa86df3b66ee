/**
 * `wgan-inpaint worker`: takes chunk jobs from a BullMQ queue on Redis and runs them on compute
 * threads (threads.ts), one chunk per thread; the main thread only talks to Redis, so BullMQ renews
 * each job's lock every lockDuration/2 however long the search takes.
 *
 * Timing settings (measured, docs/BENCHMARKS.md "Queue"): a default chunk (32 images × 1000
 * iterations × 4 restarts) takes 3–8 min on the 2-core machine here, but the lock never has to cover
 * a job — only the longest the main thread goes without renewing it. That thread only does Redis
 * I/O, JSON of ≈ 100–300 KB per job, PNG previews and GC: its longest stall ("loop max", logged per
 * job) measured 0.1–0.4 s with the machine at load 10–20. So:
 *   lockDuration 30 s (BullMQ's default): ≈ 75× the worst measured stall, so a busy machine or a
 *     Redis fail-over does not make a live worker's job look stalled;
 *   stalledInterval 15 s: a killed worker's job is back in the queue within lockDuration +
 *     stalledInterval ≤ 45 s, small next to the minutes of the job itself;
 *   maxStalledCount 3: a job survives a few killed workers (the "killed twice" benchmark) but one
 *     that kills every worker it lands on (out of memory) ends failed instead of looping.
 * Jobs are retried 3 times with exponential backoff (2, 4 s) for other faults; a malformed job is
 * failed at once (UnrecoverableError): retrying cannot help.
 *
 * Models: a worker listens only on its model's queue (`modelQueueName`: the --queue name + the model
 * digest), so a worker with another model never takes these jobs; the digest check below only guards
 * against a hand-made job or a digest-prefix collision.
 *
 * Cancellation: when the last client of a running job goes away (serve --redis), the client sets
 * `cancelKey(queue, jobId)`. The worker polls it every CANCEL_POLL_MS while the job runs (one EXISTS:
 * a mark, unlike a pub/sub message, is not lost when it is set before the job starts or while the
 * worker reconnects) and aborts the search the way the server aborts its own threads (the
 * AbortSignal the search checks every iteration); the job ends failed with CANCELLED, no result.
 */
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker, UnrecoverableError, WaitingError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { resolveCheckpointDir } from '../train/checkpoint.js';
import { encodePng } from '../io/image.js';
import { imageAt } from '../types.js';
import { UserError } from '../util/errors.js';
import { modelDigest } from './digest.js';
import { resolveEncoderDir } from '../encoder/checkpoint.js';
import { checkRedis, policyWarning, queueConnection, redactUrl, DEFAULT_CONNECT_TIMEOUT_S } from './redis.js';
import { ChunkAborted, ChunkThreads, type ThreadProgress } from './threads.js';
import {
  b64,
  cancelKey,
  checkQueueName,
  modelQueueName,
  CANCELLED,
  JOB_FORMAT,
  type ChunkJob,
  type ChunkProgress,
  type ChunkResult,
} from './protocol.js';

export const WORKER_DEFAULTS = {
  concurrency: 1,
  lockDurationMs: 30_000,
  stalledIntervalMs: 15_000,
  maxStalledCount: 3,
  /** Seconds a stopping worker lets its current chunk finish before handing it back. */
  graceS: 20,
};

/** Least time between two progress updates of a job, ms (each is a Redis stream entry). */
const PROGRESS_MS = 500;
/**
 * How often a running job's cancel mark is looked for, ms: one EXISTS per running job, negligible
 * for Redis; a cancelled search stops within this plus the iterations until its thread next yields.
 */
export const CANCEL_POLL_MS = 200;

export interface QueueWorkerOptions {
  redis: string;
  queue: string;
  /** A model reference (run folder, checkpoint folder, shipped name). */
  model: string;
  /**
   * An encoder folder or train-encoder run to start from instead of MODEL/encoder/ (the batch's
   * `--encoder`: the model digest covers it, so jobs of a batch with another encoder are refused).
   */
  encoder?: string;
  backend: string;
  concurrency?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
  connectTimeoutS?: number;
  log?: (line: string) => void;
}

export interface RunningQueueWorker {
  /** `host:pid`, stored by BullMQ as each job's processedBy. */
  name: string;
  /** The model's digest (jobs for another digest are refused). */
  digest: string;
  /** The BullMQ queue it listens on (`modelQueueName` of --queue and the digest). */
  queue: string;
  modelDir: string;
  backend: string;
  /**
   * Stop taking jobs; let running chunks finish for up to `graceS`, then hand them back to the queue
   * (they run again elsewhere, from the start); resolves when everything is closed.
   */
  close(graceS?: number): Promise<void>;
  /** Hand running chunks back now (a second Ctrl-C). */
  handBack(): void;
}

export async function startQueueWorker(o: QueueWorkerOptions): Promise<RunningQueueWorker> {
  const log = o.log ?? (() => {});
  const info = await checkQueue(o, log);
  const t = await startThreads(o);
  const name = `${os.hostname()}:${process.pid}`;
  const bullQueue = modelQueueName(o.queue, t.digest);
  // For cancel marks (the BullMQ connections are its own).
  const redis = new Redis(queueConnection(o.redis));
  redis.on('error', () => {}); // the worker's 'error' handler below already reports Redis going away
  const active = new Map<string, AbortController>();
  let handingBack = false;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const processor = chunkProcessor({
    ...t,
    name,
    bullQueue,
    redis,
    active,
    loop,
    log,
    handingBack: () => handingBack,
  });
  const worker = await startBullWorker(o, bullQueue, name, t.concurrency, processor, log);
  // Where the threads' searches start (the model's encoder, or random z and why): one line.
  if (t.startNotice) log(`notice: ${t.startNotice}`);
  log(
    `worker ${name} ready: model ${t.modelDir} (digest ${t.digest.slice(0, 12)}), backend ${t.backend}, concurrency ${t.concurrency}, queue '${o.queue}' (${bullQueue}) on ${redactUrl(o.redis)} (Redis ${info.version})`,
  );

  const handBack = () => {
    handingBack = true;
    for (const ac of active.values()) ac.abort();
  };
  let closing: Promise<void> | null = null;
  return {
    name,
    digest: t.digest,
    queue: bullQueue,
    modelDir: t.modelDir,
    backend: t.backend,
    handBack,
    close: (graceS = WORKER_DEFAULTS.graceS) => {
      closing ??= (async () => {
        const timer = setTimeout(handBack, graceS * 1000);
        try {
          await worker.close();
        } finally {
          clearTimeout(timer);
          loop.disable();
          await Promise.allSettled([t.threads.close(), redis.quit()]);
        }
      })();
      return closing;
    },
  };
}

/** Step 1: a valid queue name and a reachable Redis (its eviction policy warned about). */
async function checkQueue(o: QueueWorkerOptions, log: (line: string) => void): Promise<{ version: string }> {
  checkQueueName(o.queue);
  const info = await checkRedis(o.redis, o.connectTimeoutS ?? DEFAULT_CONNECT_TIMEOUT_S);
  const warn = policyWarning(o.redis, info);
  if (warn) log(warn);
  return info;
}

/** Step 2: the model (and encoder) resolved and digested, the compute threads started with it. */
async function startThreads(o: QueueWorkerOptions): Promise<{
  modelDir: string;
  digest: string;
  concurrency: number;
  threads: ChunkThreads;
  backend: string;
  startNotice: string | undefined;
}> {
  const modelDir = resolveCheckpointDir(o.model);
  const encoderDir = o.encoder ? resolveEncoderDir(o.encoder) : null;
  const digest = modelDigest(modelDir, encoderDir);
  const concurrency = o.concurrency ?? WORKER_DEFAULTS.concurrency;
  const threads = new ChunkThreads(concurrency, { backend: o.backend, modelDir, modelName: o.model, encoderDir });
  try {
    const backend = await threads.ready();
    const startNotice = await threads.notice();
    return { modelDir, digest, concurrency, threads, backend, startNotice };
  } catch (e) {
    await threads.close();
    throw e;
  }
}

/** What the job processor works with. */
interface ProcessorContext {
  modelDir: string;
  digest: string;
  threads: ChunkThreads;
  /** `host:pid`, reported with each result. */
  name: string;
  bullQueue: string;
  /** For the cancel marks. */
  redis: Redis;
  /** Job id → its abort, for handing every running job back. */
  active: Map<string, AbortController>;
  loop: ReturnType<typeof monitorEventLoopDelay>;
  log: (line: string) => void;
  handingBack: () => boolean;
}

/** A job this worker cannot run (another format, another model): refused for good, with one line. */
function refuseForeignJob(c: ProcessorContext, data: ChunkJob | undefined, short: string): asserts data is ChunkJob {
  if (data?.format !== JOB_FORMAT || !Array.isArray(data.items)) {
    c.log(`job ${short} refused: not a chunk job of format ${JOB_FORMAT}`);
    throw new UnrecoverableError(`job format ${String(data?.format)}; this worker reads format ${JOB_FORMAT}`);
  }
  if (data.model !== c.digest) {
    c.log(`job ${short} refused: it needs model ${data.model.slice(0, 12)}, this worker has ${c.digest.slice(0, 12)}`);
    throw new UnrecoverableError(
      `model mismatch: the job needs model ${data.model.slice(0, 12)}…, the worker ${c.name} has ${c.digest.slice(0, 12)}… (${c.modelDir}); run workers with the same --model as the batch`,
    );
  }
}

/** The job's cancel mark (its client went away), looked for on `poll()` and every CANCEL_POLL_MS; found → `ac` aborted. */
function watchCancel(redis: Redis, mark: string, ac: AbortController) {
  let cancelled = false;
  let polling = false;
  const poll = async () => {
    if (polling || cancelled) return;
    polling = true;
    try {
      if ((await redis.exists(mark)) === 1) {
        cancelled = true;
        ac.abort();
      }
    } catch {
      // Redis away: look again next time.
    } finally {
      polling = false;
    }
  };
  const poller = setInterval(() => void poll(), CANCEL_POLL_MS);
  return {
    poll,
    cancelled: () => cancelled,
    stop: () => clearInterval(poller),
  };
}

/** The job's progress: at most every PROGRESS_MS, plus every snapshot (a one-image job's carries a preview) and the end. */
function progressReporter(job: Job<ChunkJob, ChunkResult>, items: number) {
  let lastIter = 0; // the last iteration the thread reported (for the log line)
  let last = 0;
  let chain = Promise.resolve();
  const onProgress = (p: ThreadProgress) => {
    lastIter = p.iter;
    const now = performance.now();
    const raw = items === 1 ? p.raw : undefined;
    if (!raw && p.iter !== p.iters && now - last < PROGRESS_MS) return;
    last = now;
    chain = chain
      .then(async () => {
        const msg: ChunkProgress = { iter: p.iter, iters: p.iters, contextual: p.contextual, prior: p.prior };
        if (raw) msg.preview = b64(await encodePng(imageAt(raw, 0)));
        await job.updateProgress(msg);
      })
      .catch(() => {});
  };
  return { onProgress, sent: () => chain, lastIter: () => lastIter };
}

/**
 * Step 3: what runs each job — checked, watched for its cancel mark, run on a compute thread, its
 * progress reported; it ends with its result, for good (cancelled, a UserError), back in the queue
 * (handed back by a stopping worker) or failed for BullMQ to retry.
 */
function chunkProcessor(c: ProcessorContext) {
  const { log, loop } = c;
  return async (job: Job<ChunkJob, ChunkResult>, token?: string, signal?: AbortSignal): Promise<ChunkResult> => {
    const id = job.id ?? '';
    const short = id.slice(0, 13);
    const data = job.data;
    refuseForeignJob(c, data, short);
    const ac = new AbortController();
    c.active.set(id, ac);
    signal?.addEventListener('abort', () => ac.abort(), { once: true });
    loop.reset();
    const t0 = performance.now();
    const mark = cancelKey(c.bullQueue, id);
    const cancel = watchCancel(c.redis, mark, ac);
    const progress = progressReporter(job, data.items.length);
    try {
      await cancel.poll(); // set before the job started
      if (cancel.cancelled()) throw new ChunkAborted('cancelled before it started');
      const r = await c.threads.run(data, progress.onProgress, ac.signal);
      await progress.sent();
      const failed = r.items.filter((x) => !x.ok).length;
      const n = data.items.length;
      log(
        `job ${short} ${n} image(s): ${n - failed} done, ${failed} failed in ${r.seconds.toFixed(1)} s (${(r.seconds / n).toFixed(2)} s/image, loop max ${(loop.max / 1e6).toFixed(0)} ms)${job.attemptsStarted > 1 ? `, run ${job.attemptsStarted}` : ''}`,
      );
      return { format: JOB_FORMAT, items: r.items, seconds: r.seconds, worker: c.name, started: job.attemptsStarted };
    } catch (e) {
      await progress.sent();
      const s = ((performance.now() - t0) / 1000).toFixed(1);
      if (e instanceof ChunkAborted && cancel.cancelled()) {
        // Nobody wants the result: end the job without one (not retried), and free the thread.
        log(
          `job ${short} cancelled (its client went away): stopped after iteration ${progress.lastIter()} of ${data.options.iters}, ${s} s in`,
        );
        throw new UnrecoverableError(CANCELLED);
      }
      if (e instanceof ChunkAborted && c.handingBack() && token) {
        // Back to waiting, untouched attempts: another worker starts it afresh.
        await job.moveToWait(token);
        log(`job ${short} handed back to the queue after ${s} s (worker stopping)`);
        throw new WaitingError();
      }
      if (e instanceof UserError) {
        log(`job ${short} failed after ${s} s: ${e.message}`);
        throw new UnrecoverableError(e.message);
      }
      log(`job ${short} failed after ${s} s: ${(e as Error).message} (BullMQ retries it)`);
      throw e;
    } finally {
      cancel.stop();
      c.active.delete(id);
      if (cancel.cancelled()) await c.redis.del(mark).catch(() => {});
    }
  };
}

/** Step 4: the BullMQ worker on the model's queue, its connection trouble logged once per 10 s, running. */
async function startBullWorker(
  o: QueueWorkerOptions,
  bullQueue: string,
  name: string,
  concurrency: number,
  processor: ReturnType<typeof chunkProcessor>,
  log: (line: string) => void,
): Promise<Worker<ChunkJob, ChunkResult>> {
  const worker = new Worker<ChunkJob, ChunkResult>(bullQueue, processor, {
    connection: queueConnection(o.redis),
    concurrency,
    name,
    lockDuration: o.lockDurationMs ?? WORKER_DEFAULTS.lockDurationMs,
    stalledInterval: o.stalledIntervalMs ?? WORKER_DEFAULTS.stalledIntervalMs,
    maxStalledCount: o.maxStalledCount ?? WORKER_DEFAULTS.maxStalledCount,
    skipVersionCheck: true,
    autorun: false,
  });
  let lastErr = 0;
  worker.on('error', (e) => {
    const now = Date.now();
    if (now - lastErr > 10_000) log(`redis: ${e.message} (retrying)`);
    lastErr = now;
  });
  worker.on('stalled', (jobId) =>
    log(`job ${jobId.slice(0, 13)} was stalled (its worker stopped answering); back in the queue`),
  );
  void worker.run().catch((e: unknown) => log(`worker stopped: ${(e as Error).message}`));
  await worker.waitUntilReady();
  return worker;
}
