/**
 * Thin and extreme-aspect images (issue #30 item 1): a 222-byte 1000×1 PNG passed --max-pixels and
 * took 2.1 GB, because side_by_side.png was upscaled by 128 / height in both directions. Derived
 * outputs (side_by_side.png, progress.gif) are now bounded in pixels whatever the input's aspect,
 * and the rest of the path (fit whole/crop, resize to the model, Poisson blend, mask resizing) gives
 * full-size results, through the `inpaint` binary, `inpaintFiles`, and `batch` (the queue's seam).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import {
  encodePng,
  makeGrid,
  upscale,
  previewGrid,
  previewFrames,
  PREVIEW_MAX_SIDE,
  PREVIEW_MAX_PIXELS,
  PREVIEW_MAX_FRAMES,
} from './image.js';
import { inpaintFiles } from '../inpaint/files_node.js';
import { runBatch } from '../queue/batch.js';
import { resolveInpaintOptions } from '../inpaint/options.js';
import type { Checkpoint } from '../train/checkpoint.js';
import { loadCheckpoint } from '../encoder/checkpoint.js';
import { runCli } from '../testing/measure.js';
import { makeTinyModel } from '../testing/server_fixture.js';
import { testBackend } from '../testing/fixtures.js';
import type { ImageBatch } from '../types.js';
import { disposeModel } from '../models/index.js';

const SIZES: [number, number][] = [
  [1000, 1],
  [2000, 1],
  [5000, 1],
  [20000, 1],
  [1, 1000],
  [1, 20000],
  [3, 20000],
];
const name = ([w, h]: [number, number]) => `${w}x${h}`;
const ramp = (w: number, h: number, c = 1): ImageBatch => ({
  data: new Float32Array(w * h * c).map((_, i) => (i % 11) / 11),
  n: 1,
  height: h,
  width: w,
  channels: c,
});

let d = '';
let model = '';
let input = '';
let ck: Checkpoint;

before(async () => {
  await testBackend();
  d = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-thin-'));
  model = await makeTinyModel(path.join(d, 'model'));
  ck = await loadCheckpoint(model);
  input = path.join(d, 'in');
  fs.mkdirSync(input);
  for (const s of SIZES) fs.writeFileSync(path.join(input, `${name(s)}.png`), await encodePng(ramp(...s)));
  assert.ok(fs.statSync(path.join(input, '1000x1.png')).size < 300, 'a few hundred bytes each');
});
after(() => {
  disposeModel(ck);
  fs.rmSync(d, { recursive: true, force: true });
});

async function size(file: string): Promise<{ width: number; height: number; pages: number }> {
  const m = await sharp(file, { pages: -1 }).metadata();
  return { width: m.width!, height: m.pageHeight ?? m.height!, pages: m.pages ?? 1 };
}

/** Every image's folder: the full-size outputs at the image's size, the previews within bounds. */
async function checkOutputs(out: string, gif: boolean): Promise<void> {
  for (const s of SIZES) {
    const dir = path.join(out, name(s));
    for (const f of ['input', 'mask', 'masked', 'raw', 'composite', 'blended']) {
      const z = await size(path.join(dir, `${f}.png`));
      assert.deepEqual([z.width, z.height], s, `${name(s)}/${f}.png`);
    }
    const sbs = await size(path.join(dir, 'side_by_side.png'));
    assert.ok(
      sbs.width <= PREVIEW_MAX_SIDE && sbs.height <= PREVIEW_MAX_SIDE && sbs.width * sbs.height <= PREVIEW_MAX_PIXELS,
      `${name(s)}/side_by_side.png is ${sbs.width}×${sbs.height}`,
    );
    if (gif) {
      const g = await size(path.join(dir, 'progress.gif'));
      assert.ok(
        g.width * g.height <= 256 * 256 && g.pages <= PREVIEW_MAX_FRAMES,
        `${name(s)}/progress.gif is ${g.pages} × ${g.width}×${g.height}`,
      );
    }
  }
}

