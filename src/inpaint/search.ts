/**
 * Semantic inpainting by latent search (Yeh et al., CVPR 2017), with a Wasserstein critic as the prior.
 * Platform-neutral: runs in Node and in the browser on any TF.js backend.
 *
 * For images y [N,H,W,C] in [0,1] and masks M (1 = known), find for every image
 *   ẑ = argmin_{z ∈ [-1,1]^nz}  L_c(z) + λ·L_p(z)
 *   L_c(z) = Σ_{pixels, channels} W ⊙ |M ⊙ (G(z) − y)|          contextual loss (G and y in [-1,1])
 *   L_p(z) = −D(G(z))                                             prior loss (the critic finds G(z) real)
 * with W the importance weights (for a known pixel, the fraction of unknown pixels in its 7×7 window;
 * far-away known pixels matter less; raised to at least `contextFloor` for every known pixel, so a
 * large hole's far context still counts, docs/FLOOR.md). Adam on z, z clipped back to [-1,1] after each step; K restarts
 * per image, keeping the one with the lowest final loss. The search returns G(ẑ) only; pasting it into
 * the hole (composite, Poisson blend) is `finishFill` (finish.ts), and bringing images of other sizes
 * to the model is `fitToModel` (fit.ts). `inpaint`/`inpaintImages` (inpaint.ts) put the three together.
 *
 * A non-finite loss (NaN or ±∞: a damaged model, or options at the edge of their range) stops that
 * image: its restarts are dropped from the progress means, the search ends early once every image has
 * stopped, and `errors[i]` says at which iteration; the other images complete normally (every image's
 * loss depends only on its own z, see below).
 *
 * Every image's loss depends only on its own z (the losses are summed, not averaged, over the batch;
 * G's batch norm runs in inference mode; the GP critic has no batch norm; Adam is element-wise; all
 * restarts start from the same seeded z's whatever the image's position — from an encoder, at the
 * image's own E(y⊙M, M) mixed with those, and the encoder's layer norm makes E per-image too), so an
 * image completes the same alone as inside a batch.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageBatch, Mask } from '../types.js';
import { imageSize } from '../types.js';
import { contextAndPrior, contextTargets } from './context.js';
import { masksFor } from './composite.js';
import { resolveInpaintOptions, startFor, type InpaintOptions, type Start } from './options.js';
import { encode } from './encoder_input.js';
import { Rng } from '../util/rng.js';
import type { DomainStats } from './domain_types.js';
import { UserError } from '../util/errors.js';
import { refineFill } from './refine.js';
import { REFINE_DEFAULTS } from './options.js';
import { FusedAdam } from '../backends/fused_adam.js';

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

/** What the latent search finds: G(ẑ) and ẑ, nothing pasted or blended yet. */
export interface SearchResult {
  /** G(ẑ) of the kept restart, [N, h, w, c] in [0, 1] (the model's size). */
  raw: ImageBatch;
  /** The latent codes found, [N·nz]. */
  z: Float32Array;
  losses: ImageLosses[];
  /** Mean (over images still searching) of the kept restarts' losses at every read iteration (each one with readEvery 1), then the final one. */
  history: { iter: number; contextual: number; prior: number }[];
  /**
   * Per image: null, or why its search stopped (a non-finite loss); its raw, z and losses are then
   * meaningless.
   */
  errors: (string | null)[];
  /** Where the search started: the encoder's z (restart 0; the others mixed toward random) or random z. */
  start: Start;
  /** With `refine` other than z: per image the refinement's drift from G(ẑ)'s activations or weights, and why it stopped early (null: it did not; the unrefined fill is kept when it did). */
  refined?: { drift: number[]; errors: (string | null)[] };
}

/**
 * A start for the search (library only, `latentSearch`'s last argument): restart 0 of each image
 * starts at it, [N·nz] in [−1, 1] (clipped) — or a function of the images and masks (at the model's
 * size) returning that. Restart k ≥ 1 starts at (1 − initMix)·z + initMix·u_k, u_k the seeded random
 * start it would have had. Without it, a model's `encoder` gives E(y⊙M, M) when `init` asks for it.
 */
export type InitZ = Float32Array | ((images: ImageBatch, masks: Mask[]) => Float32Array | Promise<Float32Array>);

