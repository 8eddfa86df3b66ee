/**
 * Training masks for the encoder: every batch draws fresh masks from the mask registry, a random kind
 * and a random hole size per image, so one encoder serves every mask a user may draw. Platform-neutral.
 *
 * Kinds: every kind of src/masks (MASKS) except the four fixed halves, which `half` already draws
 * (one of left/right/top/bottom) — listing them too would make half-image holes 5 of 11 draws. A kind
 * added to the registry later is drawn with its default options until it gets a range here.
 */
import type { Mask } from '../types.js';
import { MASKS, makeMask, type MaskKindName, type MaskOptions } from '../masks/masks.js';
import type { Rng } from '../util/rng.js';

/** Hole-size options per kind, drawn uniformly: ratio/p ranges in (0, 1), k a small integer. */
const RANGES: Partial<Record<MaskKindName, (rng: Rng) => MaskOptions>> = {
  // The evaluation's center mask is ratio 0.25; train on 5–50 % of the image.
  center: (r) => ({ ratio: r.uniform(0.05, 0.5) }),
  // Evaluation uses p = 0.8; train from sparse to almost everything missing.
  random: (r) => ({ p: r.uniform(0.3, 0.95) }),
  half: () => ({}),
  pattern: (r) => ({ ratio: r.uniform(0.1, 0.6) }),
  grid: (r) => ({ k: 2 + r.int(3) }),
  rects: (r) => ({ ratio: r.uniform(0.1, 0.6) }),
  strokes: (r) => ({ ratio: r.uniform(0.05, 0.5) }),
};

/** The four fixed halves, drawn through `half`. */
const COVERED_BY_HALF: ReadonlySet<MaskKindName> = new Set<MaskKindName>(['left', 'right', 'top', 'bottom']);

/** The kinds training draws from, in registry order. */
export const TRAINING_MASK_KINDS: readonly MaskKindName[] = Object.freeze(
  MASKS.kinds.filter((k) => !COVERED_BY_HALF.has(k)),
);

/** One training mask h×w: a uniformly drawn kind, hole size and seed (all from `rng`). */
export function trainingMask(rng: Rng, h: number, w: number): { mask: Mask; kind: MaskKindName } {
  const kind = TRAINING_MASK_KINDS[rng.int(TRAINING_MASK_KINDS.length)]!;
  const opts = RANGES[kind]?.(rng) ?? {};
  const seed = rng.int(2 ** 31 - 1);
  return { mask: makeMask(kind, h, w, { ...opts, seed }), kind };
}

/** `n` training masks h×w. */
export function trainingMasks(rng: Rng, n: number, h: number, w: number): Mask[] {
  return Array.from({ length: n }, () => trainingMask(rng, h, w).mask);
}
