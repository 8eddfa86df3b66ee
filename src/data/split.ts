/**
 * Deterministic train/test splits and subset selection, pure so they give the same answer in Node and
 * the browser, on every machine, forever (they decide which images a published score was measured on).
 */
import { Rng } from '../util/rng.js';
import type { Split } from './dataset.js';

/** 32-bit FNV-1a of the UTF-16 code units, then the murmur3 finaliser so that the low bits mix well. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Fraction of a hash-split source that goes to `test`. */
export const TEST_FRACTION = 0.1;

/**
 * The split of an item without an official split, by hashing its key (a file name or a relative path
 * with '/' separators): `test` iff hash mod 1000 < 100, i.e. ≈10 %. Adding or removing other files
 * never moves an item from one split to the other.
 */
export function hashSplit(key: string): Split {
  return hashString(key) % 1000 < TEST_FRACTION * 1000 ? 'test' : 'train';
}

/** Seed of the fixed selection behind `limit` (a constant, so a limited run always sees the same images). */
export const LIMIT_SEED = 0x11417;

/**
 * Which `limit` of `n` items to keep: a fixed-seed random choice, returned in ascending order so the
 * subset keeps the source's order. All of [0, n) when limit is undefined or ≥ n.
 */
export function limitIndices(n: number, limit?: number): Int32Array {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  if (limit === undefined || limit >= n) return all;
  if (!(Number.isInteger(limit) && limit > 0)) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  new Rng(LIMIT_SEED).shuffle(all);
  return all.subarray(0, limit).sort();
}

/**
 * Which n of `total` images to evaluate: a seeded random choice, in ascending order (all of them,
 * in order, when n ≥ total). Used by the evaluation, the encoder's validation set and the domain
 * calibration (which keeps out of eval's images).
 */
export function selectEvalIndices(total: number, n: number, seed: number): Int32Array {
  const all = Int32Array.from({ length: total }, (_, i) => i);
  if (n >= total) return all;
  new Rng((seed ^ 0x5e1ec7) >>> 0).shuffle(all);
  return all.slice(0, n).sort();
}
