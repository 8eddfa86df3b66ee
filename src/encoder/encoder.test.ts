import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildEncoder, encode, encoderShape, encoderInput } from './model.js';
import { encoderLosses } from './losses.js';
import { makeEncoderTrainer, encoderStep } from './step.js';
import { trainingMask, TRAINING_MASK_KINDS } from './masks.js';
import { generatorDigest } from './manifest.js';
import { saveEncoder, loadEncoder, resolveEncoderDir } from './checkpoint.js';
import { encoderStart, chooseInit } from './init.js';
import { importanceWeights } from '../inpaint/weights.js';
import { inpaint } from '../inpaint/inpaint.js';
import { resolveInpaintOptions } from '../inpaint/options.js';
import { makeMask, MASK_KINDS, holeFraction } from '../masks/masks.js';
import { sample } from '../models/sample.js';
import { fillBatch } from '../data/dataset.js';
import { getMetric, meanFinite } from '../metrics/index.js';
import { imageAt } from '../types.js';
import { Rng } from '../util/rng.js';
import { UserError } from '../util/errors.js';
import { E2E_BACKENDS, useBackend, testBackend, expressiveTinyGan, samplesDataset } from '../testing/fixtures.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-enc-'));
const spec = { size: 28 as const, channels: 1 as const, nz: 8, width: 4, seed: 0 };
const W = { recon: 1, context: 1, hole: 0, latent: 1, adv: 0 };
const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('encoderLosses: every part and the weighted total by hand', () => {
  // Images 1×2 px, 1 channel; G reshapes z [B, 2] to an image, so every number is checkable.
  const r = tf.tidy(() => {
    const l = encoderLosses({
      generate: (z) => tf.reshape(z, [z.shape[0], 1, 2, 1]) as tf.Tensor4D,
      critic: (x) => tf.sum(x, [1, 2, 3]).reshape([-1, 1]),
      zReal: tf.tensor2d([
        [0.5, -0.5],
        [0, 1],
      ]),
      x: tf.tensor4d([1, -0.5, 0, 0], [2, 1, 2, 1]),
      w: tf.tensor4d([0.5, 0, 0, 0], [2, 1, 2, 1]),
      // Image 0's hole is its first pixel, image 1's its second.
      m: tf.tensor4d([0, 1, 1, 0], [2, 1, 2, 1]),
      zGenPred: tf.tensor2d([[0, 0]]),
      zGen: tf.tensor2d([[1, -1]]),
      weights: { recon: 2, context: 3, hole: 4, latent: 0.5, adv: 0.1 },
    });
    return [l.total, l.recon!, l.context!, l.hole!, l.latent!, l.adv!].map((t) => t.dataSync()[0]!);
  });
  const [total, recon, context, hole, latent, adv] = r as [number, number, number, number, number, number];
  // |G − x| = [0.5, 0, 0, 1] → mean 0.375
  close(recon, 0.375, 1e-6, 'recon');
  // image 0: 0.5·0.5 / (1·0.5) = 0.5; image 1: no weight → 0; mean 0.25
  close(context, 0.25, 1e-6, 'context');
  // image 0: its hole's |G − x| 0.5 over 1 pixel; image 1: 1 over 1 pixel; mean 0.75
  close(hole, 0.75, 1e-6, 'hole');
  // (0 − 1)² and (0 + 1)² → 1
  close(latent, 1, 1e-6, 'latent');
  // −mean(sum of G): sums 0 and 1 → −0.5
  close(adv, -0.5, 1e-6, 'adv');
  close(total, 2 * 0.375 + 3 * 0.25 + 4 * 0.75 + 0.5 * 1 + 0.1 * -0.5, 1e-6, 'total');
  // A zero weight skips the part.
  const skip = ((): number[] =>
    tf.tidy(() => {
      const l = encoderLosses({
        generate: (z) => tf.reshape(z, [1, 1, 2, 1]) as tf.Tensor4D,
        zReal: tf.tensor2d([[0, 0]]),
        x: tf.tensor4d([0, 1], [1, 1, 2, 1]),
        w: tf.tensor4d([0, 0], [1, 1, 2, 1]),
        weights: { recon: 1, context: 0, hole: 0, latent: 0, adv: 0 },
      });
      return [l.context === null ? 1 : 0, l.total.dataSync()[0]!];
    }))();
  assert.equal(skip[0], 1, 'context not computed');
  close(skip[1]!, 0.5, 1e-6, 'recon only');
  // A mask without holes adds 0 to the hole loss, not 0/0.
  const noHole = tf.tidy(
    () =>
      encoderLosses({
        generate: (z) => tf.reshape(z, [1, 1, 2, 1]) as tf.Tensor4D,
        zReal: tf.tensor2d([[0, 0]]),
        x: tf.tensor4d([0, 1], [1, 1, 2, 1]),
        w: tf.tensor4d([0, 0], [1, 1, 2, 1]),
        m: tf.tensor4d([1, 1], [1, 1, 2, 1]),
        weights: { recon: 0, context: 0, hole: 1, latent: 0, adv: 0 },
      }).hole!.dataSync()[0]!,
  );
  assert.equal(noHole, 0, 'no hole, no hole loss');
});

