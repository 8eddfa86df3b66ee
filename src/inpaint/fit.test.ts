import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { fitToModel, fitBack, planFit, planCrops, holeRegionBoxes, assembleFills, MAX_REGIONS } from './fit.js';
import { finishFill } from './finish.js';
import { inpaintImages } from './inpaint.js';
import { makeMask } from '../masks/masks.js';
import { buildModels, disposeModel } from '../models/index.js';
import { UserError } from '../util/errors.js';
import type { Mask } from '../types.js';

const ramp = (h: number, w: number, c = 1) => ({
  data: Float32Array.from({ length: h * w * c }, (_, i) => ((i / c) % w) / w),
  n: 1,
  height: h,
  width: w,
  channels: c,
});
const holes = (h: number, w: number, rects: [number, number, number, number][]): Mask => {
  const data = new Float32Array(h * w).fill(1);
  for (const [x, y, rw, rh] of rects)
    for (let j = y; j < y + rh; j++) for (let i = x; i < x + rw; i++) data[j * w + i] = 0;
  return { data, height: h, width: w };
};

test('whole (CLI default): aspect kept by padding; the fill goes back to the image size; known pixels kept', () => {
  const im = ramp(40, 60),
    m = makeMask('center', 40, 60);
  const f = fitToModel(im, m, { width: 28, height: 28 });
  const p = f.plans[0]!;
  assert.equal(f.plans.length, 1);
  assert.deepEqual(
    [f.images[0]!.width, f.images[0]!.height, f.masks[0]!.width, f.target.width, p.resized],
    [28, 28, 28, 60, true],
  );
  // 60×40 → 28×19 (aspect 1.5 kept), centred: rows 4 … 22; the padding rows are unknown.
  assert.deepEqual(p.placed, { left: 0, top: 4, width: 28, height: 19 });
  const mk = f.masks[0]!.data;
  assert.ok(
    [0, 1, 2, 3, 23, 27].every((row) => mk.subarray(row * 28, row * 28 + 28).every((v) => v === 0)),
    'padding is unknown',
  );
  assert.ok(
    mk.subarray(5 * 28, 5 * 28 + 28).every((v) => v === 1),
    'a known row of the image is known',
  );
  assert.equal(f.target, im);
  const raw = { ...f.images[0]!, data: new Float32Array(28 * 28).fill(0.9) };
  const back = fitBack(p, raw);
  assert.deepEqual([back.width, back.height], [60, 40]);
  const out = finishFill(f.target, assembleFills(f.target, f.plans, [back]), f.targetMask, { blend: 'poisson' });
  for (let i = 0; i < 40 * 60; i++) if (m.data[i] === 1) assert.equal(out.blended.data[i], im.data[i]);
  // Square, same size: nothing resampled, no padding.
  const same = fitToModel(ramp(28, 28), makeMask('left', 28, 28), { width: 28, height: 28 });
  assert.equal(same.plans[0]!.resized, false);
  assert.deepEqual(Array.from(same.images[0]!.data), Array.from(ramp(28, 28).data));
});

test('centre-crop (server, page): the centred square, resized; masks stay binary; results at the model size', () => {
  const p = planFit({ width: 60, height: 40 }, { width: 28, height: 28 }, 'centre-crop');
  assert.deepEqual(p.crop, { left: 10, top: 0, side: 40, width: 40, height: 40 });
  const m = makeMask('random', 40, 60, { seed: 2 });
  const f = fitToModel(ramp(40, 60), m, { width: 28, height: 28 }, 'centre-crop');
  assert.deepEqual([f.images[0]!.width, f.target.width, f.targetMask.width], [28, 28, 28]);
  assert.ok(f.masks[0]!.data.every((v) => v === 0 || v === 1));
  // The crop's left column is the image's column 10.
  assert.ok(Math.abs(f.images[0]!.data[0]! - 10.7 / 60) < 0.02, String(f.images[0]!.data[0]));
  assert.throws(
    () => fitToModel(ramp(40, 60), makeMask('center', 20, 20), { width: 28, height: 28 }, 'centre-crop'),
    (e: Error) => e instanceof UserError && /mask is 20×20 px but the image is 60×40 px/.test(e.message),
  );
  assert.throws(
    () => planFit({ width: 4, height: 4 }, { width: 4, height: 4 }, 'zoom' as never),
    (e: Error) => e instanceof UserError && /unknown fit mode 'zoom'/.test(e.message),
  );
});

