/**
 * Random-crop batches for `train --crop S` (platform-neutral): each sample is a square of side
 * u·S (u uniform in [a, b]) at a uniform position of an S×S training image, resized (bilinear, box
 * pre-shrink) to the model's side, so a model learns the patches of large photos at several scales.
 * The crop stream is an Rng whose state the training loop checkpoints, so a resumed run draws the same
 * crops.
 */
import type { Dataset } from './dataset.js';
import { resizeBilinear } from '../io/resize.js';
import type { Rng } from '../util/rng.js';

/** 'a,b' of the config's cropScale. */
export function parseCropScale(s: string): [number, number] {
  const [a, b] = s.split(',').map(Number) as [number, number];
  return [a, b];
}

/**
 * Fill `out` (NHWC, [−1, 1]) with one random crop per index, each resized to side×side.
 * @param ds     images of ds.size × ds.size (= S)
 * @param scale  [a, b]: the crop side is round(u·S), u ∈ [a, b]
 */
export function fillCropBatch(
  ds: Dataset,
  indices: ArrayLike<number>,
  out: Float32Array,
  side: number,
  rng: Rng,
  scale: [number, number],
): Float32Array {
  const S = ds.size,
    C = ds.channels,
    per = side * side * C;
  if (out.length < indices.length * per)
    throw new Error(`fillCropBatch: buffer holds ${out.length} floats, need ${indices.length * per}`);
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b]!;
    if (!(i >= 0 && i < ds.n && Number.isInteger(i)))
      throw new RangeError(`fillCropBatch: index ${i} outside [0, ${ds.n})`);
    const u = scale[0] + (scale[1] - scale[0]) * rng.next();
    const k = Math.min(S, Math.max(1, Math.round(u * S)));
    const x0 = Math.floor(rng.next() * (S - k + 1)),
      y0 = Math.floor(rng.next() * (S - k + 1));
    const crop = new Float32Array(k * k * C);
    const base = i * S * S * C;
    for (let y = 0; y < k; y++) {
      for (let x = 0; x < k * C; x++) crop[y * k * C + x] = ds.pixels[base + ((y0 + y) * S + x0) * C + x]! / 255;
    }
    const r =
      k === side ? crop : resizeBilinear({ data: crop, n: 1, height: k, width: k, channels: C }, side, side).data;
    for (let p = 0; p < per; p++) out[b * per + p] = r[p]! * 2 - 1;
  }
  return out;
}
