import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { train } from '../train/loop.js';
import { barsDataset, E2E_BACKENDS, useBackend } from '../testing/fixtures.js';
import { inpaint } from './inpaint.js';
import { makeMask } from '../masks/masks.js';
import { psnr, holeRegions, meanFinite } from '../metrics/index.js';
import { BASELINES } from '../baselines/index.js';
import { toImageBatch } from '../data/dataset.js';

for (const backend of E2E_BACKENDS)
  test(`[${backend}] on a tiny synthetic dataset, the GAN fill beats mean fill in hole PSNR`, async () => {
    await useBackend(backend);
    // Vertical bars at random columns: half the image hidden, the visible half tells where the bar is
    // (or that it is on the other side); mean fill cannot know, a generator of bars can.
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-quality-'));
    const r = await train(
      {
        size: 28,
        channels: 1,
        nz: 4,
        gWidth: 8,
        dWidth: 8,
        batch: 32,
        iters: 100,
        lr: 1e-3,
        sampleEvery: 1000,
        checkpointEvery: 1000,
        data: 'bars',
        seed: 1,
      },
      { out, dataset: barsDataset(256, 1) },
    );
    const y = toImageBatch(
      barsDataset(16, 99),
      Array.from({ length: 16 }, (_, i) => i),
    );
    const masks = Array.from({ length: 16 }, (_, i) => makeMask(i % 2 ? 'left' : 'right', 28, 28));
    const res = await inpaint(r.models, y, masks, { iters: 150, restarts: 4, lr: 0.05 });
    const holes = holeRegions(masks);
    const gan = meanFinite(psnr(res.composite, y, holes));
    const mean = meanFinite(psnr(BASELINES.mean!.inpaint(y, masks), y, holes));
    assert.ok(gan > mean + 1, `hole PSNR: GAN ${gan.toFixed(2)} dB vs mean fill ${mean.toFixed(2)} dB`);
  });
