/**
 * One-step training functions (exported and unit-tested) for WGAN and WGAN-GP. Platform-neutral.
 *
 * Every step runs inside tf.tidy / variableGrads so it allocates no lasting tensors; the scalars it
 * returns are read to plain numbers before returning (the cpu, wasm and native backends are synchronous,
 * so the read costs nothing extra).
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/config.js';
import type { GanModels } from '../models/dcgan.js';
import { criticLoss, generatorLoss, gradientPenalty } from '../losses/wgan.js';
import { Rng } from '../util/rng.js';
import { FusedAdam } from './optim.js';

export interface Trainer {
  models: GanModels;
  gOpt: tf.Optimizer;
  dOpt: tf.Optimizer;
  config: TrainConfig;
  /** Source of z and α; its state is checkpointed so a resumed run continues the same stream. */
  rng: Rng;
}

export interface CriticStats {
  /** mean D(fake) − mean D(real) + λ·GP */
  criticLoss: number;
  /** mean D(real) − mean D(fake) */
  wEstimate: number;
  /** mean (‖∇D(x̂)‖ − 1)² (0 for plain WGAN) */
  penalty: number;
  /** mean ‖∇D(x̂)‖ (NaN for plain WGAN, where it is not computed) */
  gradNorm: number;
}

export function makeOptimizer(c: Pick<TrainConfig, 'optimizer' | 'lr' | 'beta1' | 'beta2'>): tf.Optimizer {
  if (c.optimizer === 'adam') return new FusedAdam(c.lr, c.beta1, c.beta2, 1e-8);
  // decay 0.99 and ε 1e-8 match PyTorch's RMSprop defaults, which the WGAN paper's code used.
  return tf.train.rmsprop(c.lr, 0.99, 0, 1e-8);
}

export function makeTrainer(models: GanModels, config: TrainConfig, rng = new Rng(config.seed)): Trainer {
  return { models, config, rng, gOpt: makeOptimizer(config), dOpt: makeOptimizer(config) };
}

/** z ~ U[-1, 1]^nz for a batch, from the seeded stream: [n, nz]. */
export function sampleZ(rng: Rng, n: number, nz: number): tf.Tensor2D {
  const z = new Float32Array(n * nz);
  for (let i = 0; i < z.length; i++) z[i] = rng.uniform(-1, 1);
  return tf.tensor2d(z, [n, nz]);
}

function trainable(m: tf.LayersModel): tf.Variable[] {
  return m.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * One critic update on a batch of real images [B, s, s, C] in [-1, 1].
 * WGAN: minimise L_D, then clip every critic weight to ±clip. WGAN-GP: minimise L_D + λ·GP.
 */
export function criticStep(t: Trainer, real: tf.Tensor4D): CriticStats {
  const { generator: G, critic: D } = t.models;
  const c = t.config;
  const B = real.shape[0];
  const gp = c.loss === 'wgan-gp';
  const out = tf.tidy(() => {
    // Fakes are made outside the gradient tape: the critic step must not differentiate through G.
    const fake = G.apply(sampleZ(t.rng, B, c.nz), { training: true }) as tf.Tensor4D;
    const alpha = gp ? tf.tensor4d(Float32Array.from({ length: B }, () => t.rng.next()), [B, 1, 1, 1]) : null;
    const D_ = (x: tf.Tensor4D) => D.apply(x, { training: true }) as tf.Tensor;
    let w!: tf.Scalar, pen!: tf.Scalar, norm!: tf.Scalar;
    const { value, grads } = tf.variableGrads(() => {
      const parts = criticLoss(D_(real), D_(fake));
      w = tf.keep(parts.wEstimate);
      if (!gp || !alpha) return parts.loss;
      const p = gradientPenalty(D_, real, fake, alpha);
      pen = tf.keep(p.penalty);
      norm = tf.keep(p.gradNorm);
      return tf.add(parts.loss, tf.mul(p.penalty, c.gpLambda)) as tf.Scalar;
    }, trainable(D));
    t.dOpt.applyGradients(grads);
    return [value, w, pen, norm].filter(Boolean) as tf.Scalar[];
  });
  if (c.loss === 'wgan') clipWeights(D, c.clip);
  const v = out.map((x) => x.dataSync()[0]!);
  tf.dispose(out);
  return { criticLoss: v[0]!, wEstimate: v[1]!, penalty: gp ? v[2]! : 0, gradNorm: gp ? v[3]! : NaN };
}

/** One generator update: minimise −mean D(G(z)) over G's weights only. Returns L_G. */
export function generatorStep(t: Trainer, batch: number): number {
  const { generator: G, critic: D } = t.models;
  const v = tf.tidy(() => {
    const z = sampleZ(t.rng, batch, t.config.nz);
    const { value, grads } = tf.variableGrads(
      () => generatorLoss(D.apply(G.apply(z, { training: true }) as tf.Tensor, { training: true }) as tf.Tensor),
      trainable(G),
    );
    t.gOpt.applyGradients(grads);
    return value;
  });
  const loss = v.dataSync()[0]!;
  v.dispose();
  return loss;
}

/** Clip every trainable weight of a model to [−c, c] in place (the WGAN Lipschitz constraint). */
export function clipWeights(m: tf.LayersModel, c: number): void {
  tf.tidy(() => {
    for (const v of trainable(m)) v.assign(tf.clipByValue(v, -c, c));
  });
}

/**
 * How many critic steps precede generator iteration `gi` (0-based). WGAN (Arjovsky et al., Alg. 1 as
 * in their code): 100 for the first 25 generator iterations and every 500th, so the critic is near
 * optimal when its estimate matters most; n_critic otherwise. WGAN-GP: always n_critic.
 */
export function criticIters(c: Pick<TrainConfig, 'loss' | 'nCritic'>, gi: number): number {
  if (c.loss === 'wgan' && (gi < 25 || gi % 500 === 0)) return 100;
  return c.nCritic;
}

/** Generator output for a batch of z, in inference mode (batch norm uses running statistics): [-1, 1]. */
export function generate(G: tf.LayersModel, z: tf.Tensor2D): tf.Tensor4D {
  return G.apply(z, { training: false }) as tf.Tensor4D;
}