test('crop: one context square per hole region (margin ≥ the hole, ≥ the model size); near regions merge', () => {
  const to = { width: 32, height: 32 };
  // Two 20×10 holes far apart in a 400×300 image.
  const m = holes(300, 400, [
    [30, 40, 20, 10],
    [300, 220, 20, 10],
  ]);
  const plans = planCrops(m, to);
  assert.equal(plans.length, 2);
  const at = [
    [30, 40],
    [300, 220],
  ] as const;
  for (const [k, p] of plans.entries()) {
    const [x, y] = at[k]!;
    assert.equal(p.crop.width, 60);
    assert.equal(p.crop.height, 60);
    // The hole lies inside with at least its own size of context where the image allows.
    assert.ok(
      p.crop.left <= x &&
        p.crop.left + p.crop.width >= x + 20 &&
        p.crop.top <= y &&
        p.crop.top + p.crop.height >= y + 10,
    );
  }
  assert.deepEqual(plans[0]!.crop, { left: 10, top: 15, width: 60, height: 60, side: 60 });
  // A small hole still gets at least the model's size of context.
  assert.equal(planCrops(holes(300, 400, [[100, 100, 4, 4]]), to)[0]!.crop.width, 32);
  // Two holes whose squares overlap are one region.
  assert.equal(
    holeRegionBoxes(
      holes(300, 400, [
        [100, 100, 10, 10],
        [125, 100, 10, 10],
      ]),
      to,
    ).length,
    1,
  );
  // A random-pixel mask: one region, not thousands.
  assert.equal(holeRegionBoxes(makeMask('random', 200, 200, { seed: 1 }), to).length, 1);
  assert.ok(MAX_REGIONS >= 2);
  // No hole, no region.
  assert.equal(planCrops(holes(50, 50, []), to).length, 0);
});

test('inpaintImages with fit crop: known pixels byte-identical, each hole filled from its own crop, outputs at full size', async () => {
  const models = buildModels('dcgan', {
    size: 32,
    channels: 3,
    nz: 8,
    gWidth: 4,
    dWidth: 4,
    criticNorm: 'layer',
    seed: 3,
  });
  try {
    const im = ramp(120, 200, 3),
      m = holes(120, 200, [
        [20, 20, 12, 12],
        [160, 90, 10, 8],
      ]);
    const before = tf.memory().numTensors;
    for (const fit of ['crop', 'whole'] as const) {
      for (const blend of ['poisson', 'none'] as const) {
        const [r] = await inpaintImages(models, [im], [m], { iters: 3, restarts: 1, fit, blend });
        assert.equal(r!.plans.length, fit === 'crop' ? 2 : 1);
        for (const out of [r!.composite, r!.blended]) {
          assert.deepEqual([out.width, out.height, out.channels], [200, 120, 3]);
          for (let p = 0; p < 120 * 200; p++) {
            if (m.data[p] === 1)
              for (let c = 0; c < 3; c++)
                assert.equal(out.data[p * 3 + c], im.data[p * 3 + c], `known pixel ${p} changed (${fit}, ${blend})`);
          }
        }
        // Every hole pixel was filled (the ramp's value there would be a coincidence of < 1e-3).
        let changed = 0,
          hole = 0;
        for (let p = 0; p < 120 * 200; p++)
          if (m.data[p] === 0) {
            hole++;
            if (Math.abs(r!.composite.data[p * 3]! - im.data[p * 3]!) > 1e-3) changed++;
          }
        assert.ok(changed > 0.9 * hole, `${changed} of ${hole} hole pixels filled (${fit})`);
        if (fit === 'crop') {
          // raw: the input outside the two context squares.
          assert.equal(r!.raw.data[(119 * 200 + 100) * 3], im.data[(119 * 200 + 100) * 3]);
        }
      }
    }
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  } finally {
    disposeModel(models);
  }
});
