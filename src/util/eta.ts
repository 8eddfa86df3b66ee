/**
 * Time left, from a measured warm-up (shared by the CLI's progress bar and the page's live stats).
 *
 * Dividing the time since a command started by the work done so far counts its set-up (loading the
 * model, the data set, a classifier; a job's place in a queue) and the first, slow units (kernel
 * compilation, the first GPU upload) as if every unit cost that much: `eval` once said 2h27m for a run
 * that took 3.5 minutes. So the clock starts at the first progress report, skips the first unit
 * (warm-up), and gives no estimate until a few reports after it have been timed; from then on the
 * estimate is their average pace.
 */
export interface EtaOptions {
  /** Timed reports after the warm-up before an estimate is given (default 3). */
  minReports?: number;
  /** …and at least this much timed, seconds (default 0: fast units are timed by their count alone). */
  minSeconds?: number;
  /** The clock, seconds (tests give a fake one). */
  now?: () => number;
}

export class EtaClock {
  private first: { done: number } | null = null;
  private ref: { done: number; t: number } | null = null;
  private reports = 0;
  private lastDone = -Infinity;
  private lastTotal = NaN;
  private readonly minReports: number;
  private readonly minSeconds: number;
  private readonly now: () => number;

  constructor(o: EtaOptions = {}) {
    this.minReports = o.minReports ?? 3;
    this.minSeconds = o.minSeconds ?? 0;
    this.now = o.now ?? (() => performance.now() / 1000);
  }

  /** Forget what was timed (a new run, or a new total). */
  reset(): void {
    this.first = this.ref = null;
    this.reports = 0;
    this.lastDone = -Infinity;
    this.lastTotal = NaN;
  }

  /**
   * Report progress (`done` of `total` units); returns the seconds left, or NaN while warming up.
   * Progress that goes backwards or a changed total (the next image, the next run) starts over.
   */
  update(done: number, total: number): number {
    const t = this.now();
    if (done < this.lastDone || total !== this.lastTotal) this.reset();
    const advanced = done > this.lastDone;
    this.lastDone = done;
    this.lastTotal = total;
    // The first report: whatever came before it (set-up, waiting) is not the work's pace.
    if (!this.first) {
      this.first = { done };
      return NaN;
    }
    // The first unit after it (compilation, first uploads) is warm-up too: timing starts once past it.
    if (!this.ref) {
      if (done > this.first.done) this.ref = { done, t };
      return NaN;
    }
    if (advanced) this.reports++;
    const units = done - this.ref.done,
      secs = t - this.ref.t;
    if (this.reports < this.minReports || secs < this.minSeconds || units <= 0) return NaN;
    return (secs / units) * Math.max(0, total - done);
  }
}

/** Seconds as `1h05m`, `3m07s` or `42s` ('…' when not known: still warming up, or no pace yet). */
export function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '…';
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
