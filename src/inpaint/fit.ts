/**
 * Bringing an image of any size to the model's size and the fill back: the one policy, on pixel data
 * (platform-neutral), that the CLI, the server and the page share. sharp (Node) and canvas (browser)
 * only decode and encode; every resize of an image or a mask that inpainting does happens here.
 *
 * Two modes, chosen by the caller for what it returns:
 * - `stretch` (CLI, `inpaintImages` default): the whole image is resized (bilinear, aspect not kept;
 *   box-averaged first when shrinking > 2×) to the model's size, its mask with `resizeMaskKeepHoles`
 *   (no hole can vanish when shrinking). After the search, G(ẑ) is resized back to the original size
 *   and finished (pasted, Poisson-blended) into the ORIGINAL-resolution hole: outputs have the
 *   image's own size and known pixels are never touched, whatever the size.
 * - `centre-crop` (server, page): the largest centred region of the model's aspect ratio is cut out
 *   and resized (the same bilinear) to the model's size, its mask cut the same way and resized with
 *   nearest neighbour (so it stays binary); the outputs have the model's size and `crop` says which
 *   part of the upload they show.
 * Channels must already match the model (decoders convert grey ↔ RGB).
 */
import type { ImageBatch, Mask } from '../types.js';
import { imageAt } from '../types.js';
import { resizeMaskKeepHoles, resizeMaskNearest } from '../masks/masks.js';
import { resizeBilinear } from './resize.js';
import { UserError } from '../util/errors.js';

export type FitMode = 'stretch' | 'centre-crop';
export const FIT_MODES: readonly FitMode[] = ['stretch', 'centre-crop'];

/** How an image is brought to the model (the shape of the server's `resize` field, src/server/api.ts). */
export interface FitPlan {
  mode: FitMode;
  /** The image's size, px. */
  from: { width: number; height: number };
  /** The part of the image used, px of the image (the whole image for `stretch`; square for square models). */
  crop: { left: number; top: number; side: number; width: number; height: number };
  /** The model's size, px. */
  to: { width: number; height: number };
  /** Whether pixels were resampled (false when the used part already has the model's size). */
  resized: boolean;
}

export function planFit(from: { width: number; height: number }, to: { width: number; height: number }, mode: FitMode = 'stretch'): FitPlan {
  if (!FIT_MODES.includes(mode)) throw new UserError(`unknown fit mode '${String(mode)}' (valid: ${FIT_MODES.join(', ')})`);
  let crop = { left: 0, top: 0, side: Math.min(from.width, from.height), width: from.width, height: from.height };
  if (mode === 'centre-crop') {
    // The largest centred region with the model's aspect ratio (a square for the square models here).
    const k = Math.min(from.width / to.width, from.height / to.height);
    const width = Math.max(1, Math.min(from.width, Math.round(to.width * k))), height = Math.max(1, Math.min(from.height, Math.round(to.height * k)));
    crop = { left: Math.floor((from.width - width) / 2), top: Math.floor((from.height - height) / 2), side: Math.min(width, height), width, height };
  }
  return { mode, from: { ...from }, crop, to: { ...to }, resized: !(crop.width === to.width && crop.height === to.height) };
}

function cut(data: Float32Array, w: number, c: number, b: FitPlan['crop']): Float32Array {
  const out = new Float32Array(b.height * b.width * c);
  for (let y = 0; y < b.height; y++) out.set(data.subarray(((b.top + y) * w + b.left) * c, ((b.top + y) * w + b.left + b.width) * c), y * b.width * c);
  return out;
}

const isWhole = (p: FitPlan) => p.crop.left === 0 && p.crop.top === 0 && p.crop.width === p.from.width && p.crop.height === p.from.height;

/** Image `i` of a batch (of the plan's `from` size) at the model's size. */
export function fitImage(p: FitPlan, image: ImageBatch, i = 0): ImageBatch {
  if (image.width !== p.from.width || image.height !== p.from.height) throw new UserError(`fit: image is ${image.width}×${image.height}, the plan is for ${p.from.width}×${p.from.height}`);
  const one = imageAt(image, i);
  const used = isWhole(p) ? one : { data: cut(one.data, image.width, image.channels, p.crop), n: 1, height: p.crop.height, width: p.crop.width, channels: image.channels };
  return p.resized ? resizeBilinear(used, p.to.width, p.to.height) : used;
}

/** A mask (of the plan's `from` size) at the model's size. */
export function fitMask(p: FitPlan, mask: Mask): Mask {
  if (mask.width !== p.from.width || mask.height !== p.from.height) throw new UserError(`mask is ${mask.width}×${mask.height} px but the image is ${p.from.width}×${p.from.height} px; they must match`);
  if (p.mode === 'stretch') return resizeMaskKeepHoles(mask, p.to.height, p.to.width);
  const used = isWhole(p) ? mask : { data: cut(mask.data, mask.width, 1, p.crop), height: p.crop.height, width: p.crop.width };
  return resizeMaskNearest(used, p.to.height, p.to.width);
}

/**
 * Image `j` of G(ẑ) (model size) at the size the outputs are finished at: the original size for
 * `stretch`, the model's size for `centre-crop`.
 */
export function fitBack(p: FitPlan, raw: ImageBatch, j = 0): ImageBatch {
  if (p.mode === 'stretch' && p.resized) return resizeBilinear(raw, p.from.width, p.from.height, j);
  return imageAt(raw, j);
}

/** An image and its mask, fitted: what the search runs on and what the outputs are finished against. */
export interface Fitted {
  plan: FitPlan;
  /** At the model's size. */
  image: ImageBatch;
  mask: Mask;
  /** At the output size (the original for `stretch`, = image/mask for `centre-crop`). */
  target: ImageBatch;
  targetMask: Mask;
}

/** Fit one image (a 1-image batch) and its mask of the same size to a model of size `to`. */
export function fitToModel(image: ImageBatch, mask: Mask, to: { width: number; height: number }, mode: FitMode = 'stretch'): Fitted {
  const plan = planFit({ width: image.width, height: image.height }, to, mode);
  const small = fitImage(plan, image);
  const smallMask = fitMask(plan, mask);
  return mode === 'stretch' ? { plan, image: small, mask: smallMask, target: image, targetMask: mask } : { plan, image: small, mask: smallMask, target: small, targetMask: smallMask };
}
