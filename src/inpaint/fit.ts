/**
 * Inpainting images whose size differs from the model's (platform-neutral).
 *
 * Policy: each image is resized (bilinear, aspect not kept) to the model's size and its mask with
 * nearest neighbour; the search runs there; G(ẑ) is resized back to the original size and pasted into
 * the ORIGINAL-resolution hole, then Poisson-blended at full resolution. Known pixels are never
 * touched, whatever the size. Channels must already match the model (the I/O layer converts
 * grey ↔ RGB when decoding).
 */
import type { ImageBatch, Mask } from '../types.js';
import { stackImages, imageAt } from '../types.js';
import { resizeMaskKeepHoles, holeFraction } from '../masks/masks.js';
import { resizeBilinear } from './resize.js';
import { inpaint, type InpaintModel, type InpaintOptions, type InpaintCallbacks, type ImageLosses, resolveInpaintOptions } from './search.js';
import { composite, applyMask } from './composite.js';
import { poissonBlend } from './poisson.js';

export interface FittedResult {
  /** All at the original size of the image. */
  masked: ImageBatch;
  raw: ImageBatch;
  composite: ImageBatch;
  blended: ImageBatch;
  losses: ImageLosses | null;
  /** Frames of G(z) over the search (model size), when progressEvery > 0. */
  frames: ImageBatch[];
  /** Whether the image was resized for the model. */
  resized: boolean;
  /** 'no-hole' when the mask has no unknown pixel (returned unchanged), 'no-known' when all unknown. */
  notice?: 'no-hole' | 'no-known';
}

/**
 * Complete images of any size (each 1-image batch with its own mask of the same size) with a model.
 * All images go through one batched search.
 */
export async function inpaintImages(model: InpaintModel, images: ImageBatch[], masks: Mask[], options: Partial<InpaintOptions> = {}, cb: InpaintCallbacks = {}): Promise<FittedResult[]> {
  const o = resolveInpaintOptions(options);
  const [, h, w] = model.generator.outputs[0]!.shape as number[];
  const results: (FittedResult | null)[] = images.map(() => null);
  const todo: number[] = [];
  images.forEach((im, i) => {
    const m = masks[i]!;
    if (holeFraction(m) === 0) {
      // Nothing to fill: the image comes back unchanged.
      results[i] = { masked: im, raw: im, composite: im, blended: im, losses: null, frames: [], resized: false, notice: 'no-hole' };
    } else todo.push(i);
  });
  if (todo.length) {
    const small = todo.map((i) => (images[i]!.height === h && images[i]!.width === w ? images[i]! : resizeBilinear(images[i]!, w!, h!)));
    const smallMasks = todo.map((i) => resizeMaskKeepHoles(masks[i]!, h!, w!));
    // Blending happens below at the original resolution, so the search itself does not blend.
    const r = await inpaint(model, stackImages(small), smallMasks, { ...o, blend: 'none' }, cb);
    todo.forEach((i, j) => {
      const im = images[i]!, m = masks[i]!;
      const resized = im.height !== h || im.width !== w;
      const raw = resized ? resizeBilinear(r.raw, im.width, im.height, j) : imageAt(r.raw, j);
      const comp = composite(im, raw, m);
      const res: FittedResult = {
        masked: applyMask(im, m),
        raw,
        composite: comp,
        blended: o.blend === 'poisson' ? poissonBlend(im, raw, m) : comp,
        losses: r.losses[j]!,
        // Snapshots include the final result as the last frame.
        frames: r.snapshots.map((sn) => imageAt(sn.raw, j)),
        resized,
      };
      if (holeFraction(m) === 1) res.notice = 'no-known';
      results[i] = res;
    });
  }
  return results as FittedResult[];
}
