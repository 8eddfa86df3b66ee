/**
 * The evaluation runner: complete the same seeded images with the same seeded masks by every method,
 * and measure. Platform-neutral (no Node imports); the CLI loads data and models, report.ts writes.
 *
 * Methods (a registry keyed by `kind`):
 * - `wgan`           ours: latent search (λ, K restarts) + Poisson blending; metrics on the blended image
 * - `wgan-noblend`   the same search, composite M⊙y + (1−M)⊙G(ẑ), no Poisson blending
 * - `wgan-lambda0`   λ = 0 (contextual loss only, no critic prior), K restarts, Poisson blending
 * - `wgan-1restart`  K = 1, Poisson blending
 * - `wgan-encoder-only`  the encoder's z (src/encoder), no search: G(E(y⊙M, M)) + Poisson blending
 * - `wgan-encoder`   the search started at the encoder's z, with the encoder's iterations and restarts
 * - `wgan-encoder-lambda0`  the same with λ = 0: the prior's ablation on the default path (cheap
 *                    where `wgan-lambda0`'s random-start search is not, e.g. at 64 px)
 * - `wgan-encoder-features`, `-generator`, `-modulation`  the encoder's search, then refined per image
 *                    (src/inpaint/refine.ts); `wgan-encoder-only-generator` refines from the encoder's
 *                    z itself (no search), adapting G's last three layers (docs/SEARCH.md's best setting)
 * - `zero`, `mean`, `nearest`, `telea`   the non-learned baselines of src/baselines
 *
 * Work is shared: methods that differ only in blending reuse one search; each distinct (λ, K,
 * iterations, start) search runs once per mask kind (so `wgan-lambda0` with --lambda 0 costs nothing
 * extra). A method's seconds per image = its search's time (shared searches are charged in full to
 * each method using them, as a user running that method alone would pay) + its own blending / fill
 * time, divided by N.
 *
 * Paired comparisons: every cell but the first method's also holds the per-image differences from
 * the first method listed (the reference) with their standard error and the fraction of images won.
 *
 * Masks: image i of mask kind k gets makeMask(k, H, W, { seed: maskSeed(seed, i) }), so every method
 * sees exactly the same holes, and the same image gets the same hole in every run with that seed.
 */
import { INIT_DEFAULTS } from '../inpaint/options.js';
import * as tf from '@tensorflow/tfjs';
import type { ImageBatch, Mask } from '../types.js';
import { imageAt, stackImages } from '../types.js';
import { latentSearch, type InpaintModel } from '../inpaint/search.js';
import { DEFAULT_INPAINT, resolveInpaintOptions, type InpaintOptions } from '../inpaint/options.js';
import { generatorBlocks, type RefineKind } from '../inpaint/refine.js';
import { finishFill } from '../inpaint/finish.js';
import { applyMask } from '../inpaint/composite.js';
import { getBaseline, type BaselineKind } from '../baselines/index.js';
import { getMetric, meanFinite, PSNR_CAP_DB } from '../metrics/index.js';
import { holeFraction, MASKS, type MaskKindName } from '../masks/masks.js';
import { evalMasks } from '../masks/series.js';
import { accuracyOf, predictClasses } from '../classifier/classifier.js';
import type { ClassAttribute } from '../types.js';
import { attributeAccuracy } from '../metrics/attributes.js';
import { fdClassifier, fdClassifierImages } from '../classifier/fd.js';
import { UserError } from '../util/errors.js';
import { defineRegistry, type KindOf } from '../util/registry.js';
import { definedKeys } from '../util/defined.js';

export interface MethodSpec {
  kind: string;
  /** One line for help texts and reports. */
  description: string;
  /**
   * Latent-search methods: which search (from the run's λ and K, or the encoder's iterations and
   * restarts) and how its result is finished; `init: 'encoder'` starts it at the encoder's z.
   */
  search?: {
    lambda: (l: number) => number;
    restarts: (k: number, o: EvalOptions) => number;
    output: 'blended' | 'composite';
    iters?: (i: number, o: EvalOptions) => number;
    init?: 'encoder';
    /** Refinement after the z search (src/inpaint/refine.ts), with its defaults unless given here. */
    refine?: Exclude<RefineKind, 'z'>;
    refineDepth?: number;
    refineLr?: number;
  };
  /** Baseline methods: the src/baselines kind. */
  baseline?: BaselineKind;
}

