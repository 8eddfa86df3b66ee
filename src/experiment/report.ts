/**
 * The claims experiment's report (Node: files): DIR/report.md, DIR/report.json and DIR/plots/ —
 * per run its last sample grid (copied from the run folder) and its curves (FD-classifier, modes
 * covered, the estimate), and one FD-classifier overview per model. Written atomically.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../io/atomic.js';
import { svgPlot, type Series } from '../io/plot.js';
import { LOSSES } from '../losses/index.js';
import {
  COLLAPSE_RATIO,
  EXPLODE_FACTOR,
  EXPLODE_MIN_HISTORY,
  MODE_MIN_SHARE_OF_UNIFORM,
} from '../metrics/diversity.js';
import { RULES, type CellSummary, type ClaimAnswer, type RunSummary } from './analysis.js';

export interface ReportContext {
  /** The resolved experiment options (written to report.json as they are). */
  options: Record<string, unknown> & { iters: number; seeds: number; losses: string[]; models: string[]; data: string };
  /** Command lines that trained the grid, in order. */
  commands: string[];
  runs: RunSummary[];
  cells: CellSummary[];
  claims: ClaimAnswer[];
  /** Run name → its run folder (sample grids are copied from it). */
  runDirs: Record<string, string>;
  /** Compute backend and machine state when the report was written. */
  machine: { backend: string; cores: number; loadAverage: number[] };
  /** A heading note, e.g. that this is a smoke-size run. */
  note?: string;
}

export const REPORT_FILES = { markdown: 'report.md', json: 'report.json', plots: 'plots' } as const;

const LOSS_COLORS: Record<string, string> = { wgan: '#1f77b4', 'wgan-gp': '#2ca02c', gan: '#d62728' };
const color = (loss: string, i = 0) => LOSS_COLORS[loss] ?? ['#9467bd', '#8c564b', '#e377c2', '#7f7f7f'][i % 4]!;

async function writePng(file: string, svg: string): Promise<void> {
  writeFileAtomic(file, new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer()));
}

/** Plot file names of a run (relative to DIR). */
export function runPlotFiles(name: string): { curves: string; samples: string } {
  return { curves: `${REPORT_FILES.plots}/${name}.png`, samples: `${REPORT_FILES.plots}/${name}-samples.png` };
}

const fmt = (x: number | null, d = 2) => (x === null ? '—' : x.toFixed(d));
const cellName = (c: { loss: string; model: string }) =>
  `${c.loss}${LOSSES.get(c.loss).estimate.wasserstein ? '' : ' (baseline)'} × ${c.model}`;

