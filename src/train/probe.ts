/**
 * What the training loop measures every --fd-every iterations beside the W estimate: sample quality
 * (FD-classifier), diversity (the classifier's class histogram of the samples → modes covered and KL
 * to uniform) and sample collapse (spread of fixed-z samples vs real images). Platform-neutral.
 *
 * Every measurement draws the same n samples (z from the run's seed; batch norm in inference mode, as
 * the sample grids), so successive values differ only because the generator changed. The real side
 * (features, covariance, spread) is computed once.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageBatch } from '../types.js';
import { imageSize } from '../types.js';
import { sample } from '../models/sample.js';
import { meanCov, frechetFromStats, type GaussianStats } from '../metrics/frechet.js';
import {
  classHistogram,
  modesCovered,
  klToUniform,
  meanPairwiseDistance,
  isCollapsed,
  isExploding,
} from '../metrics/diversity.js';
import { checkClassifierInput, classifierFeatures, predictClasses } from '../classifier/classifier.js';
import { UserError } from '../util/errors.js';

/** Images of each set the spread (mean pairwise distance) is taken over. */
export const SPREAD_N = 64;

export interface ProbeResult {
  /** Fréchet distance of the classifier's features, n samples vs the real set. */
  fdClassifier: number;
  /** Classes that get ≥ ¼ of their uniform share of the samples (MODE_MIN_SHARE_OF_UNIFORM), of `classes`. */
  modes: number;
  /** KL(class histogram of the samples ‖ uniform), nats. */
  klUniform: number;
  /** Mean pairwise RMS distance of the first SPREAD_N samples, [0, 1] pixel units. */
  spread: number;
  /** spread / the same of SPREAD_N real images. */
  spreadRatio: number;
  /** spreadRatio < COLLAPSE_RATIO. */
  collapsed: boolean;
}

export interface Probe {
  /** Number of classes of the classifier (modes are counted out of it). */
  readonly classes: number;
  /** Spread of the first SPREAD_N real images. */
  readonly realSpread: number;
  measure(generator: tf.LayersModel): ProbeResult;
}

/**
 * @param real  real images (NHWC in [0,1], the generator's shape), e.g. 1000 test images; n = real.n samples are drawn.
 * @param seed  the z stream of the samples (the run's seed).
 */
export function makeProbe(classifier: tf.LayersModel, real: ImageBatch, seed: number): Probe {
  if (real.n < 2) throw new UserError(`FD-classifier needs at least 2 real images, got ${real.n}`);
  checkClassifierInput(classifier, real, 'real images');
  const classes = (classifier.outputs[0]!.shape as number[]).at(-1)!;
  const fr = classifierFeatures(classifier, real);
  const realStats: GaussianStats = meanCov(fr.data, real.n, fr.dim);
  const spreadN = Math.min(SPREAD_N, real.n);
  const dim = imageSize(real);
  const realSpread = meanPairwiseDistance(real.data.subarray(0, spreadN * dim), spreadN, dim);
  return {
    classes,
    realSpread,
    measure(generator) {
      const imgs = sample(generator, real.n, seed);
      checkClassifierInput(classifier, imgs, 'generated images');
      const f = classifierFeatures(classifier, imgs);
      const s = meanCov(f.data, imgs.n, f.dim);
      const fdClassifier = frechetFromStats(s.mu, s.cov, realStats.mu, realStats.cov, f.dim);
      const hist = classHistogram(predictClasses(classifier, imgs), classes);
      const spread = meanPairwiseDistance(imgs.data.subarray(0, spreadN * dim), spreadN, dim);
      const spreadRatio = realSpread > 0 ? spread / realSpread : NaN;
      return {
        fdClassifier,
        modes: modesCovered(hist),
        klUniform: klToUniform(hist),
        spread,
        spreadRatio,
        collapsed: isCollapsed(spread, realSpread),
      };
    },
  };
}

/** The values of one stats line the exploding test looks at. */
export interface CriticValues {
  iter: number;
  wEstimate: number;
  criticLoss: number;
}

/**
 * Whether the critic's values exploded in the window of iterations after `since`: for the logged
 * estimate and the critic loss, the largest |value| of the window against every value up to `since`
 * (isExploding: > EXPLODE_FACTOR × max(1, median |earlier|), once there are EXPLODE_MIN_HISTORY).
 */
export function explodedSince(stats: readonly CriticValues[], since: number): boolean {
  for (const key of ['wEstimate', 'criticLoss'] as const) {
    const earlier: number[] = [];
    let worst = 0;
    for (const s of stats) {
      const v = s[key];
      if (s.iter <= since) earlier.push(v);
      else if (!Number.isFinite(v) || Math.abs(v) > Math.abs(worst)) worst = v;
      if (!Number.isFinite(worst)) return true;
    }
    if (isExploding(earlier, worst)) return true;
  }
  return false;
}
