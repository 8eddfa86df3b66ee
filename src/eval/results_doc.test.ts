// docs/RESULTS.md quotes the shipped models' evaluation by hand-pasted tables; the figures themselves
// live in each model's manifest (`extra.eval`) and in the committed report (docs/results/eval-*/results.json).
// The README's results table quotes fashion-mnist's again. A re-evaluation that updates one of these
// and not the others must fail CI rather than leave the published numbers quietly wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { MODELS_DIR, PACKAGE_ROOT } from '../io/paths.js';

interface Cell {
  holePsnr: { mean: number; se: number };
  ssim: { mean: number };
  accuracy: number | null;
}
type Results = Record<string, Record<string, Cell>>;

/** The shipped models, the heading of their section in RESULTS.md and their committed report. */
const SHIPPED = [
  { name: 'fashion-mnist', heading: '## fashion-mnist (', report: 'eval-fashion-mnist' },
  { name: 'emoji', heading: '## emoji (', report: 'eval-emoji' },
];

const RESULTS_MD = path.join(PACKAGE_ROOT, 'docs', 'RESULTS.md');

/** One parsed row of a "| mask | method | hole PSNR (dB) ↑ | SSIM ↑ | accuracy ↑ | …" table. */
interface Row {
  mask: string;
  method: string;
  holePsnr: string;
  ssim: string;
  accuracy: string;
}

/**
 * The first mask × method table after `heading`. A row with an empty mask cell continues the mask
 * above it; bold marks (`**`) and code ticks are dropped; text after the method name, such as
 * "(default)", is dropped too.
 */
function methodTable(md: string, heading: string): Row[] {
  const start = md.indexOf(heading);
  assert.ok(start >= 0, `RESULTS.md has no section '${heading}'`);
  const lines = md.slice(start).split('\n');
  const head = lines.findIndex((l) => /^\| mask \| method \| hole PSNR/.test(l));
  assert.ok(head >= 0, `no mask × method table under '${heading}'`);
  const rows: Row[] = [];
  let mask = '';
  for (const line of lines.slice(head + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.replace(/\*\*/g, '').trim());
    mask = cells[0] || mask;
    const method = /`([^`]+)`/.exec(cells[1] ?? '')?.[1] ?? '';
    rows.push({ mask, method, holePsnr: cells[2] ?? '', ssim: cells[3] ?? '', accuracy: cells[4] ?? '' });
  }
  return rows;
}

/** A results cell as the tables print it (tools/results_table and the eval report use these digits). */
function rowOf(mask: string, method: string, c: Cell): Row {
  return {
    mask,
    method,
    holePsnr: `${c.holePsnr.mean.toFixed(2)} ± ${c.holePsnr.se.toFixed(2)}`,
    ssim: c.ssim.mean.toFixed(3),
    accuracy: c.accuracy === null ? '—' : `${(c.accuracy * 100).toFixed(1)} %`,
  };
}

test('methodTable reads continuation rows, bold marks and method names', () => {
  const md = [
    '## fashion-mnist (32×32)',
    '',
    'text',
    '',
    '| mask | method | hole PSNR (dB) ↑ | SSIM ↑ | accuracy ↑ | s / image |',
    '|---|---|---:|---:|---:|---:|',
    '| center | `wgan-encoder` (default) | **18.94 ± 0.14** | **0.781** | 87.2 % | 0.07 |',
    '|  | `telea` | 14.18 ± 0.16 | 0.622 | 82.9 % | 0.001 |',
    '| random | `telea` | 17.13 ± 0.06 | 0.632 | 73.3 % | 0.002 |',
    '',
    '| mask | method | hole PSNR (dB) ↑ |',
    '|---|---|---:|',
    '| half | `zero` | 1.00 ± 0.01 |',
  ].join('\n');
  assert.deepEqual(methodTable(md, '## fashion-mnist ('), [
    { mask: 'center', method: 'wgan-encoder', holePsnr: '18.94 ± 0.14', ssim: '0.781', accuracy: '87.2 %' },
    { mask: 'center', method: 'telea', holePsnr: '14.18 ± 0.16', ssim: '0.622', accuracy: '82.9 %' },
    { mask: 'random', method: 'telea', holePsnr: '17.13 ± 0.06', ssim: '0.632', accuracy: '73.3 %' },
  ]);
  assert.throws(() => methodTable(md, '## emoji ('), /no section/);
  // A changed figure is seen.
  const cell: Cell = { holePsnr: { mean: 18.944, se: 0.141 }, ssim: { mean: 0.7811 }, accuracy: 0.872 };
  assert.deepEqual(rowOf('center', 'wgan-encoder', cell), methodTable(md, '## fashion-mnist (')[0]);
  assert.notDeepEqual(
    rowOf('center', 'wgan-encoder', { ...cell, ssim: { mean: 0.79 } }),
    methodTable(md, '## fashion-mnist (')[0],
  );
});

for (const { name, heading, report } of SHIPPED) {
  test(`RESULTS.md's table for '${name}' is its manifest's evaluation, which is the committed report's`, () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(MODELS_DIR, name, 'manifest.json'), 'utf8')) as {
      extra?: { eval?: { command?: string; results?: Results } };
    };
    const evalFig = manifest.extra?.eval;
    assert.ok(evalFig?.results, `${name}: manifest has extra.eval.results`);
    const committed = JSON.parse(
      fs.readFileSync(path.join(PACKAGE_ROOT, 'docs', 'results', report, 'results.json'), 'utf8'),
    ) as { command?: string; results?: Results };
    assert.equal(committed.command, evalFig.command, `${name}: docs/results/${report} is the manifest's evaluation`);
    assert.deepEqual(
      committed.results,
      evalFig.results,
      `${name}: docs/results/${report}/results.json equals the manifest's figures`,
    );

    const rows = methodTable(fs.readFileSync(RESULTS_MD, 'utf8'), heading);
    const expected = Object.entries(evalFig.results).flatMap(([mask, cells]) =>
      Object.entries(cells).map(([method, c]) => rowOf(mask, method, c)),
    );
    assert.ok(expected.length >= 5, `${name}: at least one method per mask kind`);
    assert.deepEqual(rows, expected, `${name}: RESULTS.md's table differs from the manifest's extra.eval`);
  });
}

