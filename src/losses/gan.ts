/**
 * The standard GAN loss (Goodfellow et al. 2014) as DCGAN trains it (Radford et al. 2016): the
 * Jensen–Shannon baseline the Wasserstein losses are compared with, not a Wasserstein loss.
 * Pure functions of the discriminator's scores. Platform-neutral.
 *
 * The discriminator D outputs a logit s ∈ ℝ (no sigmoid layer), so that the sigmoid is folded into the
 * loss and computed stably: log σ(s) = −softplus(−s) and log(1 − σ(s)) = −softplus(s), with
 * softplus(x) = log(1 + eˣ) (TF.js's kernel returns x for large x and eˣ for very negative x on every
 * backend here, so no log(0) or overflow for any finite logit). The sign convention is wgan.ts's:
 * D scores REAL images HIGH.
 * - discriminator loss  L_D = −mean log σ(D(real)) − mean log(1 − σ(D(fake)))
 *                           = mean softplus(−D(real)) + mean softplus(D(fake))
 *   (sigmoid cross-entropy with labels real = 1, fake = 0; 2·ln 2 ≈ 1.386 for a D that outputs 0 —
 *   σ = ½ — everywhere, → 0 as D separates the two perfectly);
 * - generator loss, the non-saturating form  L_G = −mean log σ(D(G(z))) = mean softplus(−D(G(z)))
 *   (the minimax form log(1 − σ(D(G(z)))) has vanishing gradients while D wins, which is early on).
 *
 * What such a run logs in the Wasserstein-estimate field is L_D itself: a classification loss, not an
 * estimate of a distance between the distributions (see LOSSES.get('gan').estimate).
 */
import * as tf from '@tensorflow/tfjs';
import type { Scores } from './wgan.js';

/** Scalar: mean softplus(−D(real)) + mean softplus(D(fake)), the sigmoid cross-entropy of D. */
export function ganDiscriminatorLoss(dReal: Scores, dFake: Scores): tf.Scalar {
  return tf.tidy(() => tf.add(tf.mean(tf.softplus(tf.neg(dReal))), tf.mean(tf.softplus(dFake))) as tf.Scalar);
}

/** Scalar: mean softplus(−D(G(z))), the non-saturating generator loss. */
export function ganGeneratorLoss(dFake: Scores): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.softplus(tf.neg(dFake))) as tf.Scalar);
}
