/**
 * EXIF orientation is applied on decode, for images and mask files, on every path (issue #30 item 6):
 * a phone photo stored sideways with orientation 6 is completed as it is displayed — by the library,
 * the `inpaint` and `batch` commands, the HTTP API and the queue's seam (`runChunk`, what every worker
 * runs) — and a mask drawn on the photo as displayed fits it without being stretched.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { decodeImage, decodeMask, readImage, readImageHeader, encodePng } from './image.js';
import { runChunk } from '../queue/seam.js';
import { runBatch } from '../queue/batch.js';
import { b64, unb64 } from '../queue/protocol.js';
import { resolveInpaintOptions } from '../inpaint/options.js';
import { loadCheckpoint } from '../encoder/checkpoint.js';
import { main } from '../cli/run.js';
import { prepareJob, DEFAULT_LIMITS } from '../server/request.js';
import { startTestServer, parseSse, type TestServer } from '../testing/server_fixture.js';
import { loadServedModels } from '../server/models.js';
import { DEFAULT_MASK_CONVENTION } from '../masks/convention.js';
import type { ImageBatch } from '../types.js';
import { disposeModel } from '../models/index.js';

// As displayed: 36 wide, 24 high, dark with a bright block in the top-left corner (so a rotation
// the wrong way, or a mirror, lands the block elsewhere).
const W = 36,
  H = 24;
const upright = (): ImageBatch => {
  const data = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = x < 12 && y < 8 ? 0.9 : 0.15;
  return { data, n: 1, height: H, width: W, channels: 1 };
};

/** Is `b` (grey or RGB) the upright picture: its size and its bright corner where displayed? */
function assertUpright(
  b: { width: number; height: number; channels: number; data: ArrayLike<number> },
  scale = 1,
  what = 'image',
): void {
  assert.deepEqual([b.width, b.height], [W, H], `${what} is ${b.width}×${b.height}, displayed as ${W}×${H}`);
  const at = (x: number, y: number) => b.data[(y * b.width + x) * b.channels]! / scale;
  assert.ok(at(3, 2) > 0.7, `${what}: the bright corner is not at the top left (${at(3, 2)})`);
  for (const [x, y] of [
    [W - 3, 2],
    [3, H - 3],
    [W - 3, H - 3],
  ] as const)
    assert.ok(at(x, y) < 0.35, `${what}: (${x}, ${y}) is ${at(x, y)}`);
}

let phoneJpeg: Uint8Array; // stored 24×36 (sideways), EXIF orientation 6: displayed 36×24 upright
let maskPng: Uint8Array; // drawn on the photo as displayed: 36×24, a hole at the right
let maskJpeg: Uint8Array; // the same mask, itself stored sideways with orientation 6
let d = '';
let model = '';
let S: TestServer;

async function sideways(b: ImageBatch): Promise<Uint8Array> {
  // Orientation 6 = "rotate 90° clockwise to display": store the picture turned 90° counter-clockwise.
  const png = await encodePng(b);
  return new Uint8Array(
    await sharp(Buffer.from(png)).rotate(270).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer(),
  );
}

before(async () => {
  S = await startTestServer();
  model = S.modelDir;
  d = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-orient-'));
  phoneJpeg = await sideways(upright());
  // Drawn in the default convention (white = hole, src/masks/convention.ts): black, the hole white.
  const m = { data: new Float32Array(W * H).fill(0), n: 1, height: H, width: W, channels: 1 as const };
  for (let y = 4; y < 20; y++) for (let x = 24; x < 34; x++) m.data[y * W + x] = 1;
  maskPng = await encodePng(m);
  maskJpeg = await sideways(m);
  const meta = await sharp(Buffer.from(phoneJpeg)).metadata();
  assert.deepEqual(
    [meta.width, meta.height, meta.orientation],
    [H, W, 6],
    'the fixture is stored sideways with orientation 6',
  );
  fs.writeFileSync(path.join(d, 'phone.jpg'), phoneJpeg);
  fs.writeFileSync(path.join(d, 'mask.png'), maskPng);
  fs.writeFileSync(path.join(d, 'mask.jpg'), maskJpeg);
});
after(async () => {
  await S.stop();
  fs.rmSync(d, { recursive: true, force: true });
});

/**
 * The mask's hole where it was drawn (right side), nothing stretched into the left. `file`: `m` is the
 * pixels of a mask file (mask.png) in the default convention, white = hole; else a Mask (1 = known).
 */
function assertMaskAsDrawn(
  m: { width: number; height: number; channels?: number; data: ArrayLike<number> },
  scale = 1,
  file = false,
): void {
  assert.deepEqual([m.width, m.height], [W, H]);
  const v = (x: number, y: number) => m.data[(y * m.width + x) * (m.channels ?? 1)]! / scale;
  const [hole, known] = file ? [1, 0] : [0, 1];
  assert.equal(v(28, 12), hole, 'hole');
  assert.equal(v(10, 12), known, 'known');
  assert.equal(v(28, 2), known, 'known above the hole');
}

