/**
 * Bringing an image of any size to the model's size and the fill back: the one policy, on pixel data
 * (platform-neutral), that the CLI, the library, the queue, the server and the page share. sharp
 * (Node) and canvas (browser) only decode and encode; every resize of an image or a mask that
 * inpainting does happens here.
 *
 * Modes (`FitMode`):
 * - `whole` (CLI and library default): the whole image, its aspect ratio kept, is resized (bilinear;
 *   box-averaged first when shrinking > 2×) to fit inside the model's square and centred on it; the
 *   padding is marked unknown, so the search neither matches nor is pulled by it. The mask is shrunk
 *   with `resizeMaskKeepHoles` (no hole can vanish). G(ẑ)'s image part is resized back to the
 *   original size and finished (pasted, Poisson-blended) into the ORIGINAL-resolution hole: outputs
 *   have the image's own size and known pixels are never touched.
 * - `crop`: for each connected hole region, a square around it with context (a margin of at least the
 *   hole's size on every side, never smaller than the model) is completed as `whole` would, and the
 *   fill is pasted back into that region only. Regions whose squares overlap are merged; more than
 *   MAX_REGIONS regions (a random-pixel mask) become one. A large photo with a small hole thus gets a
 *   fill at (nearly) its own resolution instead of one upscaled from 32 px.
 * - `centre-crop` (library only: the server and the page use whole/crop like the CLI): the largest
 *   centred square is cut out and resized to the model's size; outputs have the model's size.
 * Channels must already match the model (decoders convert grey ↔ RGB).
 */
import type { ImageBatch, Mask } from '../types.js';
import { imageAt } from '../types.js';
import { resizeMaskKeepHoles, resizeMaskNearest } from '../masks/masks.js';
import { resizeBilinear } from '../io/resize.js';
import { UserError } from '../util/errors.js';

export type FitMode = 'whole' | 'crop' | 'centre-crop';
export const FIT_MODES: readonly FitMode[] = ['whole', 'crop', 'centre-crop'];

/** More hole regions than this (e.g. a random-pixel mask) are completed as one region. */
export const MAX_REGIONS = 16;

