/**
 * POST /api/inpaint request → a job ready to run: body validated (zod: the shared options schema of
 * src/inpaint/options.ts plus this server's limits), image and mask checked by their header (format by
 * signature: the formats every surface accepts, src/inpaint/surface.ts IMAGE_FORMATS — PNG, JPEG,
 * WebP, GIF — so libvips' SVG/TIFF/AVIF loaders never see untrusted bytes; pixels against the limit)
 * and only then decoded with sharp, at the upload's own size. Every problem is an HttpError (4xx) or a
 * UserError (→ 400) whose message names it. Options resolve as on every surface (resolveRequest).
 *
 * Sizes: the model completes s×s images (s = 28/32/64); the worker fits the upload to it with the
 * shared policy (src/inpaint/fit.ts via inpaintImages: `options.fit` whole or crop, the model's by
 * default) and brings the fill back, so every result has the upload's size. A mask file of another
 * size is resized to the image's as the CLI's mask files are (resizeMaskKeepHoles: no hole is lost
 * when shrinking); a mask kind is made at it. The plans are reported in `resize`. Sizes
 * are as displayed: the decoders (src/io/image.ts) apply EXIF orientation, so a sideways-stored JPEG
 * with orientation 6 is the upright image and its mask is drawn on that.
 */
import { z } from 'zod';
import type { ImageBatch, Mask } from '../types.js';
import { makeMask, MASK_KINDS, resizeMaskKeepHoles } from '../masks/masks.js';
import { InpaintOptionsSchema, type InpaintOptions, type Start } from '../inpaint/options.js';
import {
  IMAGE_FORMATS,
  IMAGE_MIME_TYPES,
  SERVER_MAX_BODY_BYTES,
  SERVER_MAX_PIXELS,
  resolveRequest,
} from '../inpaint/surface.js';
import { planCrops, planFit } from '../inpaint/fit.js';
import { fitFor } from '../inpaint/inpaint.js';
import { decodeImage, decodeMask, readImageHeader, type ImageFormat } from '../io/image.js';
import { UserError } from '../util/errors.js';
import { DEFAULT_MASK_CONVENTION, MASK_CONVENTIONS, holeWarning, type MaskConvention } from '../masks/convention.js';
import { formatZodError } from '../util/zod_error.js';
import type { ServedModel } from './models.js';
import type { Resize } from '../protocol/api.js';
import { resizeOf } from '../protocol/convert.js';
import { definedKeys } from '../util/defined.js';

