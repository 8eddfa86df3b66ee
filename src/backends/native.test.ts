/**
 * The native backend against TF.js's cpu backend (an independent JS implementation): same inputs,
 * every output within 1e-4 of the reference's largest magnitude. nativeKernelCounts() proves the
 * addon path ran (no silent fallback to the cpu kernel). Skips only when the addon is not built.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { before, describe, it } from 'node:test';
import { Rng } from '../util/rng.js';
import {
  addonPath,
  loadNativeAddon,
  type NativeBackend,
  nativeKernelCounts,
  nativeLoadError,
  registerNativeBackend,
  resetNativeKernelCounts,
} from './native.js';

const built = fs.existsSync(addonPath());
const skip = built ? false : `native addon not built (${addonPath()} missing; run \`npm run build:native\`)`;
const TOL = 1e-4;

/** n floats in [−0.5, 0.5) from a seeded LCG: inputs for the addon's own calls. */
function rand(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    a[i] = x / 2147483648 - 0.5;
  }
  return a;
}

interface In {
  shape: number[];
  /** Values in (0.5, 1.5) instead of N(0,1) (for log, sqrt, pow, division). */
  positive?: boolean;
}

function data(rng: Rng, spec: In): Float32Array {
  const a = new Float32Array(spec.shape.reduce((x, y) => x * y, 1));
  for (let i = 0; i < a.length; i++) a[i] = spec.positive ? 0.5 + rng.next() : rng.normal();
  return a;
}

async function runOn(
  backend: string,
  arrays: Float32Array[],
  specs: In[],
  f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): Promise<{ shape: number[]; values: Float32Array }[]> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const xs = arrays.map((a, i) => tf.tensor(a, specs[i]!.shape));
  const res = tf.tidy(() => {
    const r = f(...xs);
    return Array.isArray(r) ? r : [r];
  });
  const out = res.map((t) => ({ shape: t.shape, values: t.dataSync() as Float32Array }));
  tf.dispose(res);
  tf.dispose(xs);
  assert.equal(tf.memory().numTensors, before, `${backend}: tensors leaked`);
  return out;
}

/** Runs f on cpu and native with the same random inputs; asserts equal shapes and rel. error ≤ tol. */
async function compare(
  label: string,
  specs: In[],
  f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
  seed = 1,
  tol = TOL,
): Promise<void> {
  const rng = new Rng(seed);
  const arrays = specs.map((s) => data(rng, s));
  const ref = await runOn('cpu', arrays, specs, f);
  const got = await runOn('native', arrays, specs, f);
  assert.equal(got.length, ref.length);
  for (let k = 0; k < ref.length; k++) {
    const r = ref[k]!;
    const g = got[k]!;
    assert.deepEqual(g.shape, r.shape, `${label}: output ${k} shape`);
    let scale = 0;
    let err = 0;
    for (let i = 0; i < r.values.length; i++) {
      scale = Math.max(scale, Math.abs(r.values[i]!));
      const d = Math.abs(r.values[i]! - g.values[i]!);
      err = Number.isNaN(d)
        ? Number.isNaN(r.values[i]!) && Number.isNaN(g.values[i]!)
          ? err
          : Infinity
        : Math.max(err, d);
    }
    assert.ok(err <= tol * Math.max(scale, 1e-6), `${label}: output ${k} max error ${err} vs max |ref| ${scale}`);
  }
}

/** Asserts the listed kernels ran natively at least once and never fell back since the last reset. */
function assertNative(kernels: string[]): void {
  const c = nativeKernelCounts();
  for (const k of kernels) {
    const e = c.get(k);
    assert.ok(e && e.native > 0, `${k} did not run natively`);
    assert.equal(e.fallback, 0, `${k} fell back to the cpu kernel ${e.fallback} time(s)`);
  }
}

