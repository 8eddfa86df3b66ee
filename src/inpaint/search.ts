/**
 * Semantic inpainting by latent search (Yeh et al., CVPR 2017), with a Wasserstein critic as the prior.
 * Platform-neutral: runs in Node and in the browser on any TF.js backend.
 *
 * For images y [N,H,W,C] in [0,1] and masks M (1 = known), find for every image
 *   ẑ = argmin_{z ∈ [-1,1]^nz}  L_c(z) + λ·L_p(z)
 *   L_c(z) = Σ_{pixels, channels} W ⊙ |M ⊙ (G(z) − y)|          contextual loss (G and y in [-1,1])
 *   L_p(z) = −D(G(z))                                             prior loss (the critic finds G(z) real)
 * with W the importance weights (for a known pixel, the fraction of unknown pixels in its 7×7 window;
 * far-away known pixels matter less). Adam on z, z clipped back to [-1,1] after each step; K restarts
 * per image, keeping the one with the lowest final loss. Then the composite M⊙y + (1−M)⊙G(ẑ) and a
 * Poisson blend of G(ẑ) into the hole.
 *
 * Every image's loss depends only on its own z (the losses are summed, not averaged, over the batch;
 * G's batch norm runs in inference mode; the GP critic has no batch norm; Adam is element-wise; all
 * restarts start from the same seeded z's whatever the image's position — with `initZ`, from the
 * image's own start mixed with those), so an image completes the same alone as inside a batch.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageBatch, Mask } from '../types.js';
import { imageSize } from '../types.js';
import { importanceWeights } from './weights.js';
import { composite, applyMask, masksFor } from './composite.js';
import { poissonBlendBatch } from './poisson.js';
import { Rng } from '../util/rng.js';
import { UserError } from '../util/errors.js';

export interface InpaintOptions {
  /** Adam iterations on z. */
  iters: number;
  /** Random restarts per image (K); the best final loss wins. */
  restarts: number;
  /** Weight λ of the prior loss −D(G(z)). */
  lambda: number;
  /** Adam learning rate on z. */
  lr: number;
  seed: number;
  /** Side of the importance-weight window (odd). */
  window: number;
  blend: 'poisson' | 'none';
  /** Record the current best G(z) of every image every N iterations (0 = never), for animations. */
  progressEvery: number;
  /**
   * Where restart 0 of each image starts, [N·nz] in [−1, 1] — or a function of the images and masks
   * (at the model's size) returning that, e.g. an encoder (src/encoder/init.ts `encoderStart(E)`).
   * Restart k ≥ 1 then starts at (1 − initMix)·initZ + initMix·u_k, u_k the seeded random start it
   * would have had without initZ. Default: none (every restart at its seeded random start).
   */
  initZ?: Float32Array | ((images: ImageBatch, masks: Mask[]) => Float32Array);
  /** With initZ: how far restarts k ≥ 1 move from it toward their random start, in [0, 1]. */
  initMix: number;
}

export const DEFAULT_INPAINT: InpaintOptions = {
  iters: 1000,
  restarts: 4,
  // Chosen by experiment on Fashion-MNIST (docs/LAMBDA.md): 0.03 and 0.1 tie for best, ≥ 0.3 hurts.
  lambda: 0.03,
  lr: 0.01,
  seed: 0,
  window: 7,
  blend: 'poisson',
  progressEvery: 0,
  // Chosen by experiment (docs/ENCODER.md): restarts near the encoder's z (0.1) did best of
  // 0.1/0.25/0.5/1 at K = 2, and none beat a single restart by more than noise.
  initMix: 0.1,
};

export interface ImageLosses {
  /** Contextual loss L_c of the kept restart (sum over known pixels and channels, [-1,1] units). */
  contextual: number;
  /** Prior loss −D(G(ẑ)) of the kept restart. */
  prior: number;
  /** L_c + λ·L_p. */
  total: number;
  /** Index of the kept restart. */
  restart: number;
}

export interface InpaintResult {
  /** Inputs with the hole shown in grey. */
  masked: ImageBatch;
  /** G(ẑ), the raw generator output. */
  raw: ImageBatch;
  /** M⊙y + (1−M)⊙G(ẑ). */
  composite: ImageBatch;
  /** Poisson-blended result (equals `composite` with blend: 'none'). */
  blended: ImageBatch;
  losses: ImageLosses[];
  /** The latent codes found, [N·nz]. */
  z: Float32Array;
  /** Snapshots of G(z) (best restart so far) when progressEvery > 0. */
  snapshots: { iter: number; raw: ImageBatch }[];
  /** Mean contextual loss of the kept restarts at each recorded iteration (every iteration). */
  history: { iter: number; contextual: number; prior: number }[];
}

export interface InpaintProgress {
  iter: number;
  iters: number;
  /** Mean over images of the best restart's contextual loss. */
  contextual: number;
  prior: number;
  /** Present at snapshot iterations. */
  raw?: ImageBatch;
}

export interface InpaintCallbacks {
  onProgress?: (p: InpaintProgress) => void;
  signal?: AbortSignal;
}