export interface InpaintProgress {
  /** Iterations done: the z search's 1 … iters, then the refinement's iters + 1 … iters + refineIters. */
  iter: number;
  /** All iterations of the job: the search's, plus the refinement's when `refine` is not z. */
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
  /** One line per notice, e.g. an image converted to the model's channels (inpaintImages). */
  onNotice?: (msg: string) => void;
}

/**
 * The networks inpainting needs: G and the critic (any TF.js LayersModel pair), and optionally an
 * encoder E(y⊙M, M) → z trained for this G (src/encoder; `loadEncoder` checks that it belongs to G).
 */
export interface InpaintModel {
  generator: tf.LayersModel;
  critic: tf.LayersModel;
  encoder?: tf.LayersModel | null;
  /** A checkpoint's manifest: its `domain` statistics turn on out-of-domain notices (domain.ts). */
  manifest?: { domain?: DomainStats | undefined; config?: { crop?: number } };
}

/** The resolved options and the start for a model: iterations and restarts default per start. */
export function resolveFor(
  model: InpaintModel,
  options: Partial<InpaintOptions>,
  initZ?: InitZ,
): { o: InpaintOptions; start: Start } {
  const o = resolveInpaintOptions(options, undefined, !!model.encoder || initZ !== undefined);
  return { o, start: startFor(o.init, !!model.encoder || initZ !== undefined) };
}

const setImmediateFn = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
/** A macrotask turn: setImmediate where it exists (Node), setTimeout(0) in browsers. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => (setImmediateFn ? setImmediateFn(r) : setTimeout(r, 0)));
}

function modelShape(G: tf.LayersModel) {
  const [, h, w, c] = G.outputs[0]!.shape as number[];
  return { nz: G.inputs[0]!.shape[1] as number, h: h!, w: w!, c: c! };
}

/**
 * Search the latent codes that complete images at the model's size (`blend` is not used here).
 * @param images [N, H, W, C] in [0,1], H×W×C equal to the generator's output.
 * @param masks  one mask for all images or one per image, H×W, 1 = known.
 */