export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** How (part of) an image is brought to the model (the shape of the server's `resize` field, src/protocol/api.ts). */
export interface FitPlan {
  mode: FitMode;
  /** The image's size, px. */
  from: { width: number; height: number };
  /** The part of the image used, px of the image (`side` = its shorter side). */
  crop: Rect & { side: number };
  /** The model's size, px. */
  to: { width: number; height: number };
  /** Where the used part lands on the model's canvas, px of the model (the rest is padding, unknown). */
  placed: Rect;
  /** Whether pixels were resampled (false when the used part already has the model's size). */
  resized: boolean;
}

function plan(
  mode: FitMode,
  from: { width: number; height: number },
  crop: Rect,
  to: { width: number; height: number },
  keepAspect: boolean,
): FitPlan {
  let placed: Rect = { left: 0, top: 0, width: to.width, height: to.height };
  if (keepAspect) {
    const k = Math.min(to.width / crop.width, to.height / crop.height);
    const width = Math.max(1, Math.min(to.width, Math.round(crop.width * k))),
      height = Math.max(1, Math.min(to.height, Math.round(crop.height * k)));
    placed = { left: Math.floor((to.width - width) / 2), top: Math.floor((to.height - height) / 2), width, height };
  }
  return {
    mode,
    from: { ...from },
    crop: { ...crop, side: Math.min(crop.width, crop.height) },
    to: { ...to },
    placed,
    resized: !(crop.width === to.width && crop.height === to.height),
  };
}

/** The plan of `whole` or `centre-crop` (`crop` has one plan per hole region: `planCrops`). */
export function planFit(
  from: { width: number; height: number },
  to: { width: number; height: number },
  mode: FitMode = 'whole',
): FitPlan {
  if (!FIT_MODES.includes(mode))
    throw new UserError(`unknown fit mode '${String(mode)}' (valid: ${FIT_MODES.join(', ')})`);
  if (mode === 'crop') throw new UserError("fit mode 'crop' plans one region per hole: use planCrops(mask, to)");
  if (mode === 'centre-crop') {
    // The largest centred region with the model's aspect ratio (a square for the square models here).
    const k = Math.min(from.width / to.width, from.height / to.height);
    const width = Math.max(1, Math.min(from.width, Math.round(to.width * k))),
      height = Math.max(1, Math.min(from.height, Math.round(to.height * k)));
    return plan(
      mode,
      from,
      { left: Math.floor((from.width - width) / 2), top: Math.floor((from.height - height) / 2), width, height },
      to,
      false,
    );
  }
  return plan(mode, from, { left: 0, top: 0, width: from.width, height: from.height }, to, true);
}

/**
 * The hole regions of a mask (8-connected components of unknown pixels) as bounding boxes, merged
 * while their context squares overlap; all in one when there are more than MAX_REGIONS.
 */
export function holeRegionBoxes(mask: Mask, to: { width: number; height: number }): Rect[] {
  const W = mask.width,
    H = mask.height;
  const label = new Int32Array(W * H).fill(-1);
  let boxes: { x0: number; y0: number; x1: number; y1: number }[] = [];
  const stack: number[] = [];
  for (let s = 0; s < W * H; s++) {
    if (mask.data[s]! >= 0.5 || label[s] !== -1) continue;
    if (boxes.length > MAX_REGIONS) break; // one region anyway: stop labelling
    const id = boxes.length,
      b = { x0: W, y0: H, x1: -1, y1: -1 };
    boxes.push(b);
    label[s] = id;
    stack.push(s);
    while (stack.length) {
      const p = stack.pop()!,
        x = p % W,
        y = (p - x) / W;
      if (x < b.x0) b.x0 = x;
      if (x > b.x1) b.x1 = x;
      if (y < b.y0) b.y0 = y;
      if (y > b.y1) b.y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx,
            ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= W || ny >= H) continue;
          const q = ny * W + nx;
          if (mask.data[q]! < 0.5 && label[q] === -1) {
            label[q] = id;
            stack.push(q);
          }
        }
      }
    }
  }
  if (!boxes.length) return [];
  if (boxes.length > MAX_REGIONS) {
    // Too many to complete one by one: the box of every hole pixel.
    const all = { x0: W, y0: H, x1: -1, y1: -1 };
    for (let p = 0; p < W * H; p++) {
      if (mask.data[p]! >= 0.5) continue;
      const x = p % W,
        y = (p - x) / W;
      all.x0 = Math.min(all.x0, x);
      all.x1 = Math.max(all.x1, x);
      all.y0 = Math.min(all.y0, y);
      all.y1 = Math.max(all.y1, y);
    }
    boxes = [all];
  }
  // Merge regions whose context squares overlap, until none do.
  const square = (b: (typeof boxes)[0]) => contextRect(b, W, H, to);
  const overlap = (a: Rect, b: Rect) =>
    a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height;
  for (let merged = true; merged; ) {
    merged = false;
    outer: for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        if (overlap(square(boxes[i]!), square(boxes[j]!))) {
          const a = boxes[i]!,
            b = boxes[j]!;
          boxes[i] = {
            x0: Math.min(a.x0, b.x0),
            y0: Math.min(a.y0, b.y0),
            x1: Math.max(a.x1, b.x1),
            y1: Math.max(a.y1, b.y1),
          };
          boxes.splice(j, 1);
          merged = true;
          break outer;
        }
      }
    }
  }
  return boxes.map((b) => ({ left: b.x0, top: b.y0, width: b.x1 - b.x0 + 1, height: b.y1 - b.y0 + 1 }));
}

/**
 * The context square of a hole box: side = 3 × the box's longer side (a margin of the hole's size on
 * each side), at least the model's size, centred on the box and moved inside the image; clipped to
 * the image when the image is smaller.
 */
