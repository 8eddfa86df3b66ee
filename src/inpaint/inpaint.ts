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
import {
  latentSearch,
  resolveFor,
  type InpaintModel,
  type InpaintCallbacks,
  type ImageLosses,
  type SearchResult,
  type InitZ,
} from './search.js';
import type { InpaintOptions } from './options.js';
import { finishFill } from './finish.js';
import { assembleFills, cutImage, fitBack, fitToModel, pasteImage, type Fitted, type FitPlan } from './fit.js';
import { applyMask, composite, masksFor } from './composite.js';
import { checkDomain, knownError, knownFraction, knownStats, type DomainCheck } from './domain.js';
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
  /** Per image, the out-of-domain verdict (when the model's manifest has domain statistics and the search was long enough). */
  domain?: DomainCheck[];
}

/**
 * Complete images at the model's size: search, then composite and blend. Throws a UserError when an
 * image's search stopped on a non-finite loss. Images of other channels are converted (toChannels).
 * @param images [N, H, W, C] in [0,1], H×W×C equal to the generator's output.
 * @param masks  one mask for all images or one per image, H×W, 1 = known.
 */
export async function inpaint(
  model: InpaintModel,
  images: ImageBatch,
  masks: Mask | Mask[],
  options: Partial<InpaintOptions> = {},
  cb: InpaintCallbacks = {},
  initZ?: InitZ,
): Promise<InpaintResult> {
  const { o } = resolveFor(model, options, initZ);
  // Other channels than the model's: converted as inpaintImages does, with a notice.
  const c = (model.generator.outputs[0]!.shape as number[])[3]!;
  if (images.channels !== c) {
    cb.onNotice?.(
      `images converted to the model's ${c === 1 ? 'grey' : 'RGB'} (they have ${images.channels} channel(s))`,
    );
    images = toChannels(images, c);
  }
  const snapshots: InpaintResult['snapshots'] = [];
  const r = await latentSearch(
    model,
    images,
    masks,
    o,
    {
      ...cb,
      onProgress: (p) => {
        if (p.raw) snapshots.push({ iter: p.iter, raw: p.raw });
        cb.onProgress?.(p);
      },
    },
    initZ,
  );
  const bad = r.errors.findIndex((e) => e !== null);
  if (bad >= 0) throw new UserError(images.n > 1 ? `image ${bad}: ${r.errors[bad]}` : r.errors[bad]!);
  const { errors: _, ...found } = r;
  const stats = model.manifest?.domain;
  const domain = stats
    ? masksFor(images, masks).map((m, i) =>
        checkDomain(
          stats,
          knownError(images, r.raw, m, i, i),
          knownFraction(m),
          o.iters,
          o.contextFloor,
          knownStats(images, m, i),
        ),
      )
    : [];
  return {
    ...found,
    ...finishFill(images, r.raw, masks, o),
    snapshots,
    ...(domain.length && domain.every((d) => d) ? { domain: domain as DomainCheck[] } : {}),
  };
}

export interface FittedResult {
  /** All at the output size: the image's own for `whole` and `crop`, the model's for `centre-crop`. */
  input: ImageBatch;
  mask: Mask;
  masked: ImageBatch;
  /** G(ẑ) at the output size; for `crop`, the input with each region's context square replaced by its G(ẑ). */
  raw: ImageBatch;
  composite: ImageBatch;
  blended: ImageBatch;
  /** Losses of the search; for `crop` with several regions, their mean (restart: the first region's). */
  losses: ImageLosses | null;
  /** Frames of G(z) over the search (model size; the first region's for `crop`), when progressEvery > 0; the final one last. */
  frames: ImageBatch[];
  /** Whether the image was resized for the model. */
  resized: boolean;
  /** How the image was fitted: one plan, or one per hole region for `crop`. */
  plans: FitPlan[];
  /** 'no-hole' when the mask has no unknown pixel (returned unchanged), 'no-known' when all unknown. */
  notice?: 'no-hole' | 'no-known';
  /** Set when this image's search stopped on a non-finite loss; the images above are then the input. */
  error?: string;
  /** Out-of-domain verdict, when the model's manifest has domain statistics and the search was long enough. */
  domain?: DomainCheck;
}

/**
 * Finish an image from the fills of its plans (each at its plan's used size): `whole` and
 * `centre-crop` finish the whole image; `crop` blends each region inside its own context square only
 * (the Poisson solve then costs the hole's neighbourhood, not the photo).
 */
function finishFitted(
  f: Fitted,
  fills: ImageBatch[],
  o: InpaintOptions,
): Pick<FittedResult, 'raw' | 'masked' | 'composite' | 'blended'> {
  const raw = assembleFills(f.target, f.plans, fills);
  if (f.plans[0]!.mode !== 'crop') return { raw, ...finishFill(f.target, raw, f.targetMask, o) };
  const masked = applyMask(f.target, f.targetMask);
  const comp = composite(f.target, raw, f.targetMask);
  const blended = o.blend === 'poisson' ? { ...f.target, data: Float32Array.from(comp.data) } : comp;
  if (o.blend === 'poisson') {
    f.plans.forEach((p, k) => {
      const part = finishFill(
        cutImage(f.target, p.crop),
        fills[k]!,
        {
          data: cutImage({ ...f.target, data: f.targetMask.data, channels: 1 }, p.crop).data,
          height: p.crop.height,
          width: p.crop.width,
        },
        o,
      );
      pasteImage(blended, p.crop, part.blended);
    });
  }
  return { raw, masked, composite: comp, blended };
}

