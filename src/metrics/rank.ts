/**
 * Rank statistics of two series, for "does the critic's estimate track sample quality?". Pure,
 * platform-neutral.
 */
import { UserError } from '../util/errors.js';

/** 1-based ranks of xs, ties given the mean of the ranks they span ([10, 20, 20, 30] → [1, 2.5, 2.5, 4]). */
export function ranks(xs: readonly number[]): number[] {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && xs[order[j + 1]!] === xs[order[i]!]) j++;
    const mean = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[order[k]!] = mean;
    i = j + 1;
  }
  return r;
}

/** Pearson correlation; NaN for fewer than 2 points or a constant series. */
export function pearson(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length !== ys.length) throw new UserError(`correlation: series of lengths ${xs.length} and ${ys.length}`);
  const n = xs.length;
  if (n < 2) return NaN;
  let mx = 0,
    my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx,
      dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * Spearman's rank correlation ρ ∈ [−1, 1]: the Pearson correlation of the ranks (ties averaged, as
 * scipy.stats.spearmanr does). Pairs in which either value is not finite are left out first. NaN when
 * fewer than 2 pairs remain or either series is constant.
 */
export function spearman(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length !== ys.length) throw new UserError(`spearman: series of lengths ${xs.length} and ${ys.length}`);
  const keep = xs.map((x, i) => Number.isFinite(x) && Number.isFinite(ys[i]!));
  const a = xs.filter((_, i) => keep[i]),
    b = ys.filter((_, i) => keep[i]);
  return pearson(ranks(a), ranks(b));
}
