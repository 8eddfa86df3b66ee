/**
 * One-step training functions (exported and unit-tested) for WGAN and WGAN-GP. Platform-neutral.
 *
 * Every step runs inside tf.tidy / variableGrads so it allocates no lasting tensors; the scalars it
 * returns are read to plain numbers before returning (the cpu, wasm and native backends are synchronous,
 * so the read costs nothing extra).
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/config.js';
import type { GanModels } from '../models/index.js';
import { LOSSES, type CriticObjective } from '../losses/index.js';
import { sampleZ } from '../models/sample.js';
import { Rng } from '../util/rng.js';
import { FusedAdam } from '../backends/fused_adam.js';

export { clipWeights } from '../losses/index.js';
export { sampleZ, generate } from '../models/sample.js';

export interface Trainer {
  models: GanModels;
  gOpt: tf.Optimizer;
  dOpt: tf.Optimizer;
  config: TrainConfig;
  /** Source of z and α; its state is checkpointed so a resumed run continues the same stream. */
  rng: Rng;
}

export interface CriticStats {
  /** What the critic minimised, e.g. mean D(fake) − mean D(real) + λ·GP */
  criticLoss: number;
  /** mean D(real) − mean D(fake) */
  wEstimate: number;
  /** mean (‖∇D(x̂)‖ − 1)²; 0 for losses without a penalty, NaN on a step that skipped it (lazy GP) */
  penalty: number;
  /** mean ‖∇D(x̂)‖; NaN where no penalty was computed */
  gradNorm: number;
}

export function makeOptimizer(
  kind: TrainConfig['optimizer'],
  lr: number,
  c: Pick<TrainConfig, 'beta1' | 'beta2'>,
): tf.Optimizer {
  if (kind === 'adam') return new FusedAdam(lr, c.beta1, c.beta2, 1e-8);
  // decay 0.99 and ε 1e-8 match PyTorch's RMSprop defaults, which the WGAN paper's code used.
  return tf.train.rmsprop(lr, 0.99, 0, 1e-8);
}

export function makeTrainer(models: GanModels, config: TrainConfig, rng = new Rng(config.seed)): Trainer {
  return {
    models,
    config,
    rng,
    gOpt: makeOptimizer(config.optimizer, config.lr, config),
    dOpt: makeOptimizer(config.optimizer, config.dLr, config),
  };
}

function trainable(m: tf.LayersModel): tf.Variable[] {
  return m.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * One critic update on a batch of real images [B, s, s, C] in [-1, 1]: minimise the loss's critic
 * objective over the critic's weights, then run its after-step hook (WGAN: clipping).
 * @param criticStepIndex 0-based index of this critic step within the run (lazy penalties use it).
 */
export function criticStep(t: Trainer, real: tf.Tensor4D, criticStepIndex = 0): CriticStats {
  const { generator: G, critic: D } = t.models;
  const c = t.config;
  const loss = LOSSES.get(c.loss);
  const B = real.shape[0];
  const out = tf.tidy(() => {
    // Fakes are made outside the gradient tape: the critic step must not differentiate through G.
    const fake = G.apply(sampleZ(t.rng, B, c.nz), { training: true }) as tf.Tensor4D;
    const critic = (x: tf.Tensor4D) => D.apply(x, { training: true }) as tf.Tensor;
    let o!: CriticObjective;
    const { value, grads } = tf.variableGrads(() => {
      o = loss.criticObjective({ critic, real, fake, config: c, rng: t.rng, criticStep: criticStepIndex });
      for (const s of [o.wEstimate, o.penalty, o.gradNorm]) if (s) tf.keep(s);
      return o.loss;
    }, trainable(D));
    t.dOpt.applyGradients(grads);
    return { value, w: o.wEstimate, pen: o.penalty, norm: o.gradNorm };
  });
  loss.afterCriticStep?.(D, c);
  const read = (s: tf.Scalar | undefined) => (s ? s.dataSync()[0]! : NaN);
  const r = {
    criticLoss: read(out.value),
    wEstimate: read(out.w),
    penalty: out.pen ? read(out.pen) : c.gpLambda > 0 ? NaN : 0,
    gradNorm: read(out.norm),
  };
  tf.dispose([out.value, out.w, out.pen, out.norm].filter((x): x is tf.Scalar => !!x));
  return r;
}

/** One generator update: minimise the loss's generator objective (−mean D(G(z))) over G's weights only. Returns L_G. */
export function generatorStep(t: Trainer, batch: number): number {
  const { generator: G, critic: D } = t.models;
  const loss = LOSSES.get(t.config.loss);
  const v = tf.tidy(() => {
    const z = sampleZ(t.rng, batch, t.config.nz);
    const { value, grads } = tf.variableGrads(
      () =>
        loss.generatorObjective(D.apply(G.apply(z, { training: true }) as tf.Tensor, { training: true }) as tf.Tensor),
      trainable(G),
    );
    t.gOpt.applyGradients(grads);
    return value;
  });
  const l = v.dataSync()[0]!;
  v.dispose();
  return l;
}

/** How many critic steps precede generator iteration `gi` (0-based): the loss's schedule. */
export function criticIters(c: Pick<TrainConfig, 'loss' | 'nCritic'>, gi: number): number {
  return LOSSES.get(c.loss).criticIters(c, gi);
}

/** Critic steps taken before generator iteration `gi` (so a resumed run continues the count). */
export function criticStepsBefore(c: Pick<TrainConfig, 'loss' | 'nCritic'>, gi: number): number {
  let n = 0;
  for (let i = 0; i < gi; i++) n += criticIters(c, i);
  return n;
}
