/**
 * Upper bounds the machine sets on settings that start one compute thread per unit (`worker
 * --concurrency`, `serve --max-running`). Without them `worker --concurrency 1000` reached 5 GB and
 * 893 threads without ever becoming ready, and `serve --max-running 200` 3.6 GB (issue #30).
 */
import os from 'node:os';
import { UserError } from '../util/errors.js';

/**
 * Memory one compute thread holds while it runs a job: measured 58 MB per idle thread with the
 * fashion-mnist model loaded (`serve --max-running 1` vs `4`: 212 → 387 MB RSS once listening), and
 * a default job (a chunk of 32 images × 4 restarts) adds ≈ 130 MB (`batch --chunk 32` peaks at
 * 316 MB RSS against 190 MB for `--chunk 1`); rounded up to 256 MB for RGB models.
 */
export const JOB_BYTES = 256 * 2 ** 20;
/**
 * Threads per core: the search is compute-bound (on the native backend one search already uses
 * every core), so beyond a few per core threads only wait for the CPU while holding their memory.
 */
export const THREADS_PER_CORE = 4;

export interface Machine {
  cores: number;
  totalBytes: number;
}

export function thisMachine(): Machine {
  return { cores: os.availableParallelism(), totalBytes: os.totalmem() };
}

const gb = (b: number) => `${(b / 2 ** 30).toFixed(1)} GB`;

/**
 * The most compute threads worth starting on `m`: THREADS_PER_CORE per core, and no more than half
 * the memory holds at JOB_BYTES each (the rest is the system's and the other processes'); at least 1.
 * `why` names the bound that decides, for the error line.
 */
export function threadBound(m: Machine = thisMachine()): { max: number; why: string } {
  const byCores = Math.max(1, m.cores * THREADS_PER_CORE);
  const byMemory = Math.max(1, Math.floor(m.totalBytes / 2 / JOB_BYTES));
  return byMemory < byCores
    ? {
        max: byMemory,
        why: `each compute thread needs ≈ ${JOB_BYTES / 2 ** 20} MB, and half of the ${gb(m.totalBytes)} of memory holds ${byMemory}`,
      }
    : {
        max: byCores,
        why: `${m.cores} cores × ${THREADS_PER_CORE}: the search is compute-bound, so more threads only wait for a core`,
      };
}

/** A count of compute threads (an integer ≥ 1 already), refused past `threadBound` in one line naming `--flag`. */
export function checkThreads(flag: string, n: number, m: Machine = thisMachine()): number {
  const b = threadBound(m);
  if (n > b.max) throw new UserError(`--${flag} must be ≤ ${b.max} on this machine (${b.why}), got ${n}`);
  return n;
}
