import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildModels, forwardFlops } from './index.js';
import { DiffLeakyReLU, LayerNorm, diffLeakyRelu, diffLeakyReluAbs } from './layers.js';
import { initBackend } from '../backends/index.js';
import { E2E_BACKENDS } from '../testing/fixtures.js';

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
  assert.throws(
    () => buildModels('unet', { size: 32, channels: 1, nz: 10, gWidth: 4, dWidth: 4, criticNorm: 'layer', seed: 0 }),
    /unknown model 'unet' \(valid: dcgan, mlp\)/,
  );
});

test('the same seed builds the same networks', () => {
  const spec = {
    size: 28 as const,
    channels: 1 as const,
    nz: 5,
    gWidth: 4,
    dWidth: 4,
    criticNorm: 'none' as const,
    seed: 9,
  };
  const a = buildModels('dcgan', spec),
    b = buildModels('dcgan', spec),
    c = buildModels('dcgan', { ...spec, seed: 10 });
  const w = (m: tf.LayersModel) => m.getWeights().map((t) => Array.from(t.dataSync()));
  assert.deepEqual(w(a.generator), w(b.generator));
  assert.notDeepEqual(w(a.generator), w(c.generator));
});

test('diffLeakyRelu equals max(x, 0.2x)', () => {
  const v = diffLeakyRelu(tf.tensor1d([-2, -0.5, 0, 0.5, 3])).dataSync();
  assert.deepEqual(
    Array.from(v).map((x) => +x.toFixed(6)),
    [-0.4, -0.1, 0, 0.5, 3],
  );
});

test('LayerNorm normalises each sample over [H, W, C] (hand-checked statistics)', () => {
  const ln = new LayerNorm();
  const x = tf.tensor4d([1, 2, 3, 4, 10, 20, 30, 40], [2, 2, 2, 1]);
  const y = ln.apply(x) as tf.Tensor;
  const v = y.dataSync();
  // sample 1: mean 2.5, var 1.25 → (x − 2.5)/sqrt(1.25 + 1e-5)
  const sd = Math.sqrt(1.25 + 1e-5);
  [1, 2, 3, 4].forEach((xi, i) => {
    assert.ok(Math.abs(v[i]! - (xi - 2.5) / sd) < 1e-5);
  });
  // sample 2 is sample 1 × 10: same normalised values
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(v[i + 4]! - v[i]!) < 1e-4);
});

test('a full-width critic gives the same scores and penalty gradients on wasm as on cpu', async () => {
  // Regression: tf.layers.layerNormalization used wasm's FusedBatchNorm, which read out of bounds.
  const spec = {
    size: 32 as const,
    channels: 3 as const,
    nz: 100,
    gWidth: 64,
    dWidth: 64,
    criticNorm: 'layer' as const,
    seed: 4,
  };
  const run = async (backend: string) => {
    await initBackend(backend);
    const m = buildModels('dcgan', spec);
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 1);
    const s = Array.from((m.critic.predict(x) as tf.Tensor).dataSync());
    const g = Array.from(
      tf
        .grad((xx: tf.Tensor) => tf.sum(m.critic.apply(xx) as tf.Tensor))(x)
        .dataSync(),
    );
    return { s, g };
  };
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  await initBackend('cpu');
  const rel = (a: number[], b: number[]) =>
    Math.max(...a.map((v, i) => Math.abs(v - b[i]!))) / Math.max(...b.map(Math.abs));
  assert.ok(rel(wasm.s, cpu.s) < 1e-4, `scores differ ${rel(wasm.s, cpu.s)}`);
  assert.ok(rel(wasm.g, cpu.g) < 1e-4, `gradients differ ${rel(wasm.g, cpu.g)}`);
});

test('forwardFlops counts convolutions and dense layers', () => {
  const m = buildModels('dcgan', { size: 28, channels: 1, nz: 10, gWidth: 2, dWidth: 2, criticNorm: 'none', seed: 0 });
  // critic: conv 1→2 (14×14 out, 4×4) + conv 2→4 (7×7 out) + dense 196→1
  const expect = 2 * (14 * 14 * 16 * 1 * 2 + 7 * 7 * 16 * 2 * 4 + 196);
  assert.equal(forwardFlops(m.critic), expect);
});

// --- diffLeakyRelu (customGrad: y = x·step(x, α), gradient dy·step(x, α)) against its definition and
// against the previous formulation a·x + b·|x| (diffLeakyReluAbs), on every backend that loads.