test('training masks: every kind of the registry shape is drawn (halves through half), with varied hole sizes', () => {
  const rng = new Rng(3);
  const seen = new Map<string, number[]>();
  for (let i = 0; i < 400; i++) {
    const { mask, kind } = trainingMask(rng, 32, 32);
    seen.set(kind, [...(seen.get(kind) ?? []), holeFraction(mask)]);
  }
  assert.deepEqual([...seen.keys()].sort(), [...TRAINING_MASK_KINDS].sort());
  for (const k of MASK_KINDS)
    assert.ok(
      (TRAINING_MASK_KINDS as readonly string[]).includes(k) || ['left', 'right', 'top', 'bottom'].includes(k),
      k,
    );
  for (const k of ['center', 'random', 'pattern', 'rects', 'strokes']) {
    const f = seen.get(k)!;
    assert.ok(Math.max(...f) - Math.min(...f) > 0.2, `${k} hole fractions ${Math.min(...f)}–${Math.max(...f)}`);
  }
});

test('encoder: input channels, output in (−1, 1), and one image alone = inside a batch', async () => {
  await testBackend();
  const E = buildEncoder(spec);
  assert.deepEqual(encoderShape(E), { size: 28, channels: 1, nz: 8 });
  const G = expressiveTinyGan().generator;
  const ys = sample(G, 3, 5);
  const masks = [
    makeMask('center', 28, 28),
    makeMask('random', 28, 28, { seed: 1 }),
    makeMask('strokes', 28, 28, { seed: 2 }),
  ];
  const inp = encoderInput(ys, masks);
  const d = inp.dataSync();
  // A hole pixel: 0 in the image channel and 0 in the mask channel; a known one: 2y − 1 and 1.
  const hole = masks[0]!.data.indexOf(0),
    known = masks[0]!.data.indexOf(1);
  assert.deepEqual([d[hole * 2], d[hole * 2 + 1]], [0, 0]);
  close(d[known * 2]!, ys.data[known]! * 2 - 1, 1e-6, 'known pixel');
  assert.equal(d[known * 2 + 1], 1);
  inp.dispose();
  const z = await encode(E, ys, masks);
  assert.equal(z.length, 3 * 8);
  for (const v of z) assert.ok(v > -1 && v < 1);
  const alone = await encode(E, imageAt(ys, 1), masks[1]!);
  for (let j = 0; j < 8; j++) close(alone[j]!, z[8 + j]!, 1e-6, `z[${j}]`);
  await assert.rejects(encode(E, sample(G, 1, 0), makeMask('center', 32, 32)), UserError);
  E.dispose();
});

