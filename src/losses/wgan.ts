/**
 * Wasserstein GAN losses as pure functions of critic scores. Platform-neutral.
 *
 * Sign convention (used everywhere in this project):
 * - the critic D scores REAL images HIGH;
 * - critic loss      L_D = mean D(fake) − mean D(real)  (+ λ·GP for WGAN-GP), minimised by the critic;
 * - generator loss   L_G = −mean D(G(z)), minimised by the generator;
 * - Wasserstein estimate Ŵ = mean D(real) − mean D(fake) = −(L_D without the penalty). It is the
 *   number that tells how training goes: it should fall as the generator improves (for WGAN it is an
 *   estimate of K·W₁ with K the Lipschitz constant the clipping allows).
 */
import * as tf from '@tensorflow/tfjs';

/** Critic scores: shape [N, 1] or [N]. */
export type Scores = tf.Tensor;

export interface CriticLossParts {
  /** Scalar: mean D(fake) − mean D(real) (no penalty). */
  loss: tf.Scalar;
  /** Scalar: mean D(real) − mean D(fake). */
  wEstimate: tf.Scalar;
}

export function criticLoss(dReal: Scores, dFake: Scores): CriticLossParts {
  return tf.tidy(() => {
    const w = tf.sub(tf.mean(dReal), tf.mean(dFake)) as tf.Scalar;
    return { loss: tf.neg(w) as tf.Scalar, wEstimate: w };
  });
}

export function generatorLoss(dFake: Scores): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(dFake)) as tf.Scalar);
}

export interface PenaltyParts {
  /** Scalar: mean over the batch of (‖∇ₓ D(x̂)‖₂ − 1)². */
  penalty: tf.Scalar;
  /** Scalar: mean gradient norm (1 for an exactly 1-Lipschitz critic along the interpolates). */
  gradNorm: tf.Scalar;
}

/**
 * WGAN-GP gradient penalty (Gulrajani et al. 2017) at x̂ = α·real + (1−α)·fake.
 * @param critic  maps images [N,H,W,C] to scores [N,1]; must be twice differentiable (hence no tf.leakyRelu).
 * @param alpha   [N,1,1,1] interpolation weights in [0,1] (passed in so the function is pure and testable).
 * The result stays differentiable with respect to the critic's weights (second-order gradient).
 */
export function gradientPenalty(
  critic: (x: tf.Tensor4D) => tf.Tensor,
  real: tf.Tensor4D,
  fake: tf.Tensor4D,
  alpha: tf.Tensor4D,
): PenaltyParts {
  return tf.tidy(() => {
    const xhat = tf.add(tf.mul(alpha, real), tf.mul(tf.sub(1, alpha), fake)) as tf.Tensor4D;
    // Scores of different samples are independent (no batch norm in a GP critic), so the gradient of
    // the sum gives each sample's own ∇ₓ D(x̂ᵢ).
    const g = tf.grad((x: tf.Tensor) => tf.sum(critic(x as tf.Tensor4D)))(xhat);
    // +1e-12: d/dx sqrt is infinite at 0; keeps the second-order gradient finite.
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(g), [1, 2, 3]), 1e-12));
    return { penalty: tf.mean(tf.square(tf.sub(norm, 1))) as tf.Scalar, gradNorm: tf.mean(norm) as tf.Scalar };
  });
}
