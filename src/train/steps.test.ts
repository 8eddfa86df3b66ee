import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../config/config.js';
import { buildModels } from '../models/index.js';
import { makeTrainer, criticStep, generatorStep, criticIters, criticStepsBefore } from './steps.js';
import { ganDiscriminatorLoss } from '../losses/index.js';
import { sampleZ } from '../models/sample.js';
import { Rng } from '../util/rng.js';

type Loss = 'wgan' | 'wgan-gp' | 'gan';

function setup(loss: Loss, over: Record<string, unknown> = {}, model = 'dcgan') {
  const config = resolveConfig({ loss, model, size: 28, channels: 1, nz: 8, gWidth: 4, dWidth: 4, batch: 4, ...over });
  const models = buildModels(model, { ...config, seed: 3 });
  const t = makeTrainer(models, config);
  const real = tf.randomUniform([4, 28, 28, 1], -1, 1, 'float32', 5) as tf.Tensor4D;
  return { t, real };
}
const snap = (m: tf.LayersModel) => m.trainableWeights.map((w) => Array.from(w.read().dataSync()));
const changed = (a: number[][], b: number[][]) => a.some((x, i) => x.some((v, j) => v !== b[i]![j]));

for (const [loss, model] of [
  ['wgan', 'dcgan'],
  ['wgan-gp', 'dcgan'],
  ['gan', 'dcgan'],
  ['wgan', 'mlp'],
  ['wgan-gp', 'mlp'],
  ['gan', 'mlp'],
] as const) {
  test(`${loss} on ${model}: a critic step changes only the critic, a generator step only the generator`, () => {
    const { t, real } = setup(loss, {}, model);
    const g0 = snap(t.models.generator),
      d0 = snap(t.models.critic);
    const s = criticStep(t, real);
    for (const v of [s.criticLoss, s.wEstimate, s.penalty]) assert.ok(Number.isFinite(v));
    const g1 = snap(t.models.generator),
      d1 = snap(t.models.critic);
    assert.ok(!changed(g0, g1), 'critic step changed G');
    assert.ok(changed(d0, d1), 'critic step did not change D');
    const gl = generatorStep(t, 4);
    assert.ok(Number.isFinite(gl));
    const g2 = snap(t.models.generator),
      d2 = snap(t.models.critic);
    assert.ok(changed(g1, g2), 'generator step did not change G');
    assert.ok(!changed(d1, d2), 'generator step changed D');
    real.dispose();
  });

  test(`${loss} on ${model}: steps leak no tensors`, () => {
    const { t, real } = setup(loss, {}, model);
    criticStep(t, real); // first steps create optimizer slots
    generatorStep(t, 4);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) {
      criticStep(t, real);
      generatorStep(t, 4);
    }
    assert.equal(tf.memory().numTensors, before);
    real.dispose();
  });
}

for (const model of ['dcgan', 'mlp']) {
  test(`gan on ${model}: discriminator steps lower the discriminator loss on a tiny set`, () => {
    // 4 fixed real images; G fixed (only D steps); L_D measured on those images and G(z) of a fixed z.
    const { t, real } = setup('gan', { lr: 1e-3 }, model);
    const zFixed = sampleZ(new Rng(11), 4, 8);
    const D = t.models.critic,
      G = t.models.generator;
    const lossNow = () =>
      tf.tidy(
        () =>
          ganDiscriminatorLoss(
            D.apply(real, { training: true }) as tf.Tensor,
            D.apply(G.apply(zFixed, { training: false }) as tf.Tensor, { training: true }) as tf.Tensor,
          ).dataSync()[0]!,
      );
    const before = lossNow();
    const first = criticStep(t, real);
    // The step's own loss is L_D on this batch (logged as its estimate too).
    assert.ok(Math.abs(first.criticLoss - first.wEstimate) < 1e-6 && first.penalty === 0);
    for (let i = 0; i < 9; i++) criticStep(t, real);
    const after = lossNow();
    assert.ok(after < before, `L_D ${before} → ${after}`);
    tf.dispose([real, zFixed]);
  });
}

test('wgan: critic weights stay within ±clip after a step', () => {
  // A huge step (the optimizer is built with it) would push weights far out without clipping.
  const { t, real } = setup('wgan', { lr: 0.5 });
  const before = snap(t.models.critic);
  criticStep(t, real);
  const after = snap(t.models.critic);
  for (const w of after) for (const v of w) assert.ok(Math.abs(v) <= 0.01 + 1e-7, `weight ${v}`);
  // Some weights sit on the bound: the step moved them past it and the clip brought them back.
  assert.ok(
    after.flat().some((v, i) => Math.abs(Math.abs(v) - 0.01) < 1e-7 && before.flat()[i] !== v),
    'no weight was clipped',
  );
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
  assert.deepEqual(
    [0, 24, 25, 499, 500, 501].map((i) => criticIters(w, i)),
    [100, 100, 5, 5, 100, 5],
  );
  assert.equal(criticIters({ loss: 'wgan-gp', nCritic: 5 }, 0), 5);
});

test('wgan-gp lazy penalty: computed on every k-th critic step only, weighted k·λ', () => {
  const { t, real } = setup('wgan-gp', { gpEvery: 3 });
  const on = criticStep(t, real, 3);
  assert.ok(on.penalty > 0 && on.gradNorm > 0);
  assert.ok(
    Math.abs(on.criticLoss - (-on.wEstimate + 3 * 10 * on.penalty)) < 1e-4 * Math.max(1, Math.abs(on.criticLoss)),
  );
  const off = criticStep(t, real, 4);
  assert.ok(Number.isNaN(off.penalty) && Number.isNaN(off.gradNorm));
  assert.ok(
    Math.abs(off.criticLoss + off.wEstimate) < 1e-5 * Math.max(1, Math.abs(off.criticLoss)),
    'without the penalty L_D = −Ŵ',
  );
  real.dispose();
});

test('TTUR: the critic optimizer takes dLr, the generator lr', () => {
  const { t, real } = setup('wgan-gp', { lr: 1e-4, dLr: 4e-4 });
  const lrOf = (o: unknown) => (o as { learningRate: number }).learningRate;
  assert.equal(lrOf(t.gOpt), 1e-4);
  assert.equal(lrOf(t.dOpt), 4e-4);
  real.dispose();
});

test('critic steps before an iteration follow the schedule', () => {
  assert.equal(criticStepsBefore({ loss: 'wgan-gp', nCritic: 5 }, 7), 35);
  // wgan: 25 × 100, then 5 each; iteration 500 has 100 again.
  assert.equal(criticStepsBefore({ loss: 'wgan', nCritic: 5 }, 30), 2500 + 25);
  assert.equal(
    criticStepsBefore({ loss: 'wgan', nCritic: 5 }, 501) - criticStepsBefore({ loss: 'wgan', nCritic: 5 }, 500),
    100,
  );
});
