/**
 * The wasm kernels against TF.js's `cpu` backend (an independent implementation) on the same data:
 * Conv2DBackpropInput / Conv2DBackpropFilter over strides, paddings, odd sizes and channel counts, the
 * transposed matMuls, a second-order gradient (WGAN-GP style), and a whole DCGAN WGAN-GP step.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './index.js';
import { onePhaseAxis, phaseAxis, registerWasmKernels } from './wasm_kernels.js';
import { Rng } from '../util/rng.js';

type Pad = 'same' | 'valid' | number;

/** max |a − b| / max |a|: the error relative to the largest value. */
function relErr(ref: Float32Array, got: Float32Array): number {
  assert.equal(got.length, ref.length);
  let m = 0;
  let e = 0;
  for (let i = 0; i < ref.length; i++) {
    m = Math.max(m, Math.abs(ref[i]!));
    e = Math.max(e, Math.abs(ref[i]! - got[i]!));
  }
  return m === 0 ? e : e / m;
}

function randn(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** Run f on cpu and on wasm; returns both results' data, and checks neither leaks tensors. */
function onBoth(f: () => tf.Tensor | tf.Tensor[]): { cpu: Float32Array[]; wasm: Float32Array[] } {
  const out = { cpu: [] as Float32Array[], wasm: [] as Float32Array[] };
  for (const b of ['cpu', 'wasm'] as const) {
    tf.setBackend(b);
    const before = tf.memory().numTensors;
    const r = tf.tidy(f);
    const rs = Array.isArray(r) ? r : [r];
    out[b] = rs.map((t) => t.dataSync() as Float32Array);
    tf.dispose(rs);
    assert.equal(tf.memory().numTensors, before, `${b} leaked tensors`);
  }
  return out;
}

function assertClose(r: { cpu: Float32Array[]; wasm: Float32Array[] }, what: string, tol = 1e-4): void {
  r.cpu.forEach((c, i) => {
    const e = relErr(c, r.wasm[i]!);
    assert.ok(e <= tol, `${what}[${i}]: relative error ${e.toExponential(2)} > ${tol}`);
  });
}

interface ConvCase {
  x: [number, number, number, number];
  k: number;
  cout: number;
  s: number;
  pad: Pad;
}

const fixed: ConvCase[] = [
  { x: [2, 7, 9, 3], k: 3, cout: 5, s: 1, pad: 'same' },
  { x: [2, 7, 9, 3], k: 3, cout: 5, s: 2, pad: 'same' },
  { x: [3, 8, 8, 4], k: 4, cout: 6, s: 2, pad: 'same' },
  { x: [1, 9, 7, 1], k: 5, cout: 1, s: 2, pad: 'valid' },
  { x: [2, 11, 10, 5], k: 4, cout: 3, s: 2, pad: 'valid' },
  { x: [2, 6, 6, 2], k: 3, cout: 4, s: 1, pad: 1 },
  { x: [2, 8, 8, 3], k: 4, cout: 2, s: 2, pad: 2 },
  { x: [1, 5, 5, 2], k: 1, cout: 2, s: 2, pad: 'same' },
  // ≥ 16 input channels take the one-conv-per-phase path
  { x: [2, 9, 9, 16], k: 3, cout: 5, s: 2, pad: 'same' },
  { x: [2, 8, 8, 17], k: 4, cout: 24, s: 2, pad: 'same' },
  { x: [1, 11, 10, 16], k: 5, cout: 3, s: 2, pad: 'valid' },
  { x: [1, 10, 10, 16], k: 4, cout: 3, s: 3, pad: 2 },
  { x: [1, 7, 7, 16], k: 1, cout: 3, s: 2, pad: 'valid' },
  { x: [2, 6, 5, 20], k: 3, cout: 7, s: 1, pad: 'valid' },
];

/** Random shapes from a fixed seed: strides 1–2, 3/4/5 kernels, odd sizes, 1 to many channels. */
function randomCases(n: number): ConvCase[] {
  const rng = new Rng(7);
  const pick = <T>(a: readonly T[]): T => a[rng.int(a.length)]!;
  return Array.from({ length: n }, () => {
    const k = pick([3, 4, 5]);
    return {
      x: [1 + rng.int(3), k + rng.int(8), k + rng.int(8), pick([1, 3, 8, 16, 33])] as [number, number, number, number],
      k,
      cout: pick([1, 4, 16, 32]),
      s: pick([1, 2]),
      pad: pick(['same', 'valid'] as const),
    };
  });
}

function describeCase(c: ConvCase): string {
  return `x[${c.x.join(',')}] ${c.k}x${c.k} s${c.s} pad ${c.pad} → ${c.cout}`;
}

before(async () => {
  await initBackend('wasm');
});

describe('wasm Conv2DBackpropInput / Conv2DBackpropFilter vs cpu', () => {
  const rng = new Rng(1);
  for (const c of [...fixed, ...randomCases(12)]) {
    it(describeCase(c), () => {
      const xv = randn(
        rng,
        c.x.reduce((a, b) => a * b),
      );
      const wv = randn(rng, c.k * c.k * c.x[3] * c.cout);
      tf.setBackend('cpu');
      const yShape = tf.tidy(
        () =>
          tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros([c.k, c.k, c.x[3], c.cout]) as tf.Tensor4D, c.s, c.pad)
            .shape,
      );
      const dyv = randn(
        rng,
        yShape.reduce((a, b) => a * b),
      );
      const r = onBoth(() => {
        const x = tf.tensor4d(xv, c.x);
        const w = tf.tensor4d(wv, [c.k, c.k, c.x[3], c.cout]);
        const dy = tf.tensor4d(dyv, yShape);
        const e = tf.engine();
        const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC' };
        return [
          e.runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: c.x }) as tf.Tensor,
          e.runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor,
        ];
      });
      assertClose(r, describeCase(c));
    });
  }
});

