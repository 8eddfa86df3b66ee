/**
 * FusedAdam against TF.js's Adam: bit-identical variables and moments after several steps, on cpu
 * (where it is the parent class) and on the end-to-end backends (native runs the fused kernel),
 * the same optimizer state through getWeights/setWeights, and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { E2E_BACKENDS, useBackend } from '../testing/fixtures.js';
import { Rng } from '../util/rng.js';
import { FUSED_ADAM_KERNEL, FusedAdam } from './fused_adam.js';

let uid = 0;

function randn(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

const SHAPES = [[4, 4, 3, 8], [8], [37]];

/** Runs `steps` Adam steps with seeded gradients; returns every variable's and moment's values. */
async function run(opt: tf.Optimizer, steps: number, seed = 3): Promise<Float32Array[]> {
  const rng = new Rng(seed);
  const vars = SHAPES.map((s) =>
    tf.variable(
      tf.tensor(
        randn(
          rng,
          s.reduce((a, b) => a * b, 1),
        ),
        s,
      ),
      true,
      `optim_test_${uid++}`,
    ),
  );
  for (let t = 0; t < steps; t++) {
    const grads: tf.NamedTensorMap = {};
    vars.forEach((v, i) => {
      grads[v.name] = tf.tensor(randn(rng, v.size, i === 2 && t === 1 ? 0 : 1e-2), v.shape);
    });
    opt.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  const weights = await opt.getWeights();
  weights[0]!.tensor.dispose(); // getWeights() makes a fresh `iter` scalar
  const state = weights.slice(1).map((w) => w.tensor.dataSync() as Float32Array);
  const out = [...vars.map((v) => v.dataSync() as Float32Array), ...state];
  tf.dispose(vars);
  return out;
}

function assertIdentical(got: Float32Array[], ref: Float32Array[], label: string): void {
  assert.equal(got.length, ref.length);
  got.forEach((g, k) => {
    const r = ref[k]!;
    assert.equal(g.length, r.length);
    for (let i = 0; i < r.length; i++)
      assert.ok(Object.is(g[i], r[i]), `${label}: array ${k}[${i}] ${g[i]} vs ${r[i]}`);
  });
}

describe('FusedAdam', () => {
  for (const backend of ['cpu', ...E2E_BACKENDS]) {
    it(`is bit-identical to tf.train.adam over 5 steps on ${backend}`, async () => {
      await useBackend(backend);
      // TF.js's Adam itself leaves one tensor behind after dispose(); FusedAdam must leave no more.
      const left = async (opt: tf.Optimizer): Promise<{ values: Float32Array[]; leaked: number }> => {
        const before = tf.memory().numTensors;
        const values = await run(opt, 5);
        opt.dispose();
        return { values, leaked: tf.memory().numTensors - before };
      };
      const ref = await left(tf.train.adam(1e-3, 0.5, 0.9, 1e-8));
      const got = await left(new FusedAdam(1e-3, 0.5, 0.9, 1e-8));
      assertIdentical(got.values, ref.values, backend);
      assert.ok(got.leaked <= ref.leaked, `FusedAdam leaked ${got.leaked} tensors, tf.train.adam ${ref.leaked}`);
    });
  }

  it('uses the fused kernel where the backend registers it, and only there', async () => {
    for (const backend of ['cpu', ...E2E_BACKENDS]) {
      await useBackend(backend);
      const opt = new FusedAdam(1e-3, 0.5, 0.9, 1e-8);
      const v = tf.variable(tf.ones([5]), true, `optim_test_${uid++}`);
      const g = tf.fill([5], 0.1);
      const info = await tf.profile(() => opt.applyGradients([{ name: v.name, tensor: g }]));
      g.dispose();
      const fused = info.kernels.some((k) => k.name === FUSED_ADAM_KERNEL);
      assert.equal(fused, backend === 'native', `${backend}: fused kernel ${fused ? 'ran' : 'did not run'}`);
      assert.ok(v.dataSync()[0]! < 1, 'the step moved the variable');
      v.dispose();
      opt.dispose();
    }
  });

  it('restores through getWeights/setWeights and continues identically', async () => {
    await useBackend(E2E_BACKENDS[0] ?? 'cpu');
    const rng = new Rng(9);
    const init = randn(rng, 12);
    const grads = [randn(rng, 12, 1e-2), randn(rng, 12, 1e-2), randn(rng, 12, 1e-2)];
    const step = (opt: tf.Optimizer, v: tf.Variable, g: Float32Array): void => {
      const t = tf.tensor(g);
      opt.applyGradients([{ name: v.name, tensor: t }]);
      t.dispose();
    };
    // Uninterrupted: 3 steps.
    const a = tf.variable(tf.tensor(init), true, `optim_test_${uid++}`);
    const optA = new FusedAdam(1e-3, 0.5, 0.9, 1e-8);
    grads.forEach((g) => {
      step(optA, a, g);
    });
    // Interrupted after 2: state copied into a fresh optimizer (what a checkpoint does).
    const b = tf.variable(tf.tensor(init), true, `optim_test_${uid++}`);
    const optB = new FusedAdam(1e-3, 0.5, 0.9, 1e-8);
    step(optB, b, grads[0]!);
    step(optB, b, grads[1]!);
    const weights = await optB.getWeights();
    const saved = weights.map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
    weights[0]!.tensor.dispose();
    const optC = new FusedAdam(1e-3, 0.5, 0.9, 1e-8);
    await optC.setWeights(saved);
    step(optC, b, grads[2]!);
    assertIdentical([b.dataSync() as Float32Array], [a.dataSync() as Float32Array], 'resumed');
    tf.dispose([a, b, ...saved.map((s) => s.tensor)]);
    for (const o of [optA, optB, optC]) o.dispose();
  });
});
