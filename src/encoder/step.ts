/**
 * One encoder training step (exported and unit-tested), with G and the critic frozen. Platform-neutral.
 *
 * Each step draws, from the trainer's seeded Rng (checkpointed, so a resumed run continues the same
 * stream): one fresh training mask per real image (src/encoder/masks.ts), then — when the latent loss
 * is on — B fresh z ~ U[−1, 1]^nz and one mask per generated image. E runs once on the 2B inputs;
 * only E's weights are in the gradient (G's batch norm in inference mode; nothing of G or D changes).
 */
import * as tf from '@tensorflow/tfjs';
import type { Mask } from '../types.js';
import { importanceWeights } from '../inpaint/weights.js';
import { sampleZ } from '../models/sample.js';
import { FusedAdam } from '../backends/fused_adam.js';
import { Rng } from '../util/rng.js';
import { trainingMasks } from './masks.js';
import { encoderInputTensor } from './model.js';
import { encoderLosses, ENCODER_LOSS_PARTS, type EncoderLossWeights } from './losses.js';

export interface EncoderTrainer {
  encoder: tf.LayersModel;
  /** Frozen. */
  generator: tf.LayersModel;
  /** Frozen; used only when weights.adv > 0. */
  critic: tf.LayersModel;
  opt: tf.Optimizer;
  weights: EncoderLossWeights;
  /** Source of the masks and z; its state is checkpointed. */
  rng: Rng;
}

export interface EncoderStepStats {
  /** Weighted total the step minimised. */
  loss: number;
  /** The parts (NaN when its weight is 0, so it was not computed). */
  recon: number;
  context: number;
  hole: number;
  latent: number;
  adv: number;
}

export function makeEncoderTrainer(
  nets: { encoder: tf.LayersModel; generator: tf.LayersModel; critic: tf.LayersModel },
  o: { lr: number; beta1: number; beta2: number; weights: EncoderLossWeights; seed: number },
): EncoderTrainer {
  return {
    ...nets,
    weights: o.weights,
    opt: new FusedAdam(o.lr, o.beta1, o.beta2, 1e-8),
    rng: new Rng(o.seed ^ 0xe4c0de),
  };
}

/** Masks as one tensor [N, h, w, 1] (1 known). */
export function maskTensor(masks: Mask[]): tf.Tensor4D {
  const { height: h, width: w } = masks[0]!;
  const md = new Float32Array(masks.length * h * w);
  for (const [i, mk] of masks.entries()) md.set(mk.data, i * h * w);
  return tf.tensor4d(md, [masks.length, h, w, 1]);
}

/** Masks [N, h, w, 1] (1 known) and the search's importance weights of each, as tensors. */
export function maskTensors(masks: Mask[]): { m: tf.Tensor4D; w: tf.Tensor4D } {
  const { height: h, width: w } = masks[0]!;
  const px = h * w;
  const wd = new Float32Array(masks.length * px);
  for (const [i, mk] of masks.entries()) wd.set(importanceWeights(mk), i * px);
  return { m: maskTensor(masks), w: tf.tensor4d(wd, [masks.length, h, w, 1]) };
}

/**
 * One Adam step on E's weights for a batch of complete real images `x` [B, h, w, C] in [−1, 1]
 * (the caller's tensor, not disposed). Allocates no lasting tensors.
 */
export function encoderStep(t: EncoderTrainer, x: tf.Tensor4D): EncoderStepStats {
  const [B, h, w] = x.shape;
  const nz = t.generator.inputs[0]!.shape[1] as number;
  const wt = t.weights;
  // Draw in a fixed order so the stream is the same whatever the weights' values.
  const realMasks = trainingMasks(t.rng, B, h, w);
  const withLatent = wt.latent > 0;
  const zGenT = withLatent ? sampleZ(t.rng, B, nz) : null;
  const genMasks = withLatent ? trainingMasks(t.rng, B, h, w) : null;
  const G = t.generator,
    D = t.critic,
    E = t.encoder;
  const vars = E.trainableWeights.map((v) => v.read() as tf.Variable);
  const parts = ENCODER_LOSS_PARTS.filter((k) => wt[k] > 0);
  const out = tf.tidy(() => {
    const real = maskTensors(realMasks);
    let input = encoderInputTensor(x, real.m);
    if (withLatent) {
      // Generated images are data here: made outside the tape.
      const xg = G.apply(zGenT!, { training: false }) as tf.Tensor4D;
      input = tf.concat([input, encoderInputTensor(xg, maskTensors(genMasks!).m)], 0);
    }
    let l!: ReturnType<typeof encoderLosses>;
    const { value, grads } = tf.variableGrads(() => {
      const zAll = E.apply(input, { training: true }) as tf.Tensor2D;
      const zReal = withLatent ? (tf.slice(zAll, [0, 0], [B, nz]) as tf.Tensor2D) : zAll;
      l = encoderLosses({
        generate: (z) => G.apply(z, { training: false }) as tf.Tensor4D,
        critic: (im) => D.apply(im, { training: false }) as tf.Tensor,
        zReal,
        x,
        w: real.w,
        m: real.m,
        ...(withLatent ? { zGenPred: tf.slice(zAll, [B, 0], [B, nz]) as tf.Tensor2D, zGen: zGenT! } : {}),
        weights: wt,
      });
      for (const k of parts) tf.keep(l[k]!);
      return l.total;
    }, vars);
    t.opt.applyGradients(grads);
    return [value, ...parts.map((k) => l[k]!)];
  });
  zGenT?.dispose();
  const v = out.map((s) => s.dataSync()[0]!);
  tf.dispose(out);
  const r: EncoderStepStats = { loss: v[0]!, recon: NaN, context: NaN, hole: NaN, latent: NaN, adv: NaN };
  parts.forEach((k, i) => {
    r[k] = v[i + 1]!;
  });
  return r;
}
