/**
 * DCGAN generator and critic (Radford et al. 2016), sized for 28, 32 and 64 px images, as TF.js
 * LayersModels so they save as `model.json` + weights and load in Node and the browser alike.
 *
 * Generator, z ∈ [-1,1]^nz → image in [-1,1] (tanh):
 *   dense → reshape [b, b, w·2^(L-1)] → BN → ReLU → L × (convT 4×4 stride 2, halve channels, BN, ReLU)
 *   … the last convT outputs `channels` → tanh. b = 7 for 28 px (L = 2), b = 4 for 32 (L = 3) and 64 (L = 4).
 * Critic, image [N, s, s, C] in [-1,1] → score [N, 1] (no sigmoid: a Wasserstein critic):
 *   conv 4×4 s2 (w) → lReLU → (L−1) × (conv 4×4 s2, double channels, norm, lReLU) → flatten → dense(1).
 *   norm = layer norm over [H, W, C] for WGAN-GP (batch norm would mix samples inside the per-sample
 *   gradient penalty), batch norm for plain WGAN (as in Arjovsky et al.), or none.
 * Weights initialised N(0, 0.02) as in DCGAN, seeded, so a seed gives the same network.
 *
 * The model registry (`index.ts`, MODEL_REGISTRY) holds this `dcgan` kind and the `mlp` kind (mlp.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { DiffLeakyReLU, LayerNorm } from './layers.js';
import type { ModelSpec } from './spec.js';

/** Base spatial size and number of ×2 up/down-sampling stages for an image size. */
export function stages(size: number): { base: number; levels: number } {
  if (size === 28) return { base: 7, levels: 2 };
  if (size === 32) return { base: 4, levels: 3 };
  if (size === 64) return { base: 4, levels: 4 };
  throw new Error(`unsupported image size ${size} (valid: 28, 32, 64)`);
}

/** BN momentum 0.9 (PyTorch's 0.1): TF.js's default 0.99 leaves the running statistics — which
 * inference-mode sampling and inpainting use — far behind the weights in short runs. */
const BN = { momentum: 0.9, epsilon: 1e-5 };

function init(seed: number) {
  return tf.initializers.randomNormal({ mean: 0, stddev: 0.02, seed });
}

export function buildGenerator(s: ModelSpec): tf.LayersModel {
  const { base, levels } = stages(s.size);
  let seed = s.seed * 1000 + 1;
  const ch0 = s.gWidth * 2 ** (levels - 1);
  const m = tf.sequential({ name: 'generator' });
  m.add(
    tf.layers.dense({
      inputShape: [s.nz],
      units: base * base * ch0,
      useBias: false,
      kernelInitializer: init(seed++),
      name: 'g_dense',
    }),
  );
  m.add(tf.layers.reshape({ targetShape: [base, base, ch0], name: 'g_reshape' }));
  m.add(tf.layers.batchNormalization({ ...BN, name: 'g_bn0' }));
  m.add(tf.layers.reLU({ name: 'g_relu0' }));
  for (let l = 1; l < levels; l++) {
    m.add(
      tf.layers.conv2dTranspose({
        filters: ch0 / 2 ** l,
        kernelSize: 4,
        strides: 2,
        padding: 'same',
        useBias: false,
        kernelInitializer: init(seed++),
        name: `g_convT${l}`,
      }),
    );
    m.add(tf.layers.batchNormalization({ ...BN, name: `g_bn${l}` }));
    m.add(tf.layers.reLU({ name: `g_relu${l}` }));
  }
  m.add(
    tf.layers.conv2dTranspose({
      filters: s.channels,
      kernelSize: 4,
      strides: 2,
      padding: 'same',
      kernelInitializer: init(seed++),
      name: `g_convT${levels}`,
    }),
  );
  m.add(tf.layers.activation({ activation: 'tanh', name: 'g_tanh' }));
  return m;
}

export function buildCritic(s: ModelSpec): tf.LayersModel {
  const { levels } = stages(s.size);
  let seed = s.seed * 1000 + 501;
  const m = tf.sequential({ name: 'critic' });
  for (let l = 0; l < levels; l++) {
    const filters = s.dWidth * 2 ** l;
    m.add(
      tf.layers.conv2d({
        ...(l === 0 ? { inputShape: [s.size, s.size, s.channels] } : {}),
        filters,
        kernelSize: 4,
        strides: 2,
        padding: 'same',
        kernelInitializer: init(seed++),
        name: `d_conv${l}`,
        // A following norm layer has its own shift, so a bias would be redundant.
        useBias: l === 0 || s.criticNorm === 'none',
      }),
    );
    if (l > 0 && s.criticNorm === 'layer') m.add(new LayerNorm({ epsilon: 1e-5, name: `d_ln${l}` }));
    if (l > 0 && s.criticNorm === 'batch') m.add(tf.layers.batchNormalization({ ...BN, name: `d_bn${l}` }));
    m.add(new DiffLeakyReLU({ alpha: 0.2, name: `d_lrelu${l}` }));
  }
  m.add(tf.layers.flatten({ name: 'd_flatten' }));
  m.add(tf.layers.dense({ units: 1, kernelInitializer: init(seed++), name: 'd_out' }));
  return m;
}
