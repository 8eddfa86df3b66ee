/**
 * Metric registry keyed by `kind`, for the eval command. Every metric maps (prediction, target, inpainting
 * masks) to one value per image; aggregate with `meanFinite` (caps PSNR's +Infinity at 100 dB, skips NaN).
 *
 * Masks here are *inpainting* masks (1 = known, 0 = hole), one per image or one shared; the `hole-*`
 * metrics count only the hole pixels, the others the whole image.
 */
import type { ImageBatch, Mask } from '../types.js';
import { UserError } from '../util/errors.js';
import { defineRegistry, type KindOf } from '../util/registry.js';
import { holeRegions, l1, psnr } from './pixel.js';
import { ssim } from './ssim.js';

export interface MetricSpec {
  kind: string;
  /** One line for help texts and reports. */
  description: string;
  /** True for PSNR/SSIM, false for errors. */
  higherIsBetter: boolean;
  /** True when `compute` needs the inpainting masks. */
  needsMasks: boolean;
  /** One value per image. */
  compute(pred: ImageBatch, target: ImageBatch, masks?: readonly Mask[]): number[];
}

function requireMasks(kind: string, masks: readonly Mask[] | undefined): readonly Mask[] {
  if (!masks || masks.length === 0) throw new UserError(`metric '${kind}' needs the inpainting masks`);
  return masks;
}

const SPECS = [
  {
    kind: 'psnr',
    description: 'PSNR over the whole image, dB (data range 1)',
    higherIsBetter: true,
    needsMasks: false,
    compute: (p, t) => psnr(p, t),
  },
  {
    kind: 'ssim',
    description: 'SSIM (Gaussian σ=1.5 11x11 window, skimage-compatible), mean over channels',
    higherIsBetter: true,
    needsMasks: false,
    compute: (p, t) => ssim(p, t),
  },
  {
    kind: 'l1',
    description: 'mean absolute error over the whole image',
    higherIsBetter: false,
    needsMasks: false,
    compute: (p, t) => l1(p, t),
  },
  {
    kind: 'hole-psnr',
    description: 'PSNR over the hole pixels only, dB',
    higherIsBetter: true,
    needsMasks: true,
    compute: (p, t, m) => psnr(p, t, holeRegions(requireMasks('hole-psnr', m))),
  },
  {
    kind: 'hole-l1',
    description: 'mean absolute error over the hole pixels only',
    higherIsBetter: false,
    needsMasks: true,
    compute: (p, t, m) => l1(p, t, holeRegions(requireMasks('hole-l1', m))),
  },
] as const satisfies readonly MetricSpec[];

const REGISTRY = defineRegistry('metric', SPECS);
/** The metric kinds ('psnr' | 'ssim' | …). */
export type MetricKind = KindOf<typeof REGISTRY>;
export const METRICS: Readonly<Record<MetricKind, MetricSpec>> = REGISTRY.byKind;
export const METRIC_KINDS: readonly MetricKind[] = REGISTRY.kinds;

/** The metric registered as `kind`; UserError listing the valid kinds otherwise. */
export const getMetric = (kind: string): MetricSpec => REGISTRY.get(kind);

export { PSNR_CAP_DB, capValue, holeRegion, holeRegions, l1, meanFinite, mse, psnr, psnrFromMse } from './pixel.js';
export type { Region } from './pixel.js';
export { ssim } from './ssim.js';
export { frechetDistance, frechetFromStats, meanCov } from './frechet.js';
export type { FrechetOptions, GaussianStats } from './frechet.js';
export {
  classHistogram,
  modesCovered,
  klToUniform,
  meanPairwiseDistance,
  isCollapsed,
  isExploding,
  medianAbs,
  MODE_MIN_SHARE_OF_UNIFORM,
  COLLAPSE_RATIO,
  EXPLODE_FACTOR,
  EXPLODE_MIN_HISTORY,
} from './diversity.js';
export { spearman, pearson, ranks } from './rank.js';
