/**
 * The replacement Mean/Sum gradients against TF.js's own, first and second order, on cpu and on the
 * end-to-end backends: the same numbers (≤ 1e-5 relative), no leaked tensors, and no full-size
 * `ones` array any more (the JS fill shows up as a Multiply by an x-shaped operand).
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { E2E_BACKENDS, useBackend } from '../testing/fixtures.js';
import { useStockGradients } from './gradients.js';

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
  const gp = tf.grad((t: tf.Tensor) => tf.mean(tf.square(tf.sub(tf.sqrt(tf.sum(tf.square(g(t)), [1, 2, 3])), 1))) as tf.Scalar);
  const other = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mean(tf.square(t), 0), tf.sum(t, [0, 2]).reshape([4, 1, 6]))) as tf.Scalar);
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
  const onesProduct = (ks: string[]): boolean => ks.some((k) => (k.startsWith('Multiply') || k.startsWith('RealDiv')) && k.includes(full));

  // Under CI=true the native backend must load (fixtures.ts), so this runs there.
  it('on native: no x-sized ones·dy/n, one Tile instead', { skip: E2E_BACKENDS.includes('native') ? false : 'native backend not built' }, async () => {
    await useBackend('native');
    const stock = await kernels(true);
    const fast = await kernels(false);
    // Stock: Multiply(dy, ones(x)) then RealDiv of the x-sized product; ours: one Tile to x's shape.
    assert.ok(onesProduct(stock), `stock kernels: ${stock.join(' ')}`);
    assert.ok(!onesProduct(fast), `fast kernels: ${fast.join(' ')}`);
    assert.ok(fast.some((k) => k.startsWith('Tile')), `fast kernels: ${fast.join(' ')}`);
  });

  it('elsewhere (cpu, wasm): TF.js\'s own gradient, whose Multiply beats their generic Tile', async () => {
    for (const backend of ['cpu', ...E2E_BACKENDS.filter((b) => b !== 'native')]) {
      await useBackend(backend);
      const ks = await kernels(false);
      assert.ok(onesProduct(ks) && !ks.some((k) => k.startsWith('Tile')), `${backend} kernels: ${ks.join(' ')}`);
    }
  });
});
