import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ImageBatch, Mask } from '../types.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { meanFill, nearestFill, nearestKnownIndex, zeroFill } from './fills.js';
import { BASELINE_KINDS, getBaseline } from './index.js';

const img = (h: number, w: number, c: number, vals: number[], n = 1): ImageBatch => ({
  data: Float32Array.from(vals),
  n,
  height: h,
  width: w,
  channels: c,
});
const mask = (h: number, w: number, vals: number[]): Mask => ({ data: Float32Array.from(vals), height: h, width: w });

test('zero and mean fill a 2x2 grey image by hand', () => {
  const y = img(2, 2, 1, [0.25, 0.75, 0.5, 0.125]);
  const m = mask(2, 2, [1, 0, 1, 1]); // pixel 1 is the hole
  assert.deepEqual([...zeroFill(y, [m]).data], [0.25, 0, 0.5, 0.125]);
  // mean of 0.25, 0.5, 0.125 = 0.291666…
  const mf = meanFill(y, [m]).data;
  assert.equal(mf[0], 0.25);
  assert.equal(mf[2], 0.5);
  assert.equal(mf[3], 0.125);
  assert.ok(Math.abs(mf[1]! - 0.875 / 3) < 1e-7);
});

test('mean fill is per channel and per image; a fully unknown image becomes 0', () => {
  // Batch of two 1x2 RGB images sharing... no: one mask each.
  const y = img(1, 2, 3, [0.1, 0.2, 0.3, 0.9, 0.9, 0.9, 0.5, 0.5, 0.5, 0.7, 0.8, 0.9], 2);
  const out = meanFill(y, [mask(1, 2, [1, 0]), mask(1, 2, [0, 0])]).data;
  assert.deepEqual(
    [...out].map((v) => Math.round(v * 1e6) / 1e6),
    [0.1, 0.2, 0.3, 0.1, 0.2, 0.3, 0, 0, 0, 0, 0, 0],
  );
});

test('nearest fill copies the closest known pixel (hand example)', () => {
  // 3x4 grey, known: (0,0)=0.1 and (2,3)=0.9. Hole pixels take whichever is closer; no ties occur:
  // distances² to (0,0) vs (2,3): (0,1) 1 vs 8; (0,2) 4 vs 5; (0,3) 9 vs 4; (1,0) 1 vs 10; (1,1) 2 vs 5;
  // (1,2) 5 vs 2; (1,3) 10 vs 1; (2,0) 4 vs 9; (2,1) 5 vs 4; (2,2) 8 vs 1.
  const v = [0.1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.9];
  const k = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
  const out = nearestFill(img(3, 4, 1, v), [mask(3, 4, k)]).data;
  const a = Math.fround(0.1),
    b = Math.fround(0.9);
  assert.deepEqual([...out], [a, a, a, b, a, a, b, b, a, b, b, b]);
});

test('nearest source is at the brute-force minimum distance on random masks', () => {
  const r = new Rng(5);
  for (const [h, w, p] of [
    [17, 23, 0.1],
    [32, 32, 0.02],
    [9, 40, 0.5],
    [20, 20, 0.005],
  ] as const) {
    const known = new Uint8Array(h * w);
    for (let i = 0; i < known.length; i++) known[i] = r.next() < p ? 1 : 0;
    known[r.int(h * w)] = 1; // at least one
    const src = nearestKnownIndex(known, h, w);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let best = Infinity;
        for (let q = 0; q < h * w; q++) {
          if (!known[q]) continue;
          const qy = Math.floor(q / w),
            qx = q % w;
          best = Math.min(best, (qy - y) ** 2 + (qx - x) ** 2);
        }
        const s = src[y * w + x]!;
        assert.ok(s >= 0 && known[s] === 1, 'source must be known');
        const d = (Math.floor(s / w) - y) ** 2 + ((s % w) - x) ** 2;
        assert.equal(d, best, `pixel (${y},${x}) in ${h}x${w}`);
      }
  }
});

test('registry lists the baselines; bad kinds and mask counts are UserErrors', () => {
  assert.deepEqual([...BASELINE_KINDS], ['zero', 'mean', 'nearest', 'telea']);
  assert.throws(
    () => getBaseline('patchmatch'),
    (e: unknown) => e instanceof UserError && /unknown baseline 'patchmatch'/.test(e.message),
  );
  const y = img(1, 2, 1, [0, 0, 0, 0], 2);
  const m = mask(1, 2, [1, 0]);
  assert.throws(() => zeroFill(y, [m, m, m]), UserError);
  assert.throws(() => zeroFill(y, [mask(2, 1, [1, 0])]), UserError);
  // One shared mask works for the whole batch, for every registered kind, and keeps known pixels.
  const z = img(1, 2, 1, [0.3, 0.6, 0.4, 0.2], 2);
  for (const kind of BASELINE_KINDS) {
    const out = getBaseline(kind).inpaint(z, [m]).data;
    assert.equal(out[0], z.data[0]);
    assert.equal(out[2], z.data[2]);
  }
});
