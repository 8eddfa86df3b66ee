/**
 * What every surface — CLI, library, HTTP API, queue and page — shares about a request, in one place
 * (platform-neutral: the page imports it): how the options of a request resolve for a model, how often
 * a front end previews the search, which image formats are accepted and how large an image may be.
 * Issue #31: the page and the server had their own defaults (300 × 2 from random z where the CLI
 * searches 1000 × 4), their own preview cadence and fit (the page fitted crop-trained models whole),
 * and their own size and format limits.
 */
import { resolveInpaintOptions, startFor, type InpaintOptions, type Start } from './options.js';

/** What the resolution needs to know of a model: whether it has an encoder, and its training crop (0/undefined = whole images). */
export interface ModelTraits {
  hasEncoder: boolean;
  crop?: number | undefined;
}

/** Resolved options with the fit decided. */
export type RequestOptions = InpaintOptions & { fit: 'whole' | 'crop' };

/**
 * The options a search runs with for the options a request gives, on every surface: the schema's
 * defaults, iterations × restarts per start (INIT_DEFAULTS: 100 × 1 from an encoder, 1000 × 4 from
 * random z), and the model's fit (crop for a model trained on crops, else whole) — what `resolveFor`
 * and `fitFor` give the library for a loaded model. Throws the UserError of resolveInpaintOptions.
 */
export function resolveRequest(
  given: Partial<InpaintOptions>,
  model: ModelTraits,
): { options: RequestOptions; start: Start } {
  const o = resolveInpaintOptions(given, undefined, model.hasEncoder);
  const start = startFor(o.init, model.hasEncoder);
  return { options: { ...o, fit: o.fit ?? (model.crop ? 'crop' : 'whole') }, start };
}

/** Previews of G(z) a front end (the page, the API's SSE stream) shows over one search. */
export const PREVIEWS_PER_RUN = 20;

/**
 * Every how many iterations a front end records a preview (and, on a GPU, reads the losses back): about
 * PREVIEWS_PER_RUN times per run, the first at iteration 0 (from an encoder: its one-pass fill).
 */
export function previewEvery(iters: number): number {
  return Math.max(1, Math.ceil(iters / PREVIEWS_PER_RUN));
}

/**
 * The image formats accepted everywhere (CLI inputs and mask files, API uploads, the page), judged by
 * the bytes' signature, not the name: libvips' other loaders (SVG, TIFF, AVIF, …) never see a byte.
 */
export const IMAGE_FORMATS = ['png', 'jpeg', 'webp', 'gif'] as const;
export type AcceptedFormat = (typeof IMAGE_FORMATS)[number];
/** Their MIME types (data URLs, the page's file picker). */
export const IMAGE_MIME_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/jpg', 'image/webp', 'image/gif'];
/** In words, for messages and help. */
export const IMAGE_FORMATS_TEXT = 'PNG, JPEG, WebP or GIF';

/*
 * The size rule, the same on every surface: an image (or mask file) of more pixels than the limit is
 * refused from its header, before any decoding. The CLI's limit (`--max-pixels`) defaults to
 * DEFAULT_MAX_PIXELS (src/io/image.ts, 40 MP); the server's (`serve --max-pixels`, which the page
 * follows) to SERVER_MAX_PIXELS.
 */

/**
 * The server's default pixel limit, lower than the CLI's on purpose: a server decodes every admitted
 * request (up to max-running + max-waiting at once, ≈ 6 × 4 bytes × channels per pixel each while it
 * runs) for anyone who can reach it, where the CLI's user chooses their own images. 16 MP is a
 * 4000×4000 photo; `serve --max-pixels` raises it.
 */
export const SERVER_MAX_PIXELS = 16_000_000;

/**
 * The largest request body a server accepts by default: an image of SERVER_MAX_PIXELS as an
 * uncompressed RGB PNG (the page sends lossless PNG), base64-encoded (× 4/3), and a mask.
 */
export const SERVER_MAX_BODY_BYTES = Math.ceil((SERVER_MAX_PIXELS * 3 * 4) / 3) + 8 * 1024 * 1024;
