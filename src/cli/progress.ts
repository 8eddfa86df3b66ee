/**
 * Progress display: a redrawn bar on a TTY, plain periodic lines otherwise (logs, CI, pipes).
 */
import { EtaClock, fmtDuration } from '../util/eta.js';
import { definedKeys } from '../util/defined.js';

/** (Shared with the page, which shows the same ETA.) */
export { fmtDuration };

export class ProgressBar {
  private lastPlain = 0;
  private readonly tty: boolean;
  private readonly clock: EtaClock;
  /** `now` (seconds) is for tests: the clock that times the warm-up. */
  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly plainEverySec = 10,
    now?: () => number,
  ) {
    this.tty = !!stream.isTTY && process.env.CI !== 'true';
    // At least a second timed: a few fast units alone give a jumpy first estimate.
    this.clock = new EtaClock({ minReports: 3, minSeconds: 1, ...definedKeys({ now }) });
  }
  /**
   * `done`/`total` units; `eta` seconds left, or 'measured': the bar times the updates itself and
   * shows no ETA ("…") until it has timed a few past the first (see src/util/eta.ts: elapsed / done
   * counts the set-up and the first slow units, and once said 2h27m for 3.5 minutes); `extra` e.g.
   * "412 img/s  Ŵ 1.23".
   */
  update(done: number, total: number, eta: number | 'measured', extra: string): void {
    const left = this.clock.update(done, total);
    if (eta === 'measured') eta = left;
    const pct = total ? done / total : 0;
    if (this.tty) {
      const width = 28;
      const fill = Math.round(pct * width);
      const bar = '█'.repeat(fill) + '░'.repeat(width - fill);
      this.stream.write(
        `\r${bar} ${done}/${total} ${(pct * 100).toFixed(0).padStart(3)}%  ETA ${fmtDuration(eta)}  ${extra}\x1b[K`,
      );
      if (done >= total) this.stream.write('\n');
      return;
    }
    const now = Date.now();
    if (done >= total || done === 1 || now - this.lastPlain >= this.plainEverySec * 1000) {
      this.lastPlain = now;
      this.stream.write(`${done}/${total} (${(pct * 100).toFixed(1)}%)  ETA ${fmtDuration(eta)}  ${extra}\n`);
    }
  }
  /** Print a message without breaking the bar. */
  log(msg: string): void {
    this.stream.write(this.tty ? `\r\x1b[K${msg}\n` : `${msg}\n`);
  }
}

/**
 * The images that failed, one `failed: 'file': reason` line each (the first 20; summary.json has them
 * all): how `inpaint` and `batch` end a run that skipped bad images (exit 1).
 */
export function logFailed(log: (line: string) => void, failed: readonly { input: string; reason: string }[]): void {
  for (const f of failed.slice(0, 20)) log(`failed: '${f.input}': ${f.reason}`);
  if (failed.length > 20) log(`… and ${failed.length - 20} more failed (see summary.json)`);
}