/**
 * The search started at the encoder's z with the encoder's iterations and restarts, Poisson-blended:
 * λ is the run's ('run') or 0 (the prior's ablation); `search: false` keeps the encoder's z (no
 * iterations); `refine` (with its depth and learning rate, else their defaults) adds that refinement.
 */
function encoderSearch(o: {
  lambda: 'run' | 0;
  search?: false;
  refine?: Exclude<RefineKind, 'z'>;
  refineDepth?: number;
  refineLr?: number;
}): NonNullable<MethodSpec['search']> {
  return {
    lambda: o.lambda === 0 ? () => 0 : (l) => l,
    restarts: (_k, e) => e.encoderRestarts,
    iters: o.search === false ? () => 0 : (_i, e) => e.encoderIters,
    init: 'encoder',
    output: 'blended',
    ...definedKeys({ refine: o.refine, refineDepth: o.refineDepth, refineLr: o.refineLr }),
  };
}

const SPECS = [
  {
    kind: 'wgan',
    description: 'ours: latent search with the critic prior (λ, K restarts) + Poisson blending',
    search: { lambda: (l) => l, restarts: (k) => k, output: 'blended' },
  },
  {
    kind: 'wgan-noblend',
    description: 'ablation: the same search, composite without Poisson blending',
    search: { lambda: (l) => l, restarts: (k) => k, output: 'composite' },
  },
  {
    kind: 'wgan-lambda0',
    description: 'ablation: λ = 0 (contextual loss only, no prior), Poisson blending',
    search: { lambda: () => 0, restarts: (k) => k, output: 'blended' },
  },
  {
    kind: 'wgan-1restart',
    description: 'ablation: K = 1 restart, Poisson blending',
    search: { lambda: (l) => l, restarts: () => 1, output: 'blended' },
  },
  {
    kind: 'wgan-encoder-only',
    description: "amortised: the encoder's z, no search (one pass of E and G) + Poisson blending",
    search: { lambda: (l) => l, restarts: () => 1, iters: () => 0, init: 'encoder', output: 'blended' },
  },
  {
    kind: 'wgan-encoder',
    description: "the search started at the encoder's z (encoder iterations × restarts) + Poisson blending",
    search: encoderSearch({ lambda: 'run' }),
  },
  {
    kind: 'wgan-encoder-lambda0',
    description: "ablation: the encoder's search with λ = 0 (contextual loss only, no prior) + Poisson blending",
    search: encoderSearch({ lambda: 0 }),
  },
  {
    kind: 'wgan-encoder-features',
    description:
      "the encoder's search, then its G's hidden activations refined per image (refine features) + Poisson blending",
    search: encoderSearch({ lambda: 'run', refine: 'features' }),
  },
  {
    kind: 'wgan-encoder-generator',
    description: "the encoder's search, then G's last layers adapted per image (refine generator) + Poisson blending",
    search: encoderSearch({ lambda: 'run', refine: 'generator' }),
  },
  {
    kind: 'wgan-encoder-only-generator',
    description:
      "the encoder's z, no search, then G's last three transposed convolutions (all of a 28-px G's) adapted per image (refine generator, depth 3, lr 0.001: docs/SEARCH.md's best) + Poisson blending",
    search: encoderSearch({ lambda: 'run', search: false, refine: 'generator', refineDepth: 3, refineLr: 0.001 }),
  },
  {
    kind: 'wgan-encoder-modulation',
    description:
      "the encoder's search, then per-image channel scales of G's last layers (refine modulation, batched) + Poisson blending",
    search: encoderSearch({ lambda: 'run', refine: 'modulation' }),
  },
  { kind: 'zero', description: 'baseline: hole filled with 0', baseline: 'zero' },
  { kind: 'mean', description: 'baseline: hole filled with the mean of the known pixels', baseline: 'mean' },
  { kind: 'nearest', description: 'baseline: nearest known pixel', baseline: 'nearest' },
  {
    kind: 'telea',
    description: "baseline: Telea's fast-marching inpainting (OpenCV's INPAINT_TELEA)",
    baseline: 'telea',
  },
] as const satisfies readonly MethodSpec[];

