/** Sampling from a trained generator. Platform-neutral. */
import * as tf from '@tensorflow/tfjs';
import type { ImageBatch } from '../types.js';
import { Rng } from '../util/rng.js';
import { sampleZ, generate } from '../train/steps.js';

/**
 * Draw `n` images from G (a generator, or anything holding one such as a loaded checkpoint) with z ~ U[-1,1]^nz from a seeded stream; batch norm in inference mode, so the
 * same seed gives the same images whatever else was generated before.
 * @returns ImageBatch [n, size, size, channels] with values in [0, 1].
 */
export function sample(model: tf.LayersModel | { generator: tf.LayersModel }, n: number, seed = 0): ImageBatch {
  const generator = 'generator' in model ? model.generator : model;
  const nz = generator.inputs[0]!.shape[1] as number;
  const [_, h, w, c] = generator.outputs[0]!.shape as number[];
  const data = tf.tidy(() => {
    const z = sampleZ(new Rng(seed), n, nz);
    return tf.div(tf.add(generate(generator, z), 1), 2);
  });
  const out = data.dataSync() as Float32Array;
  data.dispose();
  return { data: out, n, height: h!, width: w!, channels: c! };
}
