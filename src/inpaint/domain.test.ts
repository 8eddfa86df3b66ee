import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  calibrateDomain,
  checkDomain,
  domainThreshold,
  knownError,
  knownFraction,
  knownStats,
  KNOWN_STAT_NAMES,
  DomainStatsSchema,
  type DomainStats,
} from './domain.js';
import { inpaintImages } from './inpaint.js';
import { DEFAULT_INPAINT } from './options.js';
import { makeMask } from '../masks/masks.js';
import { loadCheckpoint } from '../encoder/checkpoint.js';
import { loadDataset } from '../data/load_node.js';
import { toImageBatch } from '../data/dataset.js';
import { testBackend } from '../testing/fixtures.js';
import type { ImageBatch } from '../types.js';
import { buildModels } from '../models/index.js';
import { sample } from '../models/sample.js';
import { buildEncoder } from '../encoder/model.js';
import { attachEncoder } from '../encoder/checkpoint.js';

const img = (vals: number[], w = 2): ImageBatch => ({
  data: Float32Array.from(vals),
  n: 1,
  height: vals.length / w,
  width: w,
  channels: 1,
});

test('known error: mean |g − y| over known pixels only; known fraction; thresholds', () => {
  const m = { data: Float32Array.from([1, 1, 0, 0]), height: 2, width: 2 };
  assert.equal(knownError(img([0, 0.5, 0, 0]), img([0.25, 0.25, 1, 1]), m), 0.25);
  assert.ok(Number.isNaN(knownError(img([0, 0, 0, 0]), img([1, 1, 1, 1]), { ...m, data: new Float32Array(4) })));
  assert.equal(knownFraction(m), 0.5);
  assert.equal(domainThreshold(0.1), 0.2);
  assert.ok(Math.abs(domainThreshold(0.01) - 0.06) < 1e-12);
  const stats: DomainStats = {
    knownError: { n: 30, median: 0.05, p95: 0.1, max: 0.2 },
    threshold: 0.2,
    n: 30,
    iters: 100,
    restarts: 1,
    masks: ['center'],
    data: 'x',
    expects: '28×28 bars',
    bins: [
      { n: 10, median: 0.02, p95: 0.03, max: 0.04, minKnown: 0, maxKnown: 0.35, threshold: 0.08 },
      { n: 2, median: 0, p95: 0, max: 0, minKnown: 0.35, maxKnown: 0.65, threshold: 0.05 },
      { n: 18, median: 0.1, p95: 0.15, max: 0.2, minKnown: 0.65, maxKnown: 1.0001, threshold: 0.3 },
    ],
  };
  DomainStatsSchema.parse(stats);
  // The bin of the mask's known fraction decides; a bin with < 5 images falls back to the overall threshold.
  assert.equal(checkDomain(stats, 0.1, 0.2, 100)!.unlike, true);
  assert.equal(checkDomain(stats, 0.1, 0.8, 100)!.unlike, false);
  assert.equal(checkDomain(stats, 0.1, 0.5, 100)!.threshold, 0.2);
  assert.match(
    checkDomain(stats, 0.5, 0.8, 1000)!.message!,
    /looks unlike what the model was trained on \(28×28 bars\).*0\.500.*0\.300/,
  );
  // Too short a search is not judged, nor one with a lower context floor than the calibration's
  // (absent = 0: every floor is judged against an old calibration).
  assert.equal(checkDomain(stats, 0.9, 0.8, 99), null);
  assert.equal(checkDomain(stats, 0.9, 0.8, 100, 0.05)!.unlike, true);
  assert.equal(checkDomain({ ...stats, contextFloor: 0.05 }, 0.9, 0.8, 100, 0), null);
  assert.equal(checkDomain({ ...stats, contextFloor: 0.05 }, 0.9, 0.8, 100, 0.05)!.unlike, true);
});

