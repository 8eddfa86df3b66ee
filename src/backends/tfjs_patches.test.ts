/**
 * The replacement Mean/Sum gradients against TF.js's own, first and second order, on cpu and on the
 * end-to-end backends: the same numbers (≤ 1e-5 relative), no leaked tensors, and no full-size
 * `ones` array any more (the JS fill shows up as a Multiply by an x-shaped operand).
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { E2E_BACKENDS, useBackend } from '../testing/fixtures.js';
import { splitFusedUnderGradient, useStockGradients } from './tfjs_patches.js';
import { DiffLeakyReLU } from '../models/layers.js';

/** Layer-norm-like op: two means over [1, 2, 3] (what the critic's LayerNorm does). */
function ln(x: tf.Tensor): tf.Tensor {
  const m = tf.mean(x, [1, 2, 3], true);
  const xc = tf.sub(x, m);
  const v = tf.mean(tf.square(xc), [1, 2, 3], true);
  return tf.mul(xc, tf.rsqrt(tf.add(v, 1e-5)));
}

/** [∂f/∂x, ∂GP/∂x, ∂f/∂x for reductions without keepDims / over other axes] with GP the WGAN-GP form. */
function grads(x: tf.Tensor, w: tf.Tensor): tf.Tensor[] {
  const f = (t: tf.Tensor): tf.Scalar => tf.sum(tf.mul(w, tf.square(ln(t))));
  const g = tf.grad(f);
  const gp = tf.grad(
    (t: tf.Tensor) => tf.mean(tf.square(tf.sub(tf.sqrt(tf.sum(tf.square(g(t)), [1, 2, 3])), 1))) as tf.Scalar,
  );
  const other = tf.grad(
    (t: tf.Tensor) => tf.sum(tf.mul(tf.mean(tf.square(t), 0), tf.sum(t, [0, 2]).reshape([4, 1, 6]))) as tf.Scalar,
  );
  return [g(x), gp(x), other(x)];
}

function run(stock: boolean): { values: Float32Array[]; leaked: number } {
  useStockGradients(stock);
  try {
    const x = tf.randomNormal([3, 4, 5, 6], 0, 1, 'float32', 7);
    const w = tf.randomNormal([3, 4, 5, 6], 0, 1, 'float32', 8);
    const before = tf.memory().numTensors;
    const r = tf.tidy(() => grads(x, w));
    const leaked = tf.memory().numTensors - before - r.length;
    const values = r.map((t) => t.dataSync() as Float32Array);
    tf.dispose([...r, x, w]);
    return { values, leaked };
  } finally {
    useStockGradients(false);
  }
}