for (const backend of E2E_BACKENDS)
  test(`[${backend}] the training step lowers the loss, changes only E, and leaks no tensors`, async () => {
    await useBackend(backend);
    const gan = expressiveTinyGan();
    const E = buildEncoder(spec);
    const t = makeEncoderTrainer(
      { encoder: E, generator: gan.generator, critic: gan.critic },
      { lr: 3e-3, beta1: 0.9, beta2: 0.999, weights: W, seed: 1 },
    );
    const ds = samplesDataset(gan.generator, 16, 11);
    const buf = new Float32Array(16 * 784);
    fillBatch(
      ds,
      Array.from({ length: 16 }, (_, i) => i),
      buf,
      '[-1,1]',
    );
    const x = tf.tensor4d(buf, [16, 28, 28, 1]);
    // The loss on fixed masks and z, before and after (the steps draw fresh ones each time).
    const fixedMasks = Array.from({ length: 16 }, (_, i) =>
      makeMask(['center', 'pattern', 'strokes', 'half'][i % 4]!, 28, 28, { seed: i }),
    );
    const zFixed = tf.tensor2d(
      Float32Array.from({ length: 16 * 8 }, (_, i) => Math.sin(i * 1.7)),
      [16, 8],
    );
    const fixedLoss = () =>
      tf.tidy(() => {
        const mT = tf.tensor4d(Float32Array.from(fixedMasks.flatMap((m) => Array.from(m.data))), [16, 28, 28, 1]);
        const wT = tf.tensor4d(
          Float32Array.from(fixedMasks.flatMap((m) => Array.from(importanceWeights(m)))),
          [16, 28, 28, 1],
        );
        const xg = gan.generator.apply(zFixed, { training: false }) as tf.Tensor4D;
        const enc = (im: tf.Tensor4D) =>
          E.apply(tf.concat([tf.mul(im, mT), mT], 3), { training: false }) as tf.Tensor2D;
        const l = encoderLosses({
          generate: (z) => gan.generator.apply(z, { training: false }) as tf.Tensor4D,
          zReal: enc(x),
          x,
          w: wT,
          zGenPred: enc(xg),
          zGen: zFixed,
          weights: W,
        });
        return l.total.dataSync()[0]!;
      });
    const before = fixedLoss();
    const gW = gan.generator.getWeights().map((w) => Array.from(w.dataSync()));
    const dW = gan.critic.getWeights().map((w) => Array.from(w.dataSync()));
    encoderStep(t, x); // first call creates Adam's slots
    const n0 = tf.memory().numTensors;
    for (let i = 0; i < 40; i++) {
      const s = encoderStep(t, x);
      for (const k of ['loss', 'recon', 'context', 'latent'] as const) assert.ok(Number.isFinite(s[k]), k);
      assert.ok(Number.isNaN(s.adv), 'adv weight 0 → not computed');
    }
    assert.equal(tf.memory().numTensors, n0, 'tensor leak');
    const after = fixedLoss();
    assert.ok(after < 0.8 * before, `loss ${before} → ${after}`);
    assert.deepEqual(
      gan.generator.getWeights().map((w) => Array.from(w.dataSync())),
      gW,
      'G changed',
    );
    assert.deepEqual(
      gan.critic.getWeights().map((w) => Array.from(w.dataSync())),
      dW,
      'critic changed',
    );
    tf.dispose([x, zFixed]);
    t.opt.dispose();
    E.dispose();
  });

test('save → load gives identical z; another generator is refused; a non-encoder folder is named', async () => {
  await testBackend();
  const gan = expressiveTinyGan(1);
  const E = buildEncoder(spec);
  const dir = path.join(tmp(), 'encoder');
  const digest = await generatorDigest(gan.generator);
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  await saveEncoder(dir, {
    encoder: E,
    manifest: { step: 3, generator: { digest, size: 28, channels: 1, nz: 8 }, config: {} },
  });
  const ys = sample(gan.generator, 4, 9);
  const masks = [0, 1, 2, 3].map((i) => makeMask('pattern', 28, 28, { seed: i }));
  const loaded = await loadEncoder(dir, gan.generator, 'tiny');
  assert.deepEqual(Array.from(await encode(loaded.encoder, ys, masks)), Array.from(await encode(E, ys, masks)));
  assert.equal(loaded.manifest.step, 3);
  // A folder holding the encoder in encoder/ resolves to it.
  assert.equal(resolveEncoderDir(path.dirname(dir)), dir);
  // Same shapes, other weights: refused by digest.
  const other = expressiveTinyGan(2);
  await assert.rejects(
    loadEncoder(dir, other.generator, 'other'),
    (e: Error) =>
      e instanceof UserError &&
      /trained for another generator.*model 'other'/.test(e.message) &&
      !e.message.includes('\n'),
  );
  // A changed weight of the same generator is another generator too.
  const w = gan.generator.getWeights()[0]!;
  const bumped = tf.tidy(() => tf.add(w, tf.oneHot([0], w.size).reshape(w.shape).mul(1e-3)));
  gan.generator.layers[0]!.setWeights([bumped]);
  bumped.dispose();
  await assert.rejects(loadEncoder(dir, gan.generator, 'tiny'), /another generator/);
  // Another shape: refused by shape first.
  const { buildModels } = await import('../models/index.js');
  const rgb = buildModels('dcgan', {
    size: 28,
    channels: 3,
    nz: 8,
    gWidth: 2,
    dWidth: 2,
    criticNorm: 'layer',
    seed: 0,
  });
  await assert.rejects(
    loadEncoder(dir, rgb.generator, 'rgb'),
    /28×28×1 generator with nz 8; model 'rgb' makes 28×28×3/,
  );
  const notEnc = tmp();
  fs.writeFileSync(path.join(notEnc, 'manifest.json'), JSON.stringify({ format: 1, step: 0 }));
  await assert.rejects(loadEncoder(notEnc, other.generator, 'x'), /not an encoder manifest/);
  await assert.rejects(loadEncoder(path.join(notEnc, 'missing'), other.generator, 'x'), /does not exist/);
  for (const m of [
    loaded.encoder,
    E,
    rgb.generator,
    rgb.critic,
    other.generator,
    other.critic,
    gan.generator,
    gan.critic,
  ])
    m.dispose();
});