const REGISTRY = defineRegistry('eval method', SPECS);
/** The eval method kinds ('wgan' | … | 'telea'). */
export type EvalMethodKind = KindOf<typeof REGISTRY>;
export const EVAL_METHODS: Readonly<Record<EvalMethodKind, MethodSpec>> = REGISTRY.byKind;
/** The method kinds, in registry order (as strings, to check a user's kind; REGISTRY.kinds is the typed list). */
export const EVAL_METHOD_KINDS: readonly string[] = REGISTRY.kinds;
/** The methods that need an encoder (EvalInput.encoder). */
export const ENCODER_METHOD_KINDS: readonly string[] = Object.freeze(
  (SPECS as readonly MethodSpec[]).filter((s) => s.search?.init === 'encoder').map((s) => s.kind),
);
export const DEFAULT_EVAL_MASKS: readonly MaskKindName[] = Object.freeze(['center', 'random', 'half', 'pattern']);

/** The method registered as `kind`; UserError listing the valid kinds otherwise. */
export const getEvalMethod = (kind: string): MethodSpec => REGISTRY.get(kind);

/** The per-image metrics, in report order: key in results, metric kind in src/metrics, label. */
export const EVAL_METRICS = [
  { key: 'psnr', metric: 'psnr', label: 'PSNR (dB)', higherIsBetter: true },
  { key: 'ssim', metric: 'ssim', label: 'SSIM', higherIsBetter: true },
  { key: 'holeL1', metric: 'hole-l1', label: 'hole L1', higherIsBetter: false },
  { key: 'holePsnr', metric: 'hole-psnr', label: 'hole PSNR (dB)', higherIsBetter: true },
] as const;
export type MetricKey = (typeof EVAL_METRICS)[number]['key'];

/** Mean and standard error (sd/√n, sd with 1/(n−1)) of per-image values; +∞ capped as meanFinite does. */
export interface Stat {
  mean: number;
  se: number;
}

export interface Cell {
  /** Images measured. */
  n: number;
  psnr: Stat;
  ssim: Stat;
  holeL1: Stat;
  holePsnr: Stat;
  /** Wall-clock seconds per image (search + finishing, see the file comment). */
  secondsPerImage: number;
  /** Classifier accuracy on the completions, in [0, 1]; null without a classifier or labels. */
  accuracy: number | null;
  /** Accuracy per attribute (EvalInput.attributes) on the completions; null without them. */
  attributeAccuracy: Record<string, number> | null;
  /**
   * Images whose hole this method reproduced exactly (hole PSNR +∞, counted as PSNR_CAP_DB in the
   * means). A flat hole filled by `mean` or `nearest` is one: each such image lifts the method's mean
   * hole PSNR by about (PSNR_CAP_DB − mean) / n, so the report names them.
   */
  exact: number;
  /**
   * Realism beside PSNR (a fill can gain hole PSNR by blurring): the critic's mean score D(x) of the
   * completed images ([-1, 1] inputs; higher = more real to this model's critic; the originals' is
   * EvalResult.originalCritic), and the Fréchet distance of the classifier's features between the
   * completed images and the originals (null without a classifier).
   */
  critic: number;
  fdCompleted: number | null;
  /** This method against the run's reference method on the same images; absent on the reference. */
  paired?: Paired;
}

/**
 * A paired comparison with the reference method (the first of EvalOptions.methods): per-image
 * differences this − reference. Every method sees the same images and holes, so the image-to-image
 * spread cancels and the standard error of a difference is far smaller than the two cells' s.e.
 * together would suggest: it is the one that says whether a method beats another.
 */
