/**
 * The adversarial-loss registry, keyed by `kind` (config `loss`). Platform-neutral.
 *
 * Each entry is the whole of one loss, as LaMa's adversarial losses are: its paper's hyper-parameters
 * (the preset filled into config keys left unset), the critic normalisations it allows, how many critic
 * steps precede each generator step, the critic objective (the loss to minimise and the values to
 * log), the generator objective, an after-step hook (WGAN's clipping) and its cost in critic forward
 * passes (for GFLOP figures). src/train/steps.ts runs any entry without knowing which it is, so a
 * new loss is one new entry here.
 *
 * `gan` is the comparison baseline (the standard Jensen–Shannon GAN, as DCGAN trains it), so that the
 * Wasserstein losses' claims can be measured against it (`wgan-inpaint experiment claims`).
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/rng.js';
import { defineRegistry, type KindOf } from '../util/registry.js';
import { criticLoss, generatorLoss, gradientPenalty } from './wgan.js';
import { ganDiscriminatorLoss, ganGeneratorLoss } from './gan.js';

export type CriticNorm = 'layer' | 'batch' | 'none';
export type OptimizerKind = 'adam' | 'rmsprop';

/** The hyper-parameters a loss brings (its paper's Algorithm 1). */
export interface LossPreset {
  optimizer: OptimizerKind;
  lr: number;
  beta1: number;
  beta2: number;
  nCritic: number;
  clip: number;
  gpLambda: number;
}

/**
 * The training settings a loss reads: a resolved TrainConfig has them all. Named here, not taken
 * from config/config.ts, because the config's schema is built from this registry (its `loss` enum
 * and each loss's preset): the losses sit below the config.
 */
export interface LossSettings {
  /** Critic steps per generator step. */
  nCritic: number;
  /** WGAN weight clipping bound c (weights in [−c, c]). */
  clip: number;
  /** WGAN-GP penalty weight λ. */
  gpLambda: number;
  /** The penalty on every k-th critic step only (lazy regularisation), weighted k·λ. */
  gpEvery: number;
}

export interface CriticInput {
  /** The critic in training mode: images [N,H,W,C] in [-1,1] → scores [N,1]. */
  critic: (x: tf.Tensor4D) => tf.Tensor;
  /** Real and generated images [N,H,W,C] in [-1,1]; `fake` carries no gradient to G. */
  real: tf.Tensor4D;
  fake: tf.Tensor4D;
  config: LossSettings;
  /** The run's seeded stream (interpolation weights); its state is checkpointed. */
  rng: Rng;
  /** 0-based index of this critic step within the run (for lazy regularisation). */
  criticStep: number;
}

/** Scalars of one critic objective. `penalty`/`gradNorm` only where a penalty was computed. */
export interface CriticObjective {
  /** What the critic minimises. */
  loss: tf.Scalar;
  /**
   * The number logged and plotted as the run's estimate (StatLine.wEstimate): for the Wasserstein
   * losses mean D(real) − mean D(fake), the Wasserstein estimate; for `gan` the discriminator's loss,
   * which is not one. The loss's `estimate` says which.
   */
  wEstimate: tf.Scalar;
  /** mean (‖∇D(x̂)‖ − 1)², unscaled (the loss holds λ·k·penalty). */
  penalty?: tf.Scalar;
  /** mean ‖∇D(x̂)‖. */
  gradNorm?: tf.Scalar;
}

/** What a loss logs as its estimate (CriticObjective.wEstimate), for labels in logs, plots and reports. */
export interface EstimateInfo {
  /** Plot title / report column, e.g. 'Wasserstein estimate  mean D(real) − mean D(fake)'. */
  name: string;
  /** Short label for progress lines and tables ('Ŵ', 'L_D'). */
  short: string;
  /** True when it estimates a Wasserstein distance (it should fall as the samples get better). */
  wasserstein: boolean;
}

export interface AdversarialLoss<K extends string = string> {
  readonly kind: K;
  readonly description: string;
  readonly estimate: EstimateInfo;
  readonly preset: LossPreset;
  /** The critic normalisations this loss works with; the first is what `criticNorm: auto` picks. */
  readonly criticNorms: readonly [CriticNorm, ...CriticNorm[]];
  /** Why a normalisation outside `criticNorms` is refused (one line for the error). */
  readonly normNote?: string;
  /** Critic steps before generator iteration `gi` (0-based). */
  criticIters(c: Pick<LossSettings, 'nCritic'>, gi: number): number;
  /** Runs inside the gradient tape over the critic's weights. */
  criticObjective(i: CriticInput): CriticObjective;
  /** What the generator minimises, from the critic's scores of its images. */
  generatorObjective(dFake: tf.Tensor): tf.Scalar;
  /** After each critic update (WGAN: clip the weights). */
  afterCriticStep?(critic: tf.LayersModel, c: LossSettings): void;
  /** Critic forward-pass equivalents per sample in one critic step, averaged over steps. */
  criticForwards(c: Pick<LossSettings, 'gpEvery'>): number;
}

/** Clip every trainable weight of a model to [−c, c] in place (the WGAN Lipschitz constraint). */
export function clipWeights(m: tf.LayersModel, c: number): void {
  tf.tidy(() => {
    for (const w of m.trainableWeights) {
      const v = w.read() as tf.Variable;
      v.assign(tf.clipByValue(v, -c, c));
    }
  });
}