test('known statistics: distinct colours, fine shading and muted mid-tones tell a drawing from a photo-like image', () => {
  // 8×8 RGB. A drawing: white ground with a flat red square (two colours, no shading); a photo-like
  // image: a grey-brown ramp of small steps plus a fixed ripple (many colours, every neighbour a little
  // different, muted mid-tones).
  const W = 8,
    P = W * W;
  const drawing = new Float32Array(P * 3).fill(1),
    photo = new Float32Array(P * 3);
  for (let p = 0; p < P; p++) {
    const x = p % W,
      y = Math.floor(p / W);
    if (x >= 2 && x < 6 && y >= 2 && y < 6) drawing.set([0.9, 0.1, 0.1], p * 3);
    const v = 0.3 + 0.004 * p + 0.005 * ((x * 7 + y * 3) % 5);
    photo.set([v + 0.04, v, v - 0.03], p * 3);
  }
  const all = { data: new Float32Array(P).fill(1), height: W, width: W };
  const at = (data: Float32Array) => ({ data, n: 1, height: W, width: W, channels: 3 });
  const stat = (data: Float32Array, name: string, mask = all) =>
    knownStats(at(data), mask)[KNOWN_STAT_NAMES.indexOf(name as (typeof KNOWN_STAT_NAMES)[number])]!;
  assert.equal(stat(drawing, 'colours'), 2 / P);
  assert.equal(stat(drawing, 'texture'), 0);
  assert.equal(stat(drawing, 'muted'), 0);
  // Neighbours differ by 0.011–0.047 (right: 0.004 ± the ripple's step; down: 0.032 ± it).
  assert.equal(stat(photo, 'texture'), 1);
  assert.ok(stat(photo, 'colours') > 4 * stat(drawing, 'colours'), `${stat(photo, 'colours')}`);
  assert.equal(stat(photo, 'muted'), 1);
  // Only known pixels count: the drawing's square alone is one colour.
  const square = { ...all, data: all.data.map((_, p) => (p % W >= 2 && p % W < 6 && p >= 2 * W && p < 6 * W ? 1 : 0)) };
  assert.equal(stat(drawing, 'colours', square), 1 / 16);
});

test('the shipped fashion-mnist model, with its default search (from its encoder): held-out images pass, inverted ones (dark clothing on white) are flagged', async () => {
  await testBackend();
  const ck = await loadCheckpoint('fashion-mnist');
  const { model } = await attachEncoder(ck, 'auto', undefined, 'fashion-mnist');
  assert.ok(model.encoder, 'the shipped fashion-mnist model has an encoder');
  try {
    const ds = await loadDataset({ data: 'fashion-mnist', size: 32, channels: 1, split: 'test', limit: 88 });
    const at = (i: number) => toImageBatch(ds, [i]);
    const calib = toImageBatch(
      ds,
      Array.from({ length: 64 }, (_, i) => i),
    );
    model.manifest.domain = await calibrateDomain(model, calib, {
      data: 'fashion-mnist',
      expects: '32×32 grey clothing, white on black',
    });
    assert.equal(model.manifest.domain.n, 64);
    assert.equal(model.manifest.domain.start, 'encoder');
    const thr = model.manifest.domain.bins.map((x) => x.threshold.toFixed(3)).join(', ');
    const held = Array.from({ length: 24 }, (_, k) => at(64 + k));
    const inverted = held.map((b) => ({ ...b, data: b.data.map((v) => 1 - v) }));
    const masks = held.map((_, i) => makeMask(['center', 'random', 'half', 'strokes'][i % 4]!, 32, 32, { seed: i }));
    const flagged = async (set: ImageBatch[]) =>
      (await inpaintImages(model, set, masks)).filter((r) => r.domain!.unlike).length;
    const a = await flagged(held),
      b = await flagged(inverted);
    assert.ok(a <= 2, `${a} of 24 held-out images flagged (thresholds ${thr})`);
    assert.ok(b >= 16, `only ${b} of 24 inverted images flagged (thresholds ${thr})`);
    console.log(`domain: ${a}/24 held-out and ${b}/24 inverted flagged; thresholds ${thr}`);
    // A shorter search than the calibration's is not judged by its known error; the known pixels'
    // statistics need no search, so they still are.
    const [short] = await inpaintImages(model, [inverted[0]!], [masks[0]!], { iters: 10, restarts: 1 });
    assert.equal(short!.domain!.searchTooShort, true);
    assert.ok(short!.domain!.stats, 'the statistics are judged whatever the search');
  } finally {
    ck.generator.dispose();
    ck.critic.dispose();
    model.encoder?.dispose();
  }
});

test("calibration uses the model's default search: the encoder's (100 × 1) when it has one, else random (300 × 2)", async () => {
  await testBackend();
  const gan = buildModels('dcgan', {
    size: 28,
    channels: 1,
    nz: 8,
    gWidth: 4,
    dWidth: 4,
    criticNorm: 'layer',
    seed: 1,
  });
  const E = buildEncoder({ size: 28, channels: 1, nz: 8, width: 4, seed: 0 });
  const heldOut = sample(gan.generator, 4, 3);
  const withE = await calibrateDomain({ ...gan, encoder: E }, heldOut, { data: 'x', expects: 'bars' });
  assert.deepEqual(
    [withE.start, withE.iters, withE.restarts, withE.contextFloor],
    ['encoder', 100, 1, DEFAULT_INPAINT.contextFloor],
  );
  const random = await calibrateDomain(gan, heldOut, { data: 'x', expects: 'bars', iters: 20 });
  assert.deepEqual([random.start, random.iters, random.restarts], ['random', 20, 2]);
  DomainStatsSchema.parse(withE);
  E.dispose();
});
