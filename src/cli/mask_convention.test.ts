/**
 * Issue #31.1 on the command line: mask files are read white = hole by default (OpenCV, LaMa,
 * IOPaint, diffusers), transparent pixels are known, mask.png and `wgan-inpaint mask` are written in
 * the same convention, `--mask-convention known-white` reads the other way, and a mask file that makes
 * most of an image a hole gets a warning naming the flag.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { main } from './run.js';
import type { ImageBatch } from '../types.js';
import { encodePng, readImage } from '../io/image.js';
import { initBackend } from '../backends/index.js';
import { makeTinyModel, testImage } from '../testing/server_fixture.js';
import { changedPixels, inSquare, mostlyWhitePng, transparentLayerPng, whiteHolePng } from '../testing/masks.js';

let d: string, model: string, input: string;

before(async () => {
  await initBackend('cpu');
  d = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-mask-conv-'));
  model = await makeTinyModel(path.join(d, 'model'));
  input = path.join(d, 'in.png');
  fs.writeFileSync(input, await encodePng(testImage()));
});
after(() => fs.rmSync(d, { recursive: true, force: true }));

/** Run the CLI in-process with stderr and console.log captured (not process.stdout: the test reporter writes there). */
async function cli(...argv: string[]): Promise<{ code: number; err: string; out: string }> {
  const err: string[] = [],
    out: string[] = [];
  const we = process.stderr.write.bind(process.stderr),
    log = console.log;
  process.stderr.write = ((s: string) => {
    err.push(String(s));
    return true;
  }) as typeof process.stderr.write;
  console.log = (...a: unknown[]) => out.push(`${a.join(' ')}\n`);
  try {
    const code = await main(argv);
    return { code, err: err.join(''), out: out.join('') };
  } finally {
    process.stderr.write = we;
    console.log = log;
  }
}

const file = (name: string, bytes: Uint8Array) => {
  const f = path.join(d, name);
  fs.writeFileSync(f, bytes);
  return f;
};
const quick = ['--iters', '3', '--restarts', '1', '--backend', 'cpu'];

/**
 * The outputs changed the square only: nothing outside it in the blended and composite images, and
 * most of it in the composite (G(ẑ) pasted; the Poisson blend of the tiny model's fill can round back
 * to the disc's flat grey, so the blended image may not differ inside).
 */
function assertOnlySquare(input: ImageBatch, blended: ImageBatch, composite: ImageBatch): void {
  for (const [name, out] of [
    ['blended', blended],
    ['composite', composite],
  ] as const)
    assert.equal(changedPixels(input, out).outside, 0, `${name}: a pixel outside the square changed`);
  const inside = changedPixels(input, composite).inside;
  assert.ok(inside > 32, `only ${inside} of the 64 hole pixels changed`);
}

test('inpaint --mask with a white-hole mask (LaMa/OpenCV style) changes only the white area; mask.png is written white = hole', async () => {
  const mask = file('lama.png', await whiteHolePng());
  const out = path.join(d, 'out-lama');
  const r = await cli('inpaint', '--model', model, '--input', input, '--mask', mask, '--out', out, ...quick);
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.err, /warning: mask/, 'an 8 % hole is no reason to warn');
  const [inp, blended, composite, written] = await Promise.all(
    ['input', 'blended', 'composite', 'mask'].map((n) => readImage(path.join(out, 'in', `${n}.png`))),
  );
  assertOnlySquare(inp!, blended!, composite!);
  // The written mask is in the same convention, so it can be fed back as --mask.
  for (let p = 0; p < 28 * 28; p++) assert.equal(written!.data[p], inSquare(p) ? 1 : 0, `mask.png pixel ${p}`);
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')).maskConvention, 'hole-white');
});

test('inpaint --mask-convention known-white reads the same file the other way round (white = keep)', async () => {
  const mask = file('lama2.png', await whiteHolePng());
  const out = path.join(d, 'out-known');
  const r = await cli(
    'inpaint',
    '--model',
    model,
    '--input',
    input,
    '--mask',
    mask,
    '--out',
    out,
    '--mask-convention',
    'known-white',
    ...quick,
  );
  assert.equal(r.code, 0, r.err);
  const [inp, composite, written] = await Promise.all(
    ['input', 'composite', 'mask'].map((n) => readImage(path.join(out, 'in', `${n}.png`))),
  );
  const ch = changedPixels(inp!, composite!);
  assert.equal(ch.inside, 0, 'the white square is known now');
  assert.ok(ch.outside > 300, `only ${ch.outside} pixels outside it changed`);
  // 92 % hole: the warning names the way back.
  assert.match(
    r.err,
    /warning: mask '.*lama2\.png' makes 91\.8 % of the image a hole, read as known-white \(white = known\); if white marks the hole, give --mask-convention hole-white/,
  );
  assert.deepEqual([...new Set(written!.data)].sort(), [0, 1]);
  for (let p = 0; p < 28 * 28; p++)
    assert.equal(written!.data[p], inSquare(p) ? 1 : 0, `known-white mask.png pixel ${p}`);
  await assert.rejects(
    cli('inpaint', '--model', model, '--input', input, '--mask', mask, '--out', out, '--mask-convention', 'white'),
    /--mask-convention must be hole-white or known-white, got 'white'/,
  );
});