export function reportMarkdown(ctx: ReportContext): string {
  const o = ctx.options;
  const L: string[] = [];
  L.push('# The four claims of the Wasserstein GAN, measured', '');
  if (ctx.note) L.push(`> ${ctx.note}`, '');
  L.push(
    `Grid: losses ${o.losses.join(', ')} × models ${o.models.join(', ')} × ${o.seeds} seed(s) (0…${o.seeds - 1}), ${o.iters} generator iterations each (the budget), on \`${o.data}\`${o.limit ? ` (first-${o.limit} training images)` : ''}. ` +
      `Each loss uses its own paper's hyper-parameters (wgan: RMSProp 5e-5, clip 0.01, n_critic 5 — 100 for the first 25 iterations and every 500th; wgan-gp: Adam 1e-4 β (0.5, 0.9), λ 10, n_critic 5; gan: Adam 2e-4 β (0.5, 0.999), n_critic 1).`,
  );
  L.push('');
  L.push(`Options: \`${JSON.stringify(o)}\``, '');
  if (ctx.commands.length) L.push('Command(s):', '', ...ctx.commands.map((c) => `    ${c}`), '');
  const total = ctx.runs.reduce((a, r) => a + (r.trainSeconds ?? 0), 0);
  L.push(
    `Backend \`${ctx.machine.backend}\`, ${ctx.machine.cores} cores; training time summed over runs ${(total / 3600).toFixed(2)} h; load average when the report was written ${ctx.machine.loadAverage.map((l) => l.toFixed(1)).join(' / ')} (the machine may be shared: times are wall-clock).`,
    '',
  );

  L.push('## The four claims', '', '| # | claim | answer | numbers | rule |', '|---|---|---|---|---|');
  for (const c of ctx.claims) L.push(`| ${c.id} | ${c.claim} | **${c.answer}** | ${c.numbers} | ${c.rule} |`);
  L.push('');

  L.push('## Per cell (over seeds)', '');
  L.push(
    '| loss × model | seeds | diverged | exploded | collapsed at end | FD fell | FD-classifier first → end (mean; ± sd) | modes at end (mean) | KL at end | ρ(estimate, FD) median | s / iteration |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const c of ctx.cells) {
    L.push(
      `| ${cellName(c)} | ${c.seeds} | ${c.diverged} | ${c.exploded} | ${c.collapsed} | ${c.fdFell} | ${fmt(c.fdFirstMean, 1)} → ${fmt(c.fdLastMean, 1)}${c.fdLastSd !== null ? ` ± ${c.fdLastSd.toFixed(1)}` : ''} | ${fmt(c.modesLastMean, 1)} | ${fmt(c.klLastMean)} | ${fmt(c.rhoMedian)} | ${fmt(c.secondsPerIterMean)} |`,
    );
  }
  L.push('');
  L.push(`Overview: ![FD-classifier of every run](${REPORT_FILES.plots}/fd-overview.png)`, '');

  L.push('## Runs', '');
  for (const r of ctx.runs) {
    const f = runPlotFiles(r.name);
    L.push(`### ${r.name}`, '');
    const state = r.diverged
      ? `**diverged** at iteration ${r.diverged.iter} (${r.diverged.key} not finite)`
      : r.itersDone >= r.iters
        ? `${r.itersDone} iterations`
        : `**unfinished**: ${r.itersDone} of ${r.iters} iterations`;
    L.push(
      `${state}; FD-classifier ${fmt(r.fdFirst, 1)} → ${fmt(r.fdLast, 1)} (best ${fmt(r.fdBest, 1)}); modes ${r.modesLast ?? '—'} of ${r.classes}, KL ${fmt(r.klLast)}, spread ${fmt(r.spreadRatioLast)} × real${r.collapsedLast ? ' (**collapsed**)' : ''}${r.collapsedCount ? `, flagged collapsed at ${r.collapsedCount} measurement(s)` : ''}; ${r.explodedAt !== null ? `**exploding** at iteration ${r.explodedAt}; ` : ''}ρ(${r.estimate}, FD) ${fmt(r.rho)} over ${r.points} measurements; ${r.trainSeconds !== null ? `${(r.trainSeconds / 60).toFixed(1)} min` : 'time unknown'}.`,
      '',
    );
    L.push(`![samples](${f.samples}) ![curves](${f.curves})`, '');
  }

  L.push('## Definitions', '');
  L.push(
    `- **FD-classifier**: Fréchet distance between the penultimate-layer features of the classifier (\`${String(o.classifier)}\`) on 1000 samples (fixed z) and on 1000 real test images; lower is better. Comparable only with other FD-classifier values of the same classifier — not with FID.`,
  );
  L.push(
    `- **modes covered**: classes that get ≥ ${MODE_MIN_SHARE_OF_UNIFORM} × their uniform share of the 1000 samples under the classifier (≥ 2.5 % for 10 classes); **KL** = KL(class histogram ‖ uniform) in nats (0 = uniform, ln 10 ≈ 2.30 = one class).`,
  );
  L.push(
    `- **collapsed**: the mean pairwise RMS distance of 64 fixed-z samples is < ${COLLAPSE_RATIO} × that of 64 real test images (Fashion-MNIST 32 px: 0.39 for 64 training images, 0.22–0.36 within one class). An untrained generator usually counts as collapsed (its samples barely depend on z), so the answers use the final measurement.`,
  );
  L.push(
    `- **exploding**: the logged estimate or the critic loss beyond ${EXPLODE_FACTOR} × max(1, median |earlier values|), once ${EXPLODE_MIN_HISTORY} values exist; **diverged**: a NaN/Inf, which stops the run (its last good checkpoint stays).`,
  );
  L.push(
    `- **ρ(estimate, FD)**: Spearman's rank correlation over a run between FD-classifier at each measurement and the estimate averaged over the iterations since the previous measurement. For wgan/wgan-gp the estimate is Ŵ = mean D(real) − mean D(fake); for the gan it is the discriminator loss (sigmoid cross-entropy), **not a Wasserstein estimate**, shown for comparison. A positive ρ means the number falls as the samples get better.`,
  );
  L.push(
    `- Rule thresholds: progress = final FD ≤ ${RULES.progressRatio} × first; diverse = ≥ ${RULES.minModesFraction * 100} % of classes; tracks = median ρ ≥ ${RULES.minRho} with ≥ ${RULES.minPoints} measurements per run.`,
  );
  L.push('');
  return L.join('\n');
}