export async function latentSearch(
  model: InpaintModel,
  images: ImageBatch,
  masks: Mask | Mask[],
  options: Partial<InpaintOptions> = {},
  cb: InpaintCallbacks = {},
  initZ?: InitZ,
): Promise<SearchResult> {
  const { o, start } = resolveFor(model, options, initZ);
  const { generator: G, critic: D } = model;
  const { nz, h, w, c } = modelShape(G);
  if (images.height !== h || images.width !== w)
    throw new UserError(`image is ${images.width}×${images.height}, the model completes ${w}×${h} images`);
  if (images.channels !== c) throw new UserError(`image has ${images.channels} channel(s), the model has ${c}`);
  const N = images.n,
    K = o.restarts,
    B = N * K,
    s = imageSize(images);
  const ms = masksFor(images, masks);

  // Per-pixel weights W⊙M (0 on unknown pixels already) and targets y in [-1,1], repeated for each
  // restart: [B, h, w, 1] and [B, h, w, c].
  const { W: Wt, Y } = contextTargets(images, ms, o.window, o.contextFloor, K);
  // The same K starting points for every image, from the seed alone (see the module comment).
  const rng = new Rng(o.seed);
  const z0 = new Float32Array(K * nz);
  for (let j = 0; j < z0.length; j++) z0[j] = rng.uniform(-1, 1);
  const zInit = new Float32Array(B * nz);
  for (let i = 0; i < N; i++) zInit.set(z0, i * K * nz);
  const from =
    start === 'random' ? undefined : (initZ ?? ((im: ImageBatch, m: Mask[]) => encode(model.encoder!, im, m)));
  const zStart = typeof from === 'function' ? await from(images, ms) : from;
  if (zStart) {
    if (zStart.length !== N * nz)
      throw new UserError(`inpaint: initZ has ${zStart.length} values, expected ${N} images × nz ${nz}`);
    for (let i = 0; i < N; i++) {
      for (let k = 0; k < K; k++) {
        const a = k === 0 ? 0 : o.initMix;
        for (let j = 0; j < nz; j++) {
          const e = Math.min(1, Math.max(-1, zStart[i * nz + j]!)),
            at = (i * K + k) * nz + j;
          zInit[at] = (1 - a) * e + a * zInit[at]!;
        }
      }
    }
  }
  const zT = tf.tensor2d(zInit, [B, nz]);
  const z = tf.variable(zT, true);
  zT.dispose(); // the variable holds its own reference to the data
  // One fused kernel per step where the backend has it (native), TF.js's ≈ 16 elementwise ops and
  // their scalar uploads otherwise; bit-identical either way (src/backends/fused_adam.ts).
  const opt = new FusedAdam(o.lr, 0.9, 0.999, 1e-8);

  /** Per-sample [B] contextual and prior losses. */
  const losses = (zz: tf.Tensor2D, withPrior = o.lambda > 0) => {
    const g = G.apply(zz, { training: false }) as tf.Tensor4D;
    // With λ = 0 the prior is not needed for the search; it is still measured at the end for reports.
    return { g, ...contextAndPrior(g, Wt, Y, D, withPrior) };
  };

  const history: SearchResult['history'] = [];
  const errors: (string | null)[] = Array.from({ length: N }, () => null);
  let live = N;
  let ctxArr: Float32Array<ArrayBufferLike> = new Float32Array(B);
  let priorArr: Float32Array<ArrayBufferLike> = new Float32Array(B);
  const best = () => {
    const idx = new Int32Array(N);
    for (let i = 0; i < N; i++) {
      let bk = 0,
        bv = Infinity;
      for (let k = 0; k < K; k++) {
        const t = ctxArr[i * K + k]! + o.lambda * priorArr[i * K + k]!;
        if (t < bv) {
          bv = t;
          bk = k;
        }
      }
      idx[i] = bk;
    }
    return idx;
  };
  /** Stop every image with a non-finite loss in one of its restarts (`iter` = the iteration measured). */
  const checkFinite = (iter: number) => {
    for (let i = 0; i < N; i++) {
      if (errors[i]) continue;
      for (let k = 0; k < K; k++) {
        const c = ctxArr[i * K + k]!,
          p = priorArr[i * K + k]!,
          t = c + o.lambda * p;
        if (Number.isFinite(t)) continue;
        const what = Number.isNaN(t) ? 'NaN' : 'infinite';
        errors[i] =
          `the search's loss became ${what} at iteration ${iter} (restart ${k}: contextual ${c}, prior ${p}, λ ${o.lambda}, lr ${o.lr}); the model's weights or these options are out of range`;
        live--;
        break;
      }
    }
  };
  /**
   * G(z) of each image's best restart: gathered on the device, so only N of the N·K images are read
   * back, and read asynchronously (a GPU backend's page stays responsive while the device finishes).
   */
  const gatherBest = async (g: tf.Tensor4D, idx: Int32Array): Promise<ImageBatch> => {
    const rows = Int32Array.from(idx, (k, i) => i * K + k);
    const picked = K === 1 ? g : tf.tidy(() => tf.gather(g, tf.tensor1d(rows, 'int32')));
    const src = (await picked.data()) as Float32Array;
    if (picked !== g) picked.dispose();
    const out = new Float32Array(N * s);
    for (let j = 0; j < out.length; j++) out[j] = (src[j]! + 1) / 2;
    return { data: out, n: N, height: h, width: w, channels: c };
  };
  // The progress counts the refinement's iterations after the search's: one bar for the whole job.
  const total = o.iters + (o.refine === 'z' ? 0 : o.refineIters);
  const record = async (iter: number, g: tf.Tensor4D | null, raw?: ImageBatch) => {
    const idx = best();
    let mc = 0,
      mp = 0;
    for (let i = 0; i < N; i++)
      if (!errors[i]) {
        mc += ctxArr[i * K + idx[i]!]!;
        mp += priorArr[i * K + idx[i]!]!;
      }
    const p: InpaintProgress = { iter, iters: total, contextual: mc / live, prior: mp / live };
    history.push({ iter, contextual: p.contextual, prior: p.prior });
    if (g && o.progressEvery > 0 && (iter % o.progressEvery === 0 || iter === o.iters))
      p.raw = await gatherBest(g, idx);
    else if (raw && o.progressEvery > 0) p.raw = raw;
    cb.onProgress?.(p);
  };

  try {
    for (let it = 0; it < o.iters && live > 0; it++) {
      if (cb.signal?.aborted) throw new UserError('inpainting aborted');
      const snap = o.progressEvery > 0 && it % o.progressEvery === 0;
      // Losses are read (a device sync) only every readEvery iterations and at snapshots, which need them to pick the best restart.
      const read = snap || it % o.readEvery === 0;
      let cT: tf.Tensor | undefined, pT: tf.Tensor | undefined;
      let gKept: tf.Tensor4D | undefined;
      // Disposed whatever happens in the step (a throwing minimize or progress callback included).
      try {
        tf.tidy(() => {
          // The summed loss makes each z's gradient depend on its own image only.
          opt.minimize(
            () => {
              const { g, ctx, prior } = losses(z);
              cT = tf.keep(ctx);
              pT = tf.keep(prior);
              if (snap) gKept = tf.keep(g);
              return tf.sum(tf.add(ctx, tf.mul(prior, o.lambda))) as tf.Scalar;
            },
            false,
            [z],
          );
          z.assign(tf.clipByValue(z, -1, 1));
        });
        if (read) {
          [ctxArr, priorArr] = (await Promise.all([cT!.data(), pT!.data()])) as [Float32Array, Float32Array];
          checkFinite(it);
          if (live > 0) await record(it, gKept ?? null);
        }
      } finally {
        tf.dispose([cT, pT, gKept].filter((t): t is tf.Tensor => !!t));
      }
      // Yield so the browser stays responsive and progress can be streamed. Node's setTimeout(0)
      // waits ≥ 1 ms (10 ms per 100 iterations); setImmediate yields to the event loop at once.
      if (it % 10 === 9) await yieldToEventLoop();
    }
    // Final losses and images at the last z.
    const [gFinal, ctxF, priorF] = tf.tidy(() => {
      const { g, ctx, prior } = losses(z, true);
      return [g, ctx, prior] as const;
    });
    [ctxArr, priorArr] = (await Promise.all([ctxF.data(), priorF.data()])) as [Float32Array, Float32Array];
    tf.dispose([ctxF, priorF]);
    checkFinite(o.iters);
    const idx = best();
    const raw = await gatherBest(gFinal, idx);
    gFinal.dispose();
    if (live > 0) await record(o.iters, null, raw);
    const zAll = await z.data();
    const zBest = new Float32Array(N * nz);
    for (let i = 0; i < N; i++) zBest.set(zAll.subarray((i * K + idx[i]!) * nz, (i * K + idx[i]! + 1) * nz), i * nz);
    const losses_: ImageLosses[] = Array.from({ length: N }, (_, i) => {
      const j = i * K + idx[i]!;
      return {
        contextual: ctxArr[j]!,
        prior: priorArr[j]!,
        total: ctxArr[j]! + o.lambda * priorArr[j]!,
        restart: idx[i]!,
      };
    });
    if (o.refine === 'z' || live === 0) return { raw, z: zBest, losses: losses_, history, errors, start };
    // Refinement beyond z (refine.ts), from each image's kept ẑ; images whose search failed keep their error.
    const d = REFINE_DEFAULTS[o.refine];
    const r = await refineFill(
      G,
      D,
      images,
      ms,
      zBest,
      { ...o, refineLr: o.refineLr ?? d.lr, refineDeviation: o.refineDeviation ?? d.deviation },
      {
        signal: cb.signal,
        // Previews on the search's schedule, counted over the whole job.
        wantPreview: (it) => o.progressEvery > 0 && ((o.iters + it) % o.progressEvery === 0 || it === o.refineIters),
        onProgress: (p) => {
          const iter = o.iters + p.iter;
          history.push({ iter, contextual: p.contextual, prior: p.prior });
          cb.onProgress?.({
            iter,
            iters: total,
            contextual: p.contextual,
            prior: p.prior,
            ...(p.raw ? { raw: p.raw } : {}),
          });
        },
      },
    );
    const refinedLosses = losses_.map((l, i) =>
      errors[i]
        ? l
        : {
            ...l,
            contextual: r.losses[i]!.contextual,
            prior: r.losses[i]!.prior,
            total: r.losses[i]!.contextual + o.lambda * r.losses[i]!.prior,
          },
    );
    return {
      raw: r.raw,
      z: zBest,
      losses: refinedLosses,
      history,
      errors,
      start,
      refined: { drift: r.drift, errors: r.errors },
    };
  } finally {
    tf.dispose([Wt, Y, z]);
    opt.dispose();
  }
}
