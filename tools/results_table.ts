/**
 * Dev tool: one markdown table (per mask kind: hole PSNR ± s.e., SSIM, accuracy, s / image per method)
 * from one or several `wgan-inpaint eval` reports of the same model, images and masks — for
 * docs/RESULTS.md, where the expensive random-start rows come from separate runs.
 *
 *   node dist/tools/results_table.js EVAL_DIR [EVAL_DIR …] [--methods m1,m2,…]
 *
 * Reports must agree on the model step, the image count and the seed (checked). The best hole PSNR,
 * SSIM and accuracy of each mask kind are bold. Reports that hold paired comparisons (src/eval/runner.ts)
 * add a column of the paired hole PSNR difference from their reference method, when every such row
 * has the same reference. Images whose hole a method reproduced exactly (counted as 100 dB in its
 * mean) are listed under the table.
 */
import fs from 'node:fs';
import path from 'node:path';

interface Stat {
  mean: number;
  se: number;
}
interface Row {
  n: number;
  exact?: number;
  ssim: { mean: number };
  holePsnr: Stat;
  secondsPerImage: number;
  accuracy?: number | null;
  paired?: { reference: string; holePsnr: Stat; better: number };
}
interface Report {
  n: number;
  model: { step: number };
  options: { seed: number };
  results: Record<string, Record<string, Row>>;
  semantic?: { originalAccuracy?: number } | null;
}

const args = process.argv.slice(2);
const mi = args.indexOf('--methods');
const only = mi >= 0 ? args[mi + 1]!.split(',') : null;
const dirs = args.filter((a, i) => !a.startsWith('--') && (mi < 0 || i !== mi + 1));
if (!dirs.length) {
  console.error('usage: results_table EVAL_DIR [EVAL_DIR …] [--methods m1,m2,…]');
  process.exit(2);
}
const reports = dirs.map((d) => {
  const f = path.join(d, 'results.json');
  if (!fs.existsSync(f)) {
    console.error(`results_table: ${f} does not exist (not a finished \`wgan-inpaint eval\` report)`);
    process.exit(2);
  }
  return JSON.parse(fs.readFileSync(f, 'utf8')) as Report;
});
const r0 = reports[0]!;
for (const [i, r] of reports.entries()) {
  if (r.n !== r0.n || r.model.step !== r0.model.step || r.options.seed !== r0.options.seed)
    throw new Error(`${dirs[i]}: another model step, image count or seed than ${dirs[0]}`);
}
const masks: string[] = [];
const rows = new Map<string, Map<string, Row>>();
for (const r of reports) {
  for (const [mask, methods] of Object.entries(r.results)) {
    if (!rows.has(mask)) {
      rows.set(mask, new Map());
      masks.push(mask);
    }
    for (const [m, row] of Object.entries(methods)) if (!only || only.includes(m)) rows.get(mask)!.set(m, row);
  }
}
const acc = (x: Row) => (x.accuracy == null ? '–' : `${(x.accuracy * 100).toFixed(1)} %`);
const secs = (s: number) => (s >= 0.1 ? s.toFixed(2) : s >= 0.001 ? s.toFixed(4) : s.toExponential(1));
const refs = new Set(
  [...rows.values()].flatMap((m) => [...m.values()].flatMap((x) => (x.paired ? [x.paired.reference] : []))),
);
if (refs.size > 1) console.error(`results_table: paired comparisons against ${[...refs].join(', ')}: no paired column`);
const ref = refs.size === 1 ? [...refs][0]! : null;
/** The paired column's cell, with its closing bar; '' without a paired column. */
const pairedCell = (m: string, x: Row): string => {
  if (!ref) return '';
  const p = x.paired;
  const v = p
    ? `${p.holePsnr.mean >= 0 ? '+' : ''}${p.holePsnr.mean.toFixed(2)} ± ${p.holePsnr.se.toFixed(2)} (${(p.better * 100).toFixed(0)} %)`
    : m === ref
      ? '(reference)'
      : '–';
  return ` ${v} |`;
};
console.log(
  `| mask | method | hole PSNR (dB) ↑ | SSIM ↑ | accuracy ↑ | s / image |${ref ? ` Δ hole PSNR vs \`${ref}\` (images better) |` : ''}`,
);
console.log(`|---|---|---:|---:|---:|---:|${ref ? '---:|' : ''}`);
for (const mask of masks) {
  const ms = [...rows.get(mask)!.entries()];
  const order = only ? ms.sort((a, b) => only.indexOf(a[0]) - only.indexOf(b[0])) : ms;
  const best = (f: (x: Row) => number) => Math.max(...order.map(([, x]) => f(x)).filter(Number.isFinite));
  const bp = best((x) => x.holePsnr.mean),
    bs = best((x) => x.ssim.mean),
    ba = best((x) => x.accuracy ?? NaN);
  order.forEach(([m, x], k) => {
    const b = (s: string, on: boolean) => (on ? `**${s}**` : s);
    console.log(
      `| ${k === 0 ? mask : ''} | \`${m}\` | ${b(`${x.holePsnr.mean.toFixed(2)} ± ${x.holePsnr.se.toFixed(2)}`, x.holePsnr.mean === bp)} | ${b(x.ssim.mean.toFixed(3), x.ssim.mean === bs)} | ${b(acc(x), x.accuracy != null && x.accuracy === ba)} | ${secs(x.secondsPerImage)} |${pairedCell(m, x)}`,
    );
  });
}
const exact = masks.flatMap((mask) =>
  [...rows.get(mask)!.entries()].filter(([, x]) => (x.exact ?? 0) > 0).map(([m, x]) => `${mask} \`${m}\` ${x.exact}`),
);
if (exact.length)
  console.log(
    `\nHoles reproduced exactly (hole PSNR +∞, counted as 100 dB in the mean), of ${r0.n} images: ${exact.join(', ')}.`,
  );
if (r0.semantic?.originalAccuracy != null)
  console.log(`\nAccuracy on the ${r0.n} originals: ${(r0.semantic.originalAccuracy * 100).toFixed(1)} %.`);