/** A user error with an HTTP status. */
export class HttpError extends UserError {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface Limits {
  /** Largest request body, bytes (→ 413). */
  maxBodyBytes: number;
  /** Largest image (or mask file), pixels, read from its header before decoding (→ 400): the CLI's --max-pixels rule. */
  maxPixels: number;
  /** Jobs computing at once. */
  maxRunning: number;
  /** Jobs waiting for a slot; one more → 429. */
  maxWaiting: number;
  /** Wall-clock limit of one job, s (→ `error` event). */
  jobTimeoutSec: number;
  /** Largest `options.iters` (→ 400). */
  maxIters: number;
  /** Largest `options.restarts` (→ 400). */
  maxRestarts: number;
  /** Seconds a client may take to send the request headers (→ 408, connection closed). */
  headerTimeoutSec: number;
  /** Seconds a client may take to send its body once the headers are in (→ 408, connection closed). */
  bodyTimeoutSec: number;
  /** Open connections one client address may hold; a request on one more → 429, silence → closed after 1 s. */
  maxConnectionsPerAddress: number;
}

export const DEFAULT_LIMITS: Limits = {
  // Full size, as the CLI: an image of maxPixels as the page sends it (lossless PNG, base64) fits.
  maxBodyBytes: SERVER_MAX_BODY_BYTES,
  maxPixels: SERVER_MAX_PIXELS,
  maxRunning: 1,
  maxWaiting: 8,
  jobTimeoutSec: 300,
  maxIters: 3000,
  maxRestarts: 16,
  headerTimeoutSec: 20,
  // A 5 MB photo over a 1 Mbit/s line takes 40 s (the largest body needs a fast link or --body-timeout).
  bodyTimeoutSec: 60,
  // A browser opens up to 6 connections per host; a few tabs stay well below this.
  maxConnectionsPerAddress: 32,
};

const MaskSpec = z
  .object({ kind: z.string(), seed: z.number().int().optional(), ratio: z.number().optional() })
  .strict();

/** The request's options: the library's schema (its bounds included) minus what the server sets itself. */
const RequestOptions = InpaintOptionsSchema.omit({ progressEvery: true }).partial().strict();

const Body = z
  .object({
    model: z.string().min(1, 'model is empty'),
    image: z.string({ required_error: 'no image: give image as a data URL (data:image/png;base64,…)' }),
    mask: z.union([z.string(), MaskSpec], {
      errorMap: () => ({
        message:
          'mask must be an image data URL (PNG, JPEG, WebP or GIF; white = hole by default, see maskConvention; transparent = known) or { kind, seed? }',
      }),
    }),
    // How a mask image marks the hole, and the convention of the `mask` returned (src/masks/convention.ts).
    maskConvention: z.enum(MASK_CONVENTIONS).optional(),
    options: RequestOptions.optional(),
  })
  .strict();

export type InpaintBody = z.infer<typeof Body>;

/** Formats an upload (image or mask) may have, judged by signature: every surface's (IMAGE_FORMATS); libvips' other loaders (SVG, TIFF, AVIF, …) never run. */
export const UPLOAD_FORMATS: readonly ImageFormat[] = IMAGE_FORMATS;

export interface PreparedJob {
  model: ServedModel;
  image: ImageBatch;
  mask: Mask;
  options: InpaintOptions;
  resize: Resize;
  /** The body's mask convention (or the default): the returned mask is in it. */
  maskConvention: MaskConvention;
  /** A mask PNG making more than 60 % of the image a hole (likely the other convention): one line, sent with the `start` event. */
  warning?: string;
}

const DATA_URL = /^data:(image\/[a-z]+);base64,([A-Za-z0-9+/]+={0,2})$/;

/** Bytes of a base64 image data URL; `what` names the field in errors. */
export function decodeDataUrl(s: string, what: string, types: readonly string[] = IMAGE_MIME_TYPES): Uint8Array {
  const head = /^data:([^;,]*)[;,]/.exec(s);
  if (!head) throw new HttpError(400, `${what} is not a data URL (expected data:image/png;base64,…)`);
  const type = head[1] ?? '';
  if (!types.includes(type)) throw new HttpError(400, `${what} has type '${type}' (valid: ${types.join(', ')})`);
  const base64 = DATA_URL.exec(s)?.[2];
  if (!base64 || base64.length % 4 !== 0) throw new HttpError(400, `${what} is not valid base64`);
  return new Uint8Array(Buffer.from(base64, 'base64'));
}

/** A missing field of the body: the image gets a hint at the expected form. */
const missing = (p: (string | number)[]) =>
  p.join('.') === 'image'
    ? 'no image: give image as a data URL (data:image/png;base64,…)'
    : `${p.join('.')} is missing`;

/**
 * Validate a parsed JSON body — no decoding, so it is cheap and the server can refuse (4xx, 429)
 * before any image work. Returns the model and the resolved options.
 */
export function validateBody(
  json: unknown,
  models: ServedModel[],
  limits: Limits,
): { body: InpaintBody; model: ServedModel; options: InpaintOptions; start: Start } {
  const parsed = Body.safeParse(json);
  if (!parsed.success) throw new HttpError(400, formatZodError(parsed.error, { input: json, unknown: 'key', missing }));
  const b = parsed.data;
  const model = models.find((m) => m.name === b.model);
  if (!model) throw new HttpError(404, `unknown model '${b.model}' (valid: ${models.map((m) => m.name).join(', ')})`);
  // Drop keys given as undefined so they cannot override the defaults.
  const given = Object.fromEntries(
    Object.entries(b.options ?? {}).filter(([, v]) => v !== undefined),
  ) as Partial<InpaintOptions>;
  // Resolved as on every surface (src/inpaint/surface.ts): iterations and restarts default per start
  // (100 × 1 from the encoder's z, 1000 × 4 from random z, as the CLI), the fit is the model's.
  let r: ReturnType<typeof resolveRequest>;
  try {
    r = resolveRequest(given, { hasEncoder: !!model.encoder, crop: model.manifest.config.crop });
  } catch (e) {
    const m = (e as Error).message;
    throw new HttpError(
      400,
      /init 'encoder' but the model has no encoder/.test(m)
        ? `${m.replace(/ \(train one.*$/, '')}: model '${model.name}' has no encoder on this server`
        : m,
    );
  }
  const { options, start } = r;
  if (options.iters > limits.maxIters)
    throw new HttpError(400, `options.iters ${options.iters} is above this server's limit of ${limits.maxIters}`);
  // The refinement's iterations are search iterations too (each a forward and backward pass of G and D).
  if (options.refine !== 'z' && options.refineIters > limits.maxIters)
    throw new HttpError(
      400,
      `options.refineIters ${options.refineIters} is above this server's limit of ${limits.maxIters}`,
    );
  if (options.restarts > limits.maxRestarts)
    throw new HttpError(
      400,
      `options.restarts ${options.restarts} is above this server's limit of ${limits.maxRestarts}`,
    );
  return { body: b, model, options, start };
}

/** Check the headers of a validated body's image and mask, decode them and fit them to the model. */
export async function prepareInputs(
  b: InpaintBody,
  model: ServedModel,
  options: InpaintOptions,
  limits: Limits,
): Promise<PreparedJob> {
  const maxPixels = limits.maxPixels;
  const imageBytes = decodeDataUrl(b.image, 'image');
  const header = await readImageHeader(imageBytes, 'image', {
    formats: UPLOAD_FORMATS,
    maxPixels: Number.MAX_SAFE_INTEGER,
  });
  const from = { width: header.width, height: header.height };
  if (from.width * from.height > maxPixels) {
    throw new HttpError(
      400,
      `image is ${from.width}×${from.height} px (${((from.width * from.height) / 1e6).toFixed(1)} MP), above this server's limit of ${(maxPixels / 1e6).toFixed(1)} MP (serve --max-pixels)`,
    );
  }
  const s = model.size,
    to = { width: s, height: s };
  let mask: Mask;
  const convention = b.maskConvention ?? DEFAULT_MASK_CONVENTION;
  let warning: string | undefined;
  if (typeof b.mask === 'string') {
    const maskBytes = decodeDataUrl(b.mask, 'mask');
    // Decoded at its own size (within the same pixel limit) under the body's convention, then brought
    // to the image's as the CLI does with a mask file of another size; resizeMaskKeepHoles keeps every
    // hole when shrinking.
    mask = await decodeMask(maskBytes, 'mask', { formats: UPLOAD_FORMATS, maxPixels, convention });
    if (mask.width !== from.width || mask.height !== from.height)
      mask = resizeMaskKeepHoles(mask, from.height, from.width);
    warning = holeWarning(mask, convention, 'the mask', (c) => `"maskConvention": "${c}"`) ?? undefined;
  } else {
    if (!MASK_KINDS.includes(b.mask.kind))
      throw new HttpError(400, `unknown mask kind '${b.mask.kind}' (valid: ${MASK_KINDS.join(', ')})`);
    try {
      mask = makeMask(b.mask.kind, from.height, from.width, definedKeys({ seed: b.mask.seed, ratio: b.mask.ratio }));
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
  }
  const image = await decodeImage(
    imageBytes,
    { channels: model.channels as 1 | 3, formats: UPLOAD_FORMATS, maxPixels },
    'image',
  );
  // The same plans the worker's inpaintImages makes (fit.ts), reported before the search starts.
  const fit = options.fit ?? fitFor(options, model);
  const plans = fit === 'crop' ? planCrops(mask, to) : [planFit(from, to, 'whole')];
  return {
    model,
    image,
    mask,
    options,
    resize: resizeOf(from, to, fit, plans),
    maskConvention: convention,
    ...(warning ? { warning } : {}),
  };
}

/** Validate a parsed JSON body and decode its image and mask for the model it names. */
export async function prepareJob(json: unknown, models: ServedModel[], limits: Limits): Promise<PreparedJob> {
  const { body, model, options } = validateBody(json, models, limits);
  return prepareInputs(body, model, options, limits);
}