function contextRect(
  b: { x0: number; y0: number; x1: number; y1: number },
  W: number,
  H: number,
  to: { width: number; height: number },
): Rect {
  const bw = b.x1 - b.x0 + 1,
    bh = b.y1 - b.y0 + 1;
  const side = Math.max(3 * Math.max(bw, bh), to.width, to.height);
  const place = (lo: number, len: number, n: number) => {
    if (side >= n) return [0, n] as const;
    const start = Math.round(lo + len / 2 - side / 2);
    return [Math.min(Math.max(0, start), n - side), side] as const;
  };
  const [left, width] = place(b.x0, bw, W),
    [top, height] = place(b.y0, bh, H);
  return { left, top, width, height };
}

/** `crop` mode: one plan per hole region (its context square), none when the mask has no hole. */
export function planCrops(mask: Mask, to: { width: number; height: number }): FitPlan[] {
  const from = { width: mask.width, height: mask.height };
  return holeRegionBoxes(mask, to).map((r) =>
    plan(
      'crop',
      from,
      contextRect(
        { x0: r.left, y0: r.top, x1: r.left + r.width - 1, y1: r.top + r.height - 1 },
        mask.width,
        mask.height,
        to,
      ),
      to,
      true,
    ),
  );
}

function cut(data: Float32Array, w: number, c: number, b: Rect): Float32Array {
  const out = new Float32Array(b.height * b.width * c);
  for (let y = 0; y < b.height; y++)
    out.set(data.subarray(((b.top + y) * w + b.left) * c, ((b.top + y) * w + b.left + b.width) * c), y * b.width * c);
  return out;
}

/** `src` (rect-sized, row-major, c channels) written into `dst` (w wide) at `b`. */
function paste(dst: Float32Array, w: number, c: number, b: Rect, src: Float32Array): void {
  for (let y = 0; y < b.height; y++)
    dst.set(src.subarray(y * b.width * c, (y + 1) * b.width * c), ((b.top + y) * w + b.left) * c);
}

/** The pixels of `r` of image 0 of `b`. */
export function cutImage(b: ImageBatch, r: Rect): ImageBatch {
  return {
    data: cut(b.data.subarray(0, b.height * b.width * b.channels), b.width, b.channels, r),
    n: 1,
    height: r.height,
    width: r.width,
    channels: b.channels,
  };
}

/** `part` (of r's size) written into image 0 of `b` at `r`, in place. */
export function pasteImage(b: ImageBatch, r: Rect, part: ImageBatch): void {
  paste(b.data, b.width, b.channels, r, part.data);
}

const isWhole = (p: FitPlan) =>
  p.crop.left === 0 && p.crop.top === 0 && p.crop.width === p.from.width && p.crop.height === p.from.height;
const fillsCanvas = (p: FitPlan) =>
  p.placed.left === 0 && p.placed.top === 0 && p.placed.width === p.to.width && p.placed.height === p.to.height;

/** Image `i` of a batch (of the plan's `from` size) at the model's size (padding 0). */
export function fitImage(p: FitPlan, image: ImageBatch, i = 0): ImageBatch {
  if (image.width !== p.from.width || image.height !== p.from.height)
    throw new UserError(
      `fit: image is ${image.width}×${image.height}, the plan is for ${p.from.width}×${p.from.height}`,
    );
  const one = imageAt(image, i),
    C = image.channels;
  const used = isWhole(p)
    ? one
    : { data: cut(one.data, image.width, C, p.crop), n: 1, height: p.crop.height, width: p.crop.width, channels: C };
  const sized =
    used.width === p.placed.width && used.height === p.placed.height
      ? used
      : resizeBilinear(used, p.placed.width, p.placed.height);
  if (fillsCanvas(p)) return sized;
  const data = new Float32Array(p.to.width * p.to.height * C);
  paste(data, p.to.width, C, p.placed, sized.data);
  return { data, n: 1, height: p.to.height, width: p.to.width, channels: C };
}