export interface Paired {
  reference: string;
  /** Hole PSNR difference in dB: mean and standard error over images. */
  holePsnr: Stat;
  /** SSIM difference. */
  ssim: Stat;
  /** Fraction of images whose hole PSNR is above the reference's (ties count one half). */
  better: number;
}

export interface EvalOptions {
  masks: string[];
  methods: string[];
  /** Seed of the masks and of the latent search's starting points. */
  seed: number;
  iters: number;
  restarts: number;
  lambda: number;
  lr: number;
  /** Least importance weight of a known pixel (InpaintOptions.contextFloor), in every search. */
  contextFloor: number;
  /** Images per latent-search call (memory bound: the search holds batch·K generator passes). */
  batch: number;
  /** `wgan-encoder`: iterations and restarts of the encoder-started search. */
  encoderIters: number;
  encoderRestarts: number;
}

export const DEFAULT_EVAL: EvalOptions = {
  masks: [...DEFAULT_EVAL_MASKS],
  // Every method that needs nothing beyond the model (the encoder methods need EvalInput.encoder).
  methods: EVAL_METHOD_KINDS.filter((k) => !ENCODER_METHOD_KINDS.includes(k)),
  // The search settings are the inpainting defaults, so eval measures what users get.
  seed: DEFAULT_INPAINT.seed,
  iters: DEFAULT_INPAINT.iters,
  restarts: DEFAULT_INPAINT.restarts,
  lambda: DEFAULT_INPAINT.lambda,
  lr: DEFAULT_INPAINT.lr,
  contextFloor: DEFAULT_INPAINT.contextFloor,
  batch: 64,
  encoderIters: INIT_DEFAULTS.encoder.iters,
  encoderRestarts: INIT_DEFAULTS.encoder.restarts,
};

export interface EvalInput {
  model: InpaintModel;
  /** The encoder trained for model.generator (src/encoder), for the encoder methods. */
  encoder?: tf.LayersModel;
  /** The N held-out images to complete, NHWC in [0,1], the generator's shape. */
  images: ImageBatch;
  /** Their class ids (for semantic accuracy). */
  labels?: Int32Array;
  /** A classifier of the same image shape (for semantic accuracy and FD-classifier). */
  classifier?: tf.LayersModel;
  /** FD-classifier of the generator: `n` samples (seed) against these real images. */
  fd?: { real: ImageBatch; n: number; seed: number };
  /** Attributes the class ids decompose into (e.g. faces: glasses, facial hair): accuracy per attribute. */
  attributes?: readonly ClassAttribute[];
}

export interface SearchRecord {
  mask: string;
  lambda: number;
  restarts: number;
  iters: number;
  init: 'random' | 'encoder';
  /** The refinement after the z search, when there was one (its depth and learning rate when not the defaults). */
  refine?: Exclude<RefineKind, 'z'>;
  refineDepth?: number;
  refineLr?: number;
  /** Wall-clock seconds of the whole search over the N images. */
  seconds: number;
  /** Mean over images of the kept restart's contextual and prior losses. */
  contextual: number;
  prior: number;
}

export interface EvalResult {
  options: EvalOptions;
  n: number;
  /** cells[mask][method]. */
  cells: Record<string, Record<string, Cell>>;
  /** Mean hole fraction per mask kind. */
  holeFraction: Record<string, number>;
  /** Classifier accuracy on the masked inputs (holes grey) per mask kind, and on the originals. */
  maskedAccuracy: Record<string, number | null>;
  originalAccuracy: number | null;
  /** The same per attribute (EvalInput.attributes), null without them. */
  maskedAttributeAccuracy: Record<string, Record<string, number> | null>;
  originalAttributeAccuracy: Record<string, number> | null;
  /** The critic's mean score of the original images (compare each cell's `critic`). */
  originalCritic: number;
  fdClassifier: { value: number; samples: number; real: number; seed: number } | null;
  searches: SearchRecord[];
  /** The images each method produced, outputs[mask][method], and the masks and masked inputs. */
  outputs: Record<string, Record<string, ImageBatch>>;
  masks: Record<string, Mask[]>;
  masked: Record<string, ImageBatch>;
}

