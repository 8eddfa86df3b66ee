/** `wgan-inpaint worker`: run inpainting jobs from a BullMQ queue on Redis (src/queue/worker.ts). */
import { str, numOpt, type Command, type Values } from './command.js';
import { startQueueWorker, WORKER_DEFAULTS } from '../queue/worker.js';
import { DEFAULT_QUEUE } from '../queue/protocol.js';
import { DEFAULT_CONNECT_TIMEOUT_S } from '../queue/redis.js';
import { UserError } from '../util/errors.js';
import { threadBound, THREADS_PER_CORE, JOB_BYTES, threadsOpt } from './bounds.js';

const d = WORKER_DEFAULTS;

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

  --redis URL            redis://[user:password@]host:port[/db] (rediss:// for TLS)
  --model REF            a run folder, a checkpoint folder or a shipped model name (the same as the batch's)
  --encoder DIR          start from this encoder (a train-encoder run or encoder folder) instead of
                         MODEL/encoder/; the same as the batch's --encoder (the digest covers it)
  --queue NAME           queue name, the same as the batch's or server's [default: ${DEFAULT_QUEUE}]
  --concurrency N        chunks at once, one compute thread each [default: ${d.concurrency}; the search
                         already uses every core on the native backend]; at most ${THREADS_PER_CORE} per core and what
                         half the memory holds at ${JOB_BYTES / 2 ** 20} MB each (${threadBound().max} on this machine)
  --backend KIND         auto | native | wasm | cpu | tensorflow [default: auto]
  --grace S              seconds a stopping worker lets running jobs finish [default: ${d.graceS}]
  --lock-duration MS     BullMQ job lock, renewed every MS/2 [default: ${d.lockDurationMs}]
  --stalled-interval MS  how often this worker looks for jobs of dead workers [default: ${d.stalledIntervalMs}]
  --max-stalled N        a job whose worker died more than N times fails [default: ${d.maxStalledCount}]
  --connect-timeout S    give up when Redis does not answer within S seconds at start [default: ${DEFAULT_CONNECT_TIMEOUT_S}]

The lock settings and why: docs/BENCHMARKS.md ("Queue") and src/queue/worker.ts. Start Redis with
\`--maxmemory-policy noeviction\` (the worker warns otherwise) and persistence on (README).

example
  wgan-inpaint worker --redis redis://127.0.0.1:6379 --model fashion-mnist`;

export const workerCommand: Command = {
  name: 'worker',
  summary: 'run inpainting jobs from a Redis queue (for batch --redis and serve --redis)',
  help,
  options: {
    redis: { type: 'string' },
    model: { type: 'string' },
    encoder: { type: 'string' },
    queue: { type: 'string' },
    concurrency: { type: 'string' },
    backend: { type: 'string' },
    grace: { type: 'string' },
    'lock-duration': { type: 'string' },
    'stalled-interval': { type: 'string' },
    'max-stalled': { type: 'string' },
    'connect-timeout': { type: 'string' },
  },
  async run(v: Values): Promise<number> {
    for (const k of ['redis', 'model']) if (!str(v, k)) throw new UserError(`worker: --${k} is required`);
    const log = (l: string) => process.stderr.write(`${new Date().toISOString()} ${l}\n`);
    const grace = numOpt(v, 'grace', { min: 0, def: d.graceS });
    const w = await startQueueWorker({
      redis: str(v, 'redis')!,
      model: str(v, 'model')!,
      ...(str(v, 'encoder') ? { encoder: str(v, 'encoder')! } : {}),
      queue: str(v, 'queue', DEFAULT_QUEUE)!,
      backend: str(v, 'backend', 'auto')!,
      // Bounded by the machine: each unit is a compute thread holding a model and a search (bounds.ts).
      concurrency: threadsOpt(v, 'concurrency', d.concurrency),
      lockDurationMs: numOpt(v, 'lock-duration', { int: true, min: 100, def: d.lockDurationMs }),
      stalledIntervalMs: numOpt(v, 'stalled-interval', { int: true, min: 100, def: d.stalledIntervalMs }),
      maxStalledCount: numOpt(v, 'max-stalled', { int: true, min: 0, def: d.maxStalledCount }),
      connectTimeoutS: numOpt(v, 'connect-timeout', { min: 0.1, def: DEFAULT_CONNECT_TIMEOUT_S }),
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
