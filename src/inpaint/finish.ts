/**
 * Finishing a fill: the one place that turns G(ẑ) into the outputs a user sees. Platform-neutral.
 *
 *   masked     the input with the hole drawn grey (what was given)
 *   composite  M⊙y + (1−M)⊙G(ẑ): known pixels from the input, hole pixels from the generator
 *   blended    G(ẑ) Poisson-blended into the hole (equals `composite` with blend 'none')
 *
 * Known pixels are never changed by either. Callers at another size than the model's bring G(ẑ) to
 * the image's size first (fit.ts), so finishing always happens at the resolution of the output.
 */
import type { ImageBatch, Mask } from '../types.js';
import { applyMask, composite } from './composite.js';
import { poissonBlendBatch } from './poisson.js';

export interface FinishedFill {
  masked: ImageBatch;
  composite: ImageBatch;
  blended: ImageBatch;
}

/**
 * @param images [N, H, W, C] in [0, 1]
 * @param raw    G(ẑ) at the same shape, [0, 1]
 * @param masks  one mask for all images or one per image, H×W, 1 = known
 */
export function finishFill(
  images: ImageBatch,
  raw: ImageBatch,
  masks: Mask | Mask[],
  o: { blend: 'poisson' | 'none' },
): FinishedFill {
  const comp = composite(images, raw, masks);
  return {
    masked: applyMask(images, masks),
    composite: comp,
    blended: o.blend === 'poisson' ? poissonBlendBatch(images, raw, masks) : comp,
  };
}
