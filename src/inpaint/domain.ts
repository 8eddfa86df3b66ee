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
import type { ImageBatch, Mask } from '../types.js';
import { makeMask } from '../masks/masks.js';
import type { InpaintModel } from './search.js';
import { resolveInpaintOptions } from './options.js';
import { latentSearch } from './search.js';

/** Known-fraction bins: a mask that leaves few pixels known is easier to match (random 80 %: ≈ 0.03 on Fashion-MNIST) than a half. */
export const KNOWN_BINS: readonly [number, number][] = [
  [0, 0.35],
  [0.35, 0.65],
  [0.65, 1.0001],
];

export { DomainStatsSchema, type DomainStats, type DomainCheck } from './domain_types.js';
import type { DomainStats, DomainCheck, Band, SpreadOf } from './domain_types.js';

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
  const C = y.channels,
    P = y.height * y.width;
  const yo = i * P * C,
    go = j * P * C;
  let s = 0,
    n = 0;
  for (let p = 0; p < P; p++) {
    if (mask.data[p]! < 0.5) continue;
    for (let c = 0; c < C; c++) s += Math.abs(g.data[go + p * C + c]! - y.data[yo + p * C + c]!);
    n += C;
  }
  return n ? s / n : NaN;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

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
export function checkDomain(
  stats: DomainStats,
  error: number,
  known: number,
  iters: number,
  contextFloor = 0,
  knownStatsOf?: number[],
): DomainCheck | null {
  const judged = !(iters < stats.iters || contextFloor < (stats.contextFloor ?? 0) || !Number.isFinite(error));
  const st = stats.knownStats && knownStatsOf ? statsScore(stats.knownStats, knownStatsOf) : null;
  if (!judged && !st) return null;
  const bin = stats.bins.find((b) => known >= b.minKnown && known < b.maxKnown && b.n >= 5);
  const threshold = bin?.threshold ?? stats.threshold;
  const byError = judged && error > threshold;
  const byStats = !!st && st.score > stats.knownStats!.threshold;
  const unlike = byError || byStats;
  const why = byError
    ? `its known pixels are matched with a mean error of ${error.toFixed(3)}, where held-out images stay below ${threshold.toFixed(3)}`
    : byStats
      ? `its ${STAT_WORDS[st!.worst] ?? st!.worst} (${st!.value.toFixed(3)}) is far from that of held-out images (typically ${st!.median.toFixed(3)})`
      : '';
  return {
    knownError: error,
    threshold,
    unlike,
    ...(unlike ? { message: `this image looks unlike what the model was trained on (${stats.expects}): ${why}` } : {}),
    ...(judged ? {} : { searchTooShort: true as const }),
    ...(st ? { stats: { score: st.score, threshold: stats.knownStats!.threshold, worst: st.worst } } : {}),
  };
}

/** The statistics in words, for the notice. */
const STAT_WORDS: Record<string, string> = {
  mean: 'brightness',
  std: 'contrast',
  dark: 'share of near-black pixels',
  bright: 'share of near-white pixels',
  border: 'brightness at the border',
  saturation: 'colourfulness',
  gradient: 'fine texture',
  laplacian: 'fine texture',
  colours: 'number of distinct colours',
  texture: 'share of fine shading',
  muted: 'share of muted mid-tones',
};

/**
 * An image's statistics score against a band: the distance to its k-th nearest held-out row (a NaN
 * statistic, e.g. no known border pixel, counts as typical), and the statistic furthest from its
 * median for the notice; null when the band's statistics are not this version's.
 */
export function statsScore(
  band: Band,
  x: number[],
  skip = -1,
): { score: number; worst: string; value: number; median: number } | null {
  if (band.names.join() !== KNOWN_STAT_NAMES.join() || x.length !== band.names.length) return null;
  const zx = x.map((v, j) => (Number.isFinite(v) ? (v - band.median[j]!) / band.scale[j]! : 0));
  const d = band.rows
    .flatMap((r, i) =>
      i === skip
        ? []
        : [
            Math.sqrt(
              r.reduce(
                (s, v, j) => s + ((Number.isFinite(v) ? (v - band.median[j]!) / band.scale[j]! : 0) - zx[j]!) ** 2,
                0,
              ),
            ),
          ],
    )
    .sort((a, b) => a - b);
  let w = 0;
  zx.forEach((v, j) => {
    if (Math.abs(v) > Math.abs(zx[w]!)) w = j;
  });
  return {
    score: d[Math.min(d.length - 1, band.k - 1)] ?? 0,
    worst: band.names[w]!,
    value: x[w]!,
    median: band.median[w]!,
  };
}

