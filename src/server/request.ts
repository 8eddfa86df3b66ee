/**
 * POST /api/inpaint request → a job ready to run: body validated (zod), image and mask decoded from
 * data URLs with sharp, centre-cropped to a square and resized to the model's size, converted to the
 * model's channels. Every problem is an HttpError (4xx) whose message names it.
 *
 * Resizing: the model completes s×s images (s = 28/32/64), so an image of another size is
 * centre-cropped to its largest square (the crop box is reported back) and resized to s×s (Lanczos);
 * a mask given as a PNG must have the image's size and gets the same crop and a nearest-neighbour
 * resize, so it stays binary. All results come back at s×s.
 */
import sharp, { type Sharp } from 'sharp';
import { z } from 'zod';
import type { ImageBatch, Mask } from '../types.js';
import { makeMask, MASK_KINDS } from '../masks/masks.js';
import { resolveInpaintOptions, type InpaintOptions } from '../inpaint/search.js';
import { UserError } from '../util/errors.js';
import type { ServedModel } from './models.js';
import type { Resize } from './api.js';

export type { Resize } from './api.js';

/** A user error with an HTTP status. */
export class HttpError extends UserError {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

export interface Limits {
  /** Largest request body, bytes (→ 413). */
  maxBodyBytes: number;
  /** Largest image width or height, px (→ 400). */
  maxImageSide: number;
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
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 5 * 1024 * 1024,
  maxImageSide: 2048,
  maxRunning: 1,
  maxWaiting: 8,
  jobTimeoutSec: 300,
  maxIters: 3000,
  maxRestarts: 16,
};

/** Defaults the server applies when the request leaves an option out (smaller than the CLI's). */
export const SERVER_DEFAULTS = { iters: 300, restarts: 2 } as const;

const MaskSpec = z.object({ kind: z.string(), seed: z.number().int().optional(), ratio: z.number().optional() }).strict();

const Body = z
  .object({
    model: z.string().min(1, 'model is empty'),
    image: z.string({ required_error: 'no image: give image as a data URL (data:image/png;base64,…)' }),
    mask: z.union([z.string(), MaskSpec], { errorMap: () => ({ message: 'mask must be a PNG data URL or { kind, seed? }' }) }),
    options: z
      .object({
        iters: z.number().int().min(0).optional(),
        restarts: z.number().int().min(1).optional(),
        lambda: z.number().min(0).optional(),
        lr: z.number().positive().optional(),
        seed: z.number().int().optional(),
        blend: z.enum(['poisson', 'none']).optional(),
        window: z.number().int().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type InpaintBody = z.infer<typeof Body>;

export interface PreparedJob {
  model: ServedModel;
  image: ImageBatch;
  mask: Mask;
  options: InpaintOptions;
  resize: Resize;
}

const DATA_URL = /^data:(image\/(?:png|jpeg|jpg|webp));base64,([A-Za-z0-9+/]+={0,2})$/;

/** Bytes of a base64 image data URL; `what` names the field in errors. */
export function decodeDataUrl(s: string, what: string, types: string[] = ['image/png', 'image/jpeg', 'image/jpg', 'image/webp']): Uint8Array {
  const head = /^data:([^;,]*)[;,]/.exec(s);
  if (!head) throw new HttpError(400, `${what} is not a data URL (expected data:image/png;base64,…)`);
  if (!types.includes(head[1]!)) throw new HttpError(400, `${what} has type '${head[1]}' (valid: ${types.join(', ')})`);
  const m = DATA_URL.exec(s);
  if (!m || m[2]!.length % 4 !== 0) throw new HttpError(400, `${what} is not valid base64`);
  return new Uint8Array(Buffer.from(m[2]!, 'base64'));
}

async function dims(bytes: Uint8Array, what: string): Promise<{ width: number; height: number }> {
  try {
    const meta = await sharp(bytes, { failOn: 'error' }).metadata();
    if (!meta.width || !meta.height) throw new Error('no size');
    return { width: meta.width, height: meta.height };
  } catch (e) {
    throw new HttpError(400, `cannot decode ${what}: ${(e as Error).message}`);
  }
}

function centreCrop(width: number, height: number): Resize['crop'] {
  const side = Math.min(width, height);
  return { left: Math.floor((width - side) / 2), top: Math.floor((height - side) / 2), side };
}

async function raw(img: Sharp, what: string): Promise<{ data: Buffer; channels: number }> {
  try {
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    return { data, channels: info.channels };
  } catch (e) {
    throw new HttpError(400, `cannot decode ${what}: ${(e as Error).message}`);
  }
}

/** Image bytes → [1, s, s, channels] in [0,1]: alpha on white, centre crop, Lanczos resize. */
export async function prepareImage(bytes: Uint8Array, crop: Resize['crop'], s: number, channels: number): Promise<ImageBatch> {
  let img = sharp(bytes, { failOn: 'error' }).flatten({ background: { r: 255, g: 255, b: 255 } });
  img = img.extract({ left: crop.left, top: crop.top, width: crop.side, height: crop.side });
  if (crop.side !== s) img = img.resize(s, s, { fit: 'fill', kernel: 'lanczos3' });
  img = channels === 1 ? img.toColourspace('b-w') : img.toColourspace('srgb');
  const { data, channels: c } = await raw(img, 'image');
  const f = new Float32Array(s * s * channels);
  for (let i = 0; i < s * s; i++) for (let k = 0; k < channels; k++) f[i * channels + k] = data[i * c + Math.min(k, c - 1)]! / 255;
  return { data: f, n: 1, height: s, width: s, channels };
}

/** Mask PNG bytes → s×s mask: black or transparent = hole (0), anything else known (1). */
export async function prepareMask(bytes: Uint8Array, crop: Resize['crop'], s: number): Promise<Mask> {
  let img = sharp(bytes, { failOn: 'error' }).ensureAlpha();
  img = img.extract({ left: crop.left, top: crop.top, width: crop.side, height: crop.side });
  if (crop.side !== s) img = img.resize(s, s, { fit: 'fill', kernel: 'nearest' });
  const { data, channels: c } = await raw(img, 'mask');
  const m = new Float32Array(s * s);
  for (let i = 0; i < s * s; i++) {
    let lum = 0;
    for (let k = 0; k < c - 1; k++) lum = Math.max(lum, data[i * c + k]!);
    m[i] = data[i * c + c - 1]! >= 128 && lum >= 128 ? 1 : 0;
  }
  return { data: m, height: s, width: s };
}

function zodMessage(e: z.ZodError): string {
  return e.issues
    .map((i) => {
      const where = i.path.join('.');
      if (i.code === 'invalid_type' && i.received === 'undefined') return where === 'image' ? 'no image: give image as a data URL (data:image/png;base64,…)' : `${where} is missing`;
      if (i.code === 'unrecognized_keys') return `${where ? where + ': ' : ''}unknown key(s) ${i.keys.join(', ')}`;
      return `${where ? where + ': ' : ''}${i.message}`;
    })
    .join('; ');
}

/** Validate a parsed JSON body and decode its image and mask for the model it names. */
export async function prepareJob(json: unknown, models: ServedModel[], limits: Limits): Promise<PreparedJob> {
  const parsed = Body.safeParse(json);
  if (!parsed.success) throw new HttpError(400, zodMessage(parsed.error));
  const b = parsed.data;
  const model = models.find((m) => m.name === b.model);
  if (!model) throw new HttpError(404, `unknown model '${b.model}' (valid: ${models.map((m) => m.name).join(', ')})`);
  // Drop keys given as undefined so they cannot override the defaults.
  const given = Object.fromEntries(Object.entries(b.options ?? {}).filter(([, v]) => v !== undefined)) as Partial<InpaintOptions>;
  const o = { ...SERVER_DEFAULTS, ...given };
  if (o.iters > limits.maxIters) throw new HttpError(400, `options.iters ${o.iters} is above this server's limit of ${limits.maxIters}`);
  if (o.restarts > limits.maxRestarts) throw new HttpError(400, `options.restarts ${o.restarts} is above this server's limit of ${limits.maxRestarts}`);
  let options: InpaintOptions;
  try {
    options = resolveInpaintOptions(o);
  } catch (e) {
    throw new HttpError(400, (e as Error).message);
  }

  const imageBytes = decodeDataUrl(b.image, 'image');
  const from = await dims(imageBytes, 'image');
  if (from.width > limits.maxImageSide || from.height > limits.maxImageSide) {
    throw new HttpError(400, `image is ${from.width}×${from.height} px, above this server's limit of ${limits.maxImageSide} px per side`);
  }
  const s = model.size;
  const crop = centreCrop(from.width, from.height);
  const image = await prepareImage(imageBytes, crop, s, model.channels);

  let mask: Mask;
  if (typeof b.mask === 'string') {
    const maskBytes = decodeDataUrl(b.mask, 'mask', ['image/png']);
    const md = await dims(maskBytes, 'mask');
    if (md.width !== from.width || md.height !== from.height) {
      throw new HttpError(400, `mask is ${md.width}×${md.height} px but the image is ${from.width}×${from.height} px; they must match`);
    }
    mask = await prepareMask(maskBytes, crop, s);
  } else {
    if (!MASK_KINDS.includes(b.mask.kind)) throw new HttpError(400, `unknown mask kind '${b.mask.kind}' (valid: ${MASK_KINDS.join(', ')})`);
    try {
      mask = makeMask(b.mask.kind, s, s, { ...(b.mask.seed !== undefined ? { seed: b.mask.seed } : {}), ...(b.mask.ratio !== undefined ? { ratio: b.mask.ratio } : {}) });
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
  }
  return {
    model,
    image,
    mask,
    options,
    resize: { from, crop, to: { width: s, height: s }, resized: !(from.width === s && from.height === s) },
  };
}
