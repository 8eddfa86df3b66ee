/**
 * Refinement after the latent search: the z search can only reach fills inside G's range, and a 32-px
 * generator cannot represent every image, so the search trades context fit for artifacts. Refinement
 * goes one step beyond z, per image, starting from what G made of ẑ (platform-neutral):
 *
 *   features   optimise the activations h of a hidden block of G (Multi-code GAN prior, Gu et al. 2020;
 *              intermediate-layer optimisation, Daras et al. 2021): G = G_back ∘ G_front, h₀ = G_front(ẑ),
 *              minimise L_c(G_back(h)) + λ·L_p(G_back(h)) + β·‖h − h₀‖² over h ≥ 0 (h is a ReLU output).
 *   generator  adapt the weights θ of G_back's transposed convolutions per image (Deep Generative Prior,
 *              Pan et al. 2020), from the shared θ₀: minimise L_c + λ·L_p + β·‖θ − θ₀‖² over θ, h₀ fixed.
 *              One kernel copy per image, batched: each adapted (4×4, stride-2) transposed convolution
 *              runs as its four output phases, four batched matmuls with per-image matrices
 *              (convTPerImage), so the batch costs one pass.
 *   modulation the same layers, adapted in a restricted, batched form: per image, scales s (input
 *              channels) and t (output channels) and a bias shift δ, θ_i = diag(t_i)·θ₀·diag(s_i) + δ_i
 *              (as StyleGAN modulates its kernels); one convolution for the whole batch; the penalty
 *              β·(‖s − 1‖² + ‖t − 1‖² + ‖δ‖²).
 *   z          no refinement (the search alone).
 *
 * `depth` says where G is split, counted in blocks from the output: 1 = the last hidden block (nearest
 * the output: h is the input of the output convolution, generator mode adapts only that one), up to
 * the number of up-sampling stages (nearest z: h is the 4×4 base features).
 *
 * The shared model never changes: G's layers are applied to tensors (inference mode) and the adapted
 * kernels are per-image variables, disposed at the end. Every image's loss depends only on its own h
 * or θ (losses summed over the batch; BN in inference mode; per-image matmuls), so an image refines
 * the same alone as inside a batch. A non-finite loss stops that image's refinement only: it keeps its
 * unrefined fill, and `errors[i]` says why.
 */
import * as tf from '@tensorflow/tfjs';
import { FusedAdam } from '../backends/fused_adam.js';
import type { ImageBatch, Mask } from '../types.js';
import { imageSize } from '../types.js';
import { contextAndPrior, contextTargets } from './context.js';
import { UserError } from '../util/errors.js';

export const REFINE_KINDS = ['z', 'features', 'generator', 'modulation'] as const;
export type RefineKind = (typeof REFINE_KINDS)[number];

export interface RefineOptions {
  refine: RefineKind;
  refineIters: number;
  /** Adam learning rate on h or θ. */
  refineLr: number;
  /** Blocks from the output where G is split (1 = nearest the output). */
  refineDepth: number;
  /** β: weight of the squared distance from the unrefined h₀ or θ₀ (a sum over elements). */
  refineDeviation: number;
  /**
   * γ: weight of the critic-feature matching term, per image Σ_l mean |φ_l(M⊙G) − φ_l(M⊙y)| over the
   * critic's hidden activations φ_l (Deep Generative Prior's discriminator loss on the known pixels);
   * 0 leaves it out.
   */
  refineFeatures: number;
  lambda: number;
  window: number;
  contextFloor: number;
}

export interface RefineResult {
  /** The refined G output, [N, h, w, c] in [0, 1]. */
  raw: ImageBatch;
  /** Per image, the contextual and prior losses of the refined fill (the unrefined one's where it failed). */
  losses: { contextual: number; prior: number }[];
  /** Per image: the deviation ‖h − h₀‖² or ‖θ − θ₀‖² at the end (0 where it failed). */
  drift: number[];
  /** Per image: null, or why its refinement stopped (it then keeps its unrefined fill). */
  errors: (string | null)[];
}

