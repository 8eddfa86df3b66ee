/**
 * The inpainting encoder's input convention and forward pass: what a search that starts at
 * z = E(y⊙M, M) runs (search.ts, the model's `encoder`). Platform-neutral.
 *
 * The encoder network itself (its layers, training, checkpoints, manifest) is src/encoder/, a layer
 * above the completion pipeline: it trains against the search and re-exports these. They live here so
 * the pipeline imports nothing of encoder/:
 *   input [N, s, s, C+1] = concat(y⊙M in [−1, 1] (holes 0 = mid grey), M (1 known, 0 hole)) → z [N, nz].
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageBatch, Mask } from '../types.js';
import { imageSize } from '../types.js';
import { masksFor } from './composite.js';
import { UserError } from '../util/errors.js';

/** Shapes an encoder reads and writes: input [N, size, size, channels + 1] → [N, nz]. */
export function encoderShape(E: tf.LayersModel): { size: number; channels: number; nz: number } {
  const [, h, , c1] = E.inputs[0]!.shape as number[];
  return { size: h!, channels: c1! - 1, nz: E.outputs[0]!.shape[1] as number };
}

/**
 * The encoder's input as a tensor [N, h, w, C+1] from images in [0, 1] and masks (1 = known): the
 * known pixels in [−1, 1], holes 0, and the mask as the last channel.
 */
export function encoderInput(images: ImageBatch, masks: Mask | Mask[]): tf.Tensor4D {
  const ms = masksFor(images, masks);
  const { n, height: h, width: w, channels: c } = images;
  const px = h * w,
    s = imageSize(images),
    c1 = c + 1;
  const out = new Float32Array(n * px * c1);
  for (let i = 0; i < n; i++) {
    const m = ms[i]!.data;
    for (let p = 0; p < px; p++) {
      const known = m[p]! >= 0.5 ? 1 : 0;
      const dst = (i * px + p) * c1;
      for (let k = 0; k < c; k++) out[dst + k] = known ? images.data[i * s + p * c + k]! * 2 - 1 : 0;
      out[dst + c] = known;
    }
  }
  return tf.tensor4d(out, [n, h, w, c1]);
}

/** The same input built on the device from images already in [−1, 1] [N,h,w,C] and masks [N,h,w,1]. */
export function encoderInputTensor(x: tf.Tensor4D, m: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.concat([tf.mul(x, m), m], 3) as tf.Tensor4D);
}

/**
 * z = E(y⊙M, M) for a batch: [N·nz] row-major, values in (−1, 1). Images [N, h, w, C] in [0, 1] of
 * the encoder's size and channels; one mask for all or one per image.
 */
export async function encode(E: tf.LayersModel, images: ImageBatch, masks: Mask | Mask[]): Promise<Float32Array> {
  const { size, channels } = encoderShape(E);
  if (images.height !== size || images.width !== size)
    throw new UserError(`encoder: image is ${images.width}×${images.height}, the encoder reads ${size}×${size} images`);
  if (images.channels !== channels)
    throw new UserError(`encoder: image has ${images.channels} channel(s), the encoder reads ${channels}`);
  const z = tf.tidy(() => E.apply(encoderInput(images, masks), { training: false }) as tf.Tensor2D);
  // Read asynchronously: on WebGPU a synchronous read is slow and, in Chromium, can lose the device.
  const out = (await z.data()) as Float32Array;
  z.dispose();
  return Float32Array.from(out);
}
