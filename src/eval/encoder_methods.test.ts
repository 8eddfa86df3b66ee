import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { evaluate, ENCODER_METHOD_KINDS } from './runner.js';
import { buildEncoder, encoderFill } from '../encoder/model.js';
import { poissonBlendBatch } from '../inpaint/poisson.js';
import { sample } from '../models/sample.js';
import { UserError } from '../util/errors.js';
import { expressiveTinyGan, testBackend } from '../testing/fixtures.js';

test('evaluate: the encoder methods get cells with seconds per image; encoder-only is G(E(·)) blended; no encoder → clear error', async () => {
  await testBackend();
  const gan = expressiveTinyGan();
  const E = buildEncoder({ size: 28, channels: 1, nz: 8, width: 4, seed: 0 });
  const images = sample(gan.generator, 3, 8);
  const methods = ['wgan', 'wgan-encoder-only', 'wgan-encoder', 'telea'];
  try {
    const before = tf.memory().numTensors;
    const r = await evaluate(
      { model: gan, encoder: E, images },
      {
        masks: ['center', 'strokes'],
        methods,
        iters: 3,
        restarts: 2,
        encoderIters: 2,
        encoderRestarts: 2,
        seed: 1,
        batch: 2,
      },
    );
    assert.equal(tf.memory().numTensors, before, 'tensor leak');
    for (const kind of ['center', 'strokes']) {
      assert.deepEqual(Object.keys(r.cells[kind]!), methods);
      for (const m of methods) {
        const c = r.cells[kind]![m]!;
        for (const v of [c.holePsnr.mean, c.ssim.mean, c.secondsPerImage])
          assert.ok(Number.isFinite(v), `${kind}/${m}`);
        assert.ok(c.secondsPerImage > 0, `${kind}/${m} seconds per image`);
      }
      // One pass of E and G, then the same Poisson blend as every wgan method.
      const masks = r.masks[kind]!;
      const { raw } = await encoderFill(E, gan.generator, images, masks);
      const want = poissonBlendBatch(images, raw, masks);
      const got = r.outputs[kind]!['wgan-encoder-only']!;
      let maxDiff = 0;
      for (let i = 0; i < want.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(want.data[i]! - got.data[i]!));
      assert.ok(maxDiff < 1e-5, `encoder-only differs from G(E(·)) blended by ${maxDiff}`);
    }
    const searches = r.searches.filter((s) => s.mask === 'center');
    assert.deepEqual(
      searches.map((s) => [s.init, s.iters, s.restarts]),
      [
        ['random', 3, 2],
        ['encoder', 0, 1],
        ['encoder', 2, 2],
      ],
    );
    for (const k of ENCODER_METHOD_KINDS) {
      await assert.rejects(
        evaluate({ model: gan, images }, { masks: ['center'], methods: [k], iters: 1 }),
        (e: Error) => e instanceof UserError && new RegExp(`method ${k} needs an encoder`).test(e.message),
      );
    }
  } finally {
    for (const m of [E, gan.generator, gan.critic]) m.dispose();
  }
});

test('evaluate: wgan-encoder-lambda0 is the encoder search with λ = 0 (its own search; the prior is what differs)', async () => {
  await testBackend();
  const gan = expressiveTinyGan();
  const E = buildEncoder({ size: 28, channels: 1, nz: 8, width: 4, seed: 0 });
  const images = sample(gan.generator, 2, 8);
  try {
    const r = await evaluate(
      { model: gan, encoder: E, images },
      {
        masks: ['center'],
        methods: ['wgan-encoder', 'wgan-encoder-lambda0'],
        lambda: 0.5,
        encoderIters: 20,
        encoderRestarts: 1,
        seed: 1,
      },
    );
    assert.deepEqual(
      r.searches.map((s) => [s.init, s.iters, s.restarts, s.lambda]),
      [
        ['encoder', 20, 1, 0.5],
        ['encoder', 20, 1, 0],
      ],
    );
    assert.equal(
      r.searches[1]!.prior > r.searches[0]!.prior,
      true,
      'without the prior, the critic likes the fill less',
    );
    const [a, b] = [r.outputs.center!['wgan-encoder']!, r.outputs.center!['wgan-encoder-lambda0']!];
    assert.ok(
      a.data.some((v, i) => Math.abs(v - b.data[i]!) > 1e-4),
      'λ = 0 gave the same fill',
    );
  } finally {
    for (const m of [E, gan.generator, gan.critic]) m.dispose();
  }
});

test('evaluate: the refinement methods (features, generator, modulation) each run their own search after the encoder start', async () => {
  await testBackend();
  const gan = expressiveTinyGan();
  const E = buildEncoder({ size: 28, channels: 1, nz: 8, width: 4, seed: 0 });
  const images = sample(gan.generator, 2, 8);
  const methods = ['wgan-encoder', 'wgan-encoder-features', 'wgan-encoder-generator', 'wgan-encoder-modulation'];
  try {
    const r = await evaluate(
      { model: gan, encoder: E, images },
      { masks: ['center'], methods, encoderIters: 3, encoderRestarts: 1, seed: 1 },
    );
    assert.deepEqual(
      r.searches.map((s) => [s.init, s.iters, s.refine ?? 'z']),
      [
        ['encoder', 3, 'z'],
        ['encoder', 3, 'features'],
        ['encoder', 3, 'generator'],
        ['encoder', 3, 'modulation'],
      ],
    );
    const base = r.outputs.center!['wgan-encoder']!;
    for (const m of methods.slice(1)) {
      const c = r.cells.center![m]!;
      assert.ok(Number.isFinite(c.holePsnr.mean) && c.secondsPerImage > 0, m);
      assert.ok(
        r.outputs.center![m]!.data.some((v, i) => Math.abs(v - base.data[i]!) > 1e-4),
        `${m}: the same fill as the unrefined search`,
      );
    }
  } finally {
    for (const m of [E, gan.generator, gan.critic]) m.dispose();
  }
});
