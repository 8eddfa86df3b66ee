/**
 * Where a batch's chunks run (batch.ts `runBatch` picks one): in this process through the seam
 * (`runChunk`, one chunk after another), or on the BullMQ queue (`--redis`), where any number of
 * `worker` processes run the same `runChunk`. Both build each chunk's job and apply its results
 * through the ledger (ledger.ts), so the outputs are byte-identical whichever runs them.
 */
import type { Checkpoint } from '../train/checkpoint.js';
import type { InpaintModel } from '../inpaint/search.js';
import { UserError } from '../util/errors.js';
import { ChunkFailed, QueueClient, type Fleet } from './client.js';
import type { BatchLedger, Plan } from './ledger.js';
import { DEFAULT_QUEUE, type ItemResult } from './protocol.js';
import { runChunk } from './seam.js';
import { definedKeys } from '../util/defined.js';
import { disposeModel } from '../models/index.js';

/** How a run of the chunks ended: interrupted (the signal), or stopped (queue: no worker of the model) with its line. */
export interface ExecutorEnd {
  interrupted: boolean;
  stopped: UserError | null;
}

export interface ChunkExecutor {
  /** Run every chunk of the plan, applying each result through the ledger as it arrives. */
  run(plan: Plan, ledger: BatchLedger, signal?: AbortSignal): Promise<ExecutorEnd>;
}

/** How often the queue executor looks for a worker of the model (CLIENT LIST), ms. */
const WORKER_CHECK_MS = 1000;
/**
 * Chunks on the queue at once per batch client: up to 64 workers busy (raise `batch --in-flight` for a bigger
 * fleet) while Redis holds a bounded amount (≈ 50 KB per waiting chunk of 32 small PNGs, results
 * removed as collected).
 */
export const DEFAULT_WINDOW = 64;
/**
 * `--worker-timeout` default, s: how long a queued batch waits with no worker of its model connected
 * (at the start, or after the last one left) before it stops with one error line. A worker starting
 * up (model load, compute threads) is ready within seconds; a Redis restart is waited out separately
 * (a check Redis answers late does not count).
 */
export const DEFAULT_WORKER_TIMEOUT_S = 60;

/**
 * In-process: the chunks one after another on this thread, on the model `load` gives (the one
 * planning loaded, its encoder attached, or loaded now); the model is disposed at the end.
 */
export function inProcessExecutor(load: () => Promise<Checkpoint & InpaintModel>): ChunkExecutor {
  return {
    async run(plan, ledger, signal) {
      let interrupted = false;
      const ck = await load();
      try {
        for (const [c, idx] of plan.chunks.entries()) {
          if (signal?.aborted) {
            interrupted = true;
            break;
          }
          const b = ledger.buildJob(idx);
          if (!b) continue;
          ledger.running.set(c, 0);
          let items: ItemResult[];
          const tc = performance.now();
          try {
            items = await runChunk(ck, b.job, {
              ...definedKeys({ signal }),
              onProgress: (p) => {
                ledger.running.set(c, p.iter / Math.max(1, p.iters));
                ledger.progress();
              },
            });
          } catch (e) {
            ledger.running.delete(c);
            if (signal?.aborted) {
              interrupted = true;
              break;
            }
            if (!(e instanceof UserError)) throw e;
            ledger.failChunk(idx, e.message);
            continue;
          }
          ledger.running.delete(c);
          ledger.computeSeconds += (performance.now() - tc) / 1000;
          await ledger.apply(b.keys, items);
          ledger.progress();
        }
      } finally {
        disposeModel(ck);
      }
      return { interrupted, stopped: null };
    },
  };
}

/**
 * On the queue: up to `window` chunks submitted and not yet collected at once, each applied as its
 * result arrives. Jobs go on the model's own queue, so only its workers take them; with none
 * connected for `workerTimeoutS` (at the start or later) the run stops with one line instead of
 * waiting for ever, taking its waiting jobs off the queue.
 */
