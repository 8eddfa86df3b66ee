import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { criticLoss, generatorLoss, gradientPenalty } from './wgan.js';
import { diffLeakyRelu } from '../models/layers.js';

const close = (a: number, b: number, tol = 1e-5) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test('critic and generator losses follow the documented sign convention (hand-computed)', () => {
  const before = tf.memory().numTensors;
  const real = tf.tensor2d([[1], [3]]); // mean 2
  const fake = tf.tensor2d([[-1], [0.5]]); // mean -0.25
  const { loss, wEstimate } = criticLoss(real, fake);
  close(wEstimate.dataSync()[0]!, 2.25);
  close(loss.dataSync()[0]!, -2.25);
  const g = generatorLoss(fake);
  close(g.dataSync()[0]!, 0.25);
  tf.dispose([real, fake, loss, wEstimate, g]);
  assert.equal(tf.memory().numTensors, before);
});

test('gradient penalty of a linear critic is (‖w‖−1)² (hand-computed)', () => {
  // D(x) = Σ w·x  ⇒  ∇ₓD = w everywhere, ‖w‖ = sqrt(Σw²).
  const w = tf.tensor4d([0.5, -1, 2, 0.25], [1, 2, 2, 1]);
  const critic = (x: tf.Tensor4D) => tf.sum(tf.mul(x, w), [1, 2, 3]).reshape([-1, 1]);
  const real = tf.randomUniform([3, 2, 2, 1]) as tf.Tensor4D;
  const fake = tf.randomUniform([3, 2, 2, 1]) as tf.Tensor4D;
  const alpha = tf.tensor4d([0.1, 0.5, 0.9], [3, 1, 1, 1]);
  const { penalty, gradNorm } = gradientPenalty(critic, real, fake, alpha);
  const nrm = Math.sqrt(0.25 + 1 + 4 + 0.0625);
  close(gradNorm.dataSync()[0]!, nrm);
  close(penalty.dataSync()[0]!, (nrm - 1) ** 2);
  tf.dispose([w, real, fake, alpha, penalty, gradNorm]);
});

test("the penalty's gradient wrt critic weights matches finite differences (second order)", () => {
  // A small nonlinear critic: D(x) = Σ v · lrelu(conv(x, k)). Not tanh: TF.js 4.22's second-order
  // gradient of tanh (and sigmoid) is wrong — it reuses a saved output the outer tape does not track.
  const x0 = tf.tensor4d(
    Array.from({ length: 2 * 3 * 3 }, (_, i) => Math.sin(i + 1)),
    [2, 3, 3, 1],
  );
  const f0 = tf.tensor4d(
    Array.from({ length: 2 * 3 * 3 }, (_, i) => Math.cos(2 * i)),
    [2, 3, 3, 1],
  );
  const alpha = tf.tensor4d([0.3, 0.7], [2, 1, 1, 1]);
  const kInit = Array.from({ length: 8 }, (_, i) => 0.3 * Math.sin(3 * i + 0.5));
  const v = tf.tensor1d([0.8, -0.6]);
  const pen = (k: tf.Tensor) =>
    gradientPenalty(
      (x) => tf.sum(tf.mul(diffLeakyRelu(tf.conv2d(x, k as tf.Tensor4D, 1, 'valid')), v), [1, 2, 3]).reshape([-1, 1]),
      x0,
      f0,
      alpha,
    ).penalty;
  const k = tf.tensor4d(kInit, [2, 2, 1, 2]);
  const analytic = tf.grad(pen)(k).dataSync();
  const eps = 2e-3;
  for (let i = 0; i < 8; i++) {
    const p = kInit.slice(),
      m = kInit.slice();
    p[i]! += eps;
    m[i]! -= eps;
    const lp = tf.tidy(() => pen(tf.tensor4d(p, [2, 2, 1, 2])).dataSync()[0]!);
    const lm = tf.tidy(() => pen(tf.tensor4d(m, [2, 2, 1, 2])).dataSync()[0]!);
    const fd = (lp - lm) / (2 * eps);
    assert.ok(
      Math.abs(fd - analytic[i]!) < 2e-3 + 2e-2 * Math.abs(fd),
      `param ${i}: fd ${fd} vs analytic ${analytic[i]}`,
    );
  }
  tf.dispose([x0, f0, alpha, v, k]);
});