export interface EvalCallbacks {
  /** A line of progress text (search starts, per-iteration progress is throttled by the caller). */
  onLog?: (msg: string) => void;
  /** Latent-search progress: mask kind, search label, images done before this chunk, iteration. */
  onSearchProgress?: (p: {
    mask: string;
    search: string;
    imagesDone: number;
    images: number;
    iter: number;
    iters: number;
  }) => void;
  signal?: AbortSignal;
}

// Shared with the encoder's validation set and tools: the masks in masks/series.ts, the selection
// in data/split.ts.
export { evalMasks, maskSeed } from '../masks/series.js';
export { selectEvalIndices } from '../data/split.js';

/** The critic's mean score over images in [0, 1] (fed in [-1, 1], 64 at a time). */
export function criticMean(critic: tf.LayersModel, images: ImageBatch): number {
  let sum = 0;
  for (let i0 = 0; i0 < images.n; i0 += 64) {
    const n = Math.min(64, images.n - i0),
      s = images.height * images.width * images.channels;
    sum += tf.tidy(() => {
      const x = tf
        .tensor4d(images.data.subarray(i0 * s, (i0 + n) * s), [n, images.height, images.width, images.channels])
        .mul(2)
        .sub(1);
      return (critic.apply(x, { training: false }) as tf.Tensor).sum().dataSync()[0]!;
    });
  }
  return sum / images.n;
}

/** Mean and standard error; +∞ (identical images' PSNR) is capped at PSNR_CAP_DB, NaN skipped. */
export function stat(xs: readonly number[]): Stat {
  const mean = meanFinite(xs);
  const v = xs.filter((x) => !Number.isNaN(x)).map((x) => Math.min(x, PSNR_CAP_DB));
  if (v.length < 2) return { mean, se: NaN };
  let ss = 0;
  for (const x of v) ss += (x - mean) ** 2;
  return { mean, se: Math.sqrt(ss / (v.length - 1) / v.length) };
}

/**
 * Per-image differences a − b as a Stat, and the fraction of images with a > b (ties ½). Both sides
 * are capped at PSNR_CAP_DB first (an exact match counts as 100 dB, as in `stat`); pairs with a NaN
 * on either side are skipped.
 */
export function pairedDiff(a: readonly number[], b: readonly number[]): { diff: Stat; better: number } {
  if (a.length !== b.length) throw new Error(`pairedDiff: ${a.length} vs ${b.length} values`);
  const d: number[] = [];
  let better = 0;
  a.forEach((x, i) => {
    const y = b[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) return;
    const v = Math.min(x, PSNR_CAP_DB) - Math.min(y, PSNR_CAP_DB);
    d.push(v);
    better += v > 0 ? 1 : v === 0 ? 0.5 : 0;
  });
  return { diff: stat(d), better: d.length ? better / d.length : NaN };
}

/** Validate options (kinds, numbers); returns a full EvalOptions. */
export function resolveEvalOptions(o: Partial<EvalOptions> = {}): EvalOptions {
  const r: EvalOptions = {
    ...DEFAULT_EVAL,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
  };
  if (r.masks.length === 0) throw new UserError('eval: no mask kinds given');
  if (r.methods.length === 0) throw new UserError('eval: no methods given');
  for (const k of r.masks) MASKS.get(k);
  for (const k of r.methods) getEvalMethod(k);
  if (new Set(r.masks).size !== r.masks.length)
    throw new UserError(`eval: a mask kind is listed twice (${r.masks.join(',')})`);
  if (new Set(r.methods).size !== r.methods.length)
    throw new UserError(`eval: a method is listed twice (${r.methods.join(',')})`);
  if (!(Number.isInteger(r.seed) && r.seed >= 0))
    throw new UserError(`eval: seed must be an integer ≥ 0, got ${r.seed}`);
  if (!(Number.isInteger(r.batch) && r.batch >= 1))
    throw new UserError(`eval: batch must be an integer ≥ 1, got ${r.batch}`);
  resolveInpaintOptions({
    iters: r.iters,
    restarts: r.restarts,
    lambda: r.lambda,
    lr: r.lr,
    seed: r.seed,
    contextFloor: r.contextFloor,
  });
  resolveInpaintOptions({ iters: r.encoderIters, restarts: r.encoderRestarts });
  return r;
}

