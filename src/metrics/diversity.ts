/**
 * Diversity and stability measures of a generator during training (the measured side of "no mode
 * collapse" and "stable training"), as pure functions of plain numbers. Platform-neutral.
 *
 * - Class histogram of generated samples under a classifier → modes covered (classes that get at
 *   least MODE_MIN_SHARE_OF_UNIFORM of their uniform share, i.e. ≥ 2.5 % of the samples for 10
 *   classes) and KL(histogram ‖ uniform) in nats (0 = every class equally often; ln K = one class).
 * - Spread: the mean pairwise RMS distance between images (per value, in [0, 1] pixel units, so it
 *   does not grow with the image size). A generator whose fixed-z samples spread less than
 *   COLLAPSE_RATIO × the spread of as many real images has collapsed (they are nearly all one image).
 * - Exploding values: a critic value beyond EXPLODE_FACTOR × max(1, median |earlier values|), judged
 *   only after EXPLODE_MIN_HISTORY earlier values (early training moves fast).
 * The thresholds are conventions of this project, stated in every report that uses them.
 */
import { UserError } from '../util/errors.js';

/** A class is a covered mode when it gets at least this fraction of its uniform share 1/K. */
export const MODE_MIN_SHARE_OF_UNIFORM = 0.25;
/** Collapse: spread of the fixed-z samples below this fraction of the real images' spread. */
export const COLLAPSE_RATIO = 0.25;
/** Exploding: |value| above this multiple of max(1, median |earlier values|). */
export const EXPLODE_FACTOR = 100;
/** Earlier values needed before the exploding test is applied. */
export const EXPLODE_MIN_HISTORY = 10;

/** Share of each class among `labels` (class ids in [0, classes)); sums to 1 (all 0 when empty). */
export function classHistogram(labels: ArrayLike<number>, classes: number): number[] {
  if (!(Number.isInteger(classes) && classes >= 1))
    throw new UserError(`class histogram: classes must be an integer ≥ 1, got ${classes}`);
  const h = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!(Number.isInteger(l) && l >= 0 && l < classes))
      throw new UserError(`class histogram: label ${l} outside [0, ${classes})`);
    h[l]! += 1;
  }
  return labels.length ? h.map((c) => c / labels.length) : h;
}

/** Classes whose share is ≥ minShare (default MODE_MIN_SHARE_OF_UNIFORM / K). */
export function modesCovered(hist: readonly number[], minShare = MODE_MIN_SHARE_OF_UNIFORM / hist.length): number {
  return hist.filter((p) => p >= minShare - 1e-12).length;
}

/** KL(p ‖ uniform) = Σ p·ln(p·K), nats; 0 for the uniform histogram, ln K for a single class. */
export function klToUniform(hist: readonly number[]): number {
  const K = hist.length;
  let kl = 0;
  for (const p of hist) if (p > 0) kl += p * Math.log(p * K);
  return Math.max(0, kl);
}

/**
 * Mean over all pairs i < j of the RMS difference sqrt(mean_k (x_ik − x_jk)²) of n vectors of length
 * dim stored row-major. Needs n ≥ 2. O(n²·dim): 64 images of 32×32 = 2 M multiply-adds.
 */
export function meanPairwiseDistance(data: ArrayLike<number>, n: number, dim: number): number {
  if (data.length !== n * dim) throw new UserError(`pairwise distance: length ${data.length} is not ${n}×${dim}`);
  if (n < 2) throw new UserError(`pairwise distance: needs at least 2 vectors, got ${n}`);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) {
        const d = data[i * dim + k]! - data[j * dim + k]!;
        s += d * d;
      }
      sum += Math.sqrt(s / dim);
    }
  }
  return sum / ((n * (n - 1)) / 2);
}

/** True when samples spread less than `ratio` × the real images' spread (see COLLAPSE_RATIO). */
export function isCollapsed(sampleSpread: number, realSpread: number, ratio = COLLAPSE_RATIO): boolean {
  return sampleSpread < ratio * realSpread;
}

/** Median of |xs| (NaN for an empty list; non-finite values left out). */
export function medianAbs(xs: readonly number[]): number {
  const a = xs
    .filter(Number.isFinite)
    .map(Math.abs)
    .sort((p, q) => p - q);
  if (!a.length) return NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
}

/**
 * True when `value` has exploded relative to the `earlier` values of the same series: not finite, or
 * |value| > factor × max(1, median |earlier|) — once there are at least minHistory earlier values.
 */
export function isExploding(
  earlier: readonly number[],
  value: number,
  factor = EXPLODE_FACTOR,
  minHistory = EXPLODE_MIN_HISTORY,
): boolean {
  if (!Number.isFinite(value)) return true;
  if (earlier.length < minHistory) return false;
  return Math.abs(value) > factor * Math.max(1, medianAbs(earlier));
}
