import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildModels, forwardFlops, MODEL_REGISTRY, disposeModel } from './index.js';
import { MLP_DEFAULT_WIDTH } from './mlp.js';
import { gradientPenalty } from '../losses/index.js';
import { saveLayersModel, loadLayersModel } from '../io/tfjs_model.js';
import { resolveConfig } from '../config/config.js';

const spec = (o: Record<string, unknown> = {}) => ({
  size: 28 as const,
  channels: 1 as const,
  nz: 6,
  gWidth: 8,
  dWidth: 8,
  criticNorm: 'none' as const,
  seed: 0,
  ...o,
});

test('mlp: generator and critic shapes for every size and channel count, 4 dense layers each, tanh range', () => {
  for (const size of [28, 32, 64] as const) {
    for (const channels of [1, 3] as const) {
      for (const criticNorm of ['layer', 'batch', 'none'] as const) {
        const m = buildModels('mlp', spec({ size, channels, criticNorm }));
        const out = tf.tidy(() => {
          const x = m.generator.predict(tf.randomUniform([3, 6], -1, 1, 'float32', 2)) as tf.Tensor;
          const s = m.critic.predict(x) as tf.Tensor;
          return { xs: x.shape, ss: s.shape, lo: x.min().dataSync()[0]!, hi: x.max().dataSync()[0]! };
        });
        assert.deepEqual(out.xs, [3, size, size, channels]);
        assert.deepEqual(out.ss, [3, 1]);
        assert.ok(out.lo >= -1 && out.hi <= 1 && out.hi > out.lo, 'tanh range');
        for (const net of [m.generator, m.critic])
          assert.equal(net.layers.filter((l) => l.getClassName() === 'Dense').length, 4, net.name);
        // No saturating nonlinearity in the critic (their second-order gradients are wrong in TF.js).
        assert.ok(
          !m.critic.layers.some((l) => /tanh|sigmoid/i.test(JSON.stringify(l.getConfig()))),
          'critic has tanh/sigmoid',
        );
        disposeModel(m);
      }
    }
  }
  assert.deepEqual([...MODEL_REGISTRY.kinds], ['dcgan', 'mlp']);
});

test("mlp: the width is the hidden units; its default is the paper's 512", () => {
  const c = resolveConfig({ model: 'mlp' });
  assert.equal(c.gWidth, MLP_DEFAULT_WIDTH);
  assert.equal(c.dWidth, 512);
  assert.equal(resolveConfig({}).gWidth, 64, 'dcgan keeps 64');
  assert.equal(resolveConfig({ model: 'mlp', gWidth: 32 }).gWidth, 32);
  assert.throws(() => resolveConfig({ model: 'resnet' }), /unknown model 'resnet' \(valid: dcgan, mlp\)/);
  const m = buildModels('mlp', spec({ gWidth: 16 }));
  const units = m.generator.layers
    .filter((l) => l.getClassName() === 'Dense')
    .map((l) => (l.getConfig() as { units: number }).units);
  assert.deepEqual(units, [16, 16, 16, 28 * 28]);
});

test('mlp: the same seed builds the same networks; a different seed different ones', () => {
  const w = (m: tf.LayersModel) => m.getWeights().map((t) => Array.from(t.dataSync()));
  const a = buildModels('mlp', spec({ seed: 4 })),
    b = buildModels('mlp', spec({ seed: 4 })),
    c = buildModels('mlp', spec({ seed: 5 }));
  assert.deepEqual(w(a.generator), w(b.generator));
  assert.deepEqual(w(a.critic), w(b.critic));
  assert.notDeepEqual(w(a.generator), w(c.generator));
  // U(±1/√fan_in): the first generator kernel (fan_in = nz = 6) stays within ±0.408.
  const k = a.generator.getWeights()[0]!.dataSync();
  assert.ok(Math.max(...Array.from(k, Math.abs)) <= 1 / Math.sqrt(6) + 1e-7);
});

test('forwardFlops counts the dense layers of an mlp', () => {
  const m = buildModels('mlp', spec({ gWidth: 8, dWidth: 5 }));
  assert.equal(forwardFlops(m.generator), 2 * (6 * 8 + 8 * 8 + 8 * 8 + 8 * 784));
  assert.equal(forwardFlops(m.critic), 2 * (784 * 5 + 5 * 5 + 5 * 5 + 5 * 1));
});

test('mlp critic: the gradient penalty differentiates twice (matches finite differences)', () => {
  const m = buildModels('mlp', spec({ size: 28, dWidth: 6, criticNorm: 'layer', seed: 2 }));
  const real = tf.randomUniform([2, 28, 28, 1], -1, 1, 'float32', 3) as tf.Tensor4D;
  const fake = tf.randomUniform([2, 28, 28, 1], -1, 1, 'float32', 4) as tf.Tensor4D;
  const alpha = tf.tensor4d([0.3, 0.8], [2, 1, 1, 1]);
  const out = m.critic.getLayer('d_out');
  const v = out.getWeights()[0]!; // [6, 1], the last dense kernel
  const vInit = Array.from(v.dataSync());
  const pen = () =>
    gradientPenalty((x) => m.critic.apply(x, { training: true }) as tf.Tensor, real, fake, alpha).penalty;
  const analytic = tf.tidy(() => {
    const vv = m.critic.getLayer('d_out').trainableWeights[0]!.read() as tf.Variable;
    const { grads } = tf.variableGrads(pen, [vv]);
    return Array.from(grads[vv.name]!.dataSync());
  });
  const setV = (vals: number[]) => out.setWeights([tf.tensor2d(vals, [6, 1]), out.getWeights()[1]!]);
  const eps = 1e-2;
  for (let i = 0; i < 6; i++) {
    const p = vInit.slice(),
      q = vInit.slice();
    p[i]! += eps;
    q[i]! -= eps;
    setV(p);
    const lp = tf.tidy(() => pen().dataSync()[0]!);
    setV(q);
    const lq = tf.tidy(() => pen().dataSync()[0]!);
    const fd = (lp - lq) / (2 * eps);
    assert.ok(
      Math.abs(fd - analytic[i]!) < 2e-3 + 2e-2 * Math.abs(fd),
      `weight ${i}: fd ${fd} vs analytic ${analytic[i]}`,
    );
  }
  assert.ok(
    analytic.some((g) => Math.abs(g) > 1e-4),
    'gradient not trivially 0',
  );
  tf.dispose([real, fake, alpha]);
});

test('mlp networks save and load as TF.js layers models with the same outputs', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-mlp-'));
  const m = buildModels('mlp', spec({ criticNorm: 'layer' }));
  await saveLayersModel(m.generator, path.join(dir, 'g'));
  await saveLayersModel(m.critic, path.join(dir, 'd'));
  const g = await loadLayersModel(path.join(dir, 'g')),
    d = await loadLayersModel(path.join(dir, 'd'));
  tf.tidy(() => {
    const z = tf.randomUniform([2, 6], -1, 1, 'float32', 9);
    const x0 = m.generator.predict(z) as tf.Tensor,
      x1 = g.predict(z) as tf.Tensor;
    assert.deepEqual(Array.from(x1.dataSync()), Array.from(x0.dataSync()));
    assert.deepEqual(
      Array.from((d.predict(x0) as tf.Tensor).dataSync()),
      Array.from((m.critic.predict(x0) as tf.Tensor).dataSync()),
    );
  });
});