/** A planned search: its λ, K, iterations and start. */
export interface PlannedSearch {
  lambda: number;
  restarts: number;
  iters: number;
  init: 'random' | 'encoder';
  refine?: Exclude<RefineKind, 'z'>;
  refineDepth?: number;
  refineLr?: number;
}

/** The distinct searches the chosen methods need, keyed "λ=…,K=…" (+ ",iters=…,init=encoder" for the encoder's). */
export function plannedSearches(
  o: Pick<EvalOptions, 'methods' | 'lambda' | 'restarts'> & Partial<EvalOptions>,
): Map<string, PlannedSearch> {
  const full = { ...DEFAULT_EVAL, ...o } as EvalOptions;
  const out = new Map<string, PlannedSearch>();
  for (const k of o.methods) {
    const s = getEvalMethod(k).search;
    if (!s) continue;
    const p: PlannedSearch = {
      lambda: s.lambda(full.lambda),
      restarts: s.restarts(full.restarts, full),
      iters: s.iters ? s.iters(full.iters, full) : full.iters,
      init: s.init ?? 'random',
    };
    Object.assign(p, definedKeys({ refine: s.refine, refineDepth: s.refineDepth, refineLr: s.refineLr }));
    out.set(searchKey(p, full.iters), p);
  }
  return out;
}

function searchKey(p: PlannedSearch, iters: number): string {
  const refine = p.refine
    ? `,refine=${p.refine}${p.refineDepth ? `,depth=${p.refineDepth}` : ''}${p.refineLr ? `,refineLr=${p.refineLr}` : ''}`
    : '';
  return `λ=${p.lambda},K=${p.restarts}${p.init === 'encoder' || p.iters !== iters ? `,iters=${p.iters},init=${p.init}` : ''}${refine}`;
}

interface SearchOutput {
  raw: ImageBatch;
  composite: ImageBatch;
  blended: ImageBatch;
  searchSeconds: number;
  compositeSeconds: number;
  blendSeconds: number;
  contextual: number;
  prior: number;
}

const now = (): number => performance.now() / 1000;

/**
 * Run one latent search over all images (in chunks), then finish it (finishFill) without and with the
 * Poisson blend, each timed. A search that stops on a non-finite loss fails the evaluation.
 */
async function runSearch(
  model: InpaintModel,
  images: ImageBatch,
  masks: Mask[],
  io: Partial<InpaintOptions>,
  batch: number,
  report: (imagesDone: number, iter: number) => void,
  signal?: AbortSignal,
): Promise<SearchOutput> {
  const raws: ImageBatch[] = [];
  let contextual = 0,
    prior = 0;
  const t0 = now();
  for (let i0 = 0; i0 < images.n; i0 += batch) {
    const n = Math.min(batch, images.n - i0);
    const chunk = stackImages(Array.from({ length: n }, (_, j) => imageAt(images, i0 + j)));
    const r = await latentSearch(
      model,
      chunk,
      masks.slice(i0, i0 + n),
      { ...io, progressEvery: 0 },
      {
        onProgress: (p) => report(i0, p.iter),
        ...definedKeys({ signal }),
      },
    );
    const bad = r.errors.findIndex((e) => e !== null);
    if (bad >= 0) throw new UserError(`eval: image ${i0 + bad}: ${r.errors[bad]}`);
    raws.push(r.raw);
    for (const l of r.losses) {
      contextual += l.contextual;
      prior += l.prior;
    }
  }
  const searchSeconds = now() - t0;
  const raw = stackImages(raws);
  let t = now();
  const comp = finishFill(images, raw, masks, { blend: 'none' }).composite;
  const compositeSeconds = now() - t;
  t = now();
  const blended = finishFill(images, raw, masks, { blend: 'poisson' }).blended;
  const blendSeconds = now() - t;
  return {
    raw,
    composite: comp,
    blended,
    searchSeconds,
    compositeSeconds,
    blendSeconds,
    contextual: contextual / images.n,
    prior: prior / images.n,
  };
}

