/**
 * The latent space and the pixel-range convention, in one models-level place. Platform-neutral.
 *
 * - z ~ U[−1, 1]^nz, drawn from a seeded `Rng` (training, sampling and the latent search all use it);
 * - images are [0, 1] outside the networks (`ImageBatch`) and [−1, 1] inside (G ends in tanh; the
 *   critic and the classifier read [−1, 1]): `toModelRange` / `fromModelRange` convert.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageBatch } from '../types.js';
import { Rng } from '../util/rng.js';

/** z ~ U[-1, 1]^nz for a batch, from the seeded stream: [n, nz]. */
export function sampleZ(rng: Rng, n: number, nz: number): tf.Tensor2D {
  const z = new Float32Array(n * nz);
  for (let i = 0; i < z.length; i++) z[i] = rng.uniform(-1, 1);
  return tf.tensor2d(z, [n, nz]);
}

/** Generator output for a batch of z, in inference mode (batch norm uses running statistics): [-1, 1]. */
export function generate(G: tf.LayersModel, z: tf.Tensor2D): tf.Tensor4D {
  return G.apply(z, { training: false }) as tf.Tensor4D;
}

/** [0, 1] → [−1, 1] (what the networks read). */
export function toModelRange<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.sub(tf.mul(x, 2), 1) as T);
}

/** An ImageBatch ([0, 1]) as the tensor the networks read: [N, h, w, C] in [−1, 1]. */
export function toModelTensor(b: ImageBatch): tf.Tensor4D {
  return tf.tidy(() => toModelRange(tf.tensor4d(b.data, [b.n, b.height, b.width, b.channels])));
}

/** [−1, 1] → [0, 1] (what ImageBatch holds). */
export function fromModelRange<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.div(tf.add(x, 1), 2) as T);
}

/**
 * Draw `n` images from G (a generator, or anything holding one such as a loaded checkpoint) with z ~ U[-1,1]^nz from a seeded stream; batch norm in inference mode, so the
 * same seed gives the same images whatever else was generated before.
 * @returns ImageBatch [n, size, size, channels] with values in [0, 1].
 */
export function sample(model: tf.LayersModel | { generator: tf.LayersModel }, n: number, seed = 0): ImageBatch {
  const generator = 'generator' in model ? model.generator : model;
  const nz = generator.inputs[0]!.shape[1] as number;
  const [_, h, w, c] = generator.outputs[0]!.shape as number[];
  const data = tf.tidy(() => fromModelRange(generate(generator, sampleZ(new Rng(seed), n, nz))));
  const out = data.dataSync() as Float32Array;
  data.dispose();
  return { data: out, n, height: h!, width: w!, channels: c! };
}