describe('Mean/Sum gradients', () => {
  for (const backend of ['cpu', ...E2E_BACKENDS]) {
    it(`match TF.js's own to first and second order on ${backend}`, async () => {
      await useBackend(backend);
      const ref = run(true);
      const got = run(false);
      assert.equal(got.leaked, 0, 'tensors leaked');
      assert.equal(ref.values.length, got.values.length);
      ref.values.forEach((r, k) => {
        const g = got.values[k]!;
        let scale = 0;
        let err = 0;
        for (let i = 0; i < r.length; i++) {
          scale = Math.max(scale, Math.abs(r[i]!));
          err = Math.max(err, Math.abs(r[i]! - g[i]!));
        }
        assert.ok(scale > 0, `output ${k} is all zero`);
        assert.ok(err <= 1e-5 * scale, `output ${k}: max error ${err} vs max |ref| ${scale}`);
      });
    });
  }

  const kernels = async (stock: boolean): Promise<string[]> => {
    const x = tf.randomNormal([2, 8, 8, 4]);
    useStockGradients(stock);
    try {
      const info = await tf.profile(() => tf.grad((t: tf.Tensor) => tf.mean(t, [1, 2, 3]).sum() as tf.Scalar)(x));
      return info.kernels.map((k) => `${k.name}(${k.inputShapes.map((s) => (s ?? []).join('x')).join(',')})`);
    } finally {
      useStockGradients(false);
      x.dispose();
    }
  };
  const full = '2x8x8x4';
  const onesProduct = (ks: string[]): boolean =>
    ks.some((k) => (k.startsWith('Multiply') || k.startsWith('RealDiv')) && k.includes(full));

  // Under CI=true the native backend must load (fixtures.ts), so this runs there.
  it('on native: no x-sized ones·dy/n, one Tile instead', {
    skip: E2E_BACKENDS.includes('native') ? false : 'native backend not built',
  }, async () => {
    await useBackend('native');
    const stock = await kernels(true);
    const fast = await kernels(false);
    // Stock: Multiply(dy, ones(x)) then RealDiv of the x-sized product; ours: one Tile to x's shape.
    assert.ok(onesProduct(stock), `stock kernels: ${stock.join(' ')}`);
    assert.ok(!onesProduct(fast), `fast kernels: ${fast.join(' ')}`);
    assert.ok(
      fast.some((k) => k.startsWith('Tile')),
      `fast kernels: ${fast.join(' ')}`,
    );
  });

  it("elsewhere (cpu, wasm): TF.js's own gradient, whose Multiply beats their generic Tile", async () => {
    for (const backend of ['cpu', ...E2E_BACKENDS.filter((b) => b !== 'native')]) {
      await useBackend(backend);
      const ks = await kernels(false);
      assert.ok(onesProduct(ks) && !ks.some((k) => k.startsWith('Tile')), `${backend} kernels: ${ks.join(' ')}`);
    }
  });

  describe('linear fused conv2d / matMul split under a gradient tape', () => {
    /** A tiny layers critic: conv+bias (fused) → leaky → conv+bias → flatten → dense+bias (fused matMul). */
    const critic = (): tf.LayersModel => {
      const m = tf.sequential();
      m.add(
        tf.layers.conv2d({
          inputShape: [8, 8, 3],
          filters: 4,
          kernelSize: 4,
          strides: 2,
          padding: 'same',
          kernelInitializer: tf.initializers.randomNormal({ stddev: 0.3, seed: 1 }),
          biasInitializer: tf.initializers.randomNormal({ stddev: 0.1, seed: 2 }),
        }),
      );
      m.add(new DiffLeakyReLU({ alpha: 0.2 })); // tf.layers.leakyReLU has no second-order gradient
      m.add(
        tf.layers.conv2d({
          filters: 6,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          kernelInitializer: tf.initializers.randomNormal({ stddev: 0.3, seed: 3 }),
          biasInitializer: tf.initializers.randomNormal({ stddev: 0.1, seed: 4 }),
        }),
      );
      m.add(tf.layers.flatten());
      m.add(
        tf.layers.dense({
          units: 1,
          kernelInitializer: tf.initializers.randomNormal({ stddev: 0.3, seed: 5 }),
          biasInitializer: tf.initializers.randomNormal({ stddev: 0.1, seed: 6 }),
        }),
      );
      return m;
    };
    /** Output, ∂ΣD/∂x, and ∂GP/∂weights with GP = mean((‖∂D/∂x‖ − 1)²) (a second-order gradient). */
    let present: string[] = [];
    const run = (split: boolean): Float32Array[] => {
      splitFusedUnderGradient(split);
      try {
        const D = critic();
        const x = tf.randomNormal([3, 8, 8, 3], 0, 1, 'float32', 11);
        const out = tf.tidy(() => {
          const y = D.predict(x) as tf.Tensor;
          const gx = tf.grad((t: tf.Tensor) => tf.sum(D.apply(t) as tf.Tensor) as tf.Scalar)(x);
          const { grads } = tf.variableGrads(
            () => {
              const g = tf.grad((t: tf.Tensor) => tf.sum(D.apply(t) as tf.Tensor) as tf.Scalar)(x);
              const norm = tf.sqrt(tf.sum(tf.square(g), [1, 2, 3]));
              return tf.mean(tf.square(tf.sub(norm, 1))) as tf.Scalar;
            },
            D.trainableWeights.map((w) => w.read() as tf.Variable),
          );
          // (Weights that reach the penalty only through the leaky ReLU's on/off pattern — the biases —
          // get no gradient at all; variableGrads leaves them out in both modes.)
          present = D.trainableWeights
            .map((w) => (w.read() as tf.Variable).name.replace(/_\d+$/, ''))
            .filter((_, i) => grads[(D.trainableWeights[i]!.read() as tf.Variable).name]);
          return [
            y,
            gx,
            ...D.trainableWeights
              .map((w) => grads[(w.read() as tf.Variable).name])
              .filter((g): g is tf.Tensor => g !== undefined),
          ];
        });
        const values = out.map((t) => t.dataSync() as Float32Array);
        tf.dispose([...out, x]);
        D.dispose();
        return values;
      } finally {
        splitFusedUnderGradient(true);
      }
    };

    for (const backend of ['cpu', ...E2E_BACKENDS]) {
      it(`gives TF.js's values and gradients (first and second order) on ${backend}`, async () => {
        await useBackend(backend);
        assert.ok(splitFusedUnderGradient(true), 'the fused namespace should be replaceable in Node');
        const ref = run(false);
        const refPresent = present;
        const got = run(true);
        assert.deepEqual(present.length, refPresent.length, 'the same weights get gradients');
        // The penalty reaches the three kernels; the biases act only through the leaky ReLU's pattern.
        assert.equal(got.length, 2 + 3, "output, input gradient and the three kernels' gradients");
        assert.equal(got.length, ref.length);
        ref.forEach((r, k) => {
          const g = got[k]!;
          let scale = 0,
            err = 0;
          for (let i = 0; i < r.length; i++) {
            scale = Math.max(scale, Math.abs(r[i]!));
            err = Math.max(err, Math.abs(r[i]! - g[i]!));
          }
          assert.ok(scale > 0, `output ${k} is all zero`);
          assert.ok(err <= 1e-5 * scale, `output ${k}: max error ${err} vs max |ref| ${scale}`);
        });
      });
    }

    it('computes no filter gradient when only the input gradient is asked for', async () => {
      await useBackend('cpu');
      const D = critic();
      const x = tf.randomNormal([2, 8, 8, 3]);
      const names = async (split: boolean): Promise<string[]> => {
        splitFusedUnderGradient(split);
        try {
          const info = await tf.profile(() =>
            tf.grad((t: tf.Tensor) => tf.sum(D.apply(t) as tf.Tensor) as tf.Scalar)(x),
          );
          return info.kernels.map((k) => k.name);
        } finally {
          splitFusedUnderGradient(true);
        }
      };
      const stock = await names(false);
      const split = await names(true);
      assert.ok(stock.includes('Conv2DBackpropFilter'), `stock kernels: ${stock.join(' ')}`);
      assert.ok(!split.includes('Conv2DBackpropFilter'), `split kernels: ${split.join(' ')}`);
      tf.dispose(x);
      D.dispose();
    });
  });
});
