import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resizeBilinear } from './resize.js';

test('bilinear resize keeps constants, interpolates a ramp, and hits hand-computed values', () => {
  const c = { data: new Float32Array(5 * 7 * 3).fill(0.25), n: 1, height: 5, width: 7, channels: 3 };
  for (const v of resizeBilinear(c, 13, 4).data) assert.ok(Math.abs(v - 0.25) < 1e-6);
  // 1×2 → 1×4: source centres at x = 0.5, 1.5; targets at 0.25, 0.75, 1.25, 1.75 (source coords)
  const r = resizeBilinear({ data: Float32Array.from([0, 1]), n: 1, height: 1, width: 2, channels: 1 }, 4, 1);
  assert.deepEqual(
    Array.from(r.data).map((v) => +v.toFixed(4)),
    [0, 0.25, 0.75, 1],
  );
  // Down by 4 box-averages: a 4×4 checker → 1×1 mean 0.5.
  const chk = Float32Array.from({ length: 16 }, (_, i) => ((i % 4) + Math.floor(i / 4)) % 2);
  assert.ok(
    Math.abs(resizeBilinear({ data: chk, n: 1, height: 4, width: 4, channels: 1 }, 1, 1).data[0]! - 0.5) < 1e-6,
  );
});
