/**
 * Shared plumbing for the non-learned baselines: every baseline is `(y, masks) => ImageBatch`, fills the
 * hole (mask < 0.5) of each image from its known pixels and copies the known pixels unchanged.
 */
import type { ImageBatch, Mask } from '../types.js';
import { imageSize } from '../types.js';
import { UserError } from '../util/errors.js';

/** A baseline: fill the holes of each image of `y`; `masks` has one mask per image or one for all. */
export type Baseline = (y: ImageBatch, masks: readonly Mask[]) => ImageBatch;

/**
 * Fills one image in place. `img` is H×W×C (HWC float32, [0,1]) holding the original values; `known` is
 * H×W with 1 = known pixel. Only hole pixels may be written.
 */
export type ImageFiller = (img: Float32Array, known: Uint8Array, h: number, w: number, c: number) => void;

/** The mask for image `i` (masks of length 1 are shared), checked against the image size. */
export function maskFor(masks: readonly Mask[], i: number, y: ImageBatch): Mask {
  if (masks.length !== 1 && masks.length !== y.n) {
    throw new UserError(`got ${masks.length} masks for ${y.n} images (need 1 or ${y.n})`);
  }
  const m = masks.length === 1 ? masks[0] : masks[i];
  if (!m || m.height !== y.height || m.width !== y.width || m.data.length !== y.height * y.width) {
    throw new UserError(`mask ${i} does not match the ${y.height}x${y.width} images`);
  }
  return m;
}

/**
 * Run a per-image filler over a batch: copies `y`, then lets `fill` write the hole pixels of each image.
 * Images with no known pixel at all are filled with 0 (there is nothing to propagate).
 */
export function fillBatch(y: ImageBatch, masks: readonly Mask[], fill: ImageFiller): ImageBatch {
  const s = imageSize(y),
    hw = y.height * y.width;
  if (y.data.length !== y.n * s) throw new UserError('image data length does not match n*height*width*channels');
  const out = Float32Array.from(y.data);
  const known = new Uint8Array(hw);
  for (let i = 0; i < y.n; i++) {
    const m = maskFor(masks, i, y);
    let nKnown = 0;
    for (let p = 0; p < hw; p++) {
      known[p] = m.data[p]! >= 0.5 ? 1 : 0;
      nKnown += known[p]!;
    }
    const img = out.subarray(i * s, (i + 1) * s);
    if (nKnown === hw) continue;
    if (nKnown === 0) {
      img.fill(0);
      continue;
    }
    fill(img, known, y.height, y.width, y.channels);
  }
  return { data: out, n: y.n, height: y.height, width: y.width, channels: y.channels };
}
