import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bilinearTaps, resizeSquare, greyToRgb } from './resize.js';

test('upsampling 2→4 uses half-pixel bilinear weights (hand-computed)', () => {
  // Output centres in input units: 0.25, 0.75, 1.25, 1.75. Pixel centres 0.5 and 1.5.
  // x=0: only pixel 0 is within reach (pixel −1 is outside) → a; x=1: 0.75a + 0.25b; x=2: 0.25a + 0.75b; x=3: b.
  const src = new Uint8Array([0, 200, 0, 200]); // rows [0, 200], [0, 200]
  const out = resizeSquare(src, 1, 2, 4, 1);
  for (let y = 0; y < 4; y++) assert.deepEqual([...out.subarray(4 * y, 4 * y + 4)], [0, 50, 150, 200]);
});

test('downsampling 4→2 averages with a widened triangle (hand-computed)', () => {
  // Out x=0: centre 1.0, support 2: pixels 0,1,2 with weights 0.75, 0.75, 0.25 (sum 1.75).
  const t = bilinearTaps(4, 2);
  assert.equal(t.start[0], 0);
  const w = [...t.weights.subarray(0, 3)];
  [0.75 / 1.75, 0.75 / 1.75, 0.25 / 1.75].forEach((v, i) => {
    assert.ok(Math.abs(w[i]! - v) < 1e-6);
  });
  const row = [10, 20, 30, 40];
  const src = new Uint8Array([...row, ...row, ...row, ...row]);
  const out = resizeSquare(src, 1, 4, 2, 1);
  // x=0: (0.75·10 + 0.75·20 + 0.25·30)/1.75 = 30/1.75 = 17.14 → 17; x=1 by symmetry (0.25·20+0.75·30+0.75·40)/1.75 = 57.5/1.75 = 32.86 → 33.
  assert.deepEqual([...out], [17, 33, 17, 33]);
});

test('a constant image stays constant at any size, per channel', () => {
  const src = new Uint8Array(2 * 28 * 28 * 3);
  for (let i = 0; i < src.length; i += 3) {
    src[i] = 7;
    src[i + 1] = 128;
    src[i + 2] = 255;
  }
  for (const size of [16, 28, 32, 64]) {
    const out = resizeSquare(src, 2, 28, size, 3);
    assert.equal(out.length, 2 * size * size * 3);
    for (let i = 0; i < out.length; i += 3) assert.deepEqual([out[i], out[i + 1], out[i + 2]], [7, 128, 255]);
  }
});

test('grey → RGB replicates', () => {
  assert.deepEqual([...greyToRgb(new Uint8Array([1, 200]))], [1, 1, 1, 200, 200, 200]);
});
