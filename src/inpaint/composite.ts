/**
 * Pasting and showing holes. `composite` is the inpainting output the metrics use (known pixels from
 * the input, hole pixels from the generator); `applyMask` draws the "masked input" shown beside it.
 * Platform-neutral.
 */
import type { ImageBatch, Mask } from '../types.js';
import { UserError } from '../util/errors.js';

/**
 * One mask per image: a single mask is shared by all images of the batch. Throws UserError when the
 * count or a mask's size does not match the images.
 */
export function masksFor(b: ImageBatch, masks: Mask | Mask[]): Mask[] {
  const list = Array.isArray(masks) ? masks : Array.from({ length: b.n }, () => masks);
  if (list.length !== b.n) throw new UserError(`${list.length} masks for ${b.n} images`);
  for (const m of list) {
    if (m.height !== b.height || m.width !== b.width) {
      throw new UserError(`mask ${m.height}x${m.width} does not match image ${b.height}x${b.width}`);
    }
  }
  return list;
}

/**
 * M ⊙ y + (1 − M) ⊙ g per image: known pixels from `y`, hole pixels from `g` (same shape, e.g. the
 * generator's output in [0, 1]). Masks may be soft (values in [0, 1]); the blend is then linear.
 */
export function composite(y: ImageBatch, g: ImageBatch, masks: Mask | Mask[]): ImageBatch {
  if (y.n !== g.n || y.height !== g.height || y.width !== g.width || y.channels !== g.channels) {
    throw new UserError(
      `composite: generated ${g.n}x${g.height}x${g.width}x${g.channels} does not match input ${y.n}x${y.height}x${y.width}x${y.channels}`,
    );
  }
  const list = masksFor(y, masks);
  const C = y.channels,
    P = y.height * y.width;
  const out = new Float32Array(y.data.length);
  list.forEach((m, n) => {
    for (let p = 0; p < P; p++) {
      const a = m.data[p]!;
      for (let c = 0; c < C; c++) {
        const i = (n * P + p) * C + c;
        out[i] = a * y.data[i]! + (1 - a) * g.data[i]!;
      }
    }
  });
  return { data: out, n: y.n, height: y.height, width: y.width, channels: C };
}

/** Side of the checkerboard squares drawn in holes, px. */
const CHECKER = 4;

/**
 * The "masked input" picture: hole pixels (mask < 0.5) replaced by `fill`, a flat grey level in
 * [0, 1] (default 0.5, mid-grey, which stands out on most photos) or `'checker'` (a 4-px grey
 * checkerboard, 0.4 / 0.6, which stays visible even on grey images).
 */
export function applyMask(y: ImageBatch, masks: Mask | Mask[], fill: number | 'checker' = 0.5): ImageBatch {
  const list = masksFor(y, masks);
  const C = y.channels,
    W = y.width,
    P = y.height * W;
  const out = Float32Array.from(y.data);
  list.forEach((m, n) => {
    for (let p = 0; p < P; p++) {
      if (m.data[p]! >= 0.5) continue;
      const v =
        fill === 'checker'
          ? (Math.floor(p / W / CHECKER) + Math.floor((p % W) / CHECKER)) % 2 === 0
            ? 0.4
            : 0.6
          : fill;
      out.fill(v, (n * P + p) * C, (n * P + p + 1) * C);
    }
  });
  return { data: out, n: y.n, height: y.height, width: W, channels: C };
}
