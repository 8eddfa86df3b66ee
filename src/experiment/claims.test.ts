import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { runClaims, resolveClaimsOptions, gridCells, type CellStatus } from './claims.js';
import { buildClassifier } from '../classifier/classifier.js';
import { saveClassifier } from '../classifier/classifier_node.js';
import { RunDir } from '../train/run_dir.js';
import { labelledBarsDataset, E2E_BACKENDS, useBackend } from '../testing/fixtures.js';
import { UserError } from '../util/errors.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-claims-'));

async function tinyClassifier(dir: string): Promise<string> {
  const clf = buildClassifier({ size: 28, channels: 1, classes: 10, width: 2, features: 8, seed: 0 });
  await saveClassifier(dir, clf, {
    data: 'bars',
    size: 28,
    channels: 1,
    classNames: Array.from({ length: 10 }, (_, i) => `band${i}`),
    width: 2,
    features: 8,
    epochs: 0,
    batch: 1,
    lr: 0,
    seed: 0,
    trainN: 0,
    testAccuracy: 0,
    testN: 0,
    epochLosses: [],
    trainSeconds: 0,
    backend: 'cpu',
  });
  clf.dispose();
  return dir;
}

test('claims options: defaults, lists, widths per model, one-line errors', () => {
  const o = resolveClaimsOptions({ out: 'x', classifier: 'c' });
  assert.deepEqual(o.losses, ['wgan', 'wgan-gp', 'gan']);
  assert.deepEqual(o.models, ['dcgan', 'mlp']);
  assert.equal(o.iters, 1000);
  assert.equal(o.seeds, 2);
  assert.equal(o.fdEvery, 50);
  assert.equal(o.checkpointEvery, 100);
  const cells = gridCells(o);
  assert.equal(cells.length, 12);
  assert.deepEqual(
    cells.slice(0, 3).map((c) => c.name),
    ['wgan-dcgan-s0', 'wgan-gp-dcgan-s0', 'gan-dcgan-s0'],
  );
  assert.equal(cells[0]!.config.gWidth, 32);
  assert.equal(cells[3]!.config.gWidth, 512);
  assert.equal(
    gridCells(resolveClaimsOptions({ out: 'x', classifier: 'c', gWidth: 8, models: 'mlp' }))[0]!.config.gWidth,
    8,
  );
  // The shipped Fashion-MNIST classifier is the default there.
  assert.match(resolveClaimsOptions({ out: 'x' }).classifier, /models[\\/]fashion-mnist[\\/]classifier$/);
  assert.throws(
    () => resolveClaimsOptions({ out: 'x', classifier: 'c', losses: 'wgan,hinge' }),
    (e: Error) =>
      e instanceof UserError && /--losses: unknown loss 'hinge' \(valid: wgan, wgan-gp, gan\)/.test(e.message),
  );
  assert.throws(() => resolveClaimsOptions({ out: 'x', classifier: 'c', models: ' , ' }), /--models names no model/);
  assert.throws(() => resolveClaimsOptions({ out: 'x', data: 'mnist' }), /no shipped classifier; pass --classifier/);
  assert.throws(() => resolveClaimsOptions({ out: 'x', classifier: 'c', seeds: 0 }), /seeds/);
});