/**
 * Run every method once, untimed, on one image: the first calls of TF.js kernels (and of V8 on the JS
 * baselines) include one-off set-up that would otherwise be charged to whichever method ran first.
 */
async function warmUp(
  model: InpaintModel,
  images: ImageBatch,
  o: EvalOptions,
  encoder?: tf.LayersModel,
): Promise<void> {
  const one = imageAt(images, 0);
  const mask = evalMasks(o.masks[0]!, 1, images.height, images.width, o.seed);
  if (o.methods.some((k) => getEvalMethod(k).search)) {
    const r = await latentSearch(encoder ? { ...model, encoder } : model, one, mask, {
      iters: 2,
      restarts: 1,
      lambda: o.lambda || 1e-3,
      lr: o.lr,
      seed: o.seed,
      init: encoder ? 'encoder' : 'random',
      contextFloor: o.contextFloor,
    });
    finishFill(one, r.raw, mask, { blend: 'poisson' });
  }
  for (const k of o.methods) {
    const b = getEvalMethod(k).baseline;
    if (b) getBaseline(b).inpaint(one, mask);
  }
}

/** Per-image metrics of `pred` against `target` with the inpainting masks: one value per image. */
export function measurePerImage(pred: ImageBatch, target: ImageBatch, masks: Mask[]): Record<MetricKey, number[]> {
  const out = {} as Record<MetricKey, number[]>;
  for (const m of EVAL_METRICS) out[m.key] = [...getMetric(m.metric).compute(pred, target, masks)];
  return out;
}

/**
 * Evaluate every (mask kind, method) on the given images. Deterministic for a seed except for the
 * timings. Leaves no tensors behind.
 */