test('a mask painted on a transparent layer: only the painted pixels are a hole', async () => {
  const mask = file('layer.png', await transparentLayerPng());
  const out = path.join(d, 'out-layer');
  const r = await cli('inpaint', '--model', model, '--input', input, '--mask', mask, '--out', out, ...quick);
  assert.equal(r.code, 0, r.err);
  const [inp, blended, composite] = await Promise.all(
    ['input', 'blended', 'composite'].map((n) => readImage(path.join(out, 'in', `${n}.png`))),
  );
  assertOnlySquare(inp!, blended!, composite!);
});

test('a mask file making more than 60 % of the image a hole: one warning naming --mask-convention (inpaint and batch)', async () => {
  const mask = file('mostly.png', await mostlyWhitePng());
  const r = await cli(
    'inpaint',
    '--model',
    model,
    '--input',
    input,
    '--mask',
    mask,
    '--out',
    path.join(d, 'out-mostly'),
    ...quick,
  );
  assert.equal(r.code, 0, r.err);
  const warnings = r.err.split('\n').filter((l) => /warning: mask/.test(l));
  assert.equal(warnings.length, 1, r.err);
  assert.match(
    warnings[0]!,
    /makes 95\.4 % of the image a hole, read as hole-white \(white = hole\); if white marks the pixels to keep, give --mask-convention known-white/,
  );
  // batch: a mask file for every image, and a folder of masks (said once, with a count).
  const inDir = path.join(d, 'batch-in'),
    masks = path.join(d, 'batch-masks');
  fs.mkdirSync(inDir);
  fs.mkdirSync(masks);
  for (const n of ['a', 'b', 'c']) {
    fs.copyFileSync(input, path.join(inDir, `${n}.png`));
    fs.writeFileSync(path.join(masks, `${n}.png`), n === 'c' ? await whiteHolePng() : await mostlyWhitePng());
  }
  const b1 = await cli(
    'batch',
    '--model',
    model,
    '--input',
    inDir,
    '--mask',
    mask,
    '--out',
    path.join(d, 'b1'),
    ...quick,
  );
  assert.equal(b1.code, 0, b1.err);
  assert.match(
    b1.err,
    /warning: mask '.*mostly\.png' makes 95\.4 % of the image a hole.*--mask-convention known-white/,
  );
  const b2 = await cli(
    'batch',
    '--model',
    model,
    '--input',
    inDir,
    '--mask',
    masks,
    '--out',
    path.join(d, 'b2'),
    ...quick,
  );
  assert.equal(b2.code, 0, b2.err);
  assert.match(
    b2.err,
    /warning: the mask of 'a\.png' makes 95\.4 % of the image a hole.*--mask-convention known-white \(and 1 more of the 3 masks\)/,
  );
  // The batch read the folder's white-hole mask as such: c changed only in its square.
  const [ci, cb, cc] = await Promise.all(
    ['input', 'blended', 'composite'].map((n) => readImage(path.join(d, 'b2', 'c', `${n}.png`))),
  );
  assertOnlySquare(ci!, cb!, cc!);
});

test('wgan-inpaint mask writes white = hole by default, white = known with --mask-convention known-white', async () => {
  const raw = async (f: string) => Array.from(await sharp(f).extractChannel(0).raw().toBuffer());
  const a = path.join(d, 'center-hw.png'),
    b = path.join(d, 'center-kw.png');
  const r = await cli('mask', '--kind', 'center', '--size', '8', '--out', a);
  assert.match(r.out, /hole fraction 0\.2500 \(white = hole\)/);
  await cli('mask', '--kind', 'center', '--size', '8', '--mask-convention', 'known-white', '--out', b);
  const centre = (p: number) => {
    const y = Math.floor(p / 8),
      x = p % 8;
    return y >= 2 && y < 6 && x >= 2 && x < 6;
  };
  assert.deepEqual(
    await raw(a),
    Array.from({ length: 64 }, (_, p) => (centre(p) ? 255 : 0)),
  );
  assert.deepEqual(
    await raw(b),
    Array.from({ length: 64 }, (_, p) => (centre(p) ? 0 : 255)),
  );
});