/** The networks inpainting needs: G and the critic (any TF.js LayersModel pair). */
export interface InpaintModel {
  generator: tf.LayersModel;
  critic: tf.LayersModel;
}

function modelShape(G: tf.LayersModel) {
  const [, h, w, c] = G.outputs[0]!.shape as number[];
  return { nz: G.inputs[0]!.shape[1] as number, h: h!, w: w!, c: c! };
}

/** Resolve options, rejecting nonsense with a clear message. */
export function resolveInpaintOptions(o: Partial<InpaintOptions> = {}): InpaintOptions {
  const r = { ...DEFAULT_INPAINT, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) } as InpaintOptions;
  const intOk = (v: number, lo: number) => Number.isInteger(v) && v >= lo;
  if (!intOk(r.iters, 0)) throw new UserError(`inpaint: iters must be an integer ≥ 0, got ${r.iters}`);
  if (!intOk(r.restarts, 1)) throw new UserError(`inpaint: restarts must be an integer ≥ 1, got ${r.restarts}`);
  if (!(r.lambda >= 0) || !Number.isFinite(r.lambda)) throw new UserError(`inpaint: lambda must be ≥ 0, got ${r.lambda}`);
  if (!(r.lr > 0) || !Number.isFinite(r.lr)) throw new UserError(`inpaint: lr must be > 0, got ${r.lr}`);
  if (!intOk(r.window, 1) || r.window % 2 === 0) throw new UserError(`inpaint: window must be an odd integer, got ${r.window}`);
  if (r.blend !== 'poisson' && r.blend !== 'none') throw new UserError(`inpaint: blend must be poisson or none, got ${r.blend}`);
  if (!intOk(r.progressEvery, 0)) throw new UserError(`inpaint: progressEvery must be an integer ≥ 0`);
  if (!(r.initMix >= 0 && r.initMix <= 1)) throw new UserError(`inpaint: initMix must be in [0, 1], got ${r.initMix}`);
  return r;
}

/**
 * Complete images at the model's size.
 * @param images [N, H, W, C] in [0,1], H×W×C equal to the generator's output.
 * @param masks  one mask for all images or one per image, H×W, 1 = known.
 */