// README.md: "| center 25 % | **18.94 ± 0.14**, **87.2 %** | 18.29, 86.5 % | 14.18, 82.9 % | …": per mask kind
// the default search (mean ± s.e., accuracy), then the other methods (mean, accuracy), in this order.
const README_METHODS = ['wgan-encoder', 'wgan-encoder-only', 'telea', 'nearest', 'mean'];

test("README's results table is fashion-mnist's manifest evaluation", () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(MODELS_DIR, 'fashion-mnist', 'manifest.json'), 'utf8')) as {
    extra: { eval: { results: Results } };
  };
  const results = manifest.extra.eval.results;
  const readme = fs.readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8').split('\n');
  const head = readme.findIndex((l) => l.startsWith('| mask | ours (default) |'));
  assert.ok(head >= 0, "README has its results table ('| mask | ours (default) | …')");
  const rows: string[] = [];
  for (const line of readme.slice(head + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line);
  }
  assert.deepEqual(
    rows.map((r) => r.split('|')[1]!.trim().split(' ')[0]),
    Object.keys(results),
    'one row per mask kind, in the evaluation order',
  );
  for (const row of rows) {
    const cells = row
      .split('|')
      .slice(1, -1)
      .map((c) => c.replace(/\*\*/g, '').trim());
    const mask = cells[0]!.split(' ')[0]!;
    const expected = README_METHODS.map((m, j) => {
      const r = rowOf(mask, m, results[mask]![m]!);
      return `${j === 0 ? r.holePsnr : r.holePsnr.split(' ± ')[0]}, ${r.accuracy}`;
    });
    assert.deepEqual(cells.slice(1), expected, `README, ${mask} row`);
  }
});