export async function evaluate(
  input: EvalInput,
  options: Partial<EvalOptions> = {},
  cb: EvalCallbacks = {},
): Promise<EvalResult> {
  const o = resolveEvalOptions(options);
  const { images, model } = input;
  if (images.n < 1) throw new UserError('eval: no images to evaluate');
  if (input.labels && input.labels.length !== images.n)
    throw new Error(`evaluate: ${input.labels.length} labels for ${images.n} images`);
  const log = cb.onLog ?? (() => {});
  // Semantic accuracy of a batch: the classifier's predicted classes against the labels, overall and
  // per attribute; predicted once per batch.
  const semantic = (b: ImageBatch): { accuracy: number | null; attributes: Record<string, number> | null } => {
    const { classifier, labels, attributes } = input;
    if (!classifier || !labels) return { accuracy: null, attributes: null };
    const p = predictClasses(classifier, b);
    return {
      accuracy: accuracyOf(p, labels),
      attributes: attributes?.length ? attributeAccuracy(p, labels, attributes) : null,
    };
  };

  const searches = plannedSearches(o);
  const needEncoder = o.methods.find((k) => ENCODER_METHOD_KINDS.includes(k));
  if (needEncoder && !input.encoder)
    throw new UserError(
      `eval: method ${needEncoder} needs an encoder for this model (train one with \`wgan-inpaint train-encoder\`)`,
    );
  await warmUp(model, images, o, input.encoder);
  const res: EvalResult = {
    options: o,
    n: images.n,
    cells: {},
    holeFraction: {},
    maskedAccuracy: {},
    originalAccuracy: null,
    maskedAttributeAccuracy: {},
    originalAttributeAccuracy: null,
    fdClassifier: null,
    searches: [],
    outputs: {},
    masks: {},
    masked: {},
    originalCritic: criticMean(model.critic, images),
  };
  const original = semantic(images);
  res.originalAccuracy = original.accuracy;
  res.originalAttributeAccuracy = original.attributes;
  for (const kind of o.masks) {
    const masks = evalMasks(kind, images.n, images.height, images.width, o.seed);
    res.masks[kind] = masks;
    res.holeFraction[kind] = masks.reduce((s, m) => s + holeFraction(m), 0) / masks.length;
    const masked = applyMask(images, masks);
    res.masked[kind] = masked;
    const m = semantic(masked);
    res.maskedAccuracy[kind] = m.accuracy;
    res.maskedAttributeAccuracy[kind] = m.attributes;
    const outputs: Record<string, ImageBatch> = {};
    const seconds: Record<string, number> = {};
    const done = new Map<string, SearchOutput>();
    for (const [key, s] of searches) {
      if (cb.signal?.aborted) throw new UserError('evaluation aborted');
      log(`mask ${kind}: latent search ${key}, ${s.iters} iterations, ${images.n} image(s)`);
      // Random-start searches stay random whatever the model carries; the encoder's start from input.encoder.
      const m = s.init === 'encoder' ? { ...model, encoder: input.encoder! } : { ...model, encoder: null };
      // A method's refinement depth is capped at the generator's blocks (28-px generators have two).
      const refineKeys = definedKeys({
        refine: s.refine,
        refineDepth: s.refineDepth && Math.min(s.refineDepth, generatorBlocks(model.generator)),
        refineLr: s.refineLr,
      });
      const r = await runSearch(
        m,
        images,
        masks,
        {
          iters: s.iters,
          restarts: s.restarts,
          lambda: s.lambda,
          lr: o.lr,
          seed: o.seed,
          init: s.init,
          contextFloor: o.contextFloor,
          ...refineKeys,
        },
        o.batch,
        (imagesDone, iter) =>
          cb.onSearchProgress?.({ mask: kind, search: key, imagesDone, images: images.n, iter, iters: s.iters }),
        cb.signal,
      );
      done.set(key, r);
      res.searches.push({
        mask: kind,
        lambda: s.lambda,
        restarts: s.restarts,
        iters: s.iters,
        init: s.init,
        ...refineKeys,
        seconds: r.searchSeconds,
        contextual: r.contextual,
        prior: r.prior,
      });
    }
    for (const method of o.methods) {
      const spec = getEvalMethod(method);
      if (spec.search) {
        const r = done.get([...plannedSearches({ ...o, methods: [method] }).keys()][0]!)!;
        outputs[method] = spec.search.output === 'blended' ? r.blended : r.composite;
        seconds[method] = r.searchSeconds + (spec.search.output === 'blended' ? r.blendSeconds : r.compositeSeconds);
      } else {
        const t = now();
        outputs[method] = getBaseline(spec.baseline!).inpaint(images, masks);
        seconds[method] = now() - t;
      }
    }
    const cells: Record<string, Cell> = {};
    const per = Object.fromEntries(o.methods.map((m) => [m, measurePerImage(outputs[m]!, images, masks)]));
    const reference = o.methods[0]!;
    for (const method of o.methods) {
      const out = outputs[method]!,
        p = per[method]!;
      const stats = Object.fromEntries(EVAL_METRICS.map((m) => [m.key, stat(p[m.key])])) as Record<MetricKey, Stat>;
      const exact = p.holePsnr.filter((v) => v === Infinity).length;
      const sem = semantic(out);
      cells[method] = {
        n: images.n,
        ...stats,
        secondsPerImage: seconds[method]! / images.n,
        accuracy: sem.accuracy,
        attributeAccuracy: sem.attributes,
        exact,
        critic: criticMean(model.critic, out),
        fdCompleted: input.classifier ? fdClassifierImages(input.classifier, out, images) : null,
      };
      if (method !== reference) {
        const ref = per[reference]!,
          hp = pairedDiff(p.holePsnr, ref.holePsnr);
        cells[method].paired = {
          reference,
          holePsnr: hp.diff,
          ssim: pairedDiff(p.ssim, ref.ssim).diff,
          better: hp.better,
        };
      }
    }
    res.cells[kind] = cells;
    res.outputs[kind] = outputs;
  }
  if (input.fd && input.classifier) {
    const { real, n, seed } = input.fd;
    res.fdClassifier = {
      value: fdClassifier(model.generator, input.classifier, real, n, seed),
      samples: n,
      real: real.n,
      seed,
    };
  }
  return res;
}
