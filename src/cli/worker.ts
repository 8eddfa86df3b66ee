/** `wgan-inpaint worker`: run inpainting jobs from a BullMQ queue on Redis (src/queue/worker.ts). */
import { z } from 'zod';
import type { Command, Values } from './command.js';
import { commandFlags } from './schema_flags.js';
import { startQueueWorker, WORKER_DEFAULTS } from '../queue/worker.js';
import { DEFAULT_QUEUE } from '../queue/protocol.js';
import { DEFAULT_CONNECT_TIMEOUT_S } from '../queue/redis.js';
import { threadBound, THREADS_PER_CORE, JOB_BYTES, checkThreads } from './bounds.js';

const d = WORKER_DEFAULTS;

/** The flags (`--lock-duration` = lockDuration, …), their bounds, defaults and help. */
const WorkerFlagsSchema = z.object({
  redis: z.string().describe('redis://[user:password@]host:port[/db] (rediss:// for TLS)'),
  model: z.string().describe("a run folder, a checkpoint folder or a shipped model name (the same as the batch's)"),
  encoder: z
    .string()
    .optional()
    .describe(
      "start from this encoder (a train-encoder run or encoder folder) instead of MODEL/encoder/; the same as the batch's --encoder (the digest covers it)",
    ),
  queue: z.string().default(DEFAULT_QUEUE).describe("queue name, the same as the batch's or server's"),
  concurrency: z
    .number()
    .int()
    .min(1)
    .default(d.concurrency)
    .describe(
      `chunks at once, one compute thread each (the search already uses every core on the native backend); at most ${THREADS_PER_CORE} per core and what half the memory holds at ${JOB_BYTES / 2 ** 20} MB each (${threadBound().max} on this machine)`,
    ),
  backend: z.string().default('auto').describe('auto | native | wasm | cpu | tensorflow'),
  grace: z.number().min(0).default(d.graceS).describe('seconds a stopping worker lets running jobs finish'),
  lockDuration: z.number().int().min(100).default(d.lockDurationMs).describe('BullMQ job lock, renewed every MS/2'),
  stalledInterval: z
    .number()
    .int()
    .min(100)
    .default(d.stalledIntervalMs)
    .describe('how often this worker looks for jobs of dead workers'),
  maxStalled: z
    .number()
    .int()
    .min(0)
    .default(d.maxStalledCount)
    .describe('a job whose worker died more than N times fails'),
  connectTimeout: z
    .number()
    .min(0.1)
    .default(DEFAULT_CONNECT_TIMEOUT_S)
    .describe('give up when Redis does not answer within S seconds at start'),
});
const FLAGS = commandFlags('worker', WorkerFlagsSchema);

const help = `usage: wgan-inpaint worker --redis URL --model REF [--concurrency N] [--backend KIND] [options]

Take inpainting jobs (chunks of images from \`batch --redis\` or requests from \`serve --redis\`) from a
BullMQ queue on Redis and run them; start as many as you like, on any machine that reaches the Redis.
The search runs on compute threads (one per --concurrency), so the main thread keeps renewing the
job locks; a worker that dies (kill -9, power loss) has its job handed to another after at most
lock + stall-check time. A worker takes only jobs of its own model: they go on a queue named after
the model digest (NAME.<16 hex digits>), which covers the encoder (--encoder, else MODEL/encoder/),
so workers of several models can share a --queue name and none fails another's jobs. The searches
start from the encoder when there is one (init auto or encoder, as \`inpaint\`), else at random z:
one notice line at start-up says which. A job whose client went away (serve --redis) is stopped
mid-search and ends without a result. One log line per job on stderr. SIGTERM/SIGINT: stop taking jobs, let the running ones finish for up to
--grace seconds, then hand them back to the queue, exit 0; a second signal hands back at once.

${FLAGS.help({
  values: {
    redis: 'URL',
    model: 'REF',
    encoder: 'DIR',
    queue: 'NAME',
    concurrency: 'N',
    backend: 'KIND',
    grace: 'S',
    lockDuration: 'MS',
    stalledInterval: 'MS',
    maxStalled: 'N',
    connectTimeout: 'S',
  },
})}

The lock settings and why: docs/BENCHMARKS.md ("Queue") and src/queue/worker.ts. Start Redis with
\`--maxmemory-policy noeviction\` (the worker warns otherwise) and persistence on (README).

example
  wgan-inpaint worker --redis redis://127.0.0.1:6379 --model fashion-mnist`;

export const workerCommand: Command = {
  name: 'worker',
  summary: 'run inpainting jobs from a Redis queue (for batch --redis and serve --redis)',
  help,
  options: FLAGS.options,
  async run(v: Values): Promise<number> {
    const f = FLAGS.parse(v);
    const log = (l: string) => process.stderr.write(`${new Date().toISOString()} ${l}\n`);
    const grace = f.grace;
    const w = await startQueueWorker({
      redis: f.redis,
      model: f.model,
      ...(f.encoder ? { encoder: f.encoder } : {}),
      queue: f.queue,
      backend: f.backend,
      // Bounded by the machine: each unit is a compute thread holding a model and a search (bounds.ts).
      concurrency: checkThreads('concurrency', f.concurrency),
      lockDurationMs: f.lockDuration,
      stalledIntervalMs: f.stalledInterval,
      maxStalledCount: f.maxStalled,
      connectTimeoutS: f.connectTimeout,
      log,
    });
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (sig: string) => {
        if (stopping) {
          log(`${sig} again: handing running jobs back now`);
          w.handBack();
          return;
        }
        stopping = true;
        log(`${sig}: taking no new jobs; running ones get ${grace} s to finish, then go back to the queue`);
        void w.close(grace).then(resolve, (e: unknown) => {
          log(`error while stopping: ${(e as Error).message}`);
          resolve();
        });
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
    log('worker stopped');
    return 0;
  },
};
