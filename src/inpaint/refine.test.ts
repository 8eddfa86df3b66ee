import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { sample } from '../models/sample.js';
import { makeMask } from '../masks/masks.js';
import { latentSearch } from './search.js';
import { convTPerImage, criticFeatures, phaseMatrices, refineFill, splitGenerator } from './refine.js';
import { composite } from './composite.js';
import { resolveInpaintOptions } from './options.js';
import { holeRegions, psnr } from '../metrics/pixel.js';
import { imageAt, stackImages } from '../types.js';
import { UserError } from '../util/errors.js';
import { expressiveTinyGan, testBackend } from '../testing/fixtures.js';

await testBackend();
const model = expressiveTinyGan(1);
const { generator: G } = model;
const center = makeMask('center', 28, 28);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Targets G cannot reach by z alone: samples of G′, the same generator with its output kernel
 * perturbed by 40 %. Adapting the output layer per image (generator mode, depth 1) can reach them, and
 * because a kernel is shared across positions, what it learns from the context carries into the hole.
 */
const targets = (() => {
  const g2 = expressiveTinyGan(1).generator;
  const k = g2.layers.at(-2)!.getWeights();
  const noisy = tf.tidy(() => tf.mul(k[0]!, tf.add(1, tf.mul(0.4, tf.randomNormal(k[0]!.shape, 0, 1, 'float32', 7)))));
  g2.layers.at(-2)!.setWeights([noisy, ...k.slice(1)]);
  noisy.dispose();
  const t = sample(g2, 4, 11);
  g2.dispose();
  return t;
})();

const weightsOf = (m: tf.LayersModel) =>
  m.getWeights().map((w) => Buffer.from((w.dataSync() as Float32Array).buffer).toString('base64'));

test('splitGenerator: depth counts hidden blocks from the output; out of range is one line', () => {
  const one = splitGenerator(G, 1),
    two = splitGenerator(G, 2);
  assert.equal(one.back.map((l) => l.getClassName()).join(','), 'Conv2DTranspose,Activation');
  assert.equal(two.back.length, one.back.length + 3);
  assert.equal(one.front.length + one.back.length, G.layers.length);
  assert.throws(
    () => splitGenerator(G, 3),
    (e: Error) => e instanceof UserError && /depth must be an integer in \[1, 2\]/.test(e.message),
  );
});

test('refine with 0 iterations is the z search exactly (the split generator and its convolutions compute G)', async () => {
  const z = await latentSearch(model, targets, center, { iters: 5, restarts: 1, init: 'random' });
  for (const refine of ['features', 'generator', 'modulation'] as const) {
    for (const refineDepth of [1, 2]) {
      const r = await latentSearch(model, targets, center, {
        iters: 5,
        restarts: 1,
        init: 'random',
        refine,
        refineDepth,
        refineIters: 0,
      });
      let d = 0;
      for (let j = 0; j < r.raw.data.length; j++) d = Math.max(d, Math.abs(r.raw.data[j]! - z.raw.data[j]!));
      assert.ok(d < 1e-5, `${refine} depth ${refineDepth}: differs from G(ẑ) by ${d}`);
    }
  }
});

test('refinement lowers the contextual loss below the z search at equal steps; generator mode reaches into the hole', async () => {
  const base = { restarts: 1, init: 'random' as const, lr: 0.05 };
  const zOnly = await latentSearch(model, targets, center, { ...base, iters: 120 });
  const masks = [center, center, center, center];
  const hole = (raw: typeof targets) => psnr(composite(targets, raw, masks), targets, holeRegions(masks));
  for (const refine of ['features', 'generator', 'modulation'] as const) {
    const r = await latentSearch(model, targets, center, {
      ...base,
      iters: 60,
      refine,
      refineIters: 60,
      refineDeviation: 0,
    });
    const cz = mean(zOnly.losses.map((l) => l.contextual)),
      cr = mean(r.losses.map((l) => l.contextual));
    // modulation is a restricted form of generator mode (channel scales only): it fits less, but still below z alone.
    assert.ok(
      cr < (refine === 'modulation' ? 0.95 : 0.8) * cz,
      `${refine}: contextual ${cz.toFixed(2)} (z, 120 steps) → ${cr.toFixed(2)} (60 z + 60 refine)`,
    );
    for (const l of r.losses) assert.ok(Math.abs(l.total - (l.contextual + 0.03 * l.prior)) < 1e-3);
    if (refine === 'generator') {
      const pz = mean(hole(zOnly.raw)),
        pr = mean(hole(r.raw));
      assert.ok(pr > pz + 1, `generator: hole PSNR ${pz.toFixed(2)} → ${pr.toFixed(2)} dB`);
    }
  }
});

