/**
 * A bounded job queue: at most `maxRunning` jobs run at once (inpainting is CPU-bound: two jobs on
 * one backend only share the same cores), at most `maxWaiting` wait; beyond that the server answers
 * 429 at once instead of letting requests pile up. Platform-neutral.
 */

export interface Slot {
  /** Give the slot back (idempotent); the next waiting job starts. */
  release(): void;
}

interface Waiter {
  resolve(s: Slot): void;
  reject(e: Error): void;
  onPosition?: ((position: number) => void) | undefined;
}

export class JobQueue {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  /** Mean run time of finished jobs, s (for Retry-After). */
  private meanSec = 1;

  constructor(
    readonly maxRunning: number,
    readonly maxWaiting: number,
  ) {}

  get stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Seconds a refused client should wait before retrying (≥ 1). */
  retryAfter(): number {
    return Math.max(1, Math.min(60, Math.ceil((this.meanSec * (this.waiting.length + 1)) / this.maxRunning)));
  }

  /**
   * A slot, now or when one frees up; `null` when the queue is full. Aborting `signal` while waiting
   * leaves the queue and rejects. `onPosition` hears the 1-based place in line whenever it changes.
   */
  acquire(signal?: AbortSignal, onPosition?: (position: number) => void): Promise<Slot> | null {
    if (this.running < this.maxRunning) return Promise.resolve(this.makeSlot());
    if (this.waiting.length >= this.maxWaiting) return null;
    return new Promise<Slot>((resolve, reject) => {
      const w: Waiter = { resolve, reject, onPosition };
      this.waiting.push(w);
      onPosition?.(this.waiting.length);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.waiting.indexOf(w);
          if (i >= 0) {
            this.waiting.splice(i, 1);
            this.announce();
            reject(new Error('aborted while waiting'));
          }
        },
        { once: true },
      );
    });
  }

  private makeSlot(): Slot {
    this.running++;
    const t0 = Date.now();
    let done = false;
    return {
      release: () => {
        if (done) return;
        done = true;
        this.running--;
        this.meanSec = 0.8 * this.meanSec + 0.2 * ((Date.now() - t0) / 1000);
        const next = this.waiting.shift();
        if (next) {
          this.announce();
          next.resolve(this.makeSlot());
        }
      },
    };
  }

  private announce(): void {
    this.waiting.forEach((w, i) => {
      w.onPosition?.(i + 1);
    });
  }
}