test('chooseInit: encoder without one is a clear error; auto falls back with a notice', () => {
  assert.throws(
    () => chooseInit('encoder', null, 'm/encoder', 'm'),
    (e: Error) =>
      e instanceof UserError && /--init encoder: model 'm' has no encoder \(looked in m\/encoder\)/.test(e.message),
  );
  const a = chooseInit('auto', null, 'm/encoder', 'm');
  assert.equal(a.use, 'random');
  assert.match(a.notice, /random z, model 'm' has no encoder/);
  assert.equal(chooseInit('auto', 'm/encoder', 'm/encoder', 'm').use, 'encoder');
  assert.equal(chooseInit('random', 'm/encoder', 'm/encoder', 'm').use, 'random');
  assert.throws(() => chooseInit('best' as 'auto', null, '', 'm'), /unknown init 'best'/);
});

/** Train an encoder on G's own samples with the step function (the loop's core), `steps` steps. */
function trainTiny(gan: ReturnType<typeof expressiveTinyGan>, steps: number): tf.LayersModel {
  const E = buildEncoder({ ...spec, width: 8 });
  const t = makeEncoderTrainer(
    { encoder: E, generator: gan.generator, critic: gan.critic },
    { lr: 2e-3, beta1: 0.9, beta2: 0.999, weights: W, seed: 2 },
  );
  const ds = samplesDataset(gan.generator, 256, 21);
  const buf = new Float32Array(32 * 784);
  const rng = new Rng(4);
  for (let s = 0; s < steps; s++) {
    fillBatch(
      ds,
      Array.from({ length: 32 }, () => rng.int(ds.n)),
      buf,
      '[-1,1]',
    );
    const x = tf.tensor4d(buf, [32, 28, 28, 1]);
    encoderStep(t, x);
    x.dispose();
  }
  t.opt.dispose();
  return E;
}

test('an encoder-started search beats random starts at the same small iteration count (hole PSNR)', async () => {
  await testBackend();
  const gan = expressiveTinyGan();
  // 40 steps already put E's start far ahead (measured: ≈ +10 dB over random starts after 25).
  const E = trainTiny(gan, 40);
  // Held-out targets: other samples of G (G can represent them exactly), the evaluation's masks.
  const ys = sample(gan.generator, 24, 777);
  const masks = Array.from({ length: 24 }, (_, i) =>
    makeMask(['center', 'half', 'pattern', 'strokes'][i % 4]!, 28, 28, { seed: 100 + i }),
  );
  const opts = { iters: 10, restarts: 1, lr: 0.01, blend: 'none' as const, seed: 3 };
  const holePsnr = async (init: 'auto' | 'random') => {
    const r = await inpaint({ ...gan, encoder: E }, ys, masks, { ...opts, init });
    assert.equal(r.start, init === 'auto' ? 'encoder' : 'random');
    return meanFinite(getMetric('hole-psnr').compute(r.composite, ys, masks));
  };
  const before = tf.memory().numTensors;
  const enc = await holePsnr('auto');
  assert.equal(tf.memory().numTensors, before, 'tensor leak');
  const rnd = await holePsnr('random');
  assert.ok(enc > rnd + 3, `encoder start ${enc.toFixed(2)} dB vs random ${rnd.toFixed(2)} dB`);
  for (const m of [E, gan.generator, gan.critic]) m.dispose();
});

