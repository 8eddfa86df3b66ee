/**
 * The conversions both ends of the API share (platform-neutral: the page bundles this):
 * - a completed image → the wire's result, ONE conversion for the server's worker threads, the queue
 *   runner (serve --redis) and the page's in-browser run (`completedImage`, `resizeOf`, `resultData`);
 * - a model as GET /api/models describes it → what a request resolves to for it (`modelTraits`), and
 *   the page's form defaults (`formDefaults`): from the options schema and the model, as the server
 *   resolves the same request (src/inpaint/surface.ts resolveRequest), never constants of the page's.
 */
import type { DomainCheck } from '../inpaint/domain_types.js';
import type { FitPlan } from '../inpaint/fit.js';
import { DEFAULT_INPAINT, INIT_DEFAULTS, type InitKind, type Start } from '../inpaint/options.js';
import type { ImageLosses } from '../inpaint/search.js';
import { resolveRequest, type ModelTraits, type RequestOptions } from '../inpaint/surface.js';
import { UserError } from '../util/errors.js';
import type { ModelInfo, Resize, ResultData, ServerConfig } from './api.js';
import { definedKeys } from '../util/defined.js';

/** The losses reported when no search ran (a mask without a hole returns the image unchanged). */
export const NO_SEARCH_LOSSES: Readonly<ImageLosses> = Object.freeze({ contextual: 0, prior: 0, total: 0, restart: 0 });

/** One completed image before it is encoded for the wire; `I` is an ImageBatch, or a PNG already encoded. */
export interface CompletedImage<I> {
  masked: I;
  raw: I;
  composite: I;
  blended: I;
  losses: ImageLosses;
  /** Out-of-domain verdict (src/inpaint/domain.ts), when the model is calibrated. */
  domain?: DomainCheck;
}

/**
 * A result of inpaintImages (or a queue item's, its files decoded) → the completed image every
 * surface reports: a failed search is a UserError with its one line; no search (no hole) reports
 * zero losses, as the page expects numbers.
 */
export function completedImage<I>(r: {
  masked: I;
  raw: I;
  composite: I;
  blended: I;
  losses: ImageLosses | null;
  domain?: DomainCheck | undefined;
  error?: string | undefined;
}): CompletedImage<I> {
  if (r.error) throw new UserError(r.error);
  return {
    masked: r.masked,
    raw: r.raw,
    composite: r.composite,
    blended: r.blended,
    losses: r.losses ?? { ...NO_SEARCH_LOSSES },
    ...definedKeys({ domain: r.domain }),
  };
}

/** The `resize` field from the fit's plans (src/inpaint/fit.ts): the regions completed, in px of the upload. */
export function resizeOf(
  from: { width: number; height: number },
  to: { width: number; height: number },
  fit: 'whole' | 'crop',
  plans: readonly Pick<FitPlan, 'crop' | 'resized'>[],
): Resize {
  const regions = plans.map(({ crop: { left, top, width, height } }) => ({ left, top, width, height }));
  return { from, to, fit, regions, resized: plans.some((p) => p.resized) };
}

/**
 * The `result` event's data: the completed image's four images encoded by `encode` (sharp on the
 * server, a canvas in the page) beside the input and mask, already encoded by the caller.
 */
export async function resultData<I>(
  c: CompletedImage<I>,
  encode: (image: I) => string | Promise<string>,
  rest: Pick<ResultData, 'input' | 'mask' | 'maskConvention' | 'resize' | 'seconds' | 'backend'>,
): Promise<ResultData> {
  const [masked, raw, composite, blended] = await Promise.all([
    encode(c.masked),
    encode(c.raw),
    encode(c.composite),
    encode(c.blended),
  ] as const);
  return {
    input: rest.input,
    mask: rest.mask,
    maskConvention: rest.maskConvention,
    masked,
    raw,
    composite,
    blended,
    losses: c.losses,
    domain: c.domain ?? null,
    resize: rest.resize,
    seconds: rest.seconds,
    backend: rest.backend,
  };
}

/**
 * What a request resolves against for a model GET /api/models describes: whether it has an encoder,
 * and whether it was trained on crops (ModelInfo carries the fit, not the crop size: any positive
 * crop means crop-trained to resolveRequest).
 */
export function modelTraits(info: Pick<ModelInfo, 'encoder' | 'fit'>): ModelTraits {
  return { hasEncoder: !!info.encoder, crop: info.fit === 'crop' ? 1 : 0 };
}

/**
 * The page's form for a model and a start choice: what the server resolves a request giving only
 * `init` to (iterations × restarts per start, λ, blend, the model's fit). An `encoder` choice on a
 * model without one falls back to auto (the page disables that choice).
 */
export function formDefaults(
  info: Pick<ModelInfo, 'encoder' | 'fit'>,
  init: InitKind,
): {
  options: RequestOptions;
  start: Start;
} {
  return resolveRequest({ init: init === 'encoder' && !info.encoder ? 'auto' : init }, modelTraits(info));
}

/** GET /api/config's `defaults`: the library's own (per start, as the CLI). */
export function configDefaults(): ServerConfig['defaults'] {
  return {
    ...INIT_DEFAULTS.random,
    lambda: DEFAULT_INPAINT.lambda,
    lr: DEFAULT_INPAINT.lr,
    seed: DEFAULT_INPAINT.seed,
    blend: DEFAULT_INPAINT.blend,
    init: DEFAULT_INPAINT.init,
    encoder: INIT_DEFAULTS.encoder,
  };
}
