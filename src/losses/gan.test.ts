import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ganDiscriminatorLoss, ganGeneratorLoss } from './gan.js';
import { LOSSES } from './index.js';
import { resolveConfig } from '../config/config.js';
import { Rng } from '../util/rng.js';

const close = (a: number, b: number, tol = 1e-5) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
const sp = (x: number) => Math.log1p(Math.exp(x));

test('gan losses on hand-computed numbers (D scores real high; softplus forms)', () => {
  const before = tf.memory().numTensors;
  const real = tf.tensor2d([[0], [2]]);
  const fake = tf.tensor2d([[-1], [0.5]]);
  const d = ganDiscriminatorLoss(real, fake);
  // (softplus(−0) + softplus(−2))/2 + (softplus(−1) + softplus(0.5))/2
  close(d.dataSync()[0]!, 1.0537069316506236);
  close(d.dataSync()[0]!, (sp(-0) + sp(-2)) / 2 + (sp(-1) + sp(0.5)) / 2);
  const g = ganGeneratorLoss(fake);
  // non-saturating: (softplus(1) + softplus(−0.5))/2
  close(g.dataSync()[0]!, 0.8936693358491647);
  // A discriminator that cannot tell (logit 0 everywhere) has L_D = 2·ln 2.
  const z = tf.zeros([3, 1]);
  const dz = ganDiscriminatorLoss(z, z);
  close(dz.dataSync()[0]!, 2 * Math.LN2);
  tf.dispose([real, fake, d, g, z, dz]);
  assert.equal(tf.memory().numTensors, before);
});

test('gan losses stay finite for huge logits (no log(0), no overflow)', () => {
  tf.tidy(() => {
    const right = ganDiscriminatorLoss(tf.tensor1d([1000, 90]), tf.tensor1d([-1000, -90])).dataSync()[0]!;
    assert.ok(right >= 0 && right < 1e-30, `confident and right: ${right}`);
    const wrong = ganDiscriminatorLoss(tf.tensor1d([-1000]), tf.tensor1d([1000])).dataSync()[0]!;
    close(wrong, 2000);
    close(ganGeneratorLoss(tf.tensor1d([-500])).dataSync()[0]!, 500);
  });
});

test('gan loss gradients wrt the scores are (σ(s) − 1)/N for real, σ(s)/N for fake, −(1 − σ(s))/N for G', () => {
  const sg = (x: number) => 1 / (1 + Math.exp(-x));
  tf.tidy(() => {
    const real = tf.tensor1d([0, 2]),
      fake = tf.tensor1d([-1, 0.5]);
    const [gr, gf] = tf.grads((r: tf.Tensor, f: tf.Tensor) => ganDiscriminatorLoss(r, f))([real, fake]);
    [0, 2].forEach((s, i) => {
      close(gr!.dataSync()[i]!, (sg(s) - 1) / 2);
    });
    [-1, 0.5].forEach((s, i) => {
      close(gf!.dataSync()[i]!, sg(s) / 2);
    });
    const gg = tf.grad((f: tf.Tensor) => ganGeneratorLoss(f))(fake);
    for (const [i, s] of [-1, 0.5].entries()) close(gg.dataSync()[i]!, -(1 - sg(s)) / 2);
  });
});

test('the gan registry entry: DCGAN preset, batch norm allowed, logs L_D as its (non-Wasserstein) estimate', () => {
  const l = LOSSES.get('gan');
  assert.deepEqual(l.preset, {
    optimizer: 'adam',
    lr: 2e-4,
    beta1: 0.5,
    beta2: 0.999,
    nCritic: 1,
    clip: 0,
    gpLambda: 0,
  });
  assert.equal(l.criticNorms[0], 'batch');
  assert.equal(l.estimate.wasserstein, false);
  assert.match(l.estimate.name, /not a Wasserstein estimate/);
  assert.equal(l.criticIters({ nCritic: 1 }, 0), 1);
  const config = resolveConfig({ loss: 'gan' });
  const before = tf.memory().numTensors;
  // As steps.ts runs it: inside a tidy (the critic's outputs are intermediates).
  const r = tf.tidy(() => {
    const real = tf.tensor4d([1, 2], [2, 1, 1, 1]),
      fake = tf.tensor4d([-1, 0.5], [2, 1, 1, 1]);
    // A "critic" that returns the pixel value as its logit.
    const critic = (x: tf.Tensor4D) => tf.reshape(x, [-1, 1]);
    const o = l.criticObjective({ critic, real, fake, config, rng: new Rng(0), criticStep: 0 });
    return { loss: o.loss.dataSync()[0]!, w: o.wEstimate.dataSync()[0]!, penalty: o.penalty };
  });
  const want = (sp(-1) + sp(-2)) / 2 + (sp(-1) + sp(0.5)) / 2;
  close(r.loss, want);
  close(r.w, want);
  assert.equal(r.penalty, undefined);
  assert.equal(tf.memory().numTensors, before);
});