describe('wasm kernels: other checks', () => {
  it('computes a second-order gradient (∂‖∂D/∂x‖²/∂w) of a 2-conv critic like cpu', () => {
    const rng = new Rng(3);
    const xv = randn(rng, 2 * 8 * 8 * 3);
    const w1v = randn(rng, 4 * 4 * 3 * 8);
    const w2v = randn(rng, 3 * 3 * 8 * 16);
    const r = onBoth(() => {
      const x = tf.tensor4d(xv, [2, 8, 8, 3]);
      const w1 = tf.tensor4d(w1v, [4, 4, 3, 8]).mul(0.2);
      const w2 = tf.tensor4d(w2v, [3, 3, 8, 16]).mul(0.2);
      const critic = (xi: tf.Tensor4D, a: tf.Tensor4D, b: tf.Tensor4D): tf.Scalar =>
        tf.tanh(tf.conv2d(tf.tanh(tf.conv2d(xi, a, 2, 'same')), b, 2, 'valid')).sum();
      const penalty = (a: tf.Tensor4D, b: tf.Tensor4D): tf.Scalar =>
        tf
          .grad((xi: tf.Tensor) => critic(xi as tf.Tensor4D, a, b))(x)
          .square()
          .sum();
      const [g1, g2] = tf.grads((a: tf.Tensor, b: tf.Tensor) => penalty(a as tf.Tensor4D, b as tf.Tensor4D))([w1, w2]);
      return [g1!, g2!];
    });
    assertClose(r, 'second-order gradient');
  });

  it('differentiates Conv2DBackpropFilter (its gradient is registered)', () => {
    const rng = new Rng(4);
    const xv = randn(rng, 2 * 7 * 7 * 3);
    const dyv = randn(rng, 2 * 4 * 4 * 5);
    const rv = randn(rng, 3 * 3 * 3 * 5);
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 5] };
    // ⟨BF(x, dy), R⟩ = ⟨conv2d(x, R), dy⟩, so both sides' gradients must agree (stock conv2d gradients).
    const r = onBoth(() => {
      const x = tf.tensor4d(xv, [2, 7, 7, 3]);
      const dy = tf.tensor4d(dyv, [2, 4, 4, 5]);
      const R = tf.tensor4d(rv, [3, 3, 3, 5]);
      const f = (a: tf.Tensor, b: tf.Tensor): tf.Scalar =>
        (tf.engine().runKernel('Conv2DBackpropFilter', { x: a, dy: b }, attrs) as tf.Tensor).mul(R).sum() as tf.Scalar;
      const g = (a: tf.Tensor, b: tf.Tensor): tf.Scalar =>
        tf
          .conv2d(a as tf.Tensor4D, R, 2, 'same')
          .mul(b)
          .sum();
      return [...tf.grads(f)([x, dy]), ...tf.grads(g)([x, dy])];
    });
    for (const b of ['cpu', 'wasm'] as const) {
      const [fx, fdy, gx, gdy] = r[b] as [Float32Array, Float32Array, Float32Array, Float32Array];
      assert.ok(relErr(gx, fx) <= 1e-4 && relErr(gdy, fdy) <= 1e-4, `${b}: BF gradient disagrees with conv2d's`);
    }
    assertClose(r, 'BF gradient');
  });

  it('matMul with transposed operands (the dense-layer gradient forms) matches cpu', () => {
    const rng = new Rng(5);
    const av = randn(rng, 2 * 7 * 9);
    const bv = randn(rng, 2 * 9 * 5);
    const biasv = randn(rng, 5);
    const r = onBoth(() => {
      const a = tf.tensor3d(av, [2, 7, 9]);
      const b = tf.tensor3d(bv, [2, 9, 5]);
      const aT = a.transpose([0, 2, 1]);
      const bT = b.transpose([0, 2, 1]);
      const bias = tf.tensor1d(biasv);
      return [
        tf.matMul(a, bT, false, true),
        tf.matMul(aT, b, true, false),
        tf.matMul(aT, bT, true, true),
        tf.matMul(a.reshape([14, 9]), b.reshape([18, 5]).slice([0, 0], [9, 5])),
        tf.fused.matMul({ a: aT, b: bT, transposeA: true, transposeB: true, bias, activation: 'relu' }),
        // the stock wasm kernel adds the bias to the first matrix of a batch only
        tf.fused.matMul({ a, b, bias, activation: 'linear' }),
        tf.fused.matMul({
          a: a.reshape([14, 9]),
          b: b.reshape([18, 5]).slice([0, 0], [9, 5]),
          bias,
          activation: 'elu',
        }),
      ];
    });
    assertClose(r, 'matMul');
  });

  it('runs a DCGAN WGAN-GP step (dense, conv2dTranspose, batch/layer norm, GP, Adam, RMSProp, clip) like cpu', () => {
    const rng = new Rng(6);
    const z = randn(rng, 4 * 8);
    const real = randn(rng, 4 * 8 * 8 * 3);
    const params = {
      gDense: randn(rng, 8 * 4 * 4 * 16),
      gT1: randn(rng, 4 * 4 * 8 * 16),
      gT2: randn(rng, 4 * 4 * 3 * 8),
      dC1: randn(rng, 4 * 4 * 3 * 8),
      dC2: randn(rng, 4 * 4 * 8 * 16),
      dDense: randn(rng, 2 * 2 * 16),
    };
    const r = onBoth(() => {
      const v = (a: Float32Array, shape: number[]): tf.Tensor => tf.tensor(a, shape).mul(0.1);
      const gDense = v(params.gDense, [8, 256]);
      const gT1 = v(params.gT1, [4, 4, 8, 16]) as tf.Tensor4D;
      const gT2 = v(params.gT2, [4, 4, 3, 8]) as tf.Tensor4D;
      const dC1 = v(params.dC1, [4, 4, 3, 8]) as tf.Tensor4D;
      const dC2 = v(params.dC2, [4, 4, 8, 16]) as tf.Tensor4D;
      const dDense = v(params.dDense, [64, 1]);
      const leaky = (t: tf.Tensor): tf.Tensor => t.mul(0.6).add(t.abs().mul(0.4)); // twice differentiable
      const batchNorm = (t: tf.Tensor): tf.Tensor => {
        const { mean, variance } = tf.moments(t, [0, 1, 2], true);
        return t.sub(mean).mul(tf.rsqrt(variance.add(1e-5)));
      };
      const layerNorm = (t: tf.Tensor): tf.Tensor => {
        const { mean, variance } = tf.moments(t, [1, 2, 3], true);
        return t.sub(mean).div(variance.add(1e-5).sqrt());
      };
      const G = (zz: tf.Tensor, w: tf.Tensor[]): tf.Tensor4D => {
        const [d, t1, t2] = w as [tf.Tensor2D, tf.Tensor4D, tf.Tensor4D];
        const h0 = tf.relu(batchNorm(tf.matMul(zz, d).reshape([4, 4, 4, 16])));
        const h1 = tf.relu(batchNorm(tf.conv2dTranspose(h0 as tf.Tensor4D, t1, [4, 8, 8, 8], 2, 'same')));
        return tf.tanh(
          tf.conv2dTranspose(h1 as tf.Tensor4D, t2, [4, 16, 16, 3], 2, 'same').slice([0, 4, 4, 0], [4, 8, 8, 3]),
        );
      };
      const D = (xx: tf.Tensor, w: tf.Tensor[]): tf.Tensor => {
        const [c1, c2, d] = w as [tf.Tensor4D, tf.Tensor4D, tf.Tensor2D];
        const h1 = leaky(tf.conv2d(xx as tf.Tensor4D, c1, 2, 'same'));
        const h2 = leaky(layerNorm(tf.conv2d(h1 as tf.Tensor4D, c2, 2, 'same')));
        return tf.matMul(h2.reshape([4, 64]), d);
      };
      const zt = tf.tensor2d(z, [4, 8]);
      const xr = tf.tensor4d(real, [4, 8, 8, 3]);
      const eps = tf.linspace(0, 1, 4).reshape([4, 1, 1, 1]);
      const dW = [dC1, dC2, dDense];
      const gW = [gDense, gT1, gT2];
      const criticLoss = (...w: tf.Tensor[]): tf.Scalar => {
        const fake = G(zt, gW);
        const xh = xr.mul(eps).add(fake.mul(tf.sub(1, eps)));
        const gp = tf.grad((xi: tf.Tensor) => D(xi, w).sum())(xh);
        const norm = gp.square().sum([1, 2, 3]).add(1e-12).sqrt();
        return D(fake, w).mean().sub(D(xr, w).mean()).add(norm.sub(1).square().mean().mul(10)) as tf.Scalar;
      };
      const genLoss = (...w: tf.Tensor[]): tf.Scalar => D(G(zt, w), dW).mean().neg() as tf.Scalar;
      const { value: lossD, grads: gd } = tf.valueAndGrads(criticLoss)(dW);
      const { value: lossG, grads: gg } = tf.valueAndGrads(genLoss)(gW);
      // One optimizer update of each kind, as a training step does it (variables are disposed below).
      const vd = dW.map((t) => tf.variable(t));
      const vg = gW.map((t) => tf.variable(t));
      const adam = tf.train.adam(1e-3, 0.5, 0.9);
      adam.applyGradients(vd.map((p, i) => ({ name: p.name, tensor: gd[i]! })));
      const rms = tf.train.rmsprop(5e-3);
      rms.applyGradients(vg.map((p, i) => ({ name: p.name, tensor: gg[i]! })));
      const clipped = vd.map((p) => tf.clipByValue(p, -0.01, 0.01));
      const out = [lossD, lossG, ...gd, ...gg, ...vd.map((p) => p.clone()), ...vg.map((p) => p.clone()), ...clipped];
      tf.dispose([...vd, ...vg]);
      adam.dispose();
      rms.dispose();
      return out;
    });
    assertClose(r, 'WGAN-GP step', 2e-4);
  });

  it('throws a clear error for unsupported attributes', () => {
    tf.setBackend('wasm');
    const dy = tf.zeros([1, 4, 4, 2]);
    const w = tf.zeros([3, 3, 2, 2]);
    assert.throws(
      () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropInput',
            { dy, filter: w },
            { strides: 1, pad: 'same', dataFormat: 'NCHW', inputShape: [1, 2, 4, 4] },
          ),
      /Conv2DBackpropInput: dataFormat 'NCHW' is not supported/,
    );
    assert.throws(
      () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x: dy, dy },
            { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 2] },
          ),
      /Conv2DBackpropFilter: dataFormat 'NCHW' is not supported/,
    );
    tf.dispose([dy, w]);
  });

  it('registering twice keeps one working registration', () => {
    const before = tf.getKernel('Conv2DBackpropInput', 'wasm');
    registerWasmKernels();
    registerWasmKernels();
    assert.equal(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc, before?.kernelFunc);
    assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'));
  });

  it('plans the transposed-conv phases by hand-computed geometry', () => {
    // 4x4 s2 'same' on 16 → 8 (pad top 1): rows t = i + 1 ∈ [1, 16] → q ∈ [0, 8], 9 phase rows, crop 1.
    assert.deepEqual(phaseAxis(16, 8, 4, 2, 1), {
      m: 2,
      q: 9,
      padBefore: 1,
      padAfter: 1,
      dyStart: 0,
      dyLen: 8,
      crop: 1,
    });
    // Its phase 0 (even dx rows i = 2u) uses filter rows 3, 1 on dy[u−1], dy[u]; phase 1 rows 2, 0 on dy[u], dy[u+1].
    assert.deepEqual(onePhaseAxis(16, 8, 4, 2, 1, 0), {
      taps: [3, 1],
      padBefore: 1,
      padAfter: 0,
      dyStart: 0,
      dyLen: 8,
    });
    assert.deepEqual(onePhaseAxis(16, 8, 4, 2, 1, 1), {
      taps: [2, 0],
      padBefore: 0,
      padAfter: 1,
      dyStart: 0,
      dyLen: 8,
    });
  });
});
