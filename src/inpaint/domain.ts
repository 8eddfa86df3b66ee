/**
 * Out-of-domain detection: does an image look like what the model was trained on? Platform-neutral.
 *
 * A generator can only reproduce images like its training data, so after the search the known pixels
 * of an in-domain image are matched closely by G(ẑ), and those of a foreign image (a photo into a
 * clothing model, an emoji into a grey one) are not. The measure is the **known error**: the mean
 * |G(ẑ) − y| over the known pixels and channels at the model's size, in [0, 1] units (padding and
 * holes excluded). `calibrateDomain` records its spread on held-out images in the model's manifest
 * (`domain`); `checkDomain` compares an image's known error with it and says, in one line, when it is
 * far beyond that range. Fewer search iterations than the calibration used leave larger errors for
 * any image, so such searches are not judged.
 */
import { z } from 'zod';
import type { ImageBatch, Mask } from '../types.js';
import { makeMask } from '../masks/masks.js';
import type { InpaintModel } from './search.js';
import { resolveInpaintOptions } from './options.js';
import { latentSearch } from './search.js';

const Spread = z.object({ n: z.number().int().min(0), median: z.number(), p95: z.number(), max: z.number() });

/** Known-fraction bins: a mask that leaves few pixels known is easier to match (random 80 %: ≈ 0.03 on Fashion-MNIST) than a half. */
export const KNOWN_BINS: readonly [number, number][] = [[0, 0.35], [0.35, 0.65], [0.65, 1.0001]];

export const DomainStatsSchema = z
  .object({
    /** Known error of all held-out images ([0, 1] units). */
    knownError: Spread,
    /** The same per known-fraction bin (KNOWN_BINS), each with its own threshold. */
    bins: z.array(Spread.extend({ minKnown: z.number(), maxKnown: z.number(), threshold: z.number().positive() })),
    /** The threshold of a bin with too few images (that of all images). */
    threshold: z.number().positive(),
    /** Held-out images measured, and the search they were measured with. */
    n: z.number().int().positive(),
    iters: z.number().int().min(0),
    restarts: z.number().int().min(1),
    /** Its context floor (InpaintOptions.contextFloor; absent in manifests calibrated before it: 0). */
    contextFloor: z.number().min(0).max(1).optional(),
    /** Where that search started (absent in manifests calibrated before encoders: random). */
    start: z.enum(['encoder', 'random']).optional(),
    masks: z.array(z.string()),
    /** The held-out data (a built-in name or a folder's name). */
    data: z.string(),
    /** What the model expects, for people: "32×32 grey clothing, white on black". */
    expects: z.string(),
  })
  .strict();

export type DomainStats = z.infer<typeof DomainStatsSchema>;

/** The verdict on one image. */
export interface DomainCheck {
  /** Its known error ([0, 1] units). */
  knownError: number;
  threshold: number;
  /** Whether it looks unlike the training data. */
  unlike: boolean;
  /** One plain line when `unlike`. */
  message?: string;
}

/**
 * The flagging threshold from the held-out known errors: twice their 95th percentile, and at least
 * 0.05 above it (so a model that reproduces its data almost exactly does not flag the slightest
 * difference).
 */
export function domainThreshold(p95: number): number {
  return Math.max(2 * p95, p95 + 0.05);
}

