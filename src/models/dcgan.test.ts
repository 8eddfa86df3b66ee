import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildModels, forwardFlops } from './dcgan.js';
import { LayerNorm, diffLeakyRelu } from './layers.js';
import { initBackend } from '../backends/index.js';

test('generator and critic shapes for every size and channel count', () => {
  for (const size of [28, 32, 64] as const) {
    for (const channels of [1, 3] as const) {
      const m = buildModels('dcgan', { size, channels, nz: 10, gWidth: 4, dWidth: 4, criticNorm: 'layer', seed: 0 });
      const out = tf.tidy(() => {
        const x = m.generator.predict(tf.zeros([2, 10])) as tf.Tensor;
        const s = m.critic.predict(x) as tf.Tensor;
        const [lo, hi] = [x.min().dataSync()[0]!, x.max().dataSync()[0]!];
        return { xs: x.shape, ss: s.shape, lo, hi };
      });
      assert.deepEqual(out.xs, [2, size, size, channels]);
      assert.deepEqual(out.ss, [2, 1]);
      assert.ok(out.lo >= -1 && out.hi <= 1, 'tanh range');
    }
  }
  assert.throws(() => buildModels('unet', { size: 32, channels: 1, nz: 10, gWidth: 4, dWidth: 4, criticNorm: 'layer', seed: 0 }), /unknown model 'unet' \(valid: dcgan\)/);
});

test('the same seed builds the same networks', () => {
  const spec = { size: 28 as const, channels: 1 as const, nz: 5, gWidth: 4, dWidth: 4, criticNorm: 'none' as const, seed: 9 };
  const a = buildModels('dcgan', spec), b = buildModels('dcgan', spec), c = buildModels('dcgan', { ...spec, seed: 10 });
  const w = (m: tf.LayersModel) => m.getWeights().map((t) => Array.from(t.dataSync()));
  assert.deepEqual(w(a.generator), w(b.generator));
  assert.notDeepEqual(w(a.generator), w(c.generator));
});

test('diffLeakyRelu equals max(x, 0.2x)', () => {
  const v = diffLeakyRelu(tf.tensor1d([-2, -0.5, 0, 0.5, 3])).dataSync();
  assert.deepEqual(Array.from(v).map((x) => +x.toFixed(6)), [-0.4, -0.1, 0, 0.5, 3]);
});

test('LayerNorm normalises each sample over [H, W, C] (hand-checked statistics)', () => {
  const ln = new LayerNorm();
  const x = tf.tensor4d([1, 2, 3, 4, 10, 20, 30, 40], [2, 2, 2, 1]);
  const y = ln.apply(x) as tf.Tensor;
  const v = y.dataSync();
  // sample 1: mean 2.5, var 1.25 → (x − 2.5)/sqrt(1.25 + 1e-5)
  const sd = Math.sqrt(1.25 + 1e-5);
  [1, 2, 3, 4].forEach((xi, i) => assert.ok(Math.abs(v[i]! - (xi - 2.5) / sd) < 1e-5));
  // sample 2 is sample 1 × 10: same normalised values
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(v[i + 4]! - v[i]!) < 1e-4);
});

test('a full-width critic gives the same scores and penalty gradients on wasm as on cpu', async () => {
  // Regression: tf.layers.layerNormalization used wasm's FusedBatchNorm, which read out of bounds.
  const spec = { size: 32 as const, channels: 3 as const, nz: 100, gWidth: 64, dWidth: 64, criticNorm: 'layer' as const, seed: 4 };
  const run = async (backend: string) => {
    await initBackend(backend);
    const m = buildModels('dcgan', spec);
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 1);
    const s = Array.from((m.critic.predict(x) as tf.Tensor).dataSync());
    const g = Array.from(tf.grad((xx: tf.Tensor) => tf.sum(m.critic.apply(xx) as tf.Tensor))(x).dataSync());
    return { s, g };
  };
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  await initBackend('cpu');
  const rel = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!))) / Math.max(...b.map(Math.abs));
  assert.ok(rel(wasm.s, cpu.s) < 1e-4, `scores differ ${rel(wasm.s, cpu.s)}`);
  assert.ok(rel(wasm.g, cpu.g) < 1e-4, `gradients differ ${rel(wasm.g, cpu.g)}`);
});

test('forwardFlops counts convolutions and dense layers', () => {
  const m = buildModels('dcgan', { size: 28, channels: 1, nz: 10, gWidth: 2, dWidth: 2, criticNorm: 'none', seed: 0 });
  // critic: conv 1→2 (14×14 out, 4×4) + conv 2→4 (7×7 out) + dense 196→1
  const expect = 2 * (14 * 14 * 16 * 1 * 2 + 7 * 7 * 16 * 2 * 4 + 196);
  assert.equal(forwardFlops(m.critic), expect);
});