/** The fit an image gets: as asked, else the model's (a model trained on crops completes crops around each hole). */
export function fitFor(
  o: { fit?: 'whole' | 'crop' | undefined },
  model: { manifest?: { config?: { crop?: number } } },
): 'whole' | 'crop' {
  return o.fit ?? (model.manifest?.config?.crop ? 'crop' : 'whole');
}

/**
 * An image with `channels` channels, as the CLI's decoder gives it: RGB → grey by luma (Rec. 601,
 * as the page does), grey → RGB by replication. The same batch when it has them already.
 */
export function toChannels(im: ImageBatch, channels: number): ImageBatch {
  if (im.channels === channels) return im;
  if (![1, 3].includes(im.channels) || ![1, 3].includes(channels))
    throw new UserError(`cannot convert an image of ${im.channels} channel(s) to ${channels}`);
  const px = im.n * im.height * im.width;
  const data = new Float32Array(px * channels);
  for (let i = 0; i < px; i++) {
    if (channels === 1) data[i] = 0.299 * im.data[i * 3]! + 0.587 * im.data[i * 3 + 1]! + 0.114 * im.data[i * 3 + 2]!;
    else data.fill(im.data[i]!, i * 3, i * 3 + 3);
  }
  return { ...im, data, channels };
}

/**
 * Complete images of any size (each a 1-image batch with its own mask of the same size) with a model,
 * fitted by `options.fit` (src/inpaint/fit.ts). All images — all hole regions, for `crop` — go
 * through one batched search. An image whose search fails (non-finite loss) gets `error`; the others
 * complete. With `init` auto/encoder and `model.encoder`, each model-size input starts at its
 * encoder's z. An image of other channels than the model's is converted (toChannels), with one
 * `cb.onNotice` line, as the CLI converts on decoding; the results then have the model's channels.
 */
export async function inpaintImages(
  model: InpaintModel,
  images: ImageBatch[],
  masks: Mask[],
  options: Partial<InpaintOptions> = {},
  cb: InpaintCallbacks = {},
): Promise<FittedResult[]> {
  const { o } = resolveFor(model, options);
  if (masks.length !== images.length) throw new UserError(`${masks.length} masks for ${images.length} images`);
  const [, h, w, c] = model.generator.outputs[0]!.shape as number[];
  images = images.map((im, i) => {
    if (im.channels === c) return im;
    cb.onNotice?.(`image ${i} converted to the model's ${c === 1 ? 'grey' : 'RGB'} (it has ${im.channels} channel(s))`);
    return toChannels(im, c!);
  });
  const fit = fitFor(o, model);
  const fitted = images.map((im, i) => fitToModel(im, masks[i]!, { width: w!, height: h! }, fit));
  const results: (FittedResult | null)[] = images.map(() => null);
  // The search batch: item k is plan `plan` of image `image`.
  const items: { image: number; plan: number }[] = [];
  fitted.forEach((f, i) => {
    if (holeFraction(f.targetMask) === 0) {
      // Nothing to fill: the image comes back unchanged.
      const t = f.target;
      results[i] = {
        input: t,
        mask: f.targetMask,
        masked: t,
        raw: t,
        composite: t,
        blended: t,
        losses: null,
        frames: [],
        resized: false,
        plans: f.plans,
        notice: 'no-hole',
      };
    } else
      f.plans.forEach((_, k) => {
        items.push({ image: i, plan: k });
      });
  });
  if (items.length) {
    const frames: ImageBatch[] = [];
    const r = await latentSearch(
      model,
      stackImages(items.map((it) => fitted[it.image]!.images[it.plan]!)),
      items.map((it) => fitted[it.image]!.masks[it.plan]!),
      o,
      {
        ...cb,
        onProgress: (p) => {
          if (p.raw) frames.push(p.raw);
          cb.onProgress?.(p);
        },
      },
    );
    fitted.forEach((f, i) => {
      if (results[i]) return;
      const js = items.flatMap((it, j) => (it.image === i ? [j] : []));
      const base = {
        input: f.target,
        mask: f.targetMask,
        frames: frames.map((b) => imageAt(b, js[0]!)),
        resized: f.plans.some((p) => p.resized),
        plans: f.plans,
      };
      const err = js.map((j) => r.errors[j]).find((e) => e);
      if (err) {
        results[i] = {
          ...base,
          masked: f.target,
          raw: f.target,
          composite: f.target,
          blended: f.target,
          losses: null,
          frames: [],
          error: err,
        };
        return;
      }
      const fills = js.map((j, k) => fitBack(f.plans[k]!, r.raw, j));
      const ls = js.map((j) => r.losses[j]!);
      const mean = (k: 'contextual' | 'prior' | 'total') => ls.reduce((s, l) => s + l[k], 0) / ls.length;
      const losses: ImageLosses =
        ls.length === 1
          ? ls[0]!
          : { ...ls[0]!, contextual: mean('contextual'), prior: mean('prior'), total: mean('total') };
      const res: FittedResult = { ...base, ...finishFitted(f, fills, o), losses };
      if (holeFraction(f.targetMask) === 1) res.notice = 'no-known';
      const stats = model.manifest?.domain;
      if (stats) {
        // Several regions (crop): the mean error and known fraction over them.
        const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        const st = f.masks.map((m, k) => knownStats(f.images[k]!, m));
        const check = checkDomain(
          stats,
          avg(js.map((j, k) => knownError(f.images[k]!, r.raw, f.masks[k]!, 0, j))),
          avg(f.masks.map(knownFraction)),
          o.iters,
          o.contextFloor,
          st[0]!.map((_, q) => avg(st.map((v) => v[q]!))),
        );
        if (check) res.domain = check;
      }
      results[i] = res;
    });
  }
  return results as FittedResult[];
}