/** Mean |g − y| over the known pixels (mask ≥ 0.5) and channels of image `i` of `y` and `j` of `g`; NaN without known pixels. */
export function knownError(y: ImageBatch, g: ImageBatch, mask: Mask, i = 0, j = 0): number {
  const C = y.channels, P = y.height * y.width;
  const yo = i * P * C, go = j * P * C;
  let s = 0, n = 0;
  for (let p = 0; p < P; p++) {
    if (mask.data[p]! < 0.5) continue;
    for (let c = 0; c < C; c++) s += Math.abs(g.data[go + p * C + c]! - y.data[yo + p * C + c]!);
    n += C;
  }
  return n ? s / n : NaN;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

/** The fraction of known pixels of a mask. */
export function knownFraction(m: Mask): number {
  let k = 0;
  for (let i = 0; i < m.data.length; i++) if (m.data[i]! >= 0.5) k++;
  return m.data.length ? k / m.data.length : 0;
}

/**
 * Judge one image's known error (with `known` = its mask's known fraction at the model's size)
 * against a model's domain statistics; null when the search fitted the known pixels less than the
 * calibration's did: fewer iterations, or a lower context floor (known pixels far from the hole then
 * weigh less, so they are matched less closely whatever the image).
 */
export function checkDomain(stats: DomainStats, error: number, known: number, iters: number, contextFloor = 0): DomainCheck | null {
  if (iters < stats.iters || contextFloor < (stats.contextFloor ?? 0) || !Number.isFinite(error)) return null;
  const bin = stats.bins.find((b) => known >= b.minKnown && known < b.maxKnown && b.n >= 5);
  const threshold = bin?.threshold ?? stats.threshold;
  const unlike = error > threshold;
  return {
    knownError: error,
    threshold,
    unlike,
    ...(unlike ? { message: `this image looks unlike what the model was trained on (${stats.expects}): its known pixels are matched with a mean error of ${error.toFixed(3)}, where held-out images stay below ${threshold.toFixed(3)}` } : {}),
  };
}

function spread(errors: number[]): z.infer<typeof Spread> {
  const e = [...errors].sort((a, b) => a - b);
  return e.length ? { n: e.length, median: quantile(e, 0.5), p95: quantile(e, 0.95), max: e.at(-1)! } : { n: 0, median: 0, p95: 0, max: 0 };
}

export interface CalibrateOptions {
  /** The held-out data's name, for the record. */
  data: string;
  expects: string;
  iters?: number;
  restarts?: number;
  masks?: string[];
  seed?: number;
}

/**
 * Measure the known error of held-out images (at the model's size) under the given search, masks
 * cycling through `masks` (seeded), and return the statistics to store in the manifest.
 */
export async function calibrateDomain(model: InpaintModel, heldOut: ImageBatch, o: CalibrateOptions): Promise<DomainStats> {
  const masks = o.masks ?? ['center', 'random', 'half', 'strokes'];
  // The model's default search: from its encoder (100 × 1) when it has one — what users get, and the
  // least a judged search does (searches with fewer iterations than this are not judged) — else
  // random starts at 300 × 2 (the server's old defaults; a cheaper calibration than 1000 × 4, and longer
  // searches are judged by it too).
  const hasEncoder = !!model.encoder;
  const iters = o.iters ?? (hasEncoder ? undefined : 300), restarts = o.restarts ?? (hasEncoder ? undefined : 2);
  const opts = resolveInpaintOptions({ seed: o.seed ?? 0, ...(iters !== undefined ? { iters } : {}), ...(restarts !== undefined ? { restarts } : {}) }, undefined, hasEncoder);
  const ms = Array.from({ length: heldOut.n }, (_, i) => makeMask(masks[i % masks.length]!, heldOut.height, heldOut.width, { seed: 1000 + i }));
  const r = await latentSearch(model, heldOut, ms, opts);
  const rows = ms.map((m, i) => ({ error: knownError(heldOut, r.raw, m, i, i), known: knownFraction(m) })).filter((x) => Number.isFinite(x.error));
  const all = spread(rows.map((x) => x.error));
  const bins = KNOWN_BINS.map(([lo, hi]) => {
    const b = spread(rows.filter((x) => x.known >= lo && x.known < hi).map((x) => x.error));
    return { ...b, minKnown: lo, maxKnown: hi, threshold: domainThreshold(b.n ? b.p95 : all.p95) };
  });
  return { knownError: all, bins, threshold: domainThreshold(all.p95), n: rows.length, iters: opts.iters, restarts: opts.restarts, contextFloor: opts.contextFloor, start: hasEncoder ? 'encoder' : 'random', masks, data: o.data, expects: o.expects };
}