export function queueExecutor(
  spec: {
    redis: string;
    /** The model as the user named it, and their --encoder, for the no-worker line. */
    model: string;
    encoder?: string | undefined;
    queue?: string | undefined;
    connectTimeoutS?: number | undefined;
    /** Chunks submitted and not yet collected at most [DEFAULT_WINDOW]. */
    window?: number | undefined;
    workerTimeoutS?: number | undefined;
  },
  log: (line: string) => void,
): ChunkExecutor {
  return {
    async run(plan, ledger, signal) {
      let interrupted = false;
      let noWorker = null as UserError | null; // (a cast: set in a callback, so TS must not narrow it to null)
      const queueName = spec.queue ?? DEFAULT_QUEUE;
      const client = await QueueClient.open(spec.redis, queueName, plan.digest, {
        ...definedKeys({ connectTimeoutS: spec.connectTimeoutS }),
        log,
      });
      const timeoutS = spec.workerTimeoutS ?? DEFAULT_WORKER_TIMEOUT_S;
      let lastSeen = Date.now();
      let noticed = false;
      let checking = false;
      let onNoWorker = () => {};
      const gaveUp = new Promise<void>((resolve) => {
        onNoWorker = resolve;
      });
      const elsewhere = (f: Fleet) => {
        const n = [...f.others.values()].reduce((a, b) => a + b, 0);
        return n
          ? `${n} connected worker(s) serve other models (digest ${[...f.others.keys()]
              .slice(0, 3)
              .map((d) => d.slice(0, 12))
              .join(', ')})`
          : 'no worker is connected to it';
      };
      const checkWorkers = async () => {
        if (checking || noWorker || !plan.chunks.length) return;
        checking = true;
        try {
          const t = Date.now();
          const f = await client.fleet();
          // Cannot tell (CLIENT LIST refused), or Redis answered late (it was away; workers reconnect): wait on.
          if (!f || f.ours > 0 || Date.now() - t > 2000) {
            lastSeen = Date.now();
            return;
          }
          if (Date.now() - lastSeen >= timeoutS * 1000) {
            noWorker = new UserError(
              `no worker for model '${spec.model}' (digest ${plan.digest.slice(0, 12)}) on queue '${queueName}' within ${timeoutS} s: ${elsewhere(f)}; start one with the batch's model: wgan-inpaint worker --redis URL --queue ${queueName} --model ${spec.model}${spec.encoder ? ` --encoder ${spec.encoder}` : ''}`,
            );
            onNoWorker();
          } else if (!noticed) {
            noticed = true;
            log(
              `notice: no worker for model ${plan.digest.slice(0, 12)} on queue '${queueName}' yet (${elsewhere(f)}); waiting up to ${timeoutS} s for one (--worker-timeout)`,
            );
          }
        } finally {
          checking = false;
        }
      };
      const watchdog = setInterval(() => void checkWorkers().catch(() => {}), WORKER_CHECK_MS);
      try {
        await checkWorkers();
        const window = spec.window ?? DEFAULT_WINDOW;
        const inflight = new Set<Promise<void>>();
        let fatal: unknown = null;
        const aborted = new Promise<void>((resolve) => {
          if (signal?.aborted) resolve();
          signal?.addEventListener('abort', () => resolve(), { once: true });
        }).then(() => {
          interrupted = true;
        });
        const waitSome = () => Promise.race([...inflight, aborted, gaveUp]);
        for (const [c, idx] of plan.chunks.entries()) {
          while (inflight.size >= window && !interrupted && !fatal && !noWorker) await waitSome();
          if (interrupted || fatal || noWorker) break;
          const b = ledger.buildJob(idx);
          if (!b) continue;
          ledger.running.set(c, 0);
          const p: Promise<void> = client
            .submit(b.id, b.job, (pr) => {
              ledger.running.set(c, pr.iter / Math.max(1, pr.iters));
              ledger.progress();
            })
            .then(
              async (r) => {
                ledger.reruns += Math.max(0, (r.started ?? 1) - 1);
                ledger.computeSeconds += r.seconds ?? 0;
                ledger.running.delete(c);
                await ledger.apply(b.keys, r.items);
              },
              (e: unknown) => {
                ledger.running.delete(c);
                if (interrupted || noWorker) return;
                if (e instanceof ChunkFailed) ledger.failChunk(idx, `job failed: ${e.message}`);
                else fatal = e;
              },
            )
            .catch((e: unknown) => {
              fatal = e;
            })
            .finally(() => {
              inflight.delete(p);
              ledger.progress();
            });
          inflight.add(p);
        }
        while (inflight.size && !interrupted && !fatal && !noWorker) await waitSome();
        if (noWorker && !interrupted) {
          // Nobody can take them: take this batch's jobs that did not start off the queue.
          await client.withdraw();
          await Promise.allSettled([...inflight]);
        }
        if (interrupted) {
          // Stop waiting (the jobs go on in the workers; a re-run collects them), let writes in flight end.
          await client.close();
          await Promise.allSettled([...inflight]);
        }
        if (fatal) throw fatal;
      } finally {
        clearInterval(watchdog);
        await client.close();
      }
      return { interrupted, stopped: noWorker };
    },
  };
}