test('1. inpaint: 1000×1 … 20000×1 and 1×1000 … 3×20000 images complete, full-size, with bounded previews and memory', async () => {
  for (const fit of ['whole', 'crop']) {
    const out = path.join(d, `o-cli-${fit}`);
    const r = runCli([
      'inpaint',
      '--model',
      model,
      '--input',
      input,
      '--mask',
      fit === 'crop' ? 'random' : 'center',
      '--fit',
      fit,
      '--out',
      out,
      '--iters',
      '3',
      '--restarts',
      '1',
      '--progress-every',
      '1',
      '--backend',
      'cpu',
    ]);
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    // Before: 2.1 GB for the 1000×1 image alone, and a RangeError at 5000×1.
    assert.ok(r.maxRssMB < 600, `peak RSS ${r.maxRssMB.toFixed(0)} MB`);
    await checkOutputs(out, true);
  }
  assert.match(runCli(['inpaint', '--help']).stdout, /side_by_side\.png at most 8192 px a side and\s+16 MP/);
});

test('1. the library (inpaintFiles) and batch (the queue seam) give the same bounded outputs', async () => {
  const out = path.join(d, 'o-lib');
  const s = await inpaintFiles(ck, { input, mask: 'strokes', out, options: { iters: 2, restarts: 1 } });
  assert.equal(s.written, SIZES.length);
  await checkOutputs(out, false);
  const b = await runBatch({
    input,
    mask: 'left',
    out: path.join(d, 'o-batch'),
    model,
    options: resolveInpaintOptions({ iters: 2, restarts: 1 }),
    backend: 'cpu',
  });
  assert.equal(b.done, SIZES.length, JSON.stringify(b.images.filter((x) => x.status !== 'done')));
  await checkOutputs(path.join(d, 'o-batch'), false);
});

test('1. previewGrid: small tiles upscaled as before; large or thin grids shrunk within the bounds', () => {
  // A model-size result: the same bytes as before (makeGrid, then an integer upscale to ≥ 128 px).
  const t28 = [ramp(28, 28), ramp(28, 28), ramp(28, 28)];
  assert.deepEqual(previewGrid(t28, 3), upscale(makeGrid(t28, 3, 2), 4));
  for (const [w, h, c] of [
    [40000, 1, 3],
    [1, 40000, 1],
    [4000, 1000, 1],
    [300, 300, 3],
  ] as const) {
    const tiles = Array.from({ length: 5 }, () => ramp(w, h, c));
    const g = previewGrid(tiles, 5);
    assert.ok(
      g.width <= PREVIEW_MAX_SIDE && g.height <= PREVIEW_MAX_SIDE && g.width * g.height <= PREVIEW_MAX_PIXELS,
      `${w}×${h}: ${g.width}×${g.height}`,
    );
    // Not shrunk more than needed: at full size, or a bound (nearly) reached.
    const tight =
      (g.width >= 5 * w && g.height >= h) ||
      g.width > 0.95 * PREVIEW_MAX_SIDE ||
      g.height > 0.95 * PREVIEW_MAX_SIDE ||
      g.width * g.height > 0.9 * PREVIEW_MAX_PIXELS;
    assert.ok(tight, `${w}×${h}: ${g.width}×${g.height} shrunk more than needed`);
    assert.equal(g.channels, c);
  }
  // progress.gif: a long recording (--progress-every 1 over 100000 iterations) is sampled, the result kept.
  const frames = Array.from({ length: 1000 }, (_, i) => i);
  const kept = previewFrames(frames);
  assert.equal(kept.length, PREVIEW_MAX_FRAMES);
  assert.deepEqual([kept[0], kept.at(-1)], [0, 999]);
  assert.deepEqual(previewFrames([1, 2, 3]), [1, 2, 3]);
});
