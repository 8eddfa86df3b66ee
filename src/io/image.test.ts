import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeImage, decodeMask, readImageHeader, sniffImageFormat, DEFAULT_MAX_PIXELS, encodePng } from './image.js';
import { UserError } from '../util/errors.js';
import { pngHeaderOnly, SVG_BYTES, TIFF_SIGNATURE } from '../testing/crafted.js';

const userError = (re: RegExp) => (e: Error) =>
  e instanceof UserError && re.test(e.message) && !e.message.includes('\n');

test('a crafted 16000×16000 PNG header (a decompression bomb) is refused from its header, before decoding', async () => {
  const bomb = pngHeaderOnly(16000, 16000);
  assert.ok(bomb.length < 200, `${bomb.length} bytes`);
  // The message names the size and the limit: the refusal comes from the header, not from a decode
  // (which would have failed as "truncated" after allocating 256 MP).
  await assert.rejects(
    decodeImage(bomb, {}, "'bomb.png'"),
    userError(/'bomb\.png' is 16000×16000 = 256 MP, above the limit of 40 MP \(--max-pixels 40000000\)/),
  );
  await assert.rejects(decodeMask(bomb, "mask 'bomb.png'"), userError(/above the limit of 40 MP/));
  // The limit is the caller's: 10000×10000 passes a 200 MP limit's header check (then fails to decode the stub data).
  assert.equal(DEFAULT_MAX_PIXELS, 40_000_000);
  const h = await readImageHeader(pngHeaderOnly(10000, 10000), 'x', { maxPixels: 2e8 });
  assert.deepEqual([h.width, h.height, h.format], [10000, 10000, 'png']);
  await assert.rejects(
    readImageHeader(pngHeaderOnly(10000, 10000), "'big.png'"),
    userError(/'big\.png' is 10000×10000 = 100 MP, above the limit of 40 MP/),
  );
});

test('an empty file is one clear error (not sharp\'s "Input Buffer is empty")', async () => {
  await assert.rejects(
    decodeImage(new Uint8Array(0), {}, "'empty.png'"),
    userError(/cannot decode 'empty\.png': the file is empty \(0 bytes\)/),
  );
  await assert.rejects(
    decodeMask(new Uint8Array(0), "mask 'empty.png'"),
    userError(/cannot decode mask 'empty\.png': the file is empty/),
  );
});

test('formats are judged by their first bytes; a format outside the accepted list is refused before decoding', async () => {
  const png = await encodePng({ data: new Float32Array(4 * 4).fill(0.5), n: 1, height: 4, width: 4, channels: 1 });
  const jpeg = new Uint8Array(await sharp(Buffer.from(png)).jpeg().toBuffer());
  const webp = new Uint8Array(await sharp(Buffer.from(png)).webp().toBuffer());
  const gif = new Uint8Array(await sharp(Buffer.from(png)).gif().toBuffer());
  assert.deepEqual([png, jpeg, webp, gif, SVG_BYTES, TIFF_SIGNATURE].map(sniffImageFormat), [
    'png',
    'jpeg',
    'webp',
    'gif',
    null,
    null,
  ]);
  const only = ['png', 'jpeg', 'webp'] as const;
  await assert.rejects(
    decodeImage(SVG_BYTES, { formats: only }, 'image'),
    userError(/cannot decode image: the data is not one of the accepted formats \(PNG, JPEG, WEBP\)/),
  );
  await assert.rejects(
    decodeImage(gif, { formats: only }, 'image'),
    userError(/GIF is not one of the accepted formats/),
  );
  // Without a list, sharp's formats are accepted as before (the CLI reads GIF frames, for example).
  assert.equal((await decodeImage(gif)).width, 4);
  assert.equal((await decodeImage(webp, { formats: only })).width, 4);
});
