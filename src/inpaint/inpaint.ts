/**
 * The completion pipeline, assembled once from its three parts (platform-neutral):
 *
 *   fitToModel (fit.ts)  →  latentSearch (search.ts)  →  fitBack + finishFill (fit.ts, finish.ts)
 *
 * `inpaint` completes images already at the model's size (the server's worker and the page, after
 * their centre crop); `inpaintImages` completes images of any size, each with its own mask, in one
 * batched search (the CLI and the demo).
 */
import type { ImageBatch, Mask } from '../types.js';
import { stackImages, imageAt } from '../types.js';
import { holeFraction } from '../masks/masks.js';
import { latentSearch, resolveFor, type InpaintModel, type InpaintCallbacks, type ImageLosses, type SearchResult, type InitZ } from './search.js';
import type { InpaintOptions } from './options.js';
import { finishFill } from './finish.js';
import { fitBack, fitToModel, type FitMode, type FitPlan } from './fit.js';
import { UserError } from '../util/errors.js';

export interface InpaintResult extends Omit<SearchResult, 'errors'> {
  /** Inputs with the hole shown in grey. */
  masked: ImageBatch;
  /** M⊙y + (1−M)⊙G(ẑ). */
  composite: ImageBatch;
  /** Poisson-blended result (equals `composite` with blend: 'none'). */
  blended: ImageBatch;
  /** Snapshots of G(z) (best restart so far) when progressEvery > 0, the final result last. */
  snapshots: { iter: number; raw: ImageBatch }[];
}

/**
 * Complete images at the model's size: search, then composite and blend. Throws a UserError when an
 * image's search stopped on a non-finite loss.
 * @param images [N, H, W, C] in [0,1], H×W×C equal to the generator's output.
 * @param masks  one mask for all images or one per image, H×W, 1 = known.
 */
export async function inpaint(model: InpaintModel, images: ImageBatch, masks: Mask | Mask[], options: Partial<InpaintOptions> = {}, cb: InpaintCallbacks = {}, initZ?: InitZ): Promise<InpaintResult> {
  const { o } = resolveFor(model, options, initZ);
  const snapshots: InpaintResult['snapshots'] = [];
  const r = await latentSearch(model, images, masks, o, {
    ...cb,
    onProgress: (p) => {
      if (p.raw) snapshots.push({ iter: p.iter, raw: p.raw });
      cb.onProgress?.(p);
    },
  }, initZ);
  const bad = r.errors.findIndex((e) => e !== null);
  if (bad >= 0) throw new UserError(images.n > 1 ? `image ${bad}: ${r.errors[bad]}` : r.errors[bad]!);
  const { errors: _, ...found } = r;
  return { ...found, ...finishFill(images, r.raw, masks, o), snapshots };
}

export interface FittedResult {
  /** All at the output size: the image's own for `stretch`, the model's for `centre-crop`. */
  input: ImageBatch;
  mask: Mask;
  masked: ImageBatch;
  raw: ImageBatch;
  composite: ImageBatch;
  blended: ImageBatch;
  losses: ImageLosses | null;
  /** Frames of G(z) over the search (model size), when progressEvery > 0; the final one last. */
  frames: ImageBatch[];
  /** Whether the image was resized for the model. */
  resized: boolean;
  plan: FitPlan;
  /** 'no-hole' when the mask has no unknown pixel (returned unchanged), 'no-known' when all unknown. */
  notice?: 'no-hole' | 'no-known';
  /** Set when this image's search stopped on a non-finite loss; the images above are then the input. */
  error?: string;
}

/**
 * Complete images of any size (each a 1-image batch with its own mask of the same size) with a model.
 * All images go through one batched search. An image whose search fails (non-finite loss) gets
 * `error`; the others complete. With `init` auto/encoder and `model.encoder`, the search starts at the
 * encoder's z of each model-size image.
 */
export async function inpaintImages(model: InpaintModel, images: ImageBatch[], masks: Mask[], options: Partial<InpaintOptions> = {}, cb: InpaintCallbacks = {}, mode: FitMode = 'stretch'): Promise<FittedResult[]> {
  const { o } = resolveFor(model, options);
  if (masks.length !== images.length) throw new UserError(`${masks.length} masks for ${images.length} images`);
  const [, h, w] = model.generator.outputs[0]!.shape as number[];
  const fitted = images.map((im, i) => fitToModel(im, masks[i]!, { width: w!, height: h! }, mode));
  const results: (FittedResult | null)[] = images.map(() => null);
  const todo: number[] = [];
  fitted.forEach((f, i) => {
    if (holeFraction(f.targetMask) === 0) {
      // Nothing to fill: the image comes back unchanged.
      const t = f.target;
      results[i] = { input: t, mask: f.targetMask, masked: t, raw: t, composite: t, blended: t, losses: null, frames: [], resized: false, plan: f.plan, notice: 'no-hole' };
    } else todo.push(i);
  });
  if (todo.length) {
    const frames: ImageBatch[] = [];
    const r = await latentSearch(model, stackImages(todo.map((i) => fitted[i]!.image)), todo.map((i) => fitted[i]!.mask), o, {
      ...cb,
      onProgress: (p) => {
        if (p.raw) frames.push(p.raw);
        cb.onProgress?.(p);
      },
    });
    todo.forEach((i, j) => {
      const f = fitted[i]!;
      const base = { input: f.target, mask: f.targetMask, frames: frames.map((b) => imageAt(b, j)), resized: f.plan.resized, plan: f.plan };
      const err = r.errors[j];
      if (err) {
        results[i] = { ...base, masked: f.target, raw: f.target, composite: f.target, blended: f.target, losses: null, frames: [], error: err };
        return;
      }
      const raw = fitBack(f.plan, r.raw, j);
      const res: FittedResult = { ...base, raw, ...finishFill(f.target, raw, f.targetMask, o), losses: r.losses[j]! };
      if (holeFraction(f.targetMask) === 1) res.notice = 'no-known';
      results[i] = res;
    });
  }
  return results as FittedResult[];
}
