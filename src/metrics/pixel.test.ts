import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ImageBatch, Mask } from '../types.js';
import { UserError } from '../util/errors.js';
import { holeRegion, l1, meanFinite, mse, psnr } from './pixel.js';
import { getMetric, METRIC_KINDS } from './index.js';

const img = (h: number, w: number, c: number, vals: number[], n = 1): ImageBatch => ({
  data: Float32Array.from(vals),
  n,
  height: h,
  width: w,
  channels: c,
});
const mask = (h: number, w: number, vals: number[]): Mask => ({ data: Float32Array.from(vals), height: h, width: w });

test('mse/psnr/l1 on a hand-computed 2x2 grey pair', () => {
  // Differences 0, 0.5, 0, 0.25 (exact in float32).
  const a = img(2, 2, 1, [0, 0.5, 1, 0.25]);
  const b = img(2, 2, 1, [0, 1, 1, 0.5]);
  assert.deepEqual(mse(a, b), [(0.25 + 0.0625) / 4]);
  assert.ok(Math.abs(psnr(a, b)[0]! - 10 * Math.log10(4 / 0.3125)) < 1e-12);
  assert.deepEqual(l1(a, b), [0.75 / 4]);
  // Region: only pixels 1 and 2 (1 = count) → diffs 0.5, 0.
  const r = mask(2, 2, [0, 1, 1, 0]);
  assert.deepEqual(mse(a, b, r), [0.125]);
  assert.ok(Math.abs(psnr(a, b, r)[0]! - 10 * Math.log10(8)) < 1e-12);
  assert.deepEqual(l1(a, b, r), [0.25]);
});

test('psnr is Infinity for identical images, NaN on an empty region; meanFinite caps and skips', () => {
  const a = img(1, 2, 3, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
  assert.deepEqual(psnr(a, a), [Infinity]);
  assert.ok(Number.isNaN(psnr(a, a, mask(1, 2, [0, 0]))[0]!));
  assert.equal(meanFinite([Infinity, 20, NaN]), 60);
  assert.equal(meanFinite([Infinity], 50), 50);
  assert.ok(Number.isNaN(meanFinite([NaN])));
});

test('per-image values and per-image regions in a batch; hole region inverts the mask', () => {
  // Two 1x2 grey images: image 0 error [0.5, 0], image 1 error [0, 0.25].
  const a = img(1, 2, 1, [0.5, 0, 0, 0.25], 2);
  const b = img(1, 2, 1, [0, 0, 0, 0], 2);
  assert.deepEqual(l1(a, b), [0.25, 0.125]);
  const known = [mask(1, 2, [1, 0]), mask(1, 2, [0, 1])]; // inpainting masks: 1 = known
  assert.deepEqual(l1(a, b, known.map(holeRegion)), [0, 0]);
  assert.deepEqual(getMetric('hole-l1').compute(a, b, known), [0, 0]);
  assert.deepEqual(getMetric('l1').compute(a, b), [0.25, 0.125]);
  assert.deepEqual(
    getMetric('hole-psnr')
      .compute(a, b, [mask(1, 2, [0, 0])])
      .map((x) => Math.round(x * 1e9)),
    [Math.round(10 * Math.log10(8) * 1e9), Math.round(10 * Math.log10(32) * 1e9)],
  );
});

test('registry lists the metrics and rejects unknown kinds and bad shapes with UserError', () => {
  assert.deepEqual([...METRIC_KINDS], ['psnr', 'ssim', 'l1', 'hole-psnr', 'hole-l1']);
  assert.throws(
    () => getMetric('fid2'),
    (e: unknown) => e instanceof UserError && /unknown metric 'fid2'/.test(e.message),
  );
  const a = img(1, 2, 1, [0, 0]);
  assert.throws(() => getMetric('hole-psnr').compute(a, a), UserError);
  assert.throws(() => psnr(a, img(2, 1, 1, [0, 0])), UserError);
  assert.throws(() => psnr(a, a, mask(2, 1, [1, 1])), UserError);
});