for (const backend of E2E_BACKENDS)
  test(`[${backend}] with the encoder, an image completes the same alone as inside a batch`, async () => {
    await useBackend(backend);
    const gan = expressiveTinyGan();
    const E = buildEncoder(spec);
    // Non-trivial starts: an untrained encoder's z are near 0, so scale its output layer up.
    const dense = E.getLayer('e_dense');
    const scaled = dense.getWeights().map((w) => tf.mul(w, 30));
    dense.setWeights(scaled);
    tf.dispose(scaled);
    const ys = sample(gan.generator, 3, 42);
    const masks = [makeMask('center', 28, 28), makeMask('left', 28, 28), makeMask('strokes', 28, 28, { seed: 3 })];
    const z = await encode(E, ys, masks);
    assert.ok(Math.max(...Array.from(z, Math.abs)) > 0.1, 'starts differ from 0');
    const opts = { iters: 8, restarts: 3, seed: 5, init: 'encoder' as const };
    const withE = { ...gan, encoder: E };
    const batch = await inpaint(withE, ys, masks, opts);
    const before = tf.memory().numTensors;
    const alone = await inpaint(withE, imageAt(ys, 1), masks[1]!, opts);
    assert.equal(tf.memory().numTensors, before, 'tensor leak');
    let maxDiff = 0;
    for (let j = 0; j < 784; j++) maxDiff = Math.max(maxDiff, Math.abs(alone.raw.data[j]! - batch.raw.data[784 + j]!));
    assert.ok(maxDiff < 1e-5, `alone vs batch differ by ${maxDiff}`);
    assert.equal(alone.losses[0]!.restart, batch.losses[1]!.restart);
    // Restart 0 starts at the encoder's z exactly: with 0 iterations the result is G(E(·)).
    const zero = await inpaint(gan, ys, masks, { iters: 0, restarts: 1 }, {}, z);
    assert.deepEqual(Array.from(zero.z), Array.from(z));
    // The library's initZ argument is the same start as the model's encoder.
    const viaArg = await inpaint(gan, ys, masks, opts, {}, encoderStart(E));
    assert.deepEqual(Array.from(viaArg.z), Array.from(batch.z));
    await assert.rejects(
      inpaint(gan, ys, masks, { iters: 1 }, {}, new Float32Array(5)),
      (e: Error) => e instanceof UserError && /initZ has 5 values, expected 3 images × nz 8/.test(e.message),
    );
    // init encoder without an encoder is an error; random with one ignores it.
    await assert.rejects(
      inpaint(gan, ys, masks, { iters: 1, init: 'encoder' }),
      (e: Error) => e instanceof UserError && /init 'encoder' but the model has no encoder/.test(e.message),
    );
    assert.equal((await inpaint(withE, ys, masks, { iters: 1, init: 'random', restarts: 1 })).start, 'random');
    for (const m of [E, gan.generator, gan.critic]) m.dispose();
  });

test('iterations and restarts default per start (INIT_DEFAULTS), given values win', () => {
  assert.deepEqual([resolveInpaintOptions({}).iters, resolveInpaintOptions({}).restarts], [1000, 4]);
  assert.deepEqual(
    [resolveInpaintOptions({}, undefined, true).iters, resolveInpaintOptions({}, undefined, true).restarts],
    [100, 1],
  );
  assert.equal(resolveInpaintOptions({ init: 'random' }, undefined, true).iters, 1000);
  assert.equal(resolveInpaintOptions({ iters: 7 }, undefined, true).iters, 7);
  assert.throws(
    () => resolveInpaintOptions({ initMix: 2 }),
    (e: Error) => e instanceof UserError && /initMix must be ≤ 1/.test(e.message),
  );
  assert.throws(
    () => resolveInpaintOptions({ init: 'magic' as never }),
    (e: Error) => e instanceof UserError && /init must be auto or encoder or random/.test(e.message),
  );
});