test('6. the library decodes a sideways-stored photo and mask upright (header sizes as displayed)', async () => {
  const h = await readImageHeader(phoneJpeg, 'phone');
  assert.deepEqual([h.width, h.height], [W, H]);
  assertUpright(await decodeImage(phoneJpeg, { channels: 1 }), 1, 'decodeImage');
  assertUpright(await readImage(path.join(d, 'phone.jpg'), { channels: 3 }), 1, 'readImage');
  assertMaskAsDrawn(await decodeMask(maskJpeg, 'mask'));
  // Resized to the (upright) image: no stretching of a 36×24 mask onto 24×36.
  assertMaskAsDrawn(await decodeMask(maskPng, 'mask', { height: H, width: W }));
});

async function png(file: string) {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

test('6. inpaint and batch: outputs upright at the displayed size; a mask drawn as displayed fits', async () => {
  const opts = ['--iters', '2', '--restarts', '1', '--backend', 'cpu'];
  for (const mask of ['mask.png', 'mask.jpg']) {
    const out = path.join(d, `o-inpaint-${mask}`);
    assert.equal(
      await main([
        'inpaint',
        '--model',
        model,
        '--input',
        path.join(d, 'phone.jpg'),
        '--mask',
        path.join(d, mask),
        '--out',
        out,
        ...opts,
      ]),
      0,
    );
    assertUpright(await png(path.join(out, 'phone', 'input.png')), 255, `inpaint ${mask}: input.png`);
    assertMaskAsDrawn(await png(path.join(out, 'phone', 'mask.png')), 255, true);
    for (const f of ['masked', 'raw', 'composite', 'blended'])
      assert.deepEqual([(await png(path.join(out, 'phone', `${f}.png`))).width], [W], f);
    // Known pixels are the upright input's.
    assertUpright(await png(path.join(out, 'phone', 'blended.png')), 255, 'blended.png');
    // No EXIF orientation left in what is written (the pixels are upright).
    assert.equal((await sharp(path.join(out, 'phone', 'input.png')).metadata()).orientation, undefined);
  }
  const out = path.join(d, 'o-batch');
  const r = await runBatch({
    input: path.join(d, 'phone.jpg'),
    mask: path.join(d, 'mask.jpg'),
    out,
    model,
    options: resolveInpaintOptions({ iters: 2, restarts: 1 }),
    backend: 'cpu',
  });
  assert.equal(r.done, 1, JSON.stringify(r.images));
  assertUpright(await png(path.join(out, 'phone', 'input.png')), 255, 'batch: input.png');
  assertMaskAsDrawn(await png(path.join(out, 'phone', 'mask.png')), 255, true);
});

test('6. the queue seam (runChunk, what every worker runs) completes the photo upright', async () => {
  const ck = await loadCheckpoint(model);
  try {
    const items = [{ key: 'k', name: 'phone.jpg', image: b64(phoneJpeg), mask: { png: b64(maskPng) } }];
    const [res] = await runChunk(ck, {
      items,
      options: resolveInpaintOptions({ iters: 2, restarts: 1 }),
      maskConvention: DEFAULT_MASK_CONVENTION,
    });
    assert.ok(res!.ok, JSON.stringify(res));
    const files = (res as { files: Record<string, string> }).files;
    assertUpright(await decodeImage(unb64(files['input.png']!), { channels: 1 }), 1, 'runChunk input.png');
    assertMaskAsDrawn(await decodeMask(unb64(files['mask.png']!), 'mask'));
  } finally {
    disposeModel(ck);
  }
});

test('6. the HTTP API: a JPEG upload with orientation 6 and a mask drawn as displayed are accepted and completed upright', async () => {
  const image = `data:image/jpeg;base64,${Buffer.from(phoneJpeg).toString('base64')}`;
  const mask = `data:image/png;base64,${Buffer.from(maskPng).toString('base64')}`;
  const job = await prepareJob(
    { model: 'tiny', image, mask, options: { iters: 2, restarts: 1 } },
    await loadServedModels([model]),
    DEFAULT_LIMITS,
  );
  assertUpright(job.image, 1, 'prepareJob image');
  assertMaskAsDrawn(job.mask);
  assert.deepEqual(job.resize.from, { width: W, height: H });
  const r = await fetch(`${S.url}/api/inpaint`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tiny', image, mask, options: { iters: 2, restarts: 1 } }),
  });
  const text = await r.text();
  assert.equal(r.status, 200, text.slice(0, 300));
  const res = parseSse(text).at(-1)!;
  assert.equal(res.event, 'result', text.slice(0, 300));
  for (const k of ['input', 'blended'])
    assertUpright(
      await decodeImage(new Uint8Array(Buffer.from(String(res.data[k]).split(',')[1]!, 'base64')), { channels: 1 }),
      1,
      `result ${k}`,
    );
});
