import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunDir, type StatLine } from './run_dir.js';
import { manifestDataset, parseManifest, readManifest, MIGRATIONS } from './manifest.js';
import { CHECKPOINT_FORMAT } from '../version.js';
import { UserError } from '../util/errors.js';

const line = (iter: number): StatLine => ({
  iter,
  criticLoss: -1,
  wEstimate: 1,
  penalty: 0.1,
  gradNorm: 1,
  genLoss: 0,
  imagesPerSec: 10,
  time: iter,
  tensors: 5,
  rssMB: 100,
});
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rundir-'));

test('RunDir: stats append, read past a line cut by a kill, truncate to a step; summary', () => {
  const d = tmp();
  const run = new RunDir(d);
  assert.deepEqual(run.readStats(), []);
  for (const i of [1, 2, 3]) run.appendStats(line(i));
  fs.appendFileSync(run.statsFile, '{"iter":4,"crit'); // a kill mid-line
  assert.deepEqual(
    run.readStats().map((s) => s.iter),
    [1, 2, 3],
  );
  run.truncateStats(2);
  assert.deepEqual(
    run.readStats().map((s) => s.iter),
    [1, 2],
  );
  const s = run.summary();
  assert.equal(s.iterations, 2);
  assert.equal(s.last?.iter, 2);
  assert.equal(s.samples, null);
  assert.equal(path.basename(run.samplesAt(500)), 'iter-0000500.png');
  assert.equal(path.basename(run.checkpointAt(500)), 'iter-0000500');
  assert.equal(s.diverged, null);
  fs.rmSync(d, { recursive: true });
});

test('RunDir: the divergence record is written, read back, reported in the summary and cleared', () => {
  const d = tmp();
  const run = new RunDir(d);
  assert.equal(run.diverged(), null);
  run.writeDiverged({ iter: 7, key: 'criticLoss', value: 'NaN', lastGood: 'x/iter-0000005' });
  assert.deepEqual(run.diverged(), { iter: 7, key: 'criticLoss', value: 'NaN', lastGood: 'x/iter-0000005' });
  assert.equal(run.summary().diverged?.iter, 7);
  run.clearDiverged();
  assert.equal(run.diverged(), null);
  fs.rmSync(d, { recursive: true });
});

const good = () => ({
  format: CHECKPOINT_FORMAT,
  library: '0.1.0',
  tfjs: '4.22.0',
  createdAt: 'now',
  step: 5,
  seed: 0,
  config: { loss: 'wgan-gp' },
});

test('manifest: validated, config resolved (keys added since are filled), one-line errors', () => {
  const m = parseManifest(good(), 'x/manifest.json');
  assert.equal(m.config.gpEvery, 1);
  assert.equal(m.config.dLr, m.config.lr);
  assert.throws(
    () => parseManifest({ ...good(), step: -1 }, 'x/manifest.json'),
    (e: Error) => e instanceof UserError && /'x\/manifest.json' is not a valid manifest: step/.test(e.message),
  );
  assert.throws(
    () => parseManifest({ ...good(), format: CHECKPOINT_FORMAT + 1 }, 'm'),
    /older than the one that wrote it/,
  );
  assert.throws(() => parseManifest({ ...good(), config: { loss: 'nope' } }, 'm'), /'m': invalid config/);
  const d = tmp();
  fs.writeFileSync(path.join(d, 'manifest.json'), '{"format": 1, "st');
  assert.throws(
    () => readManifest(d),
    (e: Error) => e instanceof UserError && e.message.startsWith(`checkpoint '${d}': manifest.json is not valid JSON`),
  );
  fs.rmSync(d, { recursive: true });
});

test('manifest: an older format goes through the migration hook', () => {
  MIGRATIONS[CHECKPOINT_FORMAT - 1] = (m) => ({ ...m, step: m.iteration });
  try {
    const { step: _s, ...rest } = good();
    const m = parseManifest({ ...rest, iteration: 7, format: CHECKPOINT_FORMAT - 1 }, 'old');
    assert.equal(m.step, 7);
    assert.equal(m.format, CHECKPOINT_FORMAT);
  } finally {
    delete MIGRATIONS[CHECKPOINT_FORMAT - 1];
  }
  assert.throws(() => parseManifest({ ...good(), format: CHECKPOINT_FORMAT - 1 }, 'old'), /no migration from it/);
});

test('manifest: the dataset record carries its sources and licences; older records without them still read', () => {
  const dataset = { name: 'emoji', split: 'train', n: 3, size: 32, channels: 3 };
  const sources = [
    {
      name: 'emoji-twitter',
      packages: ['emoji-datasource-twitter@16.0.0'],
      version: '16.0.0',
      licence: 'CC-BY-4.0',
      attribution: 'Twemoji graphics by …',
      count: 3,
    },
  ];
  const ds = { ...dataset, sources, pixels: new Uint8Array(0) };
  const rec = manifestDataset(ds);
  assert.deepEqual(rec, { ...dataset, sources });
  assert.ok(!('pixels' in rec));
  assert.deepEqual(parseManifest({ ...good(), dataset: rec }, 'm').dataset, { ...dataset, sources });
  const old = parseManifest({ ...good(), dataset }, 'm');
  assert.deepEqual(old.dataset, dataset);
  assert.equal(old.dataset?.sources, undefined);
  assert.throws(
    () => parseManifest({ ...good(), dataset: { ...dataset, sources: [{ name: 'x', count: 1 }] } }, 'm'),
    /not a valid manifest: dataset\.sources/,
  );
});
