/**
 * FD-classifier: the Fréchet distance between Gaussians fitted to the penultimate-layer features of
 * our own small classifier (src/classifier/classifier.ts) on generated samples and on real images.
 * It is FID's formula on a different, tiny, dataset-specific network, so it is named plainly
 * "FD-classifier" and is comparable only with other FD-classifier values from the same classifier,
 * sample count and real set — never with published FID. Platform-neutral.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageBatch } from '../types.js';
import { sample } from '../models/sample.js';
import { frechetDistance } from '../metrics/index.js';
import { UserError } from '../util/errors.js';
import { checkClassifierInput, classifierFeatures } from './classifier.js';

/** The name reports and logs use for this metric. */
export const FD_CLASSIFIER_NAME = 'FD-classifier';

/** Fréchet distance between the classifier features of two image sets (each needs ≥ 2 images). */
export function fdClassifierImages(classifierModel: tf.LayersModel, a: ImageBatch, b: ImageBatch): number {
  if (a.n < 2 || b.n < 2)
    throw new UserError(`${FD_CLASSIFIER_NAME} needs at least 2 images per set, got ${a.n} and ${b.n}`);
  const fa = classifierFeatures(classifierModel, a);
  const fb = classifierFeatures(classifierModel, b);
  return frechetDistance(fa.data, a.n, fb.data, b.n, fa.dim);
}

/**
 * FD-classifier of a generator: `n` samples (sample(generator, n, seed): z ~ U[-1,1]^nz, inference
 * mode, in [0,1]) against `realImages` (all of them; NHWC in [0,1], the generator's shape).
 * Deterministic for a seed; leaves no tensors behind.
 */
export function fdClassifier(
  generator: tf.LayersModel,
  classifierModel: tf.LayersModel,
  realImages: ImageBatch,
  n: number,
  seed: number,
): number {
  if (!(Number.isInteger(n) && n >= 2))
    throw new UserError(`${FD_CLASSIFIER_NAME}: n must be an integer ≥ 2, got ${n}`);
  const [, h, w, c] = generator.outputs[0]!.shape as number[];
  checkClassifierInput(classifierModel, { height: h!, width: w!, channels: c! }, 'generated images');
  checkClassifierInput(classifierModel, realImages, 'real images');
  return fdClassifierImages(classifierModel, sample(generator, n, seed), realImages);
}