test('an image refines the same alone as inside a batch; the shared model is unchanged; no tensor leaks', async () => {
  const masks = [
    makeMask('center', 28, 28),
    makeMask('left', 28, 28),
    makeMask('random', 28, 28, { seed: 3 }),
    makeMask('top', 28, 28),
  ];
  const before = weightsOf(G),
    beforeD = weightsOf(model.critic);
  for (const refine of ['features', 'generator', 'modulation'] as const) {
    // With the critic-feature term on: it too must be per image.
    const opts = {
      iters: 5,
      restarts: 1,
      init: 'random' as const,
      refine,
      refineIters: 12,
      refineDepth: 2,
      refineFeatures: 1,
    };
    await latentSearch(model, imageAt(targets, 0), masks[0]!, opts); // warm-up (lasting caches inside TF.js)
    const n0 = tf.memory().numTensors;
    const batch = await latentSearch(model, targets, masks, opts);
    assert.equal(tf.memory().numTensors, n0, `${refine}: tensor leak`);
    const alone = await latentSearch(model, imageAt(targets, 2), masks[2]!, opts);
    const s = 28 * 28;
    let d = 0;
    for (let j = 0; j < s; j++) d = Math.max(d, Math.abs(alone.raw.data[j]! - batch.raw.data[2 * s + j]!));
    assert.ok(d < 1e-5, `${refine}: alone vs batch differ by ${d}`);
    assert.ok(
      batch.refined?.drift.every((x) => x > 0),
      `${refine}: every image moved`,
    );
  }
  assert.deepEqual(weightsOf(G), before, 'the generator is byte-identical after refinement');
  assert.deepEqual(weightsOf(model.critic), beforeD, 'the critic is byte-identical after refinement');
});

test('progress counts the refinement after the search: one bar to iters + refineIters, its losses and previews, its last fill', async () => {
  const seen: { iter: number; iters: number; contextual: number; raw: boolean }[] = [];
  let last: Float32Array | null = null;
  const r = await latentSearch(
    model,
    targets,
    center,
    {
      iters: 6,
      restarts: 1,
      init: 'random',
      refine: 'generator',
      refineIters: 25,
      refineDeviation: 0,
      progressEvery: 10,
    },
    {
      onProgress: (p) => {
        seen.push({ iter: p.iter, iters: p.iters, contextual: p.contextual, raw: !!p.raw });
        if (p.raw) last = p.raw.data;
      },
    },
  );
  assert.ok(
    seen.every((p) => p.iters === 31),
    `iters reported: ${[...new Set(seen.map((p) => p.iters))]}`,
  );
  const refining = seen.filter((p) => p.iter > 6);
  // Every 10 refinement iterations and at its last: 6 + 10, 6 + 20, 6 + 25.
  assert.deepEqual(
    refining.map((p) => p.iter),
    [16, 26, 31],
  );
  assert.deepEqual(
    seen.map((p) => p.iter),
    [...seen.map((p) => p.iter)].sort((a, b) => a - b),
    'iterations never go back',
  );
  // Previews on the search's schedule (multiples of 10, counted over the job) and at the end.
  assert.deepEqual(
    refining.filter((p) => p.raw).map((p) => p.iter),
    [31],
  );
  assert.ok(refining.every((p) => Number.isFinite(p.contextual) && p.contextual > 0));
  // The refinement lowers the contextual loss the bar shows (no deviation penalty here).
  assert.ok(refining.at(-1)!.contextual < seen.find((p) => p.iter === 6)!.contextual);
  // The last preview is the fill before the last update: close to, not necessarily equal to, the result.
  assert.ok(last !== null);
  let d = 0;
  for (let j = 0; j < r.raw.data.length; j++) d = Math.max(d, Math.abs(r.raw.data[j]! - last![j]!));
  assert.ok(d < 0.2, `last preview vs result: max |Δ| ${d}`);
});

test('the deviation penalty bounds the drift', async () => {
  for (const refine of ['features', 'generator', 'modulation'] as const) {
    const drift = async (refineDeviation: number) => {
      const r = await latentSearch(model, targets, center, {
        iters: 10,
        restarts: 1,
        init: 'random',
        refine,
        refineIters: 40,
        refineDeviation,
      });
      return mean(r.refined!.drift);
    };
    const free = await drift(0),
      held = await drift(refine === 'generator' ? 1e5 : 100);
    assert.ok(held < 0.25 * free, `${refine}: drift ${free} (β 0) → ${held} (large β)`);
  }
});