export async function inpaint(model: InpaintModel, images: ImageBatch, masks: Mask | Mask[], options: Partial<InpaintOptions> = {}, cb: InpaintCallbacks = {}): Promise<InpaintResult> {
  const o = resolveInpaintOptions(options);
  const { generator: G, critic: D } = model;
  const { nz, h, w, c } = modelShape(G);
  if (images.height !== h || images.width !== w) throw new UserError(`image is ${images.width}×${images.height}, the model completes ${w}×${h} images`);
  if (images.channels !== c) throw new UserError(`image has ${images.channels} channel(s), the model has ${c}`);
  const N = images.n, K = o.restarts, B = N * K;
  const ms = masksFor(images, masks);

  // Per-pixel weights, W⊙M (importance weights are 0 on unknown pixels already), broadcast over
  // channels and repeated for each restart: [B, h, w, 1]. Targets y in [-1,1]: [B, h, w, c].
  const px = h * w, s = imageSize(images);
  const wts = new Float32Array(B * px);
  const ys = new Float32Array(B * s);
  for (let i = 0; i < N; i++) {
    const wi = importanceWeights(ms[i]!, o.window);
    for (let k = 0; k < K; k++) {
      wts.set(wi, (i * K + k) * px);
      const yi = images.data.subarray(i * s, (i + 1) * s);
      const dst = (i * K + k) * s;
      for (let j = 0; j < s; j++) ys[dst + j] = yi[j]! * 2 - 1;
    }
  }
  // The same K starting points for every image, from the seed alone (see the module comment).
  const rng = new Rng(o.seed);
  const z0 = new Float32Array(K * nz);
  for (let j = 0; j < z0.length; j++) z0[j] = rng.uniform(-1, 1);
  const zInit = new Float32Array(B * nz);
  for (let i = 0; i < N; i++) zInit.set(z0, i * K * nz);
  const zStart = typeof o.initZ === 'function' ? o.initZ(images, ms) : o.initZ;
  if (zStart) {
    if (zStart.length !== N * nz) throw new UserError(`inpaint: initZ has ${zStart.length} values, expected ${N} images × nz ${nz}`);
    for (let i = 0; i < N; i++) {
      for (let k = 0; k < K; k++) {
        const a = k === 0 ? 0 : o.initMix;
        for (let j = 0; j < nz; j++) {
          const e = Math.min(1, Math.max(-1, zStart[i * nz + j]!)), at = (i * K + k) * nz + j;
          zInit[at] = (1 - a) * e + a * zInit[at]!;
        }
      }
    }
  }
  const Wt = tf.tensor4d(wts, [B, h, w, 1]);
  const Y = tf.tensor4d(ys, [B, h, w, c]);
  const zT = tf.tensor2d(zInit, [B, nz]);
  const z = tf.variable(zT, true);
  zT.dispose(); // the variable holds its own reference to the data
  const opt = tf.train.adam(o.lr, 0.9, 0.999, 1e-8);

  /** Per-sample [B] contextual and prior losses. */
  const losses = (zz: tf.Tensor2D, withPrior = o.lambda > 0) => {
    const g = G.apply(zz, { training: false }) as tf.Tensor4D;
    const ctx = tf.sum(tf.mul(Wt, tf.abs(tf.sub(g, Y))), [1, 2, 3]);
    // With λ = 0 the prior is not needed for the search; it is still measured at the end for reports.
    const prior = withPrior ? tf.neg(tf.reshape(D.apply(g, { training: false }) as tf.Tensor, [B])) : tf.zeros([B]);
    return { g, ctx, prior };
  };

  const history: InpaintResult['history'] = [];
  const snapshots: InpaintResult['snapshots'] = [];
  let ctxArr: Float32Array<ArrayBufferLike> = new Float32Array(B);
  let priorArr: Float32Array<ArrayBufferLike> = new Float32Array(B);
  const best = () => {
    const idx = new Int32Array(N);
    for (let i = 0; i < N; i++) {
      let bk = 0, bv = Infinity;
      for (let k = 0; k < K; k++) {
        const t = ctxArr[i * K + k]! + o.lambda * priorArr[i * K + k]!;
        if (t < bv) { bv = t; bk = k; }
      }
      idx[i] = bk;
    }
    return idx;
  };
  const gatherBest = (g: tf.Tensor4D, idx: Int32Array): ImageBatch => {
    const all = g.dataSync() as Float32Array;
    const out = new Float32Array(N * s);
    for (let i = 0; i < N; i++) {
      const src = all.subarray((i * K + idx[i]!) * s, (i * K + idx[i]! + 1) * s);
      for (let j = 0; j < s; j++) out[i * s + j] = (src[j]! + 1) / 2;
    }
    return { data: out, n: N, height: h, width: w, channels: c };
  };
  const record = (iter: number, g: tf.Tensor4D | null) => {
    const idx = best();
    let mc = 0, mp = 0;
    for (let i = 0; i < N; i++) { mc += ctxArr[i * K + idx[i]!]!; mp += priorArr[i * K + idx[i]!]!; }
    const p: InpaintProgress = { iter, iters: o.iters, contextual: mc / N, prior: mp / N };
    history.push({ iter, contextual: p.contextual, prior: p.prior });
    if (g && o.progressEvery > 0 && (iter % o.progressEvery === 0 || iter === o.iters)) {
      p.raw = gatherBest(g, idx);
      snapshots.push({ iter, raw: p.raw });
    }
    cb.onProgress?.(p);
  };

  try {
    for (let it = 0; it < o.iters; it++) {
      if (cb.signal?.aborted) throw new UserError('inpainting aborted');
      const snap = o.progressEvery > 0 && it % o.progressEvery === 0;
      let cT!: tf.Tensor, pT!: tf.Tensor;
      let gKept: tf.Tensor4D | null = null;
      tf.tidy(() => {
        // The summed loss makes each z's gradient depend on its own image only.
        opt.minimize(() => {
          const { g, ctx, prior } = losses(z);
          cT = tf.keep(ctx);
          pT = tf.keep(prior);
          if (snap) gKept = tf.keep(g);
          return tf.sum(tf.add(ctx, tf.mul(prior, o.lambda))) as tf.Scalar;
        }, false, [z]);
        z.assign(tf.clipByValue(z, -1, 1));
      });
      const cArr = cT, pArr = pT;
      ctxArr = cArr.dataSync() as Float32Array;
      priorArr = pArr.dataSync() as Float32Array;
      tf.dispose([cArr, pArr]);
      record(it, gKept);
      if (gKept) (gKept as tf.Tensor4D).dispose();
      // Yield so the browser stays responsive and progress can be streamed.
      if (it % 10 === 9) await new Promise((r) => setTimeout(r, 0));
    }
    // Final losses and images at the last z.
    const gFinal = tf.tidy(() => {
      const { g, ctx, prior } = losses(z, true);
      ctxArr = ctx.dataSync() as Float32Array;
      priorArr = prior.dataSync() as Float32Array;
      return g;
    });
    const idx = best();
    const raw = gatherBest(gFinal, idx);
    gFinal.dispose();
    record(o.iters, null);
    if (o.progressEvery > 0) snapshots.push({ iter: o.iters, raw });
    const zAll = z.dataSync();
    const zBest = new Float32Array(N * nz);
    for (let i = 0; i < N; i++) zBest.set(zAll.subarray((i * K + idx[i]!) * nz, (i * K + idx[i]! + 1) * nz), i * nz);
    const comp = composite(images, raw, ms);
    const blended = o.blend === 'poisson' ? poissonBlendBatch(images, raw, ms) : comp;
    const losses_: ImageLosses[] = Array.from({ length: N }, (_, i) => {
      const j = i * K + idx[i]!;
      return { contextual: ctxArr[j]!, prior: priorArr[j]!, total: ctxArr[j]! + o.lambda * priorArr[j]!, restart: idx[i]! };
    });
    return { masked: applyMask(images, ms), raw, composite: comp, blended, losses: losses_, z: zBest, snapshots, history };
  } finally {
    tf.dispose([Wt, Y, z]);
    opt.dispose();
  }
}
