/**
 * Mask files as other tools write them, for the mask-convention tests (#31): a LaMa/OpenCV-style mask
 * (black, the hole white), the same hole painted on a transparent layer, and one whose white covers
 * most of the image.
 */
import sharp from 'sharp';
import type { ImageBatch } from '../types.js';

/** The square hole of every fixture: rows and columns LO..HI−1 of a 28×28 image (64 of 784 pixels, 8 %). */
export const SQUARE = { lo: 10, hi: 18, size: 28 } as const;
export const inSquare = (p: number, size: number = SQUARE.size): boolean => {
  const y = Math.floor(p / size),
    x = p % size;
  const k = size / SQUARE.size;
  return y >= SQUARE.lo * k && y < SQUARE.hi * k && x >= SQUARE.lo * k && x < SQUARE.hi * k;
};

/** Grey 8-bit PNG: 255 where `white(p)`, else 0. */
async function greyPng(white: (p: number) => boolean, size = SQUARE.size): Promise<Uint8Array> {
  const px = new Uint8Array(size * size).map((_, p) => (white(p) ? 255 : 0));
  return new Uint8Array(
    await sharp(px, { raw: { width: size, height: size, channels: 1 } })
      .png()
      .toBuffer(),
  );
}

/** LaMa / OpenCV / diffusers style: black, the hole (the square) white. */
export const whiteHolePng = (size = SQUARE.size): Promise<Uint8Array> => greyPng((p) => inSquare(p, size), size);

/** White everywhere but a small corner: as a hole-white mask, 1 − 4 % of the image is a hole. */
export const mostlyWhitePng = (size = SQUARE.size): Promise<Uint8Array> =>
  greyPng((p) => !(p % size < size / 5 && Math.floor(p / size) < size / 5), size);

/** The square painted white on a transparent layer (RGBA: alpha 0 elsewhere), as an editor's layer export gives. */
export async function transparentLayerPng(size = SQUARE.size): Promise<Uint8Array> {
  const px = new Uint8Array(size * size * 4);
  for (let p = 0; p < size * size; p++) if (inSquare(p, size)) px.set([255, 255, 255, 255], p * 4);
  return new Uint8Array(
    await sharp(px, { raw: { width: size, height: size, channels: 4 } })
      .png()
      .toBuffer(),
  );
}

/**
 * Pixels of `out` that differ from `input`, inside and outside the square (grey or RGB batches of the
 * same size).
 */
export function changedPixels(input: ImageBatch, out: ImageBatch): { inside: number; outside: number } {
  let inside = 0,
    outside = 0;
  const P = input.height * input.width,
    C = input.channels;
  for (let p = 0; p < P; p++) {
    let d = false;
    for (let c = 0; c < C; c++) if (Math.abs(out.data[p * C + c]! - input.data[p * C + c]!) > 1e-6) d = true;
    if (d) {
      if (inSquare(p, input.width)) inside++;
      else outside++;
    }
  }
  return { inside, outside };
}