/** A mask (of the plan's `from` size) at the model's size; padding is unknown (0). */
export function fitMask(p: FitPlan, mask: Mask): Mask {
  if (mask.width !== p.from.width || mask.height !== p.from.height)
    throw new UserError(
      `mask is ${mask.width}×${mask.height} px but the image is ${p.from.width}×${p.from.height} px; they must match`,
    );
  const used = isWhole(p)
    ? mask
    : { data: cut(mask.data, mask.width, 1, p.crop), height: p.crop.height, width: p.crop.width };
  // centre-crop keeps the mask binary at the model size; whole/crop shrink it keeping every hole.
  const sized =
    p.mode === 'centre-crop'
      ? resizeMaskNearest(used, p.placed.height, p.placed.width)
      : resizeMaskKeepHoles(used, p.placed.height, p.placed.width);
  if (fillsCanvas(p)) return sized;
  const data = new Float32Array(p.to.width * p.to.height);
  paste(data, p.to.width, 1, p.placed, sized.data);
  return { data, height: p.to.height, width: p.to.width };
}

/**
 * Image `j` of G(ẑ) (model size) at the size the plan's part is finished at: the used part's own size
 * for `whole` and `crop` (the padding dropped), the model's size for `centre-crop`.
 */
export function fitBack(p: FitPlan, raw: ImageBatch, j = 0): ImageBatch {
  const one = imageAt(raw, j);
  if (p.mode === 'centre-crop') return one;
  const part = fillsCanvas(p)
    ? one
    : {
        data: cut(one.data, one.width, one.channels, p.placed),
        n: 1,
        height: p.placed.height,
        width: p.placed.width,
        channels: one.channels,
      };
  return part.width === p.crop.width && part.height === p.crop.height
    ? part
    : resizeBilinear(part, p.crop.width, p.crop.height);
}

/**
 * The image's G(ẑ) at its own size from the fills of its plans: `image` with each plan's used part
 * replaced by its fill (`fills[k]` from `fitBack(plans[k], …)`). For `whole` this is the fill itself.
 */
export function assembleFills(image: ImageBatch, plans: readonly FitPlan[], fills: readonly ImageBatch[]): ImageBatch {
  if (plans.length === 1 && isWhole(plans[0]!)) return fills[0]!;
  const data = Float32Array.from(image.data.subarray(0, image.height * image.width * image.channels));
  plans.forEach((p, k) => {
    paste(data, image.width, image.channels, p.crop, fills[k]!.data);
  });
  return { data, n: 1, height: image.height, width: image.width, channels: image.channels };
}

/** An image and its mask, fitted: what the search runs on and what the outputs are finished against. */
export interface Fitted {
  /** One plan for `whole` and `centre-crop`; one per hole region for `crop` (none without a hole). */
  plans: FitPlan[];
  /** At the model's size, one per plan. */
  images: ImageBatch[];
  masks: Mask[];
  /** At the output size (the original for `whole` and `crop`, the model's for `centre-crop`). */
  target: ImageBatch;
  targetMask: Mask;
}

/** Fit one image (a 1-image batch) and its mask of the same size to a model of size `to`. */
export function fitToModel(
  image: ImageBatch,
  mask: Mask,
  to: { width: number; height: number },
  mode: FitMode = 'whole',
): Fitted {
  if (mask.width !== image.width || mask.height !== image.height)
    throw new UserError(
      `mask is ${mask.width}×${mask.height} px but the image is ${image.width}×${image.height} px; they must match`,
    );
  const plans =
    mode === 'crop' ? planCrops(mask, to) : [planFit({ width: image.width, height: image.height }, to, mode)];
  const images = plans.map((p) => fitImage(p, image));
  const masks = plans.map((p) => fitMask(p, mask));
  if (mode === 'centre-crop') return { plans, images, masks, target: images[0]!, targetMask: masks[0]! };
  return { plans, images, masks, target: image, targetMask: mask };
}
