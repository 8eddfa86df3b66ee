import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poissonBlend, poissonBlendBatch, holeBox } from './poisson.js';
import type { ImageBatch, Mask } from '../types.js';
import { makeMask } from '../masks/masks.js';
import { UserError } from '../util/errors.js';

function image(h: number, w: number, c: number, f: (y: number, x: number, k: number) => number): ImageBatch {
  const data = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) data[(y * w + x) * c + k] = f(y, x, k);
  return { data, n: 1, height: h, width: w, channels: c };
}

/** A mask whose hole is the rectangle rows [y0, y1) × columns [x0, x1). */
function rectHole(h: number, w: number, y0: number, y1: number, x0: number, x1: number): Mask {
  const data = new Float32Array(h * w).fill(1);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * w + x] = 0;
  return { data, height: h, width: w };
}

const px = (b: ImageBatch, y: number, x: number, k = 0): number => b.data[(y * b.width + x) * b.channels + k]!;

/**
 * Independent check of the discrete Poisson equation at every hole pixel (written from the formula,
 * not from the solver): |N_p| f_p − Σ_{q∈N_p} f_q − Σ_{q∈N_p} (s_p − s_q), where f = result everywhere.
 */
function maxResidual(f: ImageBatch, s: ImageBatch, m: Mask): number {
  let worst = 0;
  for (let y = 0; y < f.height; y++) {
    for (let x = 0; x < f.width; x++) {
      if (m.data[y * f.width + x] !== 0) continue;
      for (let k = 0; k < f.channels; k++) {
        let r = 0;
        for (const [yy, xx] of [
          [y - 1, x],
          [y + 1, x],
          [y, x - 1],
          [y, x + 1],
        ] as const) {
          if (yy < 0 || yy >= f.height || xx < 0 || xx >= f.width) continue;
          r += px(f, y, x, k) - px(f, yy, xx, k) - (px(s, y, x, k) - px(s, yy, xx, k));
        }
        worst = Math.max(worst, Math.abs(r));
      }
    }
  }
  return worst;
}

test('source = target + constant → the result equals the target', () => {
  const target = image(24, 20, 3, (y, x, k) => 0.5 + 0.3 * Math.sin(0.3 * y + k) * Math.cos(0.2 * x) ** 2);
  const source = { ...target, data: target.data.map((v) => v + 0.25) };
  const mask = makeMask('center', 24, 20);
  const out = poissonBlend(target, source, mask);
  for (let i = 0; i < out.data.length; i++) assert.ok(Math.abs(out.data[i]! - target.data[i]!) < 1e-5, `index ${i}`);
  // A hole touching the image border (Neumann side) as well.
  const out2 = poissonBlend(target, source, makeMask('left', 24, 20));
  for (let i = 0; i < out2.data.length; i++)
    assert.ok(Math.abs(out2.data[i]! - target.data[i]!) < 1e-5, `left, index ${i}`);
});

test('harmonic boundary data: a ramp target with a flat source is filled with the ramp', () => {
  // Linear functions are discrete-harmonic, so Δf = Δ(const) = 0 with ramp boundary values has the
  // ramp itself as its unique solution. The hole touches the top border, where the ramp (constant in
  // y) also satisfies the zero-flux condition.
  const target = image(16, 16, 1, (_y, x) => 0.1 + 0.05 * x);
  const source = image(16, 16, 1, () => 0.9);
  const mask = rectHole(16, 16, 0, 10, 3, 12);
  const out = poissonBlend(target, source, mask, { tol: 1e-10 });
  for (let y = 0; y < 16; y++)
    for (let x = 0; x < 16; x++)
      assert.ok(Math.abs(px(out, y, x) - (0.1 + 0.05 * x)) < 1e-5, `(${y},${x}) = ${px(out, y, x)}`);
});

test('a linear ramp source pasted into a constant target keeps the constant (Δ ramp = 0)', () => {
  const target = image(12, 12, 1, () => 0.4);
  const source = image(12, 12, 1, (y, x) => 0.02 * x + 0.01 * y);
  const out = poissonBlend(target, source, rectHole(12, 12, 3, 9, 2, 10), { tol: 1e-10 });
  for (const v of out.data) assert.ok(Math.abs(v - 0.4) < 1e-6);
});

