import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitToModel, fitBack, planFit } from './fit.js';
import { finishFill } from './finish.js';
import { makeMask } from '../masks/masks.js';
import { UserError } from '../util/errors.js';

const ramp = (h: number, w: number) => ({ data: Float32Array.from({ length: h * w }, (_, i) => (i % w) / w), n: 1, height: h, width: w, channels: 1 });

test('stretch (CLI): the search runs at the model size; the fill goes back to the image size; known pixels kept', () => {
  const im = ramp(40, 60), m = makeMask('center', 40, 60);
  const f = fitToModel(im, m, { width: 28, height: 28 });
  assert.deepEqual([f.image.width, f.image.height, f.mask.width, f.target.width, f.plan.resized], [28, 28, 28, 60, true]);
  assert.equal(f.target, im);
  // Shrinking never loses a hole pixel (every model pixel over a hole is a hole).
  assert.ok(f.mask.data.filter((v) => v === 0).length >= (28 * 28) / 4);
  const raw = { ...f.image, data: new Float32Array(28 * 28).fill(0.9) };
  const back = fitBack(f.plan, raw);
  assert.deepEqual([back.width, back.height], [60, 40]);
  const out = finishFill(f.target, back, f.targetMask, { blend: 'poisson' });
  for (let i = 0; i < 40 * 60; i++) if (m.data[i] === 1) assert.equal(out.blended.data[i], im.data[i]);
  // Same size: nothing resampled.
  const same = fitToModel(ramp(28, 28), makeMask('left', 28, 28), { width: 28, height: 28 });
  assert.equal(same.plan.resized, false);
  assert.deepEqual(Array.from(same.image.data), Array.from(ramp(28, 28).data));
});

test('centre-crop (server, page): the centred square, resized; masks stay binary; results at the model size', () => {
  const p = planFit({ width: 60, height: 40 }, { width: 28, height: 28 }, 'centre-crop');
  assert.deepEqual(p.crop, { left: 10, top: 0, side: 40, width: 40, height: 40 });
  const m = makeMask('random', 40, 60, { seed: 2 });
  const f = fitToModel(ramp(40, 60), m, { width: 28, height: 28 }, 'centre-crop');
  assert.deepEqual([f.image.width, f.target.width, f.targetMask.width], [28, 28, 28]);
  assert.ok(f.mask.data.every((v) => v === 0 || v === 1));
  // The crop's left column is the image's column 10.
  assert.ok(Math.abs(f.image.data[0]! - 10.7 / 60) < 0.02, String(f.image.data[0]));
  assert.throws(() => fitToModel(ramp(40, 60), makeMask('center', 20, 20), { width: 28, height: 28 }, 'centre-crop'), (e: Error) => e instanceof UserError && /mask is 20×20 px but the image is 60×40 px/.test(e.message));
  assert.throws(() => planFit({ width: 4, height: 4 }, { width: 4, height: 4 }, 'zoom' as never), (e: Error) => e instanceof UserError && /unknown fit mode 'zoom'/.test(e.message));
});