const LRELU_BACKENDS = ['cpu', ...E2E_BACKENDS.filter((b) => b !== 'cpu')];
/** max |a − b| / max |b| (the relative error of a whole tensor). */
const relErr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0,
    m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
};
/** Deterministic values in [−s, s] with both signs. */
const wave = (n: number, k: number, s = 1) =>
  Float32Array.from({ length: n }, (_, i) => s * Math.sin(k * (i + 1) + 0.3 * i * i));

test('DiffLeakyReLU keeps its serialized name and config', () => {
  const l = new DiffLeakyReLU({ alpha: 0.3, name: 'lr' });
  assert.equal(DiffLeakyReLU.className, 'DiffLeakyReLU');
  assert.equal(l.getConfig().alpha, 0.3);
  assert.equal(l.getConfig().name, 'lr');
});

for (const backend of LRELU_BACKENDS) {
  test(`diffLeakyRelu on ${backend}: values are exactly (x > 0 ? x : αx), incl. ±0, ±∞, NaN; no tensors left`, async () => {
    await initBackend(backend);
    try {
      // The Step kernel must honour alpha (not only 0): check two alphas.
      assert.ok(tf.getKernel('Step', backend) || backend !== 'wasm', 'wasm has a Step kernel');
      const special = [-Infinity, -3.5, -1, -1e-30, -0, 0, 1e-30, 0.5, 3, Infinity, NaN];
      const xs = [...special, ...wave(200, 0.7, 4)];
      for (const alpha of [0.2, 0.37]) {
        const before = tf.memory().numTensors;
        const x = tf.tensor1d(xs);
        const y = diffLeakyRelu(x, alpha);
        const v = y.dataSync();
        tf.dispose([x, y]);
        assert.equal(tf.memory().numTensors, before, 'forward without a tape saves nothing');
        xs.forEach((xi, i) => {
          const xf = Math.fround(xi);
          const want = xf > 0 ? xf : Number.isNaN(xf) ? NaN : Math.fround(xf * Math.fround(alpha));
          assert.ok(
            Object.is(v[i], want),
            `alpha ${alpha}, x=${xi}: got ${Object.is(v[i], -0) ? '-0' : v[i]}, want ${Object.is(want, -0) ? '-0' : want}`,
          );
        });
      }
    } finally {
      await initBackend('cpu');
    }
  });

  test(`diffLeakyRelu on ${backend}: first-order gradient is dy·(x > 0 ? 1 : α), matches finite differences and the abs formulation`, async () => {
    await initBackend(backend);
    try {
      const alpha = 0.2;
      const xs = Float32Array.from([-0, 0, ...wave(300, 1.3, 3)]);
      const ws = wave(xs.length, 0.9, 2);
      const before = tf.memory().numTensors;
      const { g, gAbs, yp, ym } = tf.tidy(() => {
        const x = tf.tensor1d(xs),
          w = tf.tensor1d(ws);
        const loss = (f: typeof diffLeakyRelu) => (xx: tf.Tensor) => tf.sum(tf.mul(f(xx, alpha), w));
        const h = 1e-2;
        return {
          g: tf.grad(loss(diffLeakyRelu))(x).dataSync(),
          gAbs: tf.grad(loss(diffLeakyReluAbs))(x).dataSync(),
          yp: diffLeakyRelu(tf.add(x, h), alpha).dataSync(),
          ym: diffLeakyRelu(tf.sub(x, h), alpha).dataSync(),
        };
      });
      assert.equal(tf.memory().numTensors, before, 'the saved step(x, α) is released');
      for (let i = 0; i < xs.length; i++) {
        const want = xs[i]! > 0 ? ws[i]! : Math.fround(ws[i]! * Math.fround(alpha)); // at x = ±0: α
        assert.equal(g[i], want, `x=${xs[i]}`);
        assert.ok(
          Math.abs(gAbs[i]! - want) <= 1e-6 * Math.abs(ws[i]!),
          `abs formulation at x=${xs[i]}: ${gAbs[i]} vs ${want}`,
        );
        if (Math.abs(xs[i]!) > 0.02) {
          const fd = (yp[i]! - ym[i]!) / 2e-2;
          assert.ok(
            Math.abs(fd * ws[i]! - g[i]!) <= 1e-4,
            `finite difference at x=${xs[i]}: ${fd * ws[i]!} vs ${g[i]}`,
          );
        }
      }
    } finally {
      await initBackend('cpu');
    }
  });

  test(`diffLeakyRelu on ${backend}: second-order (gradient-penalty) weight gradients equal the abs formulation's`, async () => {
    await initBackend(backend);
    try {
      // A tiny critic conv → lrelu → conv → lrelu → dense and the WGAN-GP penalty
      // P(W) = mean_i (‖∇ₓ D(x_i)‖ − 1)², differentiated with respect to every weight.
      const B = 3;
      const x = tf.tensor4d(wave(B * 6 * 6 * 2, 0.37), [B, 6, 6, 2]);
      const W = [
        tf.tensor4d(wave(3 * 3 * 2 * 4, 1.1, 0.5), [3, 3, 2, 4]),
        tf.tensor1d(wave(4, 2.3, 0.1)),
        tf.tensor4d(wave(3 * 3 * 4 * 3, 0.53, 0.4), [3, 3, 4, 3]),
        tf.tensor2d(wave(27, 1.7, 0.5), [27, 1]),
      ] as const;
      const critic = (f: typeof diffLeakyRelu, xx: tf.Tensor, ws: readonly tf.Tensor[]) => {
        const [k1, b1, k2, v] = ws as [tf.Tensor4D, tf.Tensor1D, tf.Tensor4D, tf.Tensor2D];
        const h1 = f(tf.add(tf.conv2d(xx as tf.Tensor4D, k1, 1, 'same'), b1));
        const h2 = f(tf.conv2d(h1 as tf.Tensor4D, k2, 2, 'same'));
        return tf.matMul(tf.reshape(h2, [B, 27]), v);
      };
      const penalty =
        (f: typeof diffLeakyRelu) =>
        (...ws: tf.Tensor[]) => {
          const g = tf.grad((xx: tf.Tensor) => tf.sum(critic(f, xx, ws)))(x);
          const norm = tf.sqrt(tf.add(tf.sum(tf.square(g), [1, 2, 3]), 1e-12));
          return tf.mean(tf.square(tf.sub(norm, 1)));
        };
      // Both branches of the kink are exercised at both layers.
      const neg = tf.tidy(() => {
        const a1 = tf.add(tf.conv2d(x, W[0], 1, 'same'), W[1]);
        const a2 = tf.conv2d(diffLeakyRelu(a1) as tf.Tensor4D, W[2], 2, 'same');
        return [a1, a2].map((a) => tf.mean(tf.cast(tf.less(a, 0), 'float32')).dataSync()[0]!);
      });
      for (const fr of neg) assert.ok(fr > 0.2 && fr < 0.8, `fraction of negative pre-activations ${fr}`);

      // As in training (src/train/steps.ts): variableGrads, which leaves out weights with no path to
      // the result. b1 is one here: ∇ₓD = k1ᵀ·diag(m1)·k2ᵀ·diag(m2)·v depends on b1 only through the
      // masks, so ∂P/∂b1 = 0. The abs formulation reaches b1 through Step (whose gradient is 0) and
      // returns zeros; the customGrad one has no such path and returns no gradient for b1.
      const vars = W.map((t) => tf.variable(t));
      const before = tf.memory().numTensors;
      const run = (f: typeof diffLeakyRelu) => {
        let r!: { p: number; g: (number[] | null)[] };
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => penalty(f)(...vars) as tf.Scalar, vars);
          r = {
            p: value.dataSync()[0]!,
            g: vars.map((v) => (grads[v.name] ? Array.from(grads[v.name]!.dataSync()) : null)),
          };
        });
        return r;
      };
      const now = run(diffLeakyRelu);
      assert.equal(tf.memory().numTensors, before, 'no tensors left by the second-order gradient');
      const old = run(diffLeakyReluAbs);
      assert.equal(tf.memory().numTensors, before);
      assert.ok(Math.abs(now.p - old.p) <= 1e-5 * old.p, `penalty ${now.p} vs ${old.p}`);
      for (const i of [0, 2, 3]) {
        const [g, o] = [now.g[i], old.g[i]];
        assert.ok(g && o, `weight ${i} has a gradient`);
        assert.ok(Math.max(...o.map(Math.abs)) > 1e-3, `weight ${i}: gradient is not trivially 0`);
        assert.ok(relErr(g, o) <= 1e-5, `weight ${i}: relative difference ${relErr(g, o)}`);
      }
      assert.ok(
        old.g[1]!.every((v) => v === 0),
        'abs formulation: ∂P/∂b1 = 0',
      );
      assert.ok(now.g[1] == null || now.g[1].every((v) => v === 0), 'customGrad formulation: ∂P/∂b1 absent or 0');
      tf.dispose(vars);
      tf.dispose([x, ...W]);
    } finally {
      await initBackend('cpu');
    }
  });
}