test('the discrete system is solved on a random mask with a textured source (residual small)', () => {
  const target = image(32, 32, 3, (y, x, k) => 0.5 + 0.1 * Math.sin(0.2 * x + 0.3 * y + k));
  const source = image(
    32,
    32,
    3,
    (y, x, k) => 0.45 + 0.05 * Math.cos(0.7 * x - 0.4 * y * k) + 0.03 * Math.sin(1.3 * y),
  );
  for (const kind of ['pattern', 'strokes', 'random', 'bottom']) {
    const mask = makeMask(kind, 32, 32, { seed: 4 });
    const out = poissonBlend(target, source, mask);
    // No pixel was clamped, so the unclamped system must hold (float32 output: ~1e-6 per term).
    for (const v of out.data) assert.ok(v > 0 && v < 1);
    const res = maxResidual(out, source, mask);
    assert.ok(res < 1e-4, `${kind}: residual ${res}`);
    // Known pixels are untouched.
    for (let i = 0; i < 32 * 32; i++)
      if (mask.data[i] === 1) for (let k = 0; k < 3; k++) assert.equal(out.data[i * 3 + k], target.data[i * 3 + k]);
  }
});

test('seamless: across the hole boundary the result jumps no more than the source does', () => {
  // A dark flat target and a bright textured source: a plain paste would jump by ≈ 0.5 at the seam.
  const target = image(32, 32, 1, () => 0.2);
  const source = image(32, 32, 1, (y, x) => 0.7 + 0.05 * Math.sin(0.5 * x) * Math.cos(0.4 * y));
  const mask = rectHole(32, 32, 8, 24, 8, 24);
  const out = poissonBlend(target, source, mask);
  // The source's steepest 1-pixel step anywhere (its gradient scale): ≈ 0.05 · 0.5 = 0.025.
  let sourceStep = 0;
  for (let y = 0; y < 32; y++)
    for (let x = 0; x < 31; x++)
      sourceStep = Math.max(
        sourceStep,
        Math.abs(px(source, y, x + 1) - px(source, y, x)),
        Math.abs(px(source, x + 1, y) - px(source, x, y)),
      );
  let seam = 0,
    pasteJump = 0;
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      if (mask.data[y * 32 + x] !== 0) continue;
      for (const [yy, xx] of [
        [y - 1, x],
        [y + 1, x],
        [y, x - 1],
        [y, x + 1],
      ] as const) {
        if (mask.data[yy * 32 + xx] !== 1) continue; // only pairs straddling the boundary
        seam = Math.max(seam, Math.abs(px(out, y, x) - px(out, yy, xx)));
        pasteJump = Math.max(pasteJump, Math.abs(px(source, y, x) - px(target, yy, xx)));
      }
    }
  }
  assert.ok(pasteJump > 0.4);
  assert.ok(sourceStep < 0.03);
  // f = source + h with h harmonic and h = target − source on the boundary; h varies along the
  // boundary as the source does, so it adds a fraction of a source step at the seam (not a theorem
  // that seam ≤ one step, hence the 1.5 factor; a plain paste is 20× worse).
  assert.ok(seam <= 1.5 * sourceStep, `seam step ${seam} > 1.5 × the source's steepest step ${sourceStep}`);
});

test('no hole → the target unchanged; all-hole → the source (no boundary to anchor it)', () => {
  const target = image(8, 8, 3, (y, x, k) => (y + x + k) / 20);
  const source = image(8, 8, 3, (y, x, k) => 0.3 + (y * x * (k + 1)) / 400);
  const none = poissonBlend(target, source, { data: new Float32Array(64).fill(1), height: 8, width: 8 });
  assert.deepEqual(none.data, target.data);
  assert.notEqual(none.data, target.data); // a copy, not the same buffer
  const all = poissonBlend(target, source, { data: new Float32Array(64), height: 8, width: 8 });
  for (let i = 0; i < all.data.length; i++) assert.ok(Math.abs(all.data[i]! - source.data[i]!) < 1e-6);
});

test('output is clamped to [0, 1]', () => {
  const target = image(10, 10, 1, () => 0.95);
  const source = image(10, 10, 1, (y, x) => ((y - 5) ** 2 + (x - 5) ** 2 < 6 ? 1 : 0)); // a bright spot: f overshoots 1
  const out = poissonBlend(target, source, rectHole(10, 10, 2, 8, 2, 8));
  let max = 0;
  for (const v of out.data) {
    assert.ok(v >= 0 && v <= 1);
    max = Math.max(max, v);
  }
  assert.equal(max, 1);
});

