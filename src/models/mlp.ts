/**
 * Multi-layer perceptron generator and critic, as in the WGAN paper's MLP experiment (Arjovsky et al.
 * 2017, §4.3, and their code's models/mlp.py): no convolutions and no batch norm in the generator — the
 * "no carefully designed network" of the paper's fourth claim. Platform-neutral (TF.js layers only), so
 * saved models load in Node and in the browser like the DCGAN's.
 *
 * Generator, z ∈ [-1,1]^nz → image [N, s, s, C] in [-1,1]; 4 fully connected layers:
 *   3 × (dense w → ReLU) → dense s·s·C → tanh → reshape [s, s, C]
 * Critic, image [N, s, s, C] in [-1,1] → score [N, 1]; 4 fully connected layers:
 *   flatten → dense w → lReLU → 2 × (dense w → norm → lReLU) → dense 1
 *   lReLU = DiffLeakyReLU (α 0.2), which differentiates twice as WGAN-GP's penalty needs; no tanh or
 *   sigmoid anywhere in the critic (TF.js's second-order gradients of both are wrong, see
 *   docs/ARCHITECTURE.md); the `gan` loss folds its sigmoid into the loss. norm as in the DCGAN critic:
 *   layer norm over the w features (WGAN-GP), batch norm (WGAN, GAN) or none.
 * w = gWidth / dWidth = units of every hidden layer; this kind's default is 512, the paper's.
 * Weights and biases ~ U(−1/√fan_in, 1/√fan_in), PyTorch's nn.Linear default, which the WGAN code kept
 * for its MLPs (it re-initialised only convolutions and batch norm); seeded, so a seed gives the same
 * network.
 */
import * as tf from '@tensorflow/tfjs';
import { DiffLeakyReLU, LayerNorm } from './layers.js';
import type { ModelSpec } from './spec.js';

/** Units of each hidden layer when gWidth/dWidth are not given (the WGAN paper's 512). */
export const MLP_DEFAULT_WIDTH = 512;

/** U(±1/√fan_in) kernel and bias initialisers of a dense layer (PyTorch nn.Linear's default). */
function linearInit(fanIn: number, seed: number) {
  const b = 1 / Math.sqrt(fanIn);
  return {
    kernelInitializer: tf.initializers.randomUniform({ minval: -b, maxval: b, seed }),
    biasInitializer: tf.initializers.randomUniform({ minval: -b, maxval: b, seed: seed + 500 }),
  };
}

export function buildMlpGenerator(s: ModelSpec): tf.LayersModel {
  let seed = s.seed * 1000 + 101;
  const w = s.gWidth;
  const out = s.size * s.size * s.channels;
  const m = tf.sequential({ name: 'generator' });
  for (let l = 0; l < 3; l++) {
    m.add(
      tf.layers.dense({
        ...(l === 0 ? { inputShape: [s.nz] } : {}),
        units: w,
        ...linearInit(l === 0 ? s.nz : w, seed++),
        name: `g_dense${l}`,
      }),
    );
    m.add(tf.layers.reLU({ name: `g_relu${l}` }));
  }
  m.add(tf.layers.dense({ units: out, ...linearInit(w, seed++), name: 'g_dense3' }));
  m.add(tf.layers.activation({ activation: 'tanh', name: 'g_tanh' }));
  m.add(tf.layers.reshape({ targetShape: [s.size, s.size, s.channels], name: 'g_reshape' }));
  return m;
}

export function buildMlpCritic(s: ModelSpec): tf.LayersModel {
  let seed = s.seed * 1000 + 601;
  const w = s.dWidth;
  const m = tf.sequential({ name: 'critic' });
  m.add(tf.layers.flatten({ inputShape: [s.size, s.size, s.channels], name: 'd_flatten' }));
  for (let l = 0; l < 3; l++) {
    const fanIn = l === 0 ? s.size * s.size * s.channels : w;
    // A following norm layer has its own shift, so a bias would be redundant (as in the DCGAN critic).
    const norm = l > 0 && s.criticNorm !== 'none';
    m.add(tf.layers.dense({ units: w, ...linearInit(fanIn, seed++), useBias: !norm, name: `d_dense${l}` }));
    if (norm && s.criticNorm === 'layer') m.add(new LayerNorm({ epsilon: 1e-5, name: `d_ln${l}` }));
    if (norm && s.criticNorm === 'batch')
      m.add(tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: `d_bn${l}` }));
    m.add(new DiffLeakyReLU({ alpha: 0.2, name: `d_lrelu${l}` }));
  }
  m.add(tf.layers.dense({ units: 1, ...linearInit(w, seed++), name: 'd_out' }));
  return m;
}
