/**
 * The inpainting encoder E(y⊙M, M) → z: a network that predicts, in one forward pass, the latent code
 * a generator G needs to complete an image — the start of the latent search (amortised inpainting,
 * cf. Lahiri et al. 2019, arXiv 1908.04968 and 1908.05861; In-Domain GAN Inversion, Zhu et al. 2020).
 * Platform-neutral.
 *
 * Layout: the DCGAN critic's (src/models/dcgan.ts buildCritic) with C+1 input channels and an
 * nz-wide output squashed into the latent's range by tanh:
 *   input [N, s, s, C+1] = concat(y⊙M in [−1, 1] (holes 0 = mid grey), M (1 known, 0 hole))
 *   conv 4×4 s2 (w) → lReLU → (L−1) × (conv 4×4 s2, double channels, layer norm, lReLU)
 *   → flatten → dense(nz) → tanh → z ∈ (−1, 1)^nz, the range z ~ U[−1, 1]^nz that G was trained on.
 * Layer norm (our own, wasm-safe) rather than batch norm, so each image's z depends on that image only
 * (an image completes the same alone as inside a batch). The mask channel tells a mid-grey known
 * pixel (value 0) from a hole (also 0 in the image channels).
 */
import * as tf from '@tensorflow/tfjs';
import { DiffLeakyReLU, LayerNorm } from '../models/layers.js';
import { stages } from '../models/dcgan.js';
import type { ImageBatch, Mask } from '../types.js';
import { composite, masksFor } from '../inpaint/composite.js';
import { encode } from '../inpaint/encoder_input.js';

// The input convention and the forward pass live beside the search that starts from them.
export { encode, encoderInput, encoderInputTensor, encoderShape } from '../inpaint/encoder_input.js';

export interface EncoderSpec {
  size: 28 | 32 | 64;
  /** Image channels C (the input has C + 1). */
  channels: 1 | 3;
  /** Latent size of the generator it serves. */
  nz: number;
  /** Channels of the first conv (doubled at each stage, as the critic's dWidth). */
  width: number;
  seed: number;
}

function init(seed: number) {
  return tf.initializers.randomNormal({ mean: 0, stddev: 0.02, seed });
}

/** Build an untrained encoder (weights N(0, 0.02), seeded). */
export function buildEncoder(s: EncoderSpec): tf.LayersModel {
  const { levels } = stages(s.size);
  let seed = s.seed * 1000 + 701;
  const m = tf.sequential({ name: 'encoder' });
  for (let l = 0; l < levels; l++) {
    m.add(
      tf.layers.conv2d({
        ...(l === 0 ? { inputShape: [s.size, s.size, s.channels + 1] } : {}),
        filters: s.width * 2 ** l,
        kernelSize: 4,
        strides: 2,
        padding: 'same',
        kernelInitializer: init(seed++),
        name: `e_conv${l}`,
        // The layer norm that follows has its own shift.
        useBias: l === 0,
      }),
    );
    if (l > 0) m.add(new LayerNorm({ epsilon: 1e-5, name: `e_ln${l}` }));
    m.add(new DiffLeakyReLU({ alpha: 0.2, name: `e_lrelu${l}` }));
  }
  m.add(tf.layers.flatten({ name: 'e_flatten' }));
  m.add(tf.layers.dense({ units: s.nz, kernelInitializer: init(seed++), name: 'e_dense' }));
  m.add(tf.layers.activation({ activation: 'tanh', name: 'e_tanh' }));
  return m;
}

/**
 * The encoder-only completion, one forward pass each of E and G: raw = G(E(y⊙M, M)) in [0, 1] and the
 * composite M⊙y + (1−M)⊙raw. Images [N, h, w, C] in [0, 1] at the generator's size.
 */
export async function encoderFill(
  E: tf.LayersModel,
  G: tf.LayersModel,
  images: ImageBatch,
  masks: Mask | Mask[],
): Promise<{ z: Float32Array; raw: ImageBatch; composite: ImageBatch }> {
  const ms = masksFor(images, masks);
  const z = await encode(E, images, ms);
  const g = tf.tidy(() =>
    tf.div(tf.add(G.apply(tf.tensor2d(z, [images.n, z.length / images.n]), { training: false }) as tf.Tensor, 1), 2),
  );
  const raw: ImageBatch = { ...images, data: Float32Array.from((await g.data()) as Float32Array) };
  g.dispose();
  return { z, raw, composite: composite(images, raw, ms) };
}
