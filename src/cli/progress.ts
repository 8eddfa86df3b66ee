/**
 * Progress display: a redrawn bar on a TTY, plain periodic lines otherwise (logs, CI, pipes).
 */
export function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export class ProgressBar {
  private lastPlain = 0;
  private readonly tty: boolean;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, private readonly plainEverySec = 10) {
    this.tty = !!stream.isTTY && process.env.CI !== 'true';
  }
  /** `done`/`total` units, `eta` seconds, `extra` e.g. "412 img/s  Ŵ 1.23". */
  update(done: number, total: number, eta: number, extra: string): void {
    const pct = total ? done / total : 0;
    if (this.tty) {
      const width = 28;
      const fill = Math.round(pct * width);
      const bar = '█'.repeat(fill) + '░'.repeat(width - fill);
      this.stream.write(`\r${bar} ${done}/${total} ${(pct * 100).toFixed(0).padStart(3)}%  ETA ${fmtDuration(eta)}  ${extra}\x1b[K`);
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
