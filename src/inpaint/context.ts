/**
 * What the latent search and the refinement both minimise, in one place (platform-neutral):
 *   L_c = Σ_{pixels, channels} W ⊙ |G − y|   (contextual loss; W = importance weights, 0 on the hole)
 *   L_p = −D(G)                               (prior loss: the critic finds G real)
 * with G and y in [-1, 1]. Both are per sample, so each image's loss depends on its own fill only.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageBatch, Mask } from '../types.js';
import { imageSize } from '../types.js';
import { importanceWeights } from './weights.js';

/**
 * The weights W [B, h, w, 1] and targets y [B, h, w, c] (in [-1, 1]) of `images` and their masks, each
 * image repeated `repeats` times in a row (one per restart): B = N · repeats.
 */
export function contextTargets(
  images: ImageBatch,
  masks: Mask[],
  window: number,
  contextFloor: number,
  repeats = 1,
): { W: tf.Tensor4D; Y: tf.Tensor4D } {
  const N = images.n,
    K = repeats,
    B = N * K;
  const { height: h, width: w, channels: c } = images;
  const px = h * w,
    s = imageSize(images);
  const wts = new Float32Array(B * px);
  const ys = new Float32Array(B * s);
  for (let i = 0; i < N; i++) {
    const wi = importanceWeights(masks[i]!, window, contextFloor);
    for (let k = 0; k < K; k++) {
      wts.set(wi, (i * K + k) * px);
      const dst = (i * K + k) * s;
      for (let j = 0; j < s; j++) ys[dst + j] = images.data[i * s + j]! * 2 - 1;
    }
  }
  return { W: tf.tensor4d(wts, [B, h, w, 1]), Y: tf.tensor4d(ys, [B, h, w, c]) };
}

/** Per-sample [B] contextual and prior losses of fills g [B, h, w, c]; without the prior, zeros (λ = 0 needs none). */
export function contextAndPrior(
  g: tf.Tensor4D,
  W: tf.Tensor4D,
  Y: tf.Tensor4D,
  critic: tf.LayersModel,
  withPrior = true,
): { ctx: tf.Tensor1D; prior: tf.Tensor1D } {
  const B = g.shape[0];
  const ctx = tf.sum(tf.mul(W, tf.abs(tf.sub(g, Y))), [1, 2, 3]) as tf.Tensor1D;
  const prior = withPrior
    ? (tf.neg(tf.reshape(critic.apply(g, { training: false }) as tf.Tensor, [B])) as tf.Tensor1D)
    : (tf.zeros([B]) as tf.Tensor1D);
  return { ctx, prior };
}