describe('native backend', { skip }, () => {
  before(() => {
    assert.ok(registerNativeBackend(), `registerNativeBackend failed: ${nativeLoadError()}`);
  });

  it('matMul / batchMatMul with transposes, odd sizes and batch broadcast', async () => {
    resetNativeKernelCounts();
    const cases: [number[], number[], boolean, boolean][] = [
      [[1, 1], [1, 1], false, false],
      [[7, 5], [5, 3], false, false],
      [[5, 7], [5, 3], true, false],
      [[7, 5], [3, 5], false, true],
      [[5, 7], [3, 5], true, true],
      [[3, 13, 17], [3, 17, 19], false, false],
      [[2, 3, 9, 4], [1, 4, 6], false, false], // b broadcast over the batch
      [[1, 9, 4], [4, 9, 6], true, false],
      [[131, 300], [300, 67], false, false], // several KC blocks, ragged 6×16 tiles, threaded
      [[300, 131], [67, 300], true, true],
      [[64, 4096], [4096, 1], false, false], // critic's last dense layer
      [[4096, 64], [4096, 1], true, false], // its weight gradient: matrix-vector with a transposed A
      [[64, 1], [4096, 1], false, true], // its input gradient: an outer product (K = 1)
      [[1, 9], [1, 13], true, false],
      [[100, 4096], [4096, 700], false, false], // K ≥ 2M: the reduction split over threads
    ];
    for (const [sa, sb, ta, tb] of cases) {
      await compare(`matMul ${sa}×${sb} ${ta} ${tb}`, [{ shape: sa }, { shape: sb }], (a, b) =>
        tf.matMul(a!, b!, ta, tb),
      );
    }
    assertNative(['BatchMatMul']);
  });

  it('fused matMul with bias and activations', async () => {
    resetNativeKernelCounts();
    for (const activation of ['linear', 'relu', 'relu6', 'sigmoid', 'elu', 'leakyrelu'] as const) {
      await compare(
        `fused matMul ${activation}`,
        [{ shape: [9, 20] }, { shape: [20, 11] }, { shape: [11] }],
        (a, b, bias) =>
          tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias: bias!, activation, leakyreluAlpha: 0.3 }),
      );
    }
    assertNative(['_FusedMatMul']);
  });

  it('every micro-kernel this CPU runs (avx512, avx2, portable), on one thread and on all, agrees with the cpu backend', async () => {
    const A = loadNativeAddon()!;
    const threads = A.info().threads;
    const ran: string[] = [];
    try {
      for (const kernel of ['generic', 'avx2', 'avx512']) {
        if (!A.setKernel(kernel)) continue; // this CPU lacks the instructions
        assert.equal(A.info().kernel, kernel);
        ran.push(kernel);
        for (const t of [1, threads]) {
          A.setThreads(t);
          // Ragged against both tile shapes (6×16, 12×32), several KC blocks, transposed operands.
          await compare(`${kernel}/${t}t matMul`, [{ shape: [67, 300] }, { shape: [300, 45] }], (a, b) =>
            tf.matMul(a!, b!),
          );
          await compare(`${kernel}/${t}t matMul tT`, [{ shape: [300, 13] }, { shape: [33, 300] }], (a, b) =>
            tf.matMul(a!, b!, true, true),
          );
          await compare(`${kernel}/${t}t conv`, [{ shape: [2, 9, 7, 5] }, { shape: [3, 3, 5, 18] }], (x, f) =>
            tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'),
          );
        }
      }
    } finally {
      A.setKernel('');
      A.setThreads(threads);
    }
    assert.ok(ran.includes('generic'), 'the portable kernel must always be available');
    assert.equal(A.setKernel('sse9'), false, 'an unknown kernel name is refused');
  });

  it('conv2d forward and both backprops: strides, paddings, odd sizes, 1 and many channels', async () => {
    resetNativeKernelCounts();
    type Case = { x: number[]; f: number[]; s: number | [number, number]; pad: 'same' | 'valid' | number; d?: number };
    const cases: Case[] = [
      { x: [2, 9, 9, 3], f: [3, 3, 3, 5], s: 1, pad: 'same' },
      { x: [3, 11, 7, 1], f: [4, 4, 1, 8], s: 2, pad: 'same' },
      { x: [2, 10, 10, 6], f: [4, 4, 6, 1], s: 2, pad: 'valid' },
      { x: [1, 8, 9, 4], f: [5, 2, 4, 3], s: [2, 1], pad: 'same' },
      { x: [2, 7, 7, 5], f: [3, 3, 5, 4], s: 1, pad: 1 },
      { x: [2, 6, 5, 7], f: [1, 1, 7, 9], s: 1, pad: 'valid' }, // pointwise: no im2col
      { x: [4, 16, 16, 3], f: [4, 4, 3, 16], s: 2, pad: 'same' }, // DCGAN-like first layer
      { x: [8, 32, 32, 3], f: [4, 4, 3, 32], s: 2, pad: 'same' }, // 2048 pixels: filter gradient split over threads by pixels
      { x: [6, 32, 32, 16], f: [4, 4, 16, 8], s: 1, pad: 'same' }, // input gradient in two col2im chunks
      { x: [2, 9, 11, 16], f: [4, 4, 16, 5], s: 2, pad: 'same' }, // 16 channels, odd sizes
      { x: [2, 10, 9, 20], f: [4, 2, 20, 6], s: 2, pad: 'valid' },
      { x: [2, 8, 7, 16], f: [4, 3, 16, 3], s: [2, 1], pad: 'same' },
      { x: [1, 7, 8, 17], f: [3, 3, 17, 4], s: 1, pad: 1 },
      { x: [2, 9, 9, 16], f: [3, 3, 16, 4], s: 2, pad: 'same' },
    ];
    for (const c of cases) {
      const label = `conv ${c.x} ${c.f} s${c.s} ${c.pad}`;
      // y = conv(x, f); L = Σ y·w for a random w, so ∂L/∂x and ∂L/∂f exercise both backprop kernels.
      const ho = tf.backend_util.computeConv2DInfo(
        c.x as [number, number, number, number],
        c.f as [number, number, number, number],
        c.s,
        1,
        c.pad,
      ).outShape;
      await compare(label, [{ shape: c.x }, { shape: c.f }, { shape: ho }], (x, f, w) => {
        const g = tf.grads((xx: tf.Tensor, ff: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, c.s, c.pad), w!)),
        );
        return [tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad), ...g([x!, f!])];
      });
    }
    await compare('conv dilation 2', [{ shape: [2, 9, 9, 3] }, { shape: [3, 3, 3, 4] }], (x, f) =>
      tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same', 'NHWC', 2),
    );
    await compare('conv2dTranspose', [{ shape: [3, 4, 4, 8] }, { shape: [4, 4, 5, 8] }], (x, f) =>
      tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, [3, 8, 8, 5], 2, 'same'),
    );
    assertNative(['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']);
  });

  it('fused conv2d with bias and activation', async () => {
    resetNativeKernelCounts();
    for (const activation of ['linear', 'relu', 'leakyrelu'] as const) {
      await compare(
        `fused conv ${activation}`,
        [{ shape: [2, 8, 8, 3] }, { shape: [3, 3, 3, 6] }, { shape: [6] }],
        (x, f, bias) =>
          tf.fused.conv2d({
            x: x as tf.Tensor4D,
            filter: f as tf.Tensor4D,
            strides: 2,
            pad: 'same',
            bias: bias!,
            activation,
            leakyreluAlpha: 0.2,
          }),
      );
    }
    assertNative(['FusedConv2D']);
  });

  it('second-order gradient: ∂‖∂D/∂x‖²/∂w of a 2-layer conv critic (WGAN-GP penalty)', async () => {
    resetNativeKernelCounts();
    // D(x) = Σ conv(lrelu(conv(x, w1, s2)), w2, s2)·v, leaky-relu as 0.6x + 0.4|x| (twice differentiable).
    await compare(
      'gp grad',
      [{ shape: [3, 8, 8, 2] }, { shape: [3, 3, 2, 4] }, { shape: [3, 3, 4, 3] }, { shape: [3, 2, 2, 3] }],
      (x, w1, w2, v) => {
        const D = (xx: tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Scalar => {
          const h = tf.conv2d(xx as tf.Tensor4D, a as tf.Tensor4D, 2, 'same');
          const l = tf.add(tf.mul(0.6, h), tf.mul(0.4, tf.abs(h)));
          return tf.sum(tf.mul(tf.conv2d(l as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), v!));
        };
        const penalty = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => {
          const gx = tf.grad((xx: tf.Tensor) => D(xx, a, b))(x!);
          return tf.sum(tf.square(gx));
        };
        return tf.grads(penalty)([w1!, w2!]);
      },
    );
    assertNative(['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']);
  });

  it('binary ops with broadcasting', async () => {
    resetNativeKernelCounts();
    const shapes: [number[], number[]][] = [
      [
        [5, 7],
        [5, 7],
      ],
      [[2, 3, 4, 6], [6]],
      [
        [2, 3, 4, 6],
        [1, 1, 1, 6],
      ],
      [
        [2, 3, 4, 6],
        [2, 1, 1, 1],
      ],
      [
        [4, 1, 3],
        [1, 5, 1],
      ],
      [[1], [3, 3]],
      [
        [3, 1],
        [3, 200000],
      ], // few long rows: split within rows
      [
        [70001, 3],
        [70001, 3],
      ], // no broadcast: one long row, split across threads
      [[2, 100001], []], // scalar operand
      [
        [300, 700],
        [300, 1],
      ], // many rows
      [[], [4]],
    ];
    const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, boolean][] = [
      ['add', tf.add, false],
      ['sub', tf.sub, false],
      ['mul', tf.mul, false],
      ['div', tf.div, true],
      ['squaredDifference', tf.squaredDifference, false],
      ['maximum', tf.maximum, false],
      ['minimum', tf.minimum, false],
      ['pow', tf.pow, true],
    ];
    for (const [name, op, positive] of ops) {
      for (const [sa, sb] of shapes) {
        await compare(
          `${name} ${sa} ${sb}`,
          [
            { shape: sa, positive },
            { shape: sb, positive },
          ],
          (a, b) => op(a!, b!),
        );
      }
    }
    assertNative(['Add', 'Sub', 'Multiply', 'RealDiv', 'SquaredDifference', 'Maximum', 'Minimum', 'Pow']);
  });

  it('unary ops', async () => {
    resetNativeKernelCounts();
    const ops: [string, (x: tf.Tensor) => tf.Tensor, boolean][] = [
      ['Abs', tf.abs, false],
      ['Neg', tf.neg, false],
      ['Relu', tf.relu, false],
      ['Relu6', (x) => tf.relu6(tf.mul(x, 5)), false],
      ['LeakyRelu', (x) => tf.leakyRelu(x, 0.2), false],
      ['Sigmoid', tf.sigmoid, false],
      ['Tanh', tf.tanh, false],
      ['Exp', tf.exp, false],
      ['Log', tf.log, true],
      ['Sqrt', tf.sqrt, true],
      ['Rsqrt', tf.rsqrt, true],
      ['Square', tf.square, false],
      ['Sign', tf.sign, false],
      ['Step', (x) => tf.step(x, 0.1), false],
      ['Reciprocal', tf.reciprocal, true],
      ['Elu', tf.elu, false],
      ['Softplus', tf.softplus, false],
      ['Log1p', tf.log1p, true],
    ];
    for (const [name, op, positive] of ops) {
      await compare(name, [{ shape: [3, 70001], positive }], (x) => op(x!));
    }
    assertNative(ops.map(([n]) => n));
  });

  it('tanh (own vectorised exp): relative error ≤ 1e-6 against Math.tanh, incl. tiny, large and special values', async () => {
    await tf.setBackend('native');
    const xs = [
      0,
      -0,
      1e-30,
      -1e-30,
      1e-6,
      0.0499,
      0.05,
      0.0501,
      0.3,
      -0.7,
      1,
      2.5,
      -4,
      8.99,
      9,
      9.01,
      20,
      -20,
      88,
      Infinity,
      -Infinity,
      NaN,
    ];
    const rng = new Rng(5);
    for (let i = 0; i < 5000; i++) xs.push((rng.next() - 0.5) * 24, (rng.next() - 0.5) * 0.2);
    const x = Float32Array.from(xs);
    const t = tf.tensor1d(x);
    const y = tf.tanh(t);
    const got = y.dataSync();
    tf.dispose([t, y]);
    for (let i = 0; i < x.length; i++) {
      const ref = Math.fround(Math.tanh(x[i]!));
      const g = got[i]!;
      if (Number.isNaN(ref)) assert.ok(Number.isNaN(g), `tanh(${x[i]}) = ${g}, want NaN`);
      else if (ref === 0) assert.ok(Object.is(g, ref), `tanh(${x[i]}) = ${g}, want ${ref}`);
      else assert.ok(Math.abs(g - ref) <= 1e-6 * Math.abs(ref), `tanh(${x[i]}) = ${g}, want ${ref}`);
    }
  });

  it('reductions over any axes, transpose, addN, batchNorm', async () => {
    resetNativeKernelCounts();
    const axesCases: (number | number[] | undefined)[] = [undefined, 0, 3, [0, 1, 2], [1, 2, 3], [1, 3], [0, 2], -1];
    for (const axis of axesCases) {
      for (const keepDims of [false, true]) {
        await compare(`reduce ${String(axis)} ${keepDims}`, [{ shape: [6, 5, 4, 7] }], (x) => [
          tf.sum(x!, axis, keepDims),
          tf.mean(x!, axis, keepDims),
          tf.max(x!, axis, keepDims),
          tf.min(x!, axis, keepDims),
        ]);
      }
    }
    await compare('sum large', [{ shape: [64, 16, 16, 32] }], (x) => [
      tf.sum(x!, [0, 1, 2]),
      tf.sum(x!, [1, 2, 3]),
      tf.sum(x!),
      tf.mean(x!),
      tf.max(x!),
      tf.min(x!),
      tf.sum(x!.reshape([2, 262144]), 1),
    ]);
    await compare('tile', [{ shape: [2, 3, 1, 4] }], (x) => [tf.tile(x!, [3, 1, 5, 2]), tf.tile(x!, [1, 1, 1, 1])]);
    await compare('transpose', [{ shape: [3, 4, 5, 6] }], (x) => [
      tf.transpose(x!, [0, 3, 1, 2]),
      tf.transpose(x!, [3, 2, 1, 0]),
      tf.transpose(x!, [0, 1, 3, 2]),
    ]);
    await compare('addN', [{ shape: [5, 9] }, { shape: [5, 9] }, { shape: [5, 9] }], (a, b, c) =>
      tf.addN([a!, b!, c!]),
    );
    await compare(
      'batchNorm',
      [{ shape: [4, 5, 5, 6] }, { shape: [6] }, { shape: [6], positive: true }, { shape: [6] }, { shape: [6] }],
      (x, m, v, o, s) => tf.batchNorm(x!, m!, v!, o!, s!, 1e-3),
    );
    await compare('moments + batchNorm grads', [{ shape: [4, 5, 5, 6] }, { shape: [6] }, { shape: [6] }], (x, g, b) => {
      const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor): tf.Scalar => {
        const { mean, variance } = tf.moments(xx, [0, 1, 2]);
        return tf.sum(tf.tanh(tf.batchNorm(xx, mean, variance, bb, gg, 1e-5)));
      };
      return tf.grads(f)([x!, g!, b!]);
    });
    assertNative(['Sum', 'Mean', 'Max', 'Min', 'Tile', 'Transpose', 'AddN', 'FusedBatchNorm']);
  });

  it('slice, split, unstack, pad, concat and stack move whole runs (box copies) and match the cpu kernels, gradients included', async () => {
    resetNativeKernelCounts();
    await compare('slice', [{ shape: [4, 7, 6, 5] }], (x) => [
      tf.slice(x!, [1, 2, 0, 0], [2, 3, 6, 5]),
      tf.slice(x!, [0, 1, 1, 0], [-1, 5, 4, 5]),
      tf.slice(x!, [3, 6, 5, 4], [1, 1, 1, 1]),
      tf.slice(x!, [0, 0, 0, 2], [4, 7, 6, 2]),
      tf.slice(x!, [2, 0, 0, 0], [0, 7, 6, 5]),
      tf.slice(x!.reshape([168, 5]), [10, 1], [100, 3]),
      tf.slice(x!.reshape([840]), [17], [400]),
    ]);
    await compare('split', [{ shape: [3, 8, 5, 6] }], (x) => [
      ...tf.split(x!, 2, 1),
      ...tf.split(x!, [1, 2, 3], -1),
      ...tf.split(x!, [3, -1], 1),
      ...tf.split(x!, 3, 0),
    ]);
    await compare('unstack', [{ shape: [3, 4, 5, 2] }], (x) => [
      ...tf.unstack(x!, 0),
      ...tf.unstack(x!, 2),
      ...tf.unstack(x!, -1),
    ]);
    await compare('pad', [{ shape: [2, 5, 4, 3] }], (x) => [
      tf.pad(x!, [
        [0, 0],
        [1, 1],
        [2, 0],
        [0, 0],
      ]),
      tf.pad(
        x!,
        [
          [1, 2],
          [0, 0],
          [0, 3],
          [1, 1],
        ],
        0.5,
      ),
    ]);
    await compare('concat and stack', [{ shape: [2, 3, 4] }, { shape: [2, 3, 4] }, { shape: [2, 3, 1] }], (a, b, c) => [
      tf.concat([a!, b!, c!], 2),
      tf.concat([a!, b!], 0),
      tf.concat([a!, b!], -2),
      tf.concat([a!.reshape([24]), c!.reshape([6])]),
      tf.stack([a!, b!], 0),
      tf.stack([a!, b!, a!], 3),
      tf.stack([a!, b!], 1),
    ]);
    await compare('scalars and vectors', [{ shape: [] }, { shape: [] }, { shape: [5] }], (a, b, v) => [
      tf.stack([a!, b!]),
      ...tf.unstack(v!),
      tf.pad(v!, [[2, 1]]),
      tf.slice(v!, [1], [3]),
    ]);
    // The sub-pixel convolution's pattern (refine.ts): shifted views of a padded input, concatenated.
    await compare('views and their gradient', [{ shape: [3, 6, 6, 4] }, { shape: [3, 6, 6, 16] }], (x, w) =>
      tf.grad((xx: tf.Tensor) => {
        const p = tf.pad(xx, [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ]);
        const v = [0, 1, 2, 1].map((d, i) => tf.slice(p, [0, d, [1, 0, 2, 1][i]!, 0], [3, 6, 6, 4]));
        return tf.sum(tf.mul(tf.concat(v, 3), w!));
      })(x!),
    );
    assertNative(['Slice', 'SplitV', 'Unpack', 'PadV2', 'Concat', 'Pack']);
  });

  it('recycles output arrays of disposed tensors, but never ones a user or a cpu kernel may still see', async () => {
    await tf.setBackend('native');
    const be = tf.backend() as NativeBackend;
    const before = tf.memory().numTensors;
    const x = tf.tensor1d([1, 2, 3, 4, 5, 6]);
    const a = tf.mul(x, 2); // native output
    const read = a.dataSync(); // escapes: the user holds it
    const b = tf.add(x, 1);
    const view = tf.slice(b, [1], [3]); // cpu Slice may return a view of b's array
    a.dispose();
    b.dispose();
    // New outputs of the same length must not reuse a's or b's arrays.
    const c = tf.mul(x, -7);
    const d = tf.sub(x, 100);
    assert.deepEqual(Array.from(read), [2, 4, 6, 8, 10, 12]);
    assert.deepEqual(Array.from(view.dataSync()), [3, 4, 5]);
    // A plain intermediate is recycled: disposing it grows the pool, the next same-size op takes it.
    const e = tf.mul(x, 3);
    const pooled = be.pooledBytes();
    e.dispose();
    assert.ok(be.pooledBytes() > pooled, 'disposed native output was not pooled');
    const f = tf.mul(x, 4);
    assert.deepEqual(Array.from(f.dataSync()), [4, 8, 12, 16, 20, 24]);
    assert.deepEqual(Array.from(c.dataSync()), [-7, -14, -21, -28, -35, -42]);
    assert.deepEqual(Array.from(d.dataSync()), [-99, -98, -97, -96, -95, -94]);
    tf.dispose([x, view, c, d, f]);
    assert.equal(tf.memory().numTensors, before);
  });

  it('tracks recyclable arrays only while a tensor holds them (disposed, read, or dropped by a falling-back kernel)', async () => {
    await tf.setBackend('native');
    const be = tf.backend() as NativeBackend;
    const x = tf.randomNormal([2, 6, 6, 3]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
    // A bias that does not broadcast over the last dim: FusedConv2D allocates its output, then hands
    // the call to the cpu kernel — that array must not stay tracked.
    const oddBias = tf.randomNormal([2, 6, 6, 4]);
    const tracked = be.trackedArrays();
    resetNativeKernelCounts();
    for (let i = 0; i < 50; i++)
      tf.tidy(() => {
        const y = tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', bias: oddBias, activation: 'relu' });
        const z = tf.add(tf.mul(y, 2), tf.sum(y, [1, 2], true));
        tf.grad((t: tf.Tensor) => tf.sum(tf.mul(t, t)))(z).dataSync();
      });
    assert.ok((nativeKernelCounts().get('FusedConv2D')?.fallback ?? 0) > 0, 'the fallback path did not run');
    assert.ok((nativeKernelCounts().get('Multiply')?.native ?? 0) > 0, 'Multiply did not run natively');
    assert.equal(be.trackedArrays(), tracked, 'arrays of disposed tensors are still tracked');
    // Live outputs are tracked (and so recycled when disposed).
    const live = tf.mul(x, 3);
    assert.equal(be.trackedArrays(), tracked + 1);
    live.dispose();
    assert.equal(be.trackedArrays(), tracked);
    tf.dispose([x, w, oddBias]);
  });

  it('reuses its Int32 parameter arrays safely: back-to-back ops of different ranks and broadcasts', async () => {
    // Every shape/parameter array goes through one reused off-heap buffer (native.ts i32): ops of
    // different ranks and argument counts in a row must each see their own values.
    await compare(
      'mixed ranks',
      [{ shape: [2, 3, 4, 5] }, { shape: [4, 1] }, { shape: [5] }, { shape: [3, 5, 4] }],
      (a, b, c, d) => {
        const p = tf.add(a!, b!);
        const q = tf.mul(p, c!);
        const r = tf.sum(q, [0, 2]);
        const s = tf.transpose(q, [3, 1, 0, 2]);
        const t = tf.matMul(d!, tf.transpose(d!, [0, 2, 1]));
        const u = tf.tile(c!, [3]);
        return [p, q, r, s, t, u, tf.sub(u, tf.reshape(tf.tile(c!, [3]), [15]))];
      },
    );
    assertNative(['Add', 'Multiply', 'Sum', 'Transpose', 'BatchMatMul', 'Tile', 'Sub']);
  });

  it('packed weights: a filter reused as B gives the same bytes cached as packed per call; a recycled array never meets an old packing', async () => {
    await tf.setBackend('native');
    const A = loadNativeAddon()!;
    const be = tf.backend() as NativeBackend;
    const bytes0 = A.packedBytes();
    const x = tf.randomNormal([1, 8, 8, 16], 0, 1, 'float32', 3) as tf.Tensor4D;
    const dy = tf.randomNormal([1, 4, 4, 32], 0, 1, 'float32', 4) as tf.Tensor4D;
    const w = tf.randomNormal([4, 4, 16, 32], 0, 1, 'float32', 5);
    const d = tf.randomNormal([3, 40], 0, 1, 'float32', 6) as tf.Tensor2D;
    const run = (f: tf.Tensor, dense: tf.Tensor) =>
      tf.tidy(() => [
        tf.conv2d(x, f as tf.Tensor4D, 2, 'same'), // B = the filter
        tf.conv2dTranspose(dy, f as tf.Tensor4D, [1, 8, 8, 16], 2, 'same'), // B = its transpose
        tf.matMul(d, dense), // a dense layer's weights
        tf.matMul(tf.ones([3, 24]), dense, false, true),
      ]);
    // Weights made by a native op, so their arrays come from (and go back to) the output pool.
    const f1 = tf.mul(w, 1.5);
    const k1 = tf.mul(tf.randomNormal([40, 24], 0, 1, 'float32', 7), 2);
    const once = run(f1, k1); // packed per call (first use)
    const first = once.map((t) => t.dataSync().slice());
    tf.dispose(once);
    for (let i = 0; i < 3; i++) {
      const again = run(f1, k1);
      for (const [j, t] of again.entries())
        assert.deepEqual(t.dataSync(), first[j], `output ${j}, call ${i + 2}: not bit-identical`);
      tf.dispose(again);
    }
    assert.ok(A.packedBytes() > bytes0, 'nothing was cached');
    // Dispose the weights: their packing goes, their arrays go to the pool; new weights of the same
    // size take those arrays (same addresses, new contents) and must not see the old packing.
    const a1 = (be as unknown as { data: { get(id: object): { values: Float32Array } } }).data.get(f1.dataId).values;
    tf.dispose([f1, k1]);
    assert.equal(A.packedBytes(), bytes0, 'disposed weights kept their packing');
    const f2 = tf.mul(w, -0.5);
    const k2 = tf.mul(tf.randomNormal([40, 24], 0, 1, 'float32', 8), 2);
    const a2 = (be as unknown as { data: { get(id: object): { values: Float32Array } } }).data.get(f2.dataId).values;
    assert.equal(a2, a1, 'the test needs the recycled array (same address) for the second filter');
    for (let i = 0; i < 3; i++) tf.dispose(run(f2, k2));
    const got = run(f2, k2);
    const want = await (async () => {
      const fv = f2.dataSync().slice();
      const kv = k2.dataSync().slice();
      await tf.setBackend('cpu');
      const r = run(tf.tensor(fv, f2.shape), tf.tensor(kv, k2.shape)).map((t) => t.dataSync().slice());
      await tf.setBackend('native');
      return r;
    })();
    for (const [j, t] of got.entries()) {
      const g = t.dataSync();
      let err = 0,
        scale = 0;
      for (let i = 0; i < g.length; i++) {
        err = Math.max(err, Math.abs(g[i]! - want[j]![i]!));
        scale = Math.max(scale, Math.abs(want[j]![i]!));
      }
      assert.ok(err <= TOL * scale, `output ${j} after recycling: error ${err} vs scale ${scale}`);
    }
    tf.dispose([...got, f2, k2, x, dy, w, d]);
    assert.equal(A.packedBytes(), bytes0);
  });

  it('empty and degenerate shapes', async () => {
    await compare('empty binary', [{ shape: [0, 3] }, { shape: [3] }], (a, b) => tf.add(a!, b!));
    await compare('empty reduce', [{ shape: [0, 3] }], (x) => [tf.sum(x!, 0), tf.max(x!, 1)]);
    await compare('empty matmul K', [{ shape: [3, 0] }, { shape: [0, 4] }], (a, b) => tf.matMul(a!, b!));
    await compare('conv batch 0 grads', [{ shape: [0, 5, 5, 2] }, { shape: [3, 3, 2, 4] }], (x, f) =>
      tf.grads((xx: tf.Tensor, ff: tf.Tensor) => tf.sum(tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, 1, 'same')))([
        x!,
        f!,
      ]),
    );
  });

  it('direct small-channel convolutions (AVX-512, AVX2): forward and input gradient bit-identical to the GEMM paths, filter gradient within rounding and the same for any thread count', () => {
    const A = loadNativeAddon()!;
    const threads = A.info().threads;
    // [n, h, w, ci, kh, kw, co, stride, same?]: the 64-px critic's first layer, ragged tiles and odd
    // channel counts, grey input, stride 1, 'valid', more output channels than a GEMM K block (256).
    const cases = [
      [4, 64, 64, 3, 4, 4, 32, 2, true],
      [3, 33, 31, 3, 4, 4, 40, 2, true],
      [2, 16, 16, 1, 4, 4, 8, 2, true],
      [2, 9, 9, 4, 3, 3, 20, 1, true],
      [2, 10, 10, 3, 4, 4, 7, 2, false],
      [2, 8, 8, 3, 4, 4, 300, 2, true],
      [1, 32, 32, 3, 4, 4, 64, 2, true],
      [2, 7, 5, 2, 5, 3, 17, 2, true],
    ] as const;
    const was = A.smallConv();
    const ran: string[] = [];
    try {
      for (const kernel of ['avx512', 'avx2', 'generic']) {
        if (!A.setKernel(kernel)) continue; // this CPU lacks the instructions
        ran.push(kernel);
        let gemmDiffered = false;
        for (const [n, h, w, ci, kh, kw, co, s, same] of cases) {
          const ho = same ? Math.ceil(h / s) : Math.floor((h - kh) / s) + 1,
            wo = same ? Math.ceil(w / s) : Math.floor((w - kw) / s) + 1;
          const pt = same ? Math.floor(Math.max((ho - 1) * s + kh - h, 0) / 2) : 0,
            pl = same ? Math.floor(Math.max((wo - 1) * s + kw - w, 0) / 2) : 0;
          const P = Int32Array.from([n, h, w, ci, kh, kw, co, ho, wo, s, s, pt, pl, 1, 1]);
          const x = rand(n * h * w * ci, 1),
            f = rand(kh * kw * ci * co, 2),
            dy = rand(n * ho * wo * co, 3);
          const run = (small: boolean, t: number) => {
            A.smallConv(small);
            A.setThreads(t);
            const y = new Float32Array(n * ho * wo * co),
              dx = new Float32Array(n * h * w * ci),
              df = new Float32Array(kh * kw * ci * co);
            A.conv2d(x, f, y, P);
            A.conv2dBackpropInput(dy, f, dx, P);
            A.conv2dBackpropFilter(x, dy, df, P);
            return { y, dx, df };
          };
          const label = `${kernel} [${n},${h},${w},${ci}] ${kh}×${kw}→${co} s${s}`;
          const gemm = run(false, threads),
            direct = run(true, threads),
            one = run(true, 1);
          assert.deepEqual(direct.y, gemm.y, `${label}: forward`);
          assert.deepEqual(direct.dx, gemm.dx, `${label}: input gradient`);
          // (The GEMM path's filter gradient splits K across the threads: only the direct one is the same for any count.)
          if (kernel !== 'generic')
            assert.deepEqual(one.df, direct.df, `${label}: filter gradient, 1 vs ${threads} threads`);
          let worst = 0;
          for (let i = 0; i < gemm.df.length; i++) {
            worst = Math.max(worst, Math.abs(direct.df[i]! - gemm.df[i]!) / (1 + Math.abs(gemm.df[i]!)));
            if (direct.df[i] !== gemm.df[i]) gemmDiffered = true;
          }
          // Sums of up to 4·32·32 = 16,384 products: float32 rounding of either order is ≈ 1e-5 relative.
          assert.ok(worst < 1e-4, `${label}: filter gradient differs from the GEMM's by ${worst} (relative)`);
        }
        // The direct filter gradient sums in another order than the GEMM: on a large layer some sums
        // round differently, which shows the direct kernels ran (with the AVX-512 and AVX2 kernels; the
        // portable one keeps the GEMM paths).
        assert.equal(gemmDiffered, kernel !== 'generic', `${kernel}: direct kernels ran: ${gemmDiffered}`);
      }
      assert.ok(ran.includes('generic'));
    } finally {
      A.smallConv(was);
      A.setThreads(threads);
      A.setKernel('');
    }
  });

  it("GEMM filter gradient (im2col panels packed straight from x) against a float64 reference, on every micro-kernel's panel height", () => {
    const A = loadNativeAddon()!;
    const threads = A.info().threads;
    // [n, h, w, ci, kh, kw, co, stride, pad top, pad left]: channel counts ≥ both panel heights (12, 6)
    // so whole panels are single runs (the fixed-size copy), runs across a kernel row's end, the
    // image's edges on every side, a last panel shorter than the height (k·k·ci not a multiple), and
    // output rows split across K blocks (ho·wo·n not a multiple of the block).
    const cases = [
      [2, 8, 8, 32, 4, 4, 9, 2, 1, 1],
      [3, 9, 7, 13, 3, 3, 5, 1, 1, 1],
      [1, 12, 10, 24, 4, 3, 4, 2, 2, 0],
      [5, 11, 13, 7, 2, 2, 3, 1, 0, 0],
    ] as const;
    const was = A.smallConv();
    const ran: string[] = [];
    try {
      A.smallConv(false);
      for (const kernel of ['avx512', 'avx2', 'generic']) {
        if (!A.setKernel(kernel)) continue;
        ran.push(kernel);
        for (const [n, h, w, ci, kh, kw, co, s, pt, pl] of cases) {
          const ho = Math.floor((h + 2 * pt - kh) / s) + 1,
            wo = Math.floor((w + 2 * pl - kw) / s) + 1;
          const P = Int32Array.from([n, h, w, ci, kh, kw, co, ho, wo, s, s, pt, pl, 1, 1]);
          const x = rand(n * h * w * ci, 4),
            dy = rand(n * ho * wo * co, 5);
          // df[ky, kx, c, o] = Σ_{b, oy, ox} x[b, oy·s − pt + ky, ox·s − pl + kx, c] · dy[b, oy, ox, o]
          const ref = new Float64Array(kh * kw * ci * co);
          for (let b = 0; b < n; b++)
            for (let oy = 0; oy < ho; oy++)
              for (let ox = 0; ox < wo; ox++)
                for (let ky = 0; ky < kh; ky++)
                  for (let kx = 0; kx < kw; kx++) {
                    const iy = oy * s - pt + ky,
                      ix = ox * s - pl + kx;
                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                    for (let c = 0; c < ci; c++) {
                      const xv = x[((b * h + iy) * w + ix) * ci + c]!;
                      for (let o = 0; o < co; o++)
                        ref[((ky * kw + kx) * ci + c) * co + o]! += xv * dy[((b * ho + oy) * wo + ox) * co + o]!;
                    }
                  }
          for (const t of [1, threads]) {
            A.setThreads(t);
            const df = new Float32Array(ref.length);
            A.conv2dBackpropFilter(x, dy, df, P);
            let worst = 0;
            for (let i = 0; i < df.length; i++) worst = Math.max(worst, Math.abs(df[i]! - ref[i]!));
            assert.ok(
              worst < 1e-4,
              `${kernel} [${n},${h},${w},${ci}] ${kh}×${kw}→${co} s${s}, ${t} thread(s): off by ${worst}`,
            );
          }
        }
      }
      assert.ok(ran.includes('generic'));
    } finally {
      A.smallConv(was);
      A.setThreads(threads);
      A.setKernel('');
    }
  });

  it('rejects arrays that are too small instead of reading out of bounds', () => {
    const A = loadNativeAddon()!;
    const a = new Float32Array(4);
    assert.throws(() => A.gemm(a, a, a, Int32Array.from([1, 3, 3, 3, 0, 0, 0, 0, 0])), /too small/);
    assert.throws(() => A.conv2d(a, a, a, Int32Array.from([1, 4, 4, 1, 3, 3, 1, 4, 4, 1, 1, 1, 1, 1, 1])), /too small/);
    assert.throws(() => A.unary(99, a, a, 0), /unknown op/);
    const p = (r: number, ...xs: number[]) => Int32Array.from([r, ...xs]);
    A.copyBox(a, a, p(1, 4, 0, 4, 0, 4));
    assert.throws(() => A.copyBox(a, a, p(1, 4, 1, 4, 0, 4)), /copyBox: the box is outside an array/);
    assert.throws(() => A.copyBox(a, a, p(1, 8, 0, 4, 0, 4)), /copyBox: arrays too small/);
    assert.throws(() => A.copyBox(a, a, p(2, 4, 0)), /copyBox: \[r, 5·r ints\] expected/);
    // The layer norm's four entry points share one argument check: rows hold N·F values, gamma/beta F.
    const nf = Int32Array.from([2, 3]);
    const rows = new Float32Array(6),
      feats = new Float32Array(3);
    A.layerNorm(rows, feats, feats, rows, nf, 1e-5);
    assert.throws(() => A.layerNorm(rows, feats, feats, a, nf, 1e-5), /layerNorm: arrays too small/);
    assert.throws(
      () => A.layerNormGradX(rows, new Float32Array(2), rows, rows, nf, 1e-5),
      /layerNormGradX: arrays too small/,
    );
    assert.throws(() => A.layerNormGradGamma(rows, a, feats, nf, 1e-5), /layerNormGradGamma: arrays too small/);
    // The second order's outputs may be empty (not computed), but not too small; its inputs may not be empty.
    const none = new Float32Array(0);
    A.layerNormGradXGrad(rows, feats, rows, rows, none, none, feats, nf, 1e-5);
    A.layerNormGradXGrad(rows, feats, rows, rows, rows, none, none, nf, 1e-5);
    assert.throws(
      () => A.layerNormGradXGrad(rows, feats, rows, rows, a, none, none, nf, 1e-5),
      /layerNormGradXGrad: arrays too small/,
    );
    assert.throws(
      () => A.layerNormGradXGrad(rows, feats, rows, none, rows, none, none, nf, 1e-5),
      /layerNormGradXGrad: arrays too small/,
    );
    assert.throws(() => A.layerNorm(rows, feats, feats, rows, Int32Array.from([2]), 1e-5), /shape \[N, F\] expected/);
    assert.throws(() => A.layerNorm(rows, feats, feats, rows, nf, undefined as unknown as number), /must be a number/);
  });
});