test('a non-finite loss stops that image only; it keeps its unrefined fill', async () => {
  const ims = stackImages([imageAt(targets, 0), imageAt(targets, 1)]);
  const nz = G.inputs[0]!.shape[1] as number;
  const z = new Float32Array(2 * nz).fill(0.1);
  z[nz + 3] = NaN; // image 1's G(ẑ) is NaN: its loss is NaN from the start
  const o = { ...resolveInpaintOptions({ refine: 'features' }), refineLr: 0.01, refineDeviation: 0.1, refineIters: 10 };
  const r = await refineFill(G, model.critic, ims, [center, center], z, o);
  assert.equal(r.errors[0], null);
  assert.match(r.errors[1]!, /refinement's loss became NaN/);
  assert.ok(Number.isFinite(r.losses[0]!.contextual) && r.drift[0]! > 0);
  assert.ok(r.raw.data.subarray(0, 784).every(Number.isFinite));
});

test('a progress callback that throws mid-refinement stops the job without leaking tensors', async () => {
  for (const refine of ['features', 'generator', 'modulation'] as const) {
    const n0 = tf.memory().numTensors;
    await assert.rejects(
      latentSearch(
        model,
        targets,
        center,
        { iters: 2, restarts: 1, init: 'random', refine, refineIters: 30, progressEvery: 10 },
        {
          onProgress: (p) => {
            if (p.iter > 12) throw new Error('listener failed');
          },
        },
      ),
      /listener failed/,
    );
    assert.equal(tf.memory().numTensors, n0, `${refine}: tensor leak after a throwing callback`);
  }
});

test('the sub-pixel transposed convolution with a kernel per image equals tf.conv2dTranspose image by image', () => {
  const [n, h, w, cin, cout] = [3, 5, 4, 6, 7];
  const x = tf.randomNormal([n, h, w, cin], 0, 1, 'float32', 1) as tf.Tensor4D;
  const ks = Array.from(
    { length: n },
    (_, i) => tf.randomNormal([4, 4, cout, cin], 0, 1, 'float32', 10 + i) as tf.Tensor4D,
  );
  const bias = tf.randomNormal([n, 1, 1, cout], 0, 1, 'float32', 20) as tf.Tensor4D;
  const phases = [0, 1, 2, 3].map((p) => tf.stack(ks.map((k) => phaseMatrices(k)[p]!)) as tf.Tensor3D);
  const y = convTPerImage(x, phases, bias);
  assert.deepEqual(y.shape, [n, 2 * h, 2 * w, cout]);
  for (let i = 0; i < n; i++) {
    const xi = tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
    const ref = tf.add(
      tf.conv2dTranspose(xi, ks[i]!, [1, 2 * h, 2 * w, cout], 2, 'same'),
      tf.slice(bias, [i, 0, 0, 0], [1, -1, -1, -1]),
    );
    const d = tf.max(tf.abs(tf.sub(ref, tf.slice(y, [i, 0, 0, 0], [1, -1, -1, -1])))).dataSync()[0]!;
    assert.ok(d < 1e-4, `image ${i}: differs from conv2dTranspose by ${d}`);
  }
});

test("critic-feature matching (γ > 0) pulls the known pixels' critic features toward the target's", async () => {
  const masks = [center, center, center, center];
  const M = tf.tensor4d(
    masks.flatMap((m) => [...m.data]),
    [4, 28, 28, 1],
  );
  // Σ_l mean |φ_l(M⊙G) − φ_l(M⊙y)| per image, as refine.ts defines it.
  const distance = (raw: typeof targets) =>
    tf.tidy(() => {
      const to11 = (b: typeof targets) => tf.sub(tf.mul(tf.tensor4d(b.data, [4, 28, 28, 1]), 2), 1);
      const fg = criticFeatures(model.critic, tf.mul(to11(raw), M));
      const fy = criticFeatures(model.critic, tf.mul(to11(targets), M));
      return tf.addN(fg.map((f, l) => tf.mean(tf.abs(tf.sub(f, fy[l]!)), [1, 2, 3]))).arraySync() as number[];
    });
  const base = {
    iters: 20,
    restarts: 1,
    init: 'random' as const,
    refine: 'generator' as const,
    refineIters: 40,
    refineLr: 0.005,
  };
  const off = await latentSearch(model, targets, center, { ...base, refineDeviation: 0 });
  const on = await latentSearch(model, targets, center, { ...base, refineDeviation: 0, refineFeatures: 1e4 });
  const dOff = mean(distance(off.raw)),
    dOn = mean(distance(on.raw));
  assert.ok(dOn < 0.9 * dOff, `feature distance ${dOff.toFixed(4)} (γ = 0) → ${dOn.toFixed(4)} (γ = 1e4)`);
  M.dispose();
});
