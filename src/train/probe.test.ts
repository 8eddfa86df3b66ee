import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { makeProbe, explodedSince, SPREAD_N } from './probe.js';
import { buildModels } from '../models/index.js';
import { buildClassifier } from '../classifier/classifier.js';
import { fdClassifier } from '../classifier/fd.js';
import { toImageBatch } from '../data/dataset.js';
import { barsDataset } from '../testing/fixtures.js';

const spec = {
  size: 28 as const,
  channels: 1 as const,
  nz: 4,
  gWidth: 8,
  dWidth: 8,
  criticNorm: 'none' as const,
  seed: 1,
};

test('probe: FD-classifier equals fdClassifier, modes/KL/spread are in range and deterministic, no tensors left', () => {
  const clf = buildClassifier({ size: 28, channels: 1, classes: 10, width: 2, features: 8, seed: 0 });
  const ds = barsDataset(80, 3);
  const real = toImageBatch(
    ds,
    Array.from({ length: 80 }, (_, i) => i),
  );
  const { generator } = buildModels('mlp', spec);
  const before = tf.memory().numTensors;
  const p = makeProbe(clf, real, 5);
  const a = p.measure(generator),
    b = p.measure(generator);
  assert.equal(tf.memory().numTensors, before, 'tensor leak');
  assert.deepEqual(a, b);
  assert.equal(p.classes, 10);
  // Same samples (n = real.n, seed) as the loop's former FD-classifier: the same number.
  assert.equal(a.fdClassifier, fdClassifier(generator, clf, real, real.n, 5));
  assert.ok(a.modes >= 1 && a.modes <= 10 && Number.isInteger(a.modes));
  assert.ok(a.klUniform >= 0 && a.klUniform <= Math.log(10) + 1e-9);
  assert.ok(p.realSpread > 0.1, `bars spread ${p.realSpread}`);
  assert.ok(Math.abs(a.spreadRatio - a.spread / p.realSpread) < 1e-12);
  assert.equal(SPREAD_N, 64);
});

test('probe: a generator that always outputs the same image is flagged as collapsed, with one mode', () => {
  const clf = buildClassifier({ size: 28, channels: 1, classes: 10, width: 2, features: 8, seed: 0 });
  const real = toImageBatch(
    barsDataset(70, 4),
    Array.from({ length: 70 }, (_, i) => i),
  );
  const { generator } = buildModels('mlp', spec);
  // Zero the first kernel: G(z) = the bias path only, the same image for every z.
  const layer0 = generator.getLayer('g_dense0');
  layer0.setWeights(layer0.getWeights().map((w) => tf.zerosLike(w)));
  const r = makeProbe(clf, real, 0).measure(generator);
  assert.equal(r.collapsed, true);
  assert.ok(r.spread < 1e-6, `spread ${r.spread}`);
  assert.equal(r.modes, 1);
  assert.ok(Math.abs(r.klUniform - Math.log(10)) < 1e-9);
});

test('explodedSince: the window after the last measurement against every earlier value', () => {
  const mk = (ws: number[]) => ws.map((w, i) => ({ iter: i + 1, wEstimate: w, criticLoss: -w }));
  const calm = Array.from({ length: 20 }, (_, i) => 2 + Math.sin(i));
  assert.equal(explodedSince(mk(calm), 10), false);
  assert.equal(
    explodedSince(mk([...calm.slice(0, 15), 5000, ...calm.slice(16)]), 10),
    true,
    'a spike after iteration 10',
  );
  assert.equal(
    explodedSince(mk([...calm.slice(0, 15), 5000, ...calm.slice(16)]), 16),
    false,
    'the spike is history now (median stays small but no new spike)',
  );
  assert.equal(explodedSince(mk([...calm.slice(0, 15), NaN, ...calm.slice(16)]), 10), true);
  assert.equal(
    explodedSince(mk(calm.map((v, i) => (i === 3 ? 1e6 : v))), 2),
    false,
    'too little history before iteration 2',
  );
  // The critic loss is watched too.
  const s = mk(calm);
  s[17]!.criticLoss = -1e4;
  assert.equal(explodedSince(s, 10), true);
});
