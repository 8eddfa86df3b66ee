/**
 * Compare training recipes by FD-classifier against compute: reads each run folder's config.json and
 * stats.jsonl and writes a plot (FD-classifier vs cumulative analytic GFLOP, and vs generator
 * iteration) and a Markdown table of FD at equal compute.
 *
 *   node dist/tools/recipe_report.js --runs runs/a,runs/b --labels 'base;lazy GP' --out docs/training/recipes
 *
 * Compute is the analytic FLOP count of one generator iteration (src/train/loop.ts iterationFlops,
 * which follows each loss's critic passes, n_critic and the lazy penalty), so recipes compare fairly
 * even when the runs shared a busy machine (`npm run bench -- recipes` checks that wall-clock time
 * follows these counts).
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { resolveConfig } from '../src/config/config.js';
import { buildModels, disposeModel } from '../src/models/index.js';
import { iterationFlops } from '../src/train/loop.js';
import { RunDir } from '../src/train/run_dir.js';
import type { Trainer } from '../src/train/steps.js';
import { svgPlot } from '../src/io/plot.js';
import { toolFlags } from '../bench/common.js';

const f = toolFlags('recipe_report', ['labels', 'out', 'runs']);
if (!f.runs || !f.out) {
  console.error('usage: recipe_report --runs DIR1,DIR2,… [--labels "L1;L2;…"] --out PREFIX');
  process.exit(2);
}
const dirs = f.runs.split(',');
const labels = f.labels ? f.labels.split(';') : dirs.map((d) => path.basename(d));
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

const runs = dirs.map((dir, i) => {
  const run = new RunDir(dir);
  const config = resolveConfig(JSON.parse(fs.readFileSync(run.configFile, 'utf8')));
  const models = buildModels(config.model, { ...config });
  const gflop = iterationFlops({ models, config } as unknown as Trainer) / 1e9;
  disposeModel(models);
  const fd = run.readStats().filter((s) => s.fdClassifier !== undefined);
  const stats = run.readStats();
  return { label: labels[i] ?? dir, dir, config, gflop, fd, last: stats.at(-1), color: COLORS[i % COLORS.length]! };
});

/** FD at a compute budget: linear interpolation between the measured points (undefined beyond them). */
function fdAt(r: (typeof runs)[number], gflop: number): number | undefined {
  const pts = r.fd.map((s) => [s.iter * r.gflop, s.fdClassifier!] as const);
  for (let k = 1; k < pts.length; k++) {
    const [x0, y0] = pts[k - 1]!,
      [x1, y1] = pts[k]!;
    if (gflop >= x0 && gflop <= x1) return y0 + ((y1 - y0) * (gflop - x0)) / (x1 - x0);
  }
  return pts.length && Math.abs(pts.at(-1)![0] - gflop) < 1e-9 ? pts.at(-1)![1] : undefined;
}

const svg = svgPlot(
  [
    {
      title: 'FD-classifier vs compute (analytic TFLOP; lower is better)',
      series: runs.map((r) => ({
        name: r.label,
        xs: r.fd.map((s) => (s.iter * r.gflop) / 1000),
        ys: r.fd.map((s) => s.fdClassifier!),
        color: r.color,
      })),
    },
  ],
  { xlabel: 'TFLOP of training' },
);
const svgIter = svgPlot(
  [
    {
      title: 'FD-classifier vs generator iteration',
      series: runs.map((r) => ({
        name: r.label,
        xs: r.fd.map((s) => s.iter),
        ys: r.fd.map((s) => s.fdClassifier!),
        color: r.color,
      })),
    },
  ],
  { xlabel: 'generator iteration' },
);
fs.mkdirSync(path.dirname(f.out), { recursive: true });
fs.writeFileSync(`${f.out}-compute.svg`, svg);
await sharp(Buffer.from(svg)).png().toFile(`${f.out}-compute.png`);
fs.writeFileSync(`${f.out}-iters.svg`, svgIter);
await sharp(Buffer.from(svgIter)).png().toFile(`${f.out}-iters.png`);

// Budgets: the first run's (the reference's) measuring points, as far as any other run reached.
const reach = Math.max(...runs.slice(1).map((r) => (r.fd.at(-1)?.iter ?? 0) * r.gflop), 0);
const budgets = [...new Set([...runs[0]!.fd.map((s) => s.iter * runs[0]!.gflop), 4000, 8000])]
  .sort((a, b) => a - b)
  .filter((b) => b <= reach || runs.length === 1)
  .slice(0, 8);
const lines = [
  `| recipe | GFLOP / iteration | iterations | TFLOP | ${budgets.map((b) => `FD @ ${(b / 1000).toFixed(1)} TFLOP`).join(' | ')} | last FD |`,
  `|---|---|---|---|${budgets.map(() => '---').join('|')}|---|`,
  ...runs.map(
    (r) =>
      `| ${r.label} | ${r.gflop.toFixed(1)} | ${r.last?.iter ?? 0} | ${(((r.last?.iter ?? 0) * r.gflop) / 1000).toFixed(1)} | ${budgets.map((b) => fdAt(r, b)?.toFixed(1) ?? '–').join(' | ')} | ${r.fd.length ? `${r.fd.at(-1)!.fdClassifier!.toFixed(1)} @ ${r.fd.at(-1)!.iter}` : '–'} |`,
  ),
];
fs.writeFileSync(`${f.out}.md`, `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