/**
 * Where the refinement stands, every 10 of its iterations and at its end: `iter` counts its own
 * iterations (1 … refineIters), the losses are means over the images still refining (the values
 * before that iteration's update), and `raw` — only when asked for with `wantPreview(iter)` — is
 * the current fill, [N, h, w, c] in [0, 1] (an image whose refinement failed shows its unrefined fill).
 */
export interface RefineProgress {
  iter: number;
  contextual: number;
  prior: number;
  raw?: ImageBatch;
}

export interface RefineCallbacks {
  signal?: AbortSignal | undefined;
  onProgress?: (p: RefineProgress) => void;
  /** Whether the progress after refinement iteration `iter` should carry a preview. */
  wantPreview?: (iter: number) => boolean;
}

/** How many hidden blocks a DCGAN generator has (its ReLU outputs): the largest `depth` it can be split at. */
export function generatorBlocks(G: tf.LayersModel): number {
  return G.layers.filter((l) => l.getClassName() === 'ReLU').length;
}

/** The generator's layers split at `depth` blocks from the output (DCGAN: … ReLU | convT, BN, ReLU … convT, tanh). */
export function splitGenerator(
  G: tf.LayersModel,
  depth: number,
): { front: tf.layers.Layer[]; back: tf.layers.Layer[] } {
  const layers = G.layers;
  // Block boundaries: the ReLU outputs (one per up-sampling stage but the last, plus the base block's).
  const relus = layers.flatMap((l, i) => (l.getClassName() === 'ReLU' ? [i] : []));
  if (relus.length === 0)
    throw new UserError('refine: the generator has no ReLU blocks to split at (not a DCGAN generator)');
  if (!(Number.isInteger(depth) && depth >= 1 && depth <= relus.length)) {
    throw new UserError(
      `refine: depth must be an integer in [1, ${relus.length}] for this generator (its hidden blocks), got ${depth}`,
    );
  }
  const cut = relus[relus.length - depth]! + 1;
  return { front: layers.slice(0, cut), back: layers.slice(cut) };
}

const applyLayers = (layers: tf.layers.Layer[], x: tf.Tensor): tf.Tensor =>
  layers.reduce((t, l) => l.apply(t, { training: false }) as tf.Tensor, x);

/** The critic's hidden activations of x (each leaky-ReLU block's output), in order: [N, h_l, w_l, c_l] each. */
export function criticFeatures(D: tf.LayersModel, x: tf.Tensor): tf.Tensor[] {
  const feats: tf.Tensor[] = [];
  let t = x;
  for (const l of D.layers) {
    if (l.getClassName() === 'InputLayer') continue;
    t = l.apply(t, { training: false }) as tf.Tensor;
    if (/LeakyReLU/i.test(l.getClassName())) feats.push(t);
  }
  if (feats.length === 0) throw new UserError('refine: the critic has no leaky-ReLU blocks to match features at');
  return feats;
}

/** A transposed-convolution layer's output for input x with the given kernel (and bias), as the layer computes it. */
function convT(layer: tf.layers.Layer, x: tf.Tensor4D, kernel: tf.Tensor4D, bias?: tf.Tensor1D): tf.Tensor4D {
  const cfg = layer.getConfig() as { strides: number | number[]; padding: 'same' | 'valid'; filters: number };
  const s = Array.isArray(cfg.strides)
    ? (cfg.strides as [number, number])
    : ([cfg.strides, cfg.strides] as [number, number]);
  const [n, h, w] = x.shape;
  const [kh, kw] = kernel.shape;
  const outH = cfg.padding === 'same' ? h * s[0] : (h - 1) * s[0] + kh;
  const outW = cfg.padding === 'same' ? w * s[1] : (w - 1) * s[1] + kw;
  const y = tf.conv2dTranspose(x, kernel, [n, outH, outW, cfg.filters], s, cfg.padding);
  return bias ? tf.add(y, bias) : y;
}

/**
 * A stride-2, 4×4, 'same' transposed convolution (every up-sampling layer of our DCGAN generators) is
 * four 2×2 convolutions, one per output phase (Shi et al.'s sub-pixel view): output row 2m + a reads
 * input rows m + d with kernel row k for the (k, d) pairs below (the same for columns). TF.js pads
 * 'same' by 1 on top/left here: conv2d(2H → H) pads (H − 1)·2 + 4 − 2H = 2 in total.
 */
