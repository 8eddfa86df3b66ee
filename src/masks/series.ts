/**
 * The masks of a series of images (an evaluation, the encoder's validation set): image i's mask is
 * drawn with its own seed, fixed by the run's seed, so a series is the same on every run and machine.
 * Platform-neutral.
 */
import type { Mask } from '../types.js';
import { makeMask } from './masks.js';

/** Seed of image i's mask: distinct per image, fixed by the run seed. */
export function maskSeed(seed: number, i: number): number {
  return ((seed >>> 0) * 100003 + i) % 2147483647;
}

/** The N masks of one kind, H×W, 1 = known. */
export function evalMasks(kind: string, n: number, h: number, w: number, seed: number): Mask[] {
  return Array.from({ length: n }, (_, i) => makeMask(kind, h, w, { seed: maskSeed(seed, i) }));
}