/** Scale floor per statistic: one that barely varies on held-out images would otherwise flag the slightest difference. */
const SCALE_FLOOR = 0.01;
/**
 * The neighbour whose distance is the score, and the threshold: MARGIN × the 95th percentile of the
 * held-out rows' own (leave-one-out) scores. Chosen on photos and held-out images outside the
 * calibration's (tools/domain_rates.ts; the measured rates are in README.md): the 99th percentile
 * follows emoji-permissive's few outliers (6.8 where its 95th is 3.4) and let most photos through;
 * 1.2 × p95 flagged 5 % of held-out fashion-mnist, 1.5 × p95 2 %. Kept when the last three
 * statistics were added (docs/SEARCH.md, "Out-of-domain check"): on the tuning slice 1.4 flagged one
 * more validation image and no more photos, 1.6 let 6 of 144 photo rows more through.
 */
const STATS_K = 5;
const STATS_MARGIN = 1.5;

/** The band of the statistics of held-out images (rows of knownStats). */
export function statsBand(rows: number[][]): Band {
  const names = [...KNOWN_STAT_NAMES];
  const median: number[] = [],
    scale: number[] = [];
  names.forEach((_, j) => {
    const v = rows
      .map((r) => r[j]!)
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    const m = v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0;
    median.push(v.length ? quantile(v, 0.5) : 0);
    scale.push(Math.max(SCALE_FLOOR, Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, v.length - 1))));
  });
  const round = (v: number) => (Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : NaN);
  // NaN is not JSON: a statistic without pixels is stored as the median (typical), as statsScore reads it.
  const kept = rows.map((r) => r.map((v, j) => (Number.isFinite(v) ? round(v) : round(median[j]!))));
  const band = {
    names,
    median: median.map(round),
    scale: scale.map(round),
    k: STATS_K,
    rows: kept,
    p95: 0,
    threshold: 1,
    n: rows.length,
  };
  const scores = kept.map((r, i) => statsScore(band, r, i)?.score ?? 0).sort((a, b) => a - b);
  band.p95 = quantile(scores, 0.95);
  band.threshold = Math.max(1e-3, STATS_MARGIN * band.p95);
  return band;
}

