/**
 * Issue #31.1 on the HTTP API: a mask PNG is read white = hole by default (OpenCV, LaMa, IOPaint,
 * diffusers) and the returned mask is in the same convention; `maskConvention: "known-white"` reads
 * the other way; transparent pixels are known; a mask making more than 60 % of the image a hole gets
 * a warning in the `start` event naming the field.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeImage } from '../io/image.js';
import { startTestServer, testImage, pngDataUrl, parseSse, type TestServer } from '../testing/server_fixture.js';
import { changedPixels, inSquare, mostlyWhitePng, transparentLayerPng, whiteHolePng } from '../testing/masks.js';
import type { ImageBatch } from '../types.js';

let S: TestServer;
before(async () => {
  S = await startTestServer();
});
after(async () => {
  await S.stop();
});

const dataUrl = (png: Uint8Array) => `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
const image = (url: string): Promise<ImageBatch> =>
  decodeImage(new Uint8Array(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64')), { channels: 1 });

/** POST a request and return its `start` and `result` events. */
async function run(mask: Uint8Array, extra: Record<string, unknown> = {}): Promise<{ start: any; result: any }> {
  const r = await fetch(`${S.url}/api/inpaint`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'tiny',
      image: await pngDataUrl(testImage()),
      mask: dataUrl(mask),
      options: { iters: 3, restarts: 1, blend: 'none' },
      ...extra,
    }),
  });
  const text = await r.text();
  assert.equal(r.status, 200, text);
  const ev = parseSse(text);
  const result = ev.find((e) => e.event === 'result');
  assert.ok(result, text.slice(0, 300));
  return { start: ev.find((e) => e.event === 'start')!.data, result: result.data };
}

test('a white-hole mask PNG (LaMa/OpenCV style) changes only its white area; the returned mask is white = hole', async () => {
  const { start, result } = await run(await whiteHolePng());
  assert.equal(start.maskConvention, 'hole-white');
  assert.equal(start.holeFraction, 64 / 784);
  assert.equal(start.warning, undefined);
  const [input, composite, mask] = await Promise.all([
    image(result.input),
    image(result.composite),
    image(result.mask),
  ]);
  const ch = changedPixels(input, composite);
  assert.equal(ch.outside, 0, 'a pixel outside the white square changed');
  assert.ok(ch.inside > 32, `only ${ch.inside} of 64 hole pixels changed`);
  assert.equal(result.maskConvention, 'hole-white');
  for (let p = 0; p < 784; p++) assert.equal(mask.data[p], inSquare(p) ? 1 : 0, `returned mask pixel ${p}`);
});

test('maskConvention "known-white" reads the same PNG as white = keep; the warning names the field', async () => {
  const { start, result } = await run(await whiteHolePng(), { maskConvention: 'known-white' });
  assert.equal(start.holeFraction, 1 - 64 / 784);
  assert.match(
    start.warning,
    /^the mask makes 91\.8 % of the image a hole, read as known-white \(white = known\); if white marks the hole, give "maskConvention": "hole-white"$/,
  );
  const [input, composite] = await Promise.all([image(result.input), image(result.composite)]);
  assert.equal(changedPixels(input, composite).inside, 0, 'the white square is known now');
  const bad = await fetch(`${S.url}/api/inpaint`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'tiny',
      image: await pngDataUrl(testImage()),
      mask: dataUrl(await whiteHolePng()),
      maskConvention: 'white',
    }),
  });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /maskConvention/);
});

test('a mask painted on a transparent layer: only the painted pixels are a hole; > 60 % white gets the warning', async () => {
  const { start, result } = await run(await transparentLayerPng());
  assert.equal(start.holeFraction, 64 / 784);
  const [input, composite] = await Promise.all([image(result.input), image(result.composite)]);
  assert.equal(changedPixels(input, composite).outside, 0, 'the transparent part of the layer became a hole');
  const mostly = await run(await mostlyWhitePng());
  assert.match(
    mostly.start.warning,
    /^the mask makes 95\.4 % of the image a hole, read as hole-white \(white = hole\); if white marks the pixels to keep, give "maskConvention": "known-white"$/,
  );
});
