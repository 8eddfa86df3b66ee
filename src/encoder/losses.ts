/**
 * The encoder's training losses: pure functions of tensors, returning the weighted total and every
 * part (for the log). Platform-neutral. All parts are means, so their weights are comparable:
 *
 *   recon   = mean over B·h·w·C of |G(ẑ) − x|                     whole image (training images are complete)
 *   context = mean_b  Σ_p W_bp·|G(ẑ_b) − x_b|_p / (C·Σ_p W_bp)     the search's importance weights W
 *             (known pixels near the hole; W = 0 on holes), a weighted mean per image
 *   hole    = mean_b  Σ_p (1−M_bp)·|G(ẑ_b) − x_b|_p / (C·Σ_p (1−M_bp))   the hole alone, a mean per image
 *             (what hole PSNR judges: recon gives the hole only its share of the pixels)
 *   latent  = mean over B'·nz of (E(G(z)⊙M, M) − z)²              on generated images, where z is known
 *   adv     = mean_b −D(G(ẑ_b))                                    the frozen critic finds the fill real
 *   total   = Σ weight·part
 * with ẑ = E(x⊙M, M), x in [−1, 1]. A part whose weight is 0 is not computed (NaN in the log).
 */
import * as tf from '@tensorflow/tfjs';

/** The parts of the loss, in the log's order. */
export const ENCODER_LOSS_PARTS = ['recon', 'context', 'hole', 'latent', 'adv'] as const;

export interface EncoderLossWeights {
  recon: number;
  context: number;
  hole: number;
  latent: number;
  adv: number;
}

export interface EncoderLossInput {
  /** G in inference mode: [B, nz] → [B, h, w, C] in [−1, 1]. */
  generate: (z: tf.Tensor2D) => tf.Tensor4D;
  /** The critic: [B, h, w, C] → [B, 1]; needed when weights.adv > 0. */
  critic?: (x: tf.Tensor4D) => tf.Tensor;
  /** E's codes of the masked real images [B, nz]. */
  zReal: tf.Tensor2D;
  /** The complete real images [B, h, w, C] in [−1, 1]. */
  x: tf.Tensor4D;
  /** Importance weights [B, h, w, 1] (src/inpaint/weights.ts; 0 on holes). */
  w: tf.Tensor4D;
  /** The masks [B, h, w, 1] (1 known, 0 hole); needed when weights.hole > 0. */
  m?: tf.Tensor4D;
  /** E's codes of masked generated images [B', nz] and the z that made them; needed when weights.latent > 0. */
  zGenPred?: tf.Tensor2D;
  zGen?: tf.Tensor2D;
  weights: EncoderLossWeights;
}

export interface EncoderLosses {
  total: tf.Scalar;
  recon: tf.Scalar | null;
  context: tf.Scalar | null;
  hole: tf.Scalar | null;
  latent: tf.Scalar | null;
  adv: tf.Scalar | null;
}

export function encoderLosses(a: EncoderLossInput): EncoderLosses {
  const wt = a.weights;
  const needImage = wt.recon > 0 || wt.context > 0 || wt.hole > 0 || wt.adv > 0;
  const g = needImage ? a.generate(a.zReal) : null;
  const err = g ? tf.abs(tf.sub(g, a.x)) : null;
  const recon = wt.recon > 0 ? (tf.mean(err!) as tf.Scalar) : null;
  let context: tf.Scalar | null = null;
  if (wt.context > 0) {
    const C = a.x.shape[3];
    const num = tf.sum(tf.mul(a.w, err!), [1, 2, 3]);
    // A mask without holes has all-zero weights: its image contributes 0 instead of 0/0.
    const den = tf.maximum(tf.mul(tf.sum(a.w, [1, 2, 3]), C), 1e-8);
    context = tf.mean(tf.div(num, den)) as tf.Scalar;
  }
  let hole: tf.Scalar | null = null;
  if (wt.hole > 0) {
    if (!a.m) throw new Error('encoderLosses: hole weight > 0 needs the masks m');
    const C = a.x.shape[3];
    const inHole = tf.sub(1, a.m);
    const num = tf.sum(tf.mul(inHole, err!), [1, 2, 3]);
    // A mask without holes contributes 0 instead of 0/0.
    const den = tf.maximum(tf.mul(tf.sum(inHole, [1, 2, 3]), C), 1e-8);
    hole = tf.mean(tf.div(num, den)) as tf.Scalar;
  }
  let latent: tf.Scalar | null = null;
  if (wt.latent > 0) {
    if (!a.zGenPred || !a.zGen) throw new Error('encoderLosses: latent weight > 0 needs zGenPred and zGen');
    latent = tf.mean(tf.square(tf.sub(a.zGenPred, a.zGen))) as tf.Scalar;
  }
  let adv: tf.Scalar | null = null;
  if (wt.adv > 0) {
    if (!a.critic) throw new Error('encoderLosses: adv weight > 0 needs the critic');
    adv = tf.neg(tf.mean(a.critic(g!))) as tf.Scalar;
  }
  const terms: tf.Scalar[] = [];
  for (const [v, k] of [
    [recon, wt.recon],
    [context, wt.context],
    [hole, wt.hole],
    [latent, wt.latent],
    [adv, wt.adv],
  ] as const)
    if (v) terms.push(tf.mul(v, k) as tf.Scalar);
  const total = terms.length ? (tf.addN(terms) as tf.Scalar) : tf.scalar(0);
  return { total, recon, context, hole, latent, adv };
}
