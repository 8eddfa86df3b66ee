import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importanceWeights } from './weights.js';
import type { Mask } from '../types.js';
import { UserError } from '../util/errors.js';

function maskWithHoles(h: number, w: number, holes: [number, number][]): Mask {
  const data = new Float32Array(h * w).fill(1);
  for (const [y, x] of holes) data[y * w + x] = 0;
  return { data, height: h, width: w };
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, eps = 1e-6): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= eps, `index ${i}: ${a[i]} vs ${b[i]}`);
}

test('5x5 mask, one central hole, window 3: its 8 neighbours get 1/9', () => {
  const w = importanceWeights(maskWithHoles(5, 5, [[2, 2]]), 3);
  const n = 1 / 9;
  // prettier-ignore
  close(w, [0, 0, 0, 0, 0, 0, n, n, n, 0, 0, n, 0, n, 0, 0, n, n, n, 0, 0, 0, 0, 0, 0]);
});

test('corner hole: the window is clipped to the image and only in-image pixels are counted', () => {
  const w = importanceWeights(maskWithHoles(4, 4, [[0, 0]]), 3);
  // (0,1) and (1,0) see a 2x3 window (6 in-image pixels), (1,1) a full 3x3 one.
  // prettier-ignore
  close(w, [0, 1 / 6, 0, 0, 1 / 6, 1 / 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
});

test('two holes in one window add up; window 1 gives all zeros', () => {
  const m = maskWithHoles(3, 3, [
    [0, 0],
    [0, 2],
  ]);
  const w = importanceWeights(m, 3);
  // (0,1): rows 0-1, cols 0-2 = 6 pixels, 2 holes → 1/3. (1,1): 9 pixels, 2 holes → 2/9.
  // (1,0): rows 0-2, cols 0-1 = 6 pixels, 1 hole → 1/6. (2,1): rows 1-2 → no hole.
  close(w, [0, 1 / 3, 0, 1 / 6, 2 / 9, 1 / 6, 0, 0, 0]);
  close(importanceWeights(m, 1), new Float32Array(9));
});

test('matches a brute-force reference on a random mask, window 7', () => {
  const h = 13,
    wd = 17;
  const data = new Float32Array(h * wd);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = s / 2147483648 < 0.3 ? 0 : 1;
  }
  const m: Mask = { data, height: h, width: wd };
  const ref = new Float32Array(h * wd);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < wd; x++) {
      if (data[y * wd + x] === 0) continue;
      let holes = 0,
        count = 0;
      for (let dy = -3; dy <= 3; dy++) {
        for (let dx = -3; dx <= 3; dx++) {
          const yy = y + dy,
            xx = x + dx;
          if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
          count++;
          if (data[yy * wd + xx] === 0) holes++;
        }
      }
      ref[y * wd + x] = holes / count;
    }
  }
  close(importanceWeights(m), ref);
});

test('bad window → UserError', () => {
  const m = maskWithHoles(3, 3, []);
  assert.throws(() => importanceWeights(m, 4), UserError);
  assert.throws(() => importanceWeights(m, 0), UserError);
});

test('floor: every known pixel weighs at least the floor; near-hole weights and holes unchanged', () => {
  const m = maskWithHoles(5, 5, [[2, 2]]);
  const plain = importanceWeights(m, 3),
    floored = importanceWeights(m, 3, 0.05);
  const n = 1 / 9,
    f = 0.05;
  // prettier-ignore
  close(floored, [f, f, f, f, f, f, n, n, n, f, f, n, 0, n, f, f, n, n, n, f, f, f, f, f, f]);
  // A floor above a near-hole weight raises it too (a floor, not an offset); 0 is the plain weights.
  assert.equal(importanceWeights(m, 3, 0.5)[1 * 5 + 1], 0.5);
  close(importanceWeights(m, 3, 0), plain);
});
