/**
 * Per-pixel error metrics (MSE, PSNR, L1) on ImageBatch, optionally restricted to a region.
 *
 * Conventions:
 * - Images are NHWC float32 in [0, 1]; the data range used by PSNR is therefore 1.
 * - A *region* is a Mask (H×W, shared by channels) whose **1 = pixels to count**. For "hole" metrics pass
 *   the inverted inpainting mask (inpainting masks use 1 = known), or use the `hole*` helpers below.
 * - Every function returns one value per image (so the caller decides how to aggregate).
 * - An empty region gives NaN; identical images give PSNR = +Infinity. Aggregate with `meanFinite`, which
 *   caps +Infinity at `PSNR_CAP_DB` (100 dB) and skips NaN.
 */
import type { ImageBatch, Mask } from '../types.js';
import { imageSize } from '../types.js';
import { UserError } from '../util/errors.js';

/** One region mask for every image of the batch, or one per image. */
export type Region = Mask | readonly Mask[];

/** PSNR of identical images is +Infinity; aggregates replace it by this many dB. */
export const PSNR_CAP_DB = 100;

/** Throw a one-line UserError unless the two batches have the same shape. */
export function assertSameShape(a: ImageBatch, b: ImageBatch, what = 'images'): void {
  if (a.n !== b.n || a.height !== b.height || a.width !== b.width || a.channels !== b.channels) {
    throw new UserError(
      `${what}: shapes differ (${a.n}x${a.height}x${a.width}x${a.channels} vs ${b.n}x${b.height}x${b.width}x${b.channels})`,
    );
  }
  if (a.data.length !== a.n * imageSize(a) || b.data.length !== b.n * imageSize(b)) {
    throw new UserError(`${what}: data length does not match n*height*width*channels`);
  }
}

/** The region mask that applies to image `i`, checked against the image size; undefined = whole image. */
export function regionFor(region: Region | undefined, i: number, b: ImageBatch): Mask | undefined {
  if (region === undefined) return undefined;
  let m: Mask | undefined;
  if (Array.isArray(region)) {
    const list = region as readonly Mask[];
    if (list.length !== 1 && list.length !== b.n) {
      throw new UserError(`got ${list.length} masks for ${b.n} images (need 1 or ${b.n})`);
    }
    m = list.length === 1 ? list[0] : list[i];
  } else {
    m = region as Mask;
  }
  if (!m) throw new UserError(`no mask for image ${i}`);
  if (m.height !== b.height || m.width !== b.width || m.data.length !== b.height * b.width) {
    throw new UserError(`mask is ${m.height}x${m.width} but images are ${b.height}x${b.width}`);
  }
  return m;
}

/** Region = pixels where the inpainting mask is 0 (the hole). Masks use 1 = known, 0 = hole. */
export function holeRegion(mask: Mask): Mask {
  const data = new Float32Array(mask.data.length);
  for (let i = 0; i < data.length; i++) data[i] = mask.data[i]! >= 0.5 ? 0 : 1;
  return { data, height: mask.height, width: mask.width };
}

/** `holeRegion` applied to each mask of a list. */
export function holeRegions(masks: Region): Mask[] {
  return (Array.isArray(masks) ? (masks as readonly Mask[]) : [masks as Mask]).map(holeRegion);
}

/**
 * Per image: mean over the counted pixels and all channels of `f(a - b)`. NaN when the region is empty.
 * Region values ≥ 0.5 count (masks are binary; 0.5 makes float noise harmless).
 */
function meanOfDiff(a: ImageBatch, b: ImageBatch, region: Region | undefined, f: (d: number) => number): number[] {
  assertSameShape(a, b);
  const hw = a.height * a.width,
    c = a.channels,
    s = imageSize(a);
  const out: number[] = [];
  for (let i = 0; i < a.n; i++) {
    const m = regionFor(region, i, a);
    let sum = 0,
      count = 0;
    for (let p = 0; p < hw; p++) {
      if (m && m.data[p]! < 0.5) continue;
      const o = i * s + p * c;
      for (let k = 0; k < c; k++) sum += f(a.data[o + k]! - b.data[o + k]!);
      count += c;
    }
    out.push(count === 0 ? NaN : sum / count);
  }
  return out;
}

/** Mean squared error per image (over `region` if given). Units: (intensity in [0,1])². */
export function mse(a: ImageBatch, b: ImageBatch, region?: Region): number[] {
  return meanOfDiff(a, b, region, (d) => d * d);
}

/** PSNR in dB for data range 1: 10·log10(1 / MSE). MSE = 0 → +Infinity; empty region → NaN. */
export function psnrFromMse(m: number): number {
  if (Number.isNaN(m)) return NaN;
  return m === 0 ? Infinity : -10 * Math.log10(m);
}

/**
 * PSNR in dB per image, data range 1, over the whole image or over `region` (1 = count). Identical
 * images give +Infinity (use `meanFinite` to aggregate).
 */
export function psnr(a: ImageBatch, b: ImageBatch, region?: Region): number[] {
  return mse(a, b, region).map(psnrFromMse);
}

/** Mean absolute error per image (over `region` if given), in intensity units of [0, 1]. */
export function l1(a: ImageBatch, b: ImageBatch, region?: Region): number[] {
  return meanOfDiff(a, b, region, Math.abs);
}

/** Replace +Infinity by `cap` (PSNR of identical images) so that means stay finite. */
export function capValue(x: number, cap = PSNR_CAP_DB): number {
  return x === Infinity ? cap : x;
}

/**
 * Mean of the values after capping +Infinity at `cap` (default 100 dB) and skipping NaN (empty regions).
 * Returns NaN when nothing is left.
 */
export function meanFinite(xs: readonly number[], cap = PSNR_CAP_DB): number {
  let sum = 0,
    n = 0;
  for (const x of xs) {
    if (Number.isNaN(x)) continue;
    const v = capValue(x, cap);
    if (!Number.isFinite(v)) continue; // -Infinity cannot come from these metrics; skip defensively
    sum += v;
    n++;
  }
  return n === 0 ? NaN : sum / n;
}