const PHASE_TAPS: readonly (readonly (readonly [k: number, d: number])[])[] = [
  [
    [1, 0],
    [3, -1],
  ], // a = 0
  [
    [0, 1],
    [2, 0],
  ], // a = 1
];
/** The (kernel row, kernel column, row shift, column shift) taps of phase (a, b), in one fixed order. */
const phaseTaps = (a: number, b: number) =>
  PHASE_TAPS[a]!.flatMap(([ki, di]) => PHASE_TAPS[b]!.map(([kj, dj]) => [ki, kj, di, dj] as const));

/** Whether a layer is a transposed convolution the sub-pixel form computes (4×4, stride 2, 'same'). */
function isSubpixel(layer: tf.layers.Layer): boolean {
  if (layer.getClassName() !== 'Conv2DTranspose') return false;
  const cfg = layer.getConfig() as { strides: number | number[]; kernelSize: number | number[]; padding: string };
  const two = (v: number | number[]) => (Array.isArray(v) ? v : [v, v]);
  const [s0, s1] = two(cfg.strides),
    [k0, k1] = two(cfg.kernelSize);
  return s0 === 2 && s1 === 2 && k0 === 4 && k1 === 4 && cfg.padding === 'same';
}

/**
 * A [4, 4, Cout, Cin] transposed-convolution kernel as its four phase matrices [4·Cin, Cout]
 * (phase 2a + b; rows in phaseTaps' order, Cin fastest).
 */
export function phaseMatrices(kernel: tf.Tensor4D): tf.Tensor2D[] {
  return [0, 1].flatMap((a) =>
    [0, 1].map(
      (b) =>
        tf.concat(
          phaseTaps(a, b).map(([ki, kj]) =>
            tf.transpose(
              tf.reshape(tf.slice(kernel, [ki, kj, 0, 0], [1, 1, -1, -1]), kernel.shape.slice(2) as [number, number]),
            ),
          ),
          0,
        ) as tf.Tensor2D,
    ),
  );
}

/**
 * The sub-pixel transposed convolution with one kernel per image: x [N, H, W, Cin], `phases` four
 * [N, 4·Cin, Cout] (phaseMatrices per image), `bias` [N, 1, 1, Cout] → [N, 2H, 2W, Cout]. Four batched
 * matmuls, so a batch costs one pass whatever N, and each image's product is its own.
 */