test('poissonBlendBatch blends each image with its own (or a shared) mask', () => {
  const t1 = image(8, 8, 1, () => 0.3),
    t2 = image(8, 8, 1, () => 0.6);
  const s = image(8, 8, 1, (_y, x) => 0.05 * x);
  const targets: ImageBatch = {
    data: Float32Array.from([...t1.data, ...t2.data]),
    n: 2,
    height: 8,
    width: 8,
    channels: 1,
  };
  const sources: ImageBatch = {
    data: Float32Array.from([...s.data, ...s.data]),
    n: 2,
    height: 8,
    width: 8,
    channels: 1,
  };
  const m1 = rectHole(8, 8, 2, 6, 2, 6),
    m2 = rectHole(8, 8, 1, 4, 1, 7);
  const out = poissonBlendBatch(targets, sources, [m1, m2]);
  assert.equal(out.n, 2);
  // Ramp source into a flat target → flat (see above), each at its own level.
  for (let i = 0; i < 64; i++) assert.ok(Math.abs(out.data[i]! - 0.3) < 1e-5);
  for (let i = 64; i < 128; i++) assert.ok(Math.abs(out.data[i]! - 0.6) < 1e-5);
  const shared = poissonBlendBatch(targets, sources, m1);
  assert.equal(shared.n, 2);
  assert.throws(() => poissonBlendBatch(targets, sources, [m1]), UserError);
});

test('shape mismatches → UserError', () => {
  const t = image(8, 8, 1, () => 0.5);
  assert.throws(
    () =>
      poissonBlend(
        t,
        image(8, 9, 1, () => 0.5),
        rectHole(8, 8, 1, 2, 1, 2),
      ),
    UserError,
  );
  assert.throws(() => poissonBlend(t, t, rectHole(8, 7, 1, 2, 1, 2)), UserError);
});

test('speed: 64x64x3 with a 25 % hole blends well under 50 ms', () => {
  const target = image(64, 64, 3, (y, x, k) => 0.5 + 0.3 * Math.sin(0.1 * x * (k + 1) + 0.05 * y));
  const source = image(64, 64, 3, (y, x, k) => 0.4 + 0.2 * Math.cos(0.13 * x - 0.07 * y * (k + 1)));
  const mask = makeMask('center', 64, 64);
  for (let r = 0; r < 3; r++) poissonBlend(target, source, mask); // warm-up (JIT)
  let best = Infinity; // best of 5: other processes share the 2 cores
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    poissonBlend(target, source, mask);
    best = Math.min(best, performance.now() - t0);
  }
  assert.ok(best < 50, `took ${best.toFixed(1)} ms`);
});

test('the blend is solved on the hole box only and gives the whole-image solve bit for bit', () => {
  // A textured 90×120 RGB picture with two holes far apart (one on the border) and a large known rest.
  const h = 90,
    w = 120;
  const target = image(h, w, 3, (y, x, k) => 0.5 + 0.4 * Math.sin(0.21 * x + 0.13 * y + k));
  const source = image(h, w, 3, (y, x, k) => 0.5 + 0.3 * Math.cos(0.17 * x - 0.11 * y + 2 * k));
  const m = rectHole(h, w, 20, 31, 30, 44);
  for (let y = 0; y < 12; y++) for (let x = 100; x < 120; x++) m.data[y * w + x] = 0; // touches the top and right border
  const box = holeBox(m)!;
  assert.deepEqual(box, { top: 0, left: 29, height: 32, width: 91 });
  const fast = poissonBlend(target, source, m);
  const whole = poissonBlend(target, source, m, { region: 'image' });
  assert.deepEqual(Array.from(fast.data), Array.from(whole.data));
  // Known pixels, even inside the box, are the target's.
  for (let i = 0; i < h * w; i++)
    if (m.data[i] === 1) for (let k = 0; k < 3; k++) assert.equal(fast.data[i * 3 + k], target.data[i * 3 + k]);
  assert.ok(maxResidual(fast, source, m) < 1e-4);
  // No hole: no box, the target comes back.
  assert.equal(holeBox(rectHole(4, 4, 0, 0, 0, 0)), null);
});