test('experiment claims on a tiny grid: every report file is written; stopped mid-run, a re-run resumes', async () => {
  await useBackend(E2E_BACKENDS[0] ?? 'cpu');
  const dir = tmp();
  const classifier = await tinyClassifier(path.join(dir, 'clf'));
  const out = path.join(dir, 'exp');
  const dataset = labelledBarsDataset(32, 1),
    evalDataset = labelledBarsDataset(40, 2);
  const input = {
    data: 'bars',
    out,
    classifier,
    iters: 2,
    seeds: 1,
    size: 28 as const,
    nz: 4,
    gWidth: 4,
    dWidth: 4,
    batch: 4,
    fdEvery: 1,
    checkpointEvery: 1,
  };
  const before = tf.memory().numTensors;

  // First invocation: stopped during the second run, after its first iteration.
  const ac = new AbortController();
  const seen1: [string, CellStatus][] = [];
  const r1 = await runClaims(input, {
    dataset,
    evalDataset,
    signal: ac.signal,
    command: 'wgan-inpaint experiment claims (test)',
    onCell: (c, _i, _n, s) => seen1.push([c.name, s]),
    onProgress: (c, p) => {
      if (c.name === 'wgan-gp-dcgan-s0' && p.iter === 1) ac.abort();
    },
  });
  assert.equal(r1.aborted, true);
  assert.deepEqual(seen1, [
    ['wgan-dcgan-s0', 'start'],
    ['wgan-dcgan-s0', 'done'],
    ['wgan-gp-dcgan-s0', 'start'],
    ['wgan-gp-dcgan-s0', 'stopped'],
  ]);
  assert.equal(fs.existsSync(path.join(out, 'report.md')), false, 'no report while the grid is unfinished');
  const firstRunStats = fs.readFileSync(new RunDir(path.join(out, 'runs', 'wgan-dcgan-s0')).statsFile, 'utf8');

  // Second invocation: the finished run is skipped, the stopped one resumed, the rest trained.
  const seen2: [string, CellStatus][] = [];
  const r2 = await runClaims(input, {
    dataset,
    evalDataset,
    command: 'wgan-inpaint experiment claims (test, again)',
    onCell: (c, _i, _n, s) => seen2.push([c.name, s]),
  });
  assert.equal(r2.aborted, false);
  assert.deepEqual(
    seen2.filter(([, s]) => s !== 'done'),
    [
      ['wgan-dcgan-s0', 'skip-done'],
      ['wgan-gp-dcgan-s0', 'resume'],
      ['gan-dcgan-s0', 'start'],
      ['wgan-mlp-s0', 'start'],
      ['wgan-gp-mlp-s0', 'start'],
      ['gan-mlp-s0', 'start'],
    ],
  );
  assert.equal(
    fs.readFileSync(new RunDir(path.join(out, 'runs', 'wgan-dcgan-s0')).statsFile, 'utf8'),
    firstRunStats,
    'the finished run was not touched',
  );
  const resumed = new RunDir(path.join(out, 'runs', 'wgan-gp-dcgan-s0')).readStats();
  assert.deepEqual(
    resumed.map((s) => s.iter),
    [1, 2],
  );
  assert.ok(resumed.every((s) => s.fdClassifier !== undefined && s.modes !== undefined));

  // Every report file.
  const names = ['wgan-dcgan-s0', 'wgan-gp-dcgan-s0', 'gan-dcgan-s0', 'wgan-mlp-s0', 'wgan-gp-mlp-s0', 'gan-mlp-s0'];
  const want = [
    'report.md',
    'report.json',
    'plots/fd-overview.png',
    ...names.flatMap((n) => [`plots/${n}.png`, `plots/${n}-samples.png`]),
  ];
  for (const f of want) {
    assert.ok(r2.files.includes(f), `not reported as written: ${f}`);
    const p = path.join(out, f);
    assert.ok(fs.existsSync(p) && fs.statSync(p).size > 0, f);
    if (f.endsWith('.png'))
      assert.deepEqual([...fs.readFileSync(p).subarray(1, 4)], [0x50, 0x4e, 0x47], `${f} is a PNG`);
  }
  const j = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  assert.deepEqual(
    j.runs.map((r: { name: string }) => r.name),
    names,
  );
  assert.deepEqual(
    j.claims.map((c: { id: number }) => c.id),
    [1, 2, 3, 4],
  );
  for (const c of j.claims)
    assert.ok(['yes', 'no', 'n/a'].includes(c.answer) && c.rule.length > 20 && c.numbers.length > 5);
  assert.deepEqual(j.commands, [
    'wgan-inpaint experiment claims (test)',
    'wgan-inpaint experiment claims (test, again)',
  ]);
  // 2 measurements per run: too few for a ρ, so claim 3 cannot be answered.
  assert.equal(j.claims[2].answer, 'n/a');
  assert.equal(j.cells.length, 6);
  const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
  for (const s of [
    '## The four claims',
    'Training is stable',
    'No mode collapse',
    'tracks sample quality',
    'without a DCGAN',
    'not a Wasserstein estimate',
    '![samples](plots/gan-mlp-s0-samples.png)',
  ])
    assert.ok(md.includes(s), s);

  // A third invocation has nothing to train and writes the same report.
  const seen3: CellStatus[] = [];
  await runClaims(input, { dataset, evalDataset, onCell: (_c, _i, _n, s) => seen3.push(s) });
  assert.deepEqual(seen3, Array(6).fill('skip-done'));
  assert.equal(tf.memory().numTensors, before, 'tensor leak');

  // A changed setting is refused in one line naming the run.
  await assert.rejects(
    runClaims({ ...input, batch: 8, iters: 3 }, { dataset, evalDataset }),
    (e: Error) => e instanceof UserError && /run wgan-dcgan-s0: .*'batch' differs.*another --out/.test(e.message),
  );
  fs.rmSync(dir, { recursive: true, force: true });
});