export function convTPerImage(x: tf.Tensor4D, phases: tf.Tensor3D[], bias?: tf.Tensor4D): tf.Tensor4D {
  const [n, H, W, cin] = x.shape;
  const xp = tf.pad(x, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  const views = new Map<string, tf.Tensor4D>();
  const view = (di: number, dj: number) => {
    const key = `${di},${dj}`;
    if (!views.has(key)) views.set(key, tf.slice(xp, [0, 1 + di, 1 + dj, 0], [n, H, W, cin]));
    return views.get(key)!;
  };
  const cout = phases[0]!.shape[2];
  const phase = (a: number, b: number) => {
    const cols = tf.reshape(
      tf.concat(
        phaseTaps(a, b).map(([, , di, dj]) => view(di, dj)),
        3,
      ),
      [n, H * W, 4 * cin],
    );
    return tf.reshape(tf.matMul(cols, phases[2 * a + b]!), [n, H, W, cout]);
  };
  // [N, H, 2(a), W, 2(b), C] → [N, 2H, 2W, C]: output (2m + a, 2q + b) is phase (a, b) at (m, q).
  const rows = [0, 1].map((a) => tf.stack([phase(a, 0), phase(a, 1)], 3));
  const y = tf.reshape(tf.stack(rows, 2), [n, 2 * H, 2 * W, cout]) as tf.Tensor4D;
  return bias ? tf.add(y, bias) : y;
}

/**
 * Refine fills found by the z search. `z` is ẑ, [N·nz]; `images` [N, h, w, c] in [0, 1] at the model's
 * size; `masks` one per image (1 = known).
 */
export async function refineFill(
  G: tf.LayersModel,
  D: tf.LayersModel,
  images: ImageBatch,
  masks: Mask[],
  z: Float32Array,
  o: RefineOptions,
  cb: RefineCallbacks = {},
): Promise<RefineResult> {
  const { signal } = cb;
  if (o.refine === 'z') throw new Error('refineFill: nothing to refine for refine z');
  const N = images.n,
    { height: h, width: w, channels: c } = images;
  const nz = G.inputs[0]!.shape[1] as number;
  if (z.length !== N * nz) throw new Error(`refineFill: z has ${z.length} values, expected ${N}·${nz}`);
  const { front, back } = splitGenerator(G, o.refineDepth);
  const s = imageSize(images);
  const { W: Wt, Y } = contextTargets(images, masks, o.window, o.contextFloor);
  // Critic-feature matching: the known pixels M ⊙ y (hole at 0, mid-grey in [-1, 1]) and their features, once.
  const M =
    o.refineFeatures > 0
      ? tf.tidy(() => {
          const m = new Float32Array(N * h * w);
          for (let i = 0; i < N; i++) m.set(masks[i]!.data, i * h * w);
          return tf.tensor4d(m, [N, h, w, 1]);
        })
      : null;
  const yFeats = M ? tf.tidy(() => criticFeatures(D, tf.mul(Y, M))) : [];
  const h0 = tf.tidy(() => applyLayers(front, tf.tensor2d(z, [N, nz]))) as tf.Tensor4D;
  const adapted =
    o.refine === 'generator' || o.refine === 'modulation'
      ? back.filter((l) => l.getClassName() === 'Conv2DTranspose')
      : [];
  // modulation: the shared weights θ₀ of each adapted layer (copies: the model's own never take part).
  const theta0 = o.refine === 'modulation' ? adapted.map((l) => l.getWeights().map((t) => t.clone())) : [];
  // generator: per adapted layer, its kernel as four phase matrices [N, 4·Cin, Cout] (one copy per image,
  // from the shared θ₀) and its bias [N, 1, 1, Cout]; θ₀'s own forms ([1, …]) for the deviation.
  if (o.refine === 'generator') {
    const other = adapted.find((l) => !isSubpixel(l));
    if (other)
      throw new UserError(
        `refine generator: layer ${other.name} is not a 4×4, stride-2, 'same' transposed convolution (the form it adapts per image)`,
      );
  }
  const gen0 =
    o.refine !== 'generator'
      ? []
      : adapted.map((l) =>
          tf.tidy(() => {
            const [k, b] = l.getWeights() as [tf.Tensor4D, tf.Tensor1D | undefined];
            return {
              phases: phaseMatrices(k).map((m) => tf.expandDims(m, 0) as tf.Tensor3D),
              bias: b ? (tf.reshape(b, [1, 1, 1, -1]) as tf.Tensor4D) : undefined,
            };
          }),
        );
  // tidy frees the tiled initial values; the variables hold their own copies.
  const gen = gen0.map((g) =>
    tf.tidy(() => ({
      phases: g.phases.map((m) => tf.variable(tf.tile(m, [N, 1, 1]), true)),
      bias: g.bias ? tf.variable(tf.tile(g.bias, [N, 1, 1, 1]), true) : undefined,
    })),
  );
  const hVar = o.refine === 'features' ? tf.variable(h0, true) : null;
  // modulation: per adapted layer, [N,1,1,Cin] input scales, [N,1,1,Cout] output scales and [N,1,1,Cout] bias shifts.
  const mods =
    o.refine !== 'modulation'
      ? []
      : adapted.map((l) => {
          const [, , cout, cin] = l.getWeights()[0]!.shape as [number, number, number, number];
          // tidy frees the initial values; the variables hold their own copies.
          return tf.tidy(() => ({
            s: tf.variable(tf.ones([N, 1, 1, cin]), true),
            t: tf.variable(tf.ones([N, 1, 1, cout]), true),
            b: tf.variable(tf.zeros([N, 1, 1, cout]), true),
          }));
        });
  const vars: tf.Variable[] = hVar
    ? [hVar]
    : mods.length
      ? mods.flatMap((m) => [m.s, m.t, m.b])
      : gen.flatMap((g) => [...g.phases, ...(g.bias ? [g.bias] : [])]);
  // One fused kernel per variable and step where the backend has it (bit-identical to tf.train.adam).
  const opt = new FusedAdam(o.refineLr, 0.9, 0.999, 1e-8);

  /** G_back of every image: the shared layers, with each image's scales or its own kernels where adapted. */
  const forward = (): tf.Tensor4D => {
    if (hVar) return applyLayers(back, hVar) as tf.Tensor4D;
    // One batched pass either way: modulation scales the shared kernel's inputs and outputs per image;
    // generator mode multiplies by each image's own phase matrices.
    let x: tf.Tensor = h0;
    for (const l of back) {
      const k = adapted.indexOf(l);
      if (k < 0) x = l.apply(x, { training: false }) as tf.Tensor;
      else if (mods.length) {
        const m = mods[k]!,
          w = theta0[k]!;
        x = tf.add(
          tf.mul(convT(l, tf.mul(x, m.s) as tf.Tensor4D, w[0] as tf.Tensor4D, w[1] as tf.Tensor1D | undefined), m.t),
          m.b,
        );
      } else
        x = convTPerImage(x as tf.Tensor4D, gen[k]!.phases as tf.Tensor3D[], gen[k]!.bias as tf.Tensor4D | undefined);
    }
    return x as tf.Tensor4D;
  };
  /** Per-image [N] deviation from the unrefined h₀ / θ₀. */
  const deviation = (): tf.Tensor1D => {
    if (hVar) return tf.sum(tf.square(tf.sub(hVar, h0)), [1, 2, 3]);
    if (mods.length)
      return tf.addN(
        mods.flatMap((m) => [
          tf.sum(tf.square(tf.sub(m.s, 1)), [1, 2, 3]),
          tf.sum(tf.square(tf.sub(m.t, 1)), [1, 2, 3]),
          tf.sum(tf.square(m.b), [1, 2, 3]),
        ]),
      ) as tf.Tensor1D;
    return tf.addN(
      gen.flatMap((g, k) => [
        ...g.phases.map((v, j) => tf.sum(tf.square(tf.sub(v, gen0[k]!.phases[j]!)), [1, 2])),
        ...(g.bias ? [tf.sum(tf.square(tf.sub(g.bias, gen0[k]!.bias!)), [1, 2, 3])] : []),
      ]),
    ) as tf.Tensor1D;
  };
  /** Per-image [N] critic-feature distance of the fills g on the known pixels; only called when γ > 0 (M set). */
  const featureLoss = (g: tf.Tensor4D, M: tf.Tensor4D): tf.Tensor1D =>
    tf.addN(
      criticFeatures(D, tf.mul(g, M)).map((f, l) => tf.mean(tf.abs(tf.sub(f, yFeats[l]!)), [1, 2, 3])),
    ) as tf.Tensor1D;
  const losses = () => {
    const g = forward();
    return { g, ...contextAndPrior(g, Wt, Y, D) };
  };

  const errors: (string | null)[] = Array.from({ length: N }, () => null);
  try {
    // Unrefined fills and losses: what an image keeps when its refinement fails.
    const start = tf.tidy(() => {
      const { g, ctx, prior } = losses();
      return [g, ctx, prior] as const;
    });
    const [g0, c0, p0] = (await Promise.all(start.map((t) => t.data()))) as [Float32Array, Float32Array, Float32Array];
    tf.dispose([...start]);
    /** [N, h, w, c] in [0, 1] from G's [-1, 1] output; an image whose refinement failed shows `g0`. */
    const toRaw = (g: Float32Array): ImageBatch => {
      const raw = new Float32Array(N * s);
      for (let i = 0; i < N; i++) {
        const src = errors[i] ? g0 : g;
        for (let j = 0; j < s; j++) raw[i * s + j] = (src[i * s + j]! + 1) / 2;
      }
      return { data: raw, n: N, height: h, width: w, channels: c };
    };
    for (let it = 0; it < o.refineIters; it++) {
      if (signal?.aborted) throw new UserError('inpainting aborted');
      // Losses (and the fill, for a preview) are read back every 10 iterations and at the last.
      const check = it % 10 === 9 || it === o.refineIters - 1;
      const preview = check && !!cb.onProgress && (cb.wantPreview?.(it + 1) ?? false);
      // Kept out of the tidy (tf.keep): the per-image losses [N] and, for a preview, the fill.
      const kept: { tot?: tf.Tensor; ctx?: tf.Tensor; prior?: tf.Tensor; g?: tf.Tensor } = {};
      // Disposed whatever happens in the step (a throwing minimize or progress callback included).
      try {
        tf.tidy(() => {
          opt.minimize(
            () => {
              const { g, ctx, prior } = losses();
              if (preview) kept.g = tf.keep(g);
              kept.ctx = tf.keep(ctx);
              kept.prior = tf.keep(prior);
              // The critic-feature term costs a critic pass: only when γ > 0.
              const terms = [ctx, tf.mul(prior, o.lambda), tf.mul(deviation(), o.refineDeviation)];
              if (M) terms.push(tf.mul(featureLoss(g, M), o.refineFeatures));
              const tot = tf.keep(tf.addN(terms));
              kept.tot = tot;
              return tf.sum(tot) as tf.Scalar;
            },
            false,
            vars,
          );
          // h is a ReLU output: keep it one.
          if (hVar) hVar.assign(tf.relu(hVar));
        });
        // A non-finite loss stops that image (its gradient is its own; the others go on).
        if (check) {
          const [tot, ctx, prior] = (await Promise.all([kept.tot!.data(), kept.ctx!.data(), kept.prior!.data()])) as [
            Float32Array,
            Float32Array,
            Float32Array,
          ];
          for (let i = 0; i < N; i++)
            if (!errors[i] && !Number.isFinite(tot[i]!))
              errors[i] =
                `refinement's loss became ${Number.isNaN(tot[i]!) ? 'NaN' : 'infinite'} by iteration ${it}; the unrefined fill is kept`;
          if (cb.onProgress) {
            let mc = 0,
              mp = 0,
              live = 0;
            for (let i = 0; i < N; i++)
              if (!errors[i]) {
                mc += ctx[i]!;
                mp += prior[i]!;
                live++;
              }
            const p: RefineProgress = {
              iter: it + 1,
              contextual: mc / Math.max(1, live),
              prior: mp / Math.max(1, live),
            };
            if (kept.g) p.raw = toRaw((await kept.g.data()) as Float32Array);
            cb.onProgress(p);
          }
          await new Promise((r) => setTimeout(r, 0));
        }
      } finally {
        tf.dispose(Object.values(kept));
      }
    }
    const end = tf.tidy(() => {
      const { g, ctx, prior } = losses();
      return [g, ctx, prior, deviation()] as const;
    });
    const [g1, c1, p1, d1] = (await Promise.all(end.map((t) => t.data()))) as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    tf.dispose([...end]);
    const raw = new Float32Array(N * s);
    const out: RefineResult['losses'] = [];
    const drift: number[] = [];
    for (let i = 0; i < N; i++) {
      if (!errors[i] && !Number.isFinite(c1[i]! + o.lambda * p1[i]!))
        errors[i] = "refinement's final loss is not finite; the unrefined fill is kept";
      const ok = !errors[i];
      const src = ok ? g1 : g0;
      for (let j = 0; j < s; j++) raw[i * s + j] = (src[i * s + j]! + 1) / 2;
      out.push(ok ? { contextual: c1[i]!, prior: p1[i]! } : { contextual: c0[i]!, prior: p0[i]! });
      drift.push(ok ? d1[i]! : 0);
    }
    return { raw: { data: raw, n: N, height: h, width: w, channels: c }, losses: out, drift, errors };
  } finally {
    tf.dispose([
      Wt,
      Y,
      h0,
      ...(M ? [M] : []),
      ...yFeats,
      ...vars,
      ...theta0.flat(),
      ...gen0.flatMap((g) => [...g.phases, ...(g.bias ? [g.bias] : [])]),
    ]);
    opt.dispose();
  }
}
