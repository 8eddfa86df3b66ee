import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fillCropBatch, parseCropScale } from './crops.js';
import { barsDataset, TINY } from '../testing/fixtures.js';
import { Rng } from '../util/rng.js';
import { train } from '../train/loop.js';
import { loadCheckpoint } from '../encoder/checkpoint.js';
import { inpaintImages } from '../inpaint/inpaint.js';
import { resolveConfig } from '../config/config.js';
import { UserError } from '../util/errors.js';
import { disposeModel } from '../models/index.js';

test('crops: side u·S at a random place, resized to the model side, in [−1, 1]; seeded', () => {
  const ds = barsDataset(4, 1, 56);
  const out = new Float32Array(4 * 28 * 28);
  fillCropBatch(ds, [0, 1, 2, 3], out, 28, new Rng(5), [0.5, 0.5]);
  assert.ok(out.every((v) => v >= -1 && v <= 1));
  // Scale 0.5 of 56 = 28: no resampling, so every value is one of the dataset's two levels.
  const levels = new Set(Array.from(out, (v) => Math.round(((v + 1) / 2) * 255)));
  assert.deepEqual(
    [...levels].sort((a, b) => a - b),
    [0, 230],
  );
  const again = new Float32Array(out.length);
  fillCropBatch(ds, [0, 1, 2, 3], again, 28, new Rng(5), [0.5, 0.5]);
  assert.deepEqual(Array.from(again), Array.from(out));
  fillCropBatch(ds, [0, 1, 2, 3], again, 28, new Rng(6), [0.5, 0.5]);
  assert.notDeepEqual(Array.from(again), Array.from(out));
  // Scale 1: the whole image, resized.
  fillCropBatch(ds, [0], again, 28, new Rng(5), [1, 1]);
  assert.deepEqual(parseCropScale('0.25,0.5'), [0.25, 0.5]);
  assert.throws(
    () => resolveConfig({ crop: 64, cropScale: '0.6,0.3' }),
    (e: Error) => e instanceof UserError && /cropScale/.test(e.message),
  );
  assert.throws(
    () => resolveConfig({ cropScale: '2,3' }),
    (e: Error) => e instanceof UserError && /cropScale must be 'a,b'/.test(e.message),
  );
});

test('train --crop: resumes exactly (the crop stream is checkpointed) and the model completes by crop fit', async () => {
  const ds = barsDataset(16, 2, 56);
  const cfg = { ...TINY, iters: 4, checkpointEvery: 100, data: 'bars', seed: 3, crop: 56, cropScale: '0.3,0.6' };
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-crop-'));
  const straight = tmp(),
    split = tmp();
  const r1 = await train(cfg, { out: straight, dataset: ds });
  await train({ ...cfg, iters: 2 }, { out: split, dataset: ds });
  const r2 = await train({ iters: 4 }, { out: split, dataset: ds, resume: true });
  assert.deepEqual(
    r2.models.generator.getWeights().map((t) => Array.from(t.dataSync())),
    r1.models.generator.getWeights().map((t) => Array.from(t.dataSync())),
  );
  const ck = await loadCheckpoint(split);
  assert.equal(ck.manifest.config.crop, 56);
  assert.equal(typeof ck.manifest.cropRngState, 'number');
  // Its default fit is crop: a 120×90 image with two far-apart holes gets two plans.
  const im = { data: new Float32Array(90 * 120).fill(0.3), n: 1, height: 90, width: 120, channels: 1 };
  const m = { data: new Float32Array(90 * 120).fill(1), height: 90, width: 120 };
  for (const [x, y] of [
    [5, 5],
    [100, 70],
  ] as const)
    for (let j = y; j < y + 6; j++) for (let i = x; i < x + 6; i++) m.data[j * 120 + i] = 0;
  const [r] = await inpaintImages(ck, [im], [m], { iters: 2, restarts: 1 });
  assert.equal(r!.plans.length, 2);
  assert.equal(r!.plans[0]!.mode, 'crop');
  const [w] = await inpaintImages(ck, [im], [m], { iters: 2, restarts: 1, fit: 'whole' });
  assert.equal(w!.plans.length, 1);
  await assert.rejects(
    train({ ...cfg, crop: 20 }, { out: tmp(), dataset: barsDataset(4, 1, 20) }),
    (e: Error) => e instanceof UserError && /smaller than --size/.test(e.message),
  );
  for (const d of [straight, split]) fs.rmSync(d, { recursive: true, force: true });
  for (const x of [r1, r2]) {
    disposeModel(x.models);
  }
  disposeModel(ck);
});