/** Critic objective of both Wasserstein losses without a penalty: L_D = −Ŵ. */
function wassersteinCritic(i: CriticInput): CriticObjective {
  const parts = criticLoss(i.critic(i.real), i.critic(i.fake));
  return { loss: parts.loss, wEstimate: parts.wEstimate };
}

// D fwd+bwd on real and on fake ≈ 2 × 3 forwards; the penalty adds D fwd on x̂, its input gradient
// (≈ 2× fwd) and the gradient of that (≈ 2× the first-order graph) ≈ 9 forwards.
const WASSERSTEIN_FORWARDS = 2 * 3;
const PENALTY_FORWARDS = 9;

const W_ESTIMATE: EstimateInfo = {
  name: 'Wasserstein estimate  mean D(real) − mean D(fake)',
  short: 'Ŵ',
  wasserstein: true,
};

const wgan: AdversarialLoss<'wgan'> = {
  kind: 'wgan',
  description: 'WGAN (Arjovsky et al. 2017): critic weights clipped to ±clip, RMSProp',
  estimate: W_ESTIMATE,
  preset: { optimizer: 'rmsprop', lr: 5e-5, beta1: 0, beta2: 0, nCritic: 5, clip: 0.01, gpLambda: 0 },
  criticNorms: ['batch', 'layer', 'none'],
  // As in the WGAN paper's code: 100 critic steps for the first 25 generator iterations and every
  // 500th, so the critic is near optimal when its estimate matters most; n_critic otherwise.
  criticIters: (c, gi) => (gi < 25 || gi % 500 === 0 ? 100 : c.nCritic),
  criticObjective: wassersteinCritic,
  generatorObjective: generatorLoss,
  afterCriticStep: (critic, c) => clipWeights(critic, c.clip),
  criticForwards: () => WASSERSTEIN_FORWARDS,
};

const wganGp: AdversarialLoss<'wgan-gp'> = {
  kind: 'wgan-gp',
  description: 'WGAN-GP (Gulrajani et al. 2017): gradient penalty λ on random interpolates, Adam',
  estimate: W_ESTIMATE,
  preset: { optimizer: 'adam', lr: 1e-4, beta1: 0.5, beta2: 0.9, nCritic: 5, clip: 0, gpLambda: 10 },
  criticNorms: ['layer', 'none'],
  normNote:
    "batch norm mixes the samples of a batch, so ∇D(x̂ᵢ) would no longer be sample i's own gradient; the penalty is per sample",
  criticIters: (c) => c.nCritic,
  criticObjective(i) {
    const B = i.real.shape[0];
    const k = i.config.gpEvery;
    // Lazy regularisation (StyleGAN2's R1 trick applied to the GP): the penalty on every k-th critic
    // step only, weighted k·λ so its expected contribution per step is unchanged.
    if (i.criticStep % k !== 0) return wassersteinCritic(i);
    // α is drawn after the fakes (the step makes them first), so the stream order is fixed.
    const alpha = tf.tensor4d(
      Float32Array.from({ length: B }, () => i.rng.next()),
      [B, 1, 1, 1],
    );
    const base = wassersteinCritic(i);
    const p = gradientPenalty(i.critic, i.real, i.fake, alpha);
    const loss = tf.add(base.loss, tf.mul(p.penalty, i.config.gpLambda * k)) as tf.Scalar;
    return { loss, wEstimate: base.wEstimate, penalty: p.penalty, gradNorm: p.gradNorm };
  },
  generatorObjective: generatorLoss,
  criticForwards: (c) => WASSERSTEIN_FORWARDS + PENALTY_FORWARDS / c.gpEvery,
};

const gan: AdversarialLoss<'gan'> = {
  kind: 'gan',
  description:
    "standard GAN, the comparison baseline (Goodfellow et al. 2014; DCGAN's settings): sigmoid cross-entropy discriminator, non-saturating generator loss, Adam; not a Wasserstein loss",
  estimate: {
    name: 'discriminator loss  sigmoid cross-entropy (not a Wasserstein estimate)',
    short: 'L_D',
    wasserstein: false,
  },
  // DCGAN (Radford et al. 2016): Adam 2e-4, β1 0.5 (β2 left at 0.999), one D step per G step.
  preset: { optimizer: 'adam', lr: 2e-4, beta1: 0.5, beta2: 0.999, nCritic: 1, clip: 0, gpLambda: 0 },
  // DCGAN's discriminator has batch norm; nothing here differentiates it twice.
  criticNorms: ['batch', 'layer', 'none'],
  criticIters: (c) => c.nCritic,
  criticObjective(i) {
    const loss = ganDiscriminatorLoss(i.critic(i.real), i.critic(i.fake));
    // The logged "estimate" is the discriminator loss itself (a second handle: steps.ts disposes both).
    return { loss, wEstimate: tf.clone(loss) };
  },
  generatorObjective: ganGeneratorLoss,
  criticForwards: () => WASSERSTEIN_FORWARDS,
};

export const LOSSES = defineRegistry('loss', [wgan, wganGp, gan]);
/** 'wgan' | 'wgan-gp' | 'gan'. */
export type LossKind = KindOf<typeof LOSSES>;

/** The loss kinds, in registry order (the config schema's enum). */
export const LOSS_KINDS = LOSSES.kinds as readonly [LossKind, ...LossKind[]];

export {
  criticLoss,
  generatorLoss,
  gradientPenalty,
  type CriticLossParts,
  type PenaltyParts,
  type Scores,
} from './wgan.js';
export { ganDiscriminatorLoss, ganGeneratorLoss } from './gan.js';
