import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../config/config.js';
import { buildModels } from '../models/dcgan.js';
import { makeTrainer, criticStep, generatorStep, criticIters } from './steps.js';

function setup(loss: 'wgan' | 'wgan-gp') {
  const config = resolveConfig({ loss, size: 28, channels: 1, nz: 8, gWidth: 4, dWidth: 4, batch: 4 });
  const models = buildModels('dcgan', { ...config, seed: 3 });
  const t = makeTrainer(models, config);
  const real = tf.randomUniform([4, 28, 28, 1], -1, 1, 'float32', 5) as tf.Tensor4D;
  return { t, real };
}
const snap = (m: tf.LayersModel) => m.trainableWeights.map((w) => Array.from(w.read().dataSync()));
const changed = (a: number[][], b: number[][]) => a.some((x, i) => x.some((v, j) => v !== b[i]![j]));

for (const loss of ['wgan', 'wgan-gp'] as const) {
  test(`${loss}: a critic step changes only the critic, a generator step only the generator`, () => {
    const { t, real } = setup(loss);
    const g0 = snap(t.models.generator), d0 = snap(t.models.critic);
    const s = criticStep(t, real);
    for (const v of [s.criticLoss, s.wEstimate, s.penalty]) assert.ok(Number.isFinite(v));
    const g1 = snap(t.models.generator), d1 = snap(t.models.critic);
    assert.ok(!changed(g0, g1), 'critic step changed G');
    assert.ok(changed(d0, d1), 'critic step did not change D');
    const gl = generatorStep(t, 4);
    assert.ok(Number.isFinite(gl));
    const g2 = snap(t.models.generator), d2 = snap(t.models.critic);
    assert.ok(changed(g1, g2), 'generator step did not change G');
    assert.ok(!changed(d1, d2), 'generator step changed D');
    real.dispose();
  });

  test(`${loss}: steps leak no tensors`, () => {
    const { t, real } = setup(loss);
    criticStep(t, real); // first steps create optimizer slots
    generatorStep(t, 4);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) { criticStep(t, real); generatorStep(t, 4); }
    assert.equal(tf.memory().numTensors, before);
    real.dispose();
  });
}

test('wgan: critic weights stay within ±clip after a step', () => {
  const { t, real } = setup('wgan');
  t.config.lr = 0.5; // a huge step would push weights far out without clipping
  criticStep(t, real);
  for (const w of snap(t.models.critic)) for (const v of w) assert.ok(Math.abs(v) <= 0.01 + 1e-7, `weight ${v}`);
  real.dispose();
});

test('wgan-gp: the critic step reports the penalty term in the loss', () => {
  const { t, real } = setup('wgan-gp');
  const s = criticStep(t, real);
  // L_D = −Ŵ + λ·GP (to float32 rounding)
  assert.ok(Math.abs(s.criticLoss - (-s.wEstimate + 10 * s.penalty)) < 1e-4 * Math.max(1, Math.abs(s.criticLoss)));
  assert.ok(s.gradNorm > 0);
  real.dispose();
});

test('critic schedule: WGAN 100 early and every 500th, WGAN-GP constant', () => {
  const w = { loss: 'wgan' as const, nCritic: 5 };
  assert.deepEqual([0, 24, 25, 499, 500, 501].map((i) => criticIters(w, i)), [100, 100, 5, 5, 100, 5]);
  assert.equal(criticIters({ loss: 'wgan-gp', nCritic: 5 }, 0), 5);
});