function spread(errors: number[]): SpreadOf {
  const e = [...errors].sort((a, b) => a - b);
  return e.length
    ? { n: e.length, median: quantile(e, 0.5), p95: quantile(e, 0.95), max: e.at(-1)! }
    : { n: 0, median: 0, p95: 0, max: 0 };
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
export async function calibrateDomain(
  model: InpaintModel,
  heldOut: ImageBatch,
  o: CalibrateOptions,
): Promise<DomainStats> {
  const masks = o.masks ?? ['center', 'random', 'half', 'strokes'];
  // The model's default search: from its encoder (100 × 1) when it has one — what users get, and the
  // least a judged search does (searches with fewer iterations than this are not judged) — else
  // random starts at 300 × 2 (the server's old defaults; a cheaper calibration than 1000 × 4, and longer
  // searches are judged by it too).
  const hasEncoder = !!model.encoder;
  const iters = o.iters ?? (hasEncoder ? undefined : 300),
    restarts = o.restarts ?? (hasEncoder ? undefined : 2);
  const opts = resolveInpaintOptions(
    { seed: o.seed ?? 0, ...(iters !== undefined ? { iters } : {}), ...(restarts !== undefined ? { restarts } : {}) },
    undefined,
    hasEncoder,
  );
  const ms = Array.from({ length: heldOut.n }, (_, i) =>
    makeMask(masks[i % masks.length]!, heldOut.height, heldOut.width, { seed: 1000 + i }),
  );
  const r = await latentSearch(model, heldOut, ms, opts);
  const rows = ms
    .map((m, i) => ({ error: knownError(heldOut, r.raw, m, i, i), known: knownFraction(m) }))
    .filter((x) => Number.isFinite(x.error));
  // Two masks per image (its own and the next kind's): the statistics need no search, and more rows
  // fill the space between held-out images that the nearest-neighbour score measures.
  const band = statsBand(
    ms.flatMap((m, i) => [
      knownStats(heldOut, m, i),
      knownStats(
        heldOut,
        makeMask(masks[(i + 1) % masks.length]!, heldOut.height, heldOut.width, { seed: 5000 + i }),
        i,
      ),
    ]),
  );
  const all = spread(rows.map((x) => x.error));
  const bins = KNOWN_BINS.map(([lo, hi]) => {
    const b = spread(rows.filter((x) => x.known >= lo && x.known < hi).map((x) => x.error));
    return { ...b, minKnown: lo, maxKnown: hi, threshold: domainThreshold(b.n ? b.p95 : all.p95) };
  });
  return {
    knownError: all,
    bins,
    threshold: domainThreshold(all.p95),
    n: rows.length,
    iters: opts.iters,
    restarts: opts.restarts,
    contextFloor: opts.contextFloor,
    start: hasEncoder ? 'encoder' : 'random',
    masks,
    data: o.data,
    expects: o.expects,
    knownStats: band,
  };
}

/**
 * Cheap statistics of the known pixels of image `i` (at the model's size), for a second out-of-domain
 * test that needs no search: the known error above misses photos whose known pixels a generator can
 * roughly match (skimage's cat, coffee, motorcycle and Hubble photos into fashion-mnist were not
 * flagged). Grey is the mean of the channels. Each statistic is NaN when it has no pixels to look at.
 * In [0, 1] units; the order is KNOWN_STAT_NAMES'. The last three (distinct colours, fine shading,
 * muted mid-tones) were added because the first fifteen flagged only 68 % of photos into emoji
 * (emoji-permissive's flags, dark and frame-filling images spread them over where photos lie): they
 * were chosen among 14 candidates on OpenCV's photos and a validation slice of test images
 * (tools/domain_tune.ts; docs/SEARCH.md), scikit-image's photos kept apart for the report.
 */
export const KNOWN_STAT_NAMES = [
  'mean',
  'std',
  'dark',
  'bright',
  'black',
  'white',
  'border',
  'saturation',
  'gradient',
  'laplacian',
  'noise',
  'entropy',
  'flat',
  'borderBlack',
  'borderWhite',
  'colours',
  'texture',
  'muted',
] as const;

export function knownStats(y: ImageBatch, mask: Mask, i = 0): number[] {
  const C = y.channels,
    H = y.height,
    W = y.width,
    P = H * W,
    o = i * P * C;
  const grey = new Float32Array(P);
  const known = (p: number) => mask.data[p]! >= 0.5;
  let n = 0,
    s = 0,
    s2 = 0,
    dark = 0,
    bright = 0,
    black = 0,
    white = 0,
    sat = 0,
    bn = 0,
    bs = 0,
    bBlack = 0,
    bWhite = 0,
    muted = 0;
  const hist = new Float64Array(16);
  // The known pixels' colours at 5 bits per channel: drawings repeat a few fills; a photo's shading
  // and noise make most pixels a colour of their own.
  const colours = new Set<number>();
  // The border ring: the outer 1/16 of the side (2 px at 32), where clothing has black and emoji white.
  const ring = Math.max(1, Math.round(Math.min(H, W) / 16));
  for (let p = 0; p < P; p++) {
    let g = 0,
      lo = 1,
      hi = 0,
      key = 0;
    for (let c = 0; c < C; c++) {
      const v = y.data[o + p * C + c]!;
      key = key * 32 + Math.min(31, Math.max(0, Math.floor(v * 32)));
      g += v;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    g /= C;
    grey[p] = g;
    if (!known(p)) continue;
    n++;
    s += g;
    s2 += g * g;
    // Drawn and rendered data has exact black or white backgrounds; a photo's dark and light areas are noisy.
    if (g < 0.08) dark++;
    if (g > 0.92) bright++;
    if (g < 0.02) black++;
    if (g > 0.98) white++;
    hist[Math.min(15, Math.max(0, Math.floor(g * 16)))]!++;
    sat += hi - lo;
    colours.add(key);
    // Muted mid-tones (grey-ish, neither dark nor light): most of a photo, little of an emoji (white
    // ground, saturated fills, dark outlines) or of clothing on black.
    if (hi - lo < 0.15 && g > 0.15 && g < 0.85) muted++;
    const yy = Math.floor(p / W),
      xx = p % W;
    if (yy < ring || xx < ring || yy >= H - ring || xx >= W - ring) {
      bn++;
      bs += g;
      // Clothing on exact black, emoji on exact white: a photo's edge is rarely either.
      if (g < 0.02) bBlack++;
      if (g > 0.98) bWhite++;
    }
  }
  // First and second differences between known neighbours (horizontal and vertical): how much fine
  // texture the known region has (photos: noise and texture; drawings: flat areas and a few edges);
  // the median |second difference| is a noise level that a few edges do not move.
  let gn = 0,
    gs = 0,
    ls = 0,
    fn = 0,
    flat = 0,
    texture = 0;
  const lap: number[] = [];
  // Texture: neighbour pairs whose grey differs a little (1.5/255 to 0.06): a photo's shading and
  // noise; a drawing's neighbours are equal (fills) or far apart (edges).
  const fine = (d: number) => (d > 1.5 / 255 && d <= 0.06 ? 1 : 0);
  // Flat: the known pixels whose right and lower neighbours have the same colour (within 2 levels of
  // 255 in every channel): the fills and backgrounds of drawings, never a photo's texture or noise.
  const same = (p: number, q: number) => {
    for (let c = 0; c < C; c++) if (Math.abs(y.data[o + p * C + c]! - y.data[o + q * C + c]!) > 2 / 255) return false;
    return true;
  };
  for (let yy = 0; yy < H; yy++) {
    for (let xx = 0; xx < W; xx++) {
      const p = yy * W + xx;
      if (!known(p)) continue;
      if (xx + 1 < W && yy + 1 < H && known(p + 1) && known(p + W)) {
        fn++;
        if (same(p, p + 1) && same(p, p + W)) flat++;
      }
      if (xx + 1 < W && known(p + 1)) {
        const d = Math.abs(grey[p + 1]! - grey[p]!);
        gs += d;
        texture += fine(d);
        gn++;
      }
      if (yy + 1 < H && known(p + W)) {
        const d = Math.abs(grey[p + W]! - grey[p]!);
        gs += d;
        texture += fine(d);
        gn++;
      }
      if (xx > 0 && xx + 1 < W && known(p - 1) && known(p + 1))
        lap.push(Math.abs(grey[p - 1]! + grey[p + 1]! - 2 * grey[p]!));
      if (yy > 0 && yy + 1 < H && known(p - W) && known(p + W))
        lap.push(Math.abs(grey[p - W]! + grey[p + W]! - 2 * grey[p]!));
    }
  }
  for (const v of lap) ls += v;
  lap.sort((a, b) => a - b);
  let entropy = 0;
  for (const h of hist) if (h > 0) entropy -= (h / n) * Math.log2(h / n);
  const mean = n ? s / n : NaN;
  const share = (k: number) => (n ? k / n : NaN);
  return [
    mean,
    n ? Math.sqrt(Math.max(0, s2 / n - mean * mean)) : NaN,
    share(dark),
    share(bright),
    share(black),
    share(white),
    bn ? bs / bn : NaN,
    share(sat),
    gn ? gs / gn : NaN,
    lap.length ? ls / lap.length : NaN,
    lap.length ? lap[Math.floor(lap.length / 2)]! : NaN,
    n ? entropy / 4 : NaN,
    fn ? flat / fn : NaN,
    bn ? bBlack / bn : NaN,
    bn ? bWhite / bn : NaN,
    n ? colours.size / n : NaN,
    gn ? texture / gn : NaN,
    share(muted),
  ];
}