function runCurves(r: RunSummary): string {
  const s = r.series;
  return svgPlot(
    [
      {
        title: `${r.name}: FD-classifier (lower is better)`,
        series: [{ name: 'FD-classifier', xs: s.iter, ys: s.fd, color: '#ff7f0e' }],
      },
      {
        title: `modes covered (of ${r.classes})`,
        series: [{ name: 'modes covered', xs: s.iter, ys: s.modes, color: '#8c564b' }],
      },
      {
        title: `${r.wasserstein ? 'W estimate Ŵ' : 'discriminator loss L_D (not a W estimate)'}, mean over each interval`,
        series: [{ name: r.estimate, xs: s.iter, ys: s.estimate, color: color(r.loss) }],
      },
    ],
    { xlabel: 'generator iteration', panelHeight: 180 },
  );
}

function overview(ctx: ReportContext): string {
  const models = ctx.options.models.filter((m) => ctx.runs.some((r) => r.model === m));
  return svgPlot(
    models.map((m) => ({
      title: `FD-classifier, ${m} (every run; lower is better)`,
      series: ctx.runs
        .filter((r) => r.model === m)
        .map(
          (r, i): Series => ({
            name: `${r.loss} s${r.seed}`,
            xs: r.series.iter,
            ys: r.series.fd,
            color: color(r.loss, i),
          }),
        ),
    })),
    { xlabel: 'generator iteration' },
  );
}

/** Write report.md, report.json and plots/ into `dir`. Returns the files written (relative). */
export async function writeClaimsReport(dir: string, ctx: ReportContext): Promise<string[]> {
  const plots = path.join(dir, REPORT_FILES.plots);
  fs.mkdirSync(plots, { recursive: true });
  const written: string[] = [];
  for (const r of ctx.runs) {
    const f = runPlotFiles(r.name);
    await writePng(path.join(dir, f.curves), runCurves(r));
    written.push(f.curves);
    const grid = path.join(ctx.runDirs[r.name] ?? '', 'samples', 'latest.png');
    if (fs.existsSync(grid)) {
      writeFileAtomic(path.join(dir, f.samples), new Uint8Array(fs.readFileSync(grid)));
      written.push(f.samples);
    }
  }
  await writePng(path.join(plots, 'fd-overview.png'), overview(ctx));
  written.push(`${REPORT_FILES.plots}/fd-overview.png`);
  const json = {
    format: 1,
    generatedAt: new Date().toISOString(),
    ...(ctx.note ? { note: ctx.note } : {}),
    options: ctx.options,
    commands: ctx.commands,
    machine: ctx.machine,
    rules: {
      ...RULES,
      collapseRatio: COLLAPSE_RATIO,
      explodeFactor: EXPLODE_FACTOR,
      explodeMinHistory: EXPLODE_MIN_HISTORY,
      modeMinShareOfUniform: MODE_MIN_SHARE_OF_UNIFORM,
    },
    claims: ctx.claims,
    cells: ctx.cells,
    runs: ctx.runs,
  };
  // NaN/Infinity are not JSON: they are written as null.
  writeFileAtomic(
    path.join(dir, REPORT_FILES.json),
    `${JSON.stringify(json, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`,
  );
  writeFileAtomic(path.join(dir, REPORT_FILES.markdown), reportMarkdown(ctx));
  written.push(REPORT_FILES.json, REPORT_FILES.markdown);
  return written;
}
