/**
 * The one schema of the completion options (zod), shared by the library (`inpaint`, `inpaintImages`,
 * `latentSearch`), the CLI (`inpaint` derives its flags and help from `INPAINT_OPTION_FIELDS`), the
 * server (which adds its own, lower limits on top, src/server/request.ts) and the page. Platform-neutral.
 *
 * Every number has an upper bound, so no option can make a search run for hours, allocate an array
 * past the engine's limits (`--restarts 1e9` was a RangeError) or overflow the loss (`λ = 1e308`
 * turned every loss into NaN). The bounds are far above any useful setting; the defaults are what the
 * experiments chose (docs/LAMBDA.md).
 */
import { z } from 'zod';
import { UserError } from '../util/errors.js';
import { formatZodError } from '../util/zod_error.js';
import { schemaFields, type FieldInfo } from '../util/schema_fields.js';
import { REFINE_KINDS, type RefineKind } from './refine.js';

const int = (lo: number, hi: number) =>
  z
    .number()
    .int({ message: 'must be an integer' })
    .min(lo, { message: `must be ≥ ${lo}` })
    .max(hi, { message: `must be ≤ ${hi}` });
const num = (lo: number, hi: number) =>
  z
    .number()
    .min(lo, { message: `must be ≥ ${lo}` })
    .max(hi, { message: `must be ≤ ${hi}` });

/** Where the search starts (`init`): see `startFor`. */
export const INIT_KINDS = ['auto', 'encoder', 'random'] as const;
export type InitKind = (typeof INIT_KINDS)[number];
/** The start actually used once `auto` is decided. */
export type Start = 'encoder' | 'random';

/**
 * Iterations × restarts when the caller gives none, per start: the encoder's start is already near
 * the answer. docs/ENCODER.md (n = 100 per mask kind): from the encoder, the mean hole PSNR over five
 * mask kinds plateaus by 100 iterations (50: −0.03 dB, 200: +0.02 dB) and a second restart adds
 * nothing beyond noise; random starts keep 1000 × 4 (docs/RESULTS.md).
 */
export const INIT_DEFAULTS: Readonly<Record<Start, Readonly<{ iters: number; restarts: number }>>> = Object.freeze({
  random: Object.freeze({ iters: 1000, restarts: 4 }),
  encoder: Object.freeze({ iters: 100, restarts: 1 }),
});

/**
 * The start for `init` when the model has (or has not) an encoder: `auto` = the encoder when there is
 * one; `encoder` without one is a UserError.
 */
export function startFor(init: InitKind, hasEncoder: boolean): Start {
  if (init === 'random') return 'random';
  if (hasEncoder) return 'encoder';
  if (init === 'encoder')
    throw new UserError(
      `inpaint: init 'encoder' but the model has no encoder (train one with \`wgan-inpaint train-encoder\`; see docs/ENCODER.md)`,
    );
  return 'random';
}

/**
 * Learning rate and deviation weight β of each refinement mode when the caller gives none: h is a ReLU
 * activation (order 1), θ a kernel (weights of order 0.02), so their steps differ by ~50×.
 */
export const REFINE_DEFAULTS: Readonly<Record<Exclude<RefineKind, 'z'>, Readonly<{ lr: number; deviation: number }>>> =
  Object.freeze({
    features: Object.freeze({ lr: 0.01, deviation: 0.1 }),
    generator: Object.freeze({ lr: 0.0005, deviation: 10 }),
    modulation: Object.freeze({ lr: 0.01, deviation: 0.1 }),
  });

/** Upper bounds of the options (inclusive). */
export const INPAINT_BOUNDS = {
  /** Adam iterations; the defaults use 300–1000. */
  iters: 100_000,
  /** Restarts per image; the search batch is images × restarts generator passes, so memory grows with it. */
  restarts: 64,
  /** λ; ≥ 0.3 already hurts (docs/LAMBDA.md). */
  lambda: 1000,
  /** z lives in [−1, 1]^nz: a step larger than 1 only bounces between the clipping walls. */
  lr: 1,
  seed: 2 ** 31 - 1,
  /** Importance-weight window, px (cost is O(H·W) whatever the window). */
  window: 255,
  progressEvery: 100_000,
  readEvery: 100_000,
} as const;

export const InpaintOptionsSchema = z
  .object({
    // The defaults here are the random start's; resolveInpaintOptions puts the encoder's in their place
    // when the search starts from an encoder and the caller gave none (INIT_DEFAULTS).
    iters: int(0, INPAINT_BOUNDS.iters).default(INIT_DEFAULTS.random.iters).describe('Adam iterations on z'),
    restarts: int(1, INPAINT_BOUNDS.restarts)
      .default(INIT_DEFAULTS.random.restarts)
      .describe('restarts per image, the best final loss wins'),
    // Chosen by experiment on Fashion-MNIST (docs/LAMBDA.md): 0.03 and 0.1 tie for best, ≥ 0.3 hurts.
    lambda: num(0, INPAINT_BOUNDS.lambda).default(0.03).describe('weight λ of the prior loss −D(G(z))'),
    lr: num(0, INPAINT_BOUNDS.lr)
      .refine((v) => v > 0, { message: 'must be > 0' })
      .default(0.01)
      .describe('Adam learning rate on z'),
    seed: int(0, INPAINT_BOUNDS.seed).default(0).describe('seed of the restarts’ starting points'),
    window: int(1, INPAINT_BOUNDS.window)
      .refine((v) => v % 2 === 1, { message: 'must be odd' })
      .default(7)
      .describe('importance-weight window, px (odd)'),
    // Chosen on held-out Fashion-MNIST images outside eval's (docs/FLOOR.md): half masks +0.71 dB from
    // the encoder's z, +1.7 from random z; center level from the encoder, +0.8 from random z.
    contextFloor: num(0, 1)
      .default(0.05)
      .describe(
        'least importance weight of a known pixel far from the hole (0: Yeh et al.’s weights, only pixels within the window count)',
      ),
    blend: z.enum(['poisson', 'none']).default('poisson').describe('Poisson-blend the fill into the hole, or paste it'),
    progressEvery: int(0, INPAINT_BOUNDS.progressEvery)
      .default(0)
      .describe('record G(z) of the best restart every N iterations (0 = never)'),
    // On a GPU backend (the page's WebGL/WebGPU) every read of a value waits for the device to finish
    // all queued work, so reading the losses each iteration serialises CPU and GPU. The search itself
    // never needs them (only progress, history and the non-finite check do): z, the result and the
    // final losses are identical for every N (tested).
    readEvery: int(1, INPAINT_BOUNDS.readEvery)
      .default(1)
      .describe(
        'read the losses back from the device every N iterations (progress, history, the NaN check); the result is the same for every N',
      ),
    init: z
      .enum(INIT_KINDS)
      .default('auto')
      .describe(
        'where the search starts: random z, or the z the model’s encoder predicts from the masked image (auto: the encoder when the model has one)',
      ),
    // Chosen by experiment (docs/ENCODER.md): restarts near the encoder's z (0.1) did best of
    // 0.1/0.25/0.5/1 at K = 2, and none beat a single restart by more than noise.
    initMix: num(0, 1)
      .default(0.1)
      .describe('from the encoder’s z: how far restarts k ≥ 1 start toward their random start'),
    // How an image of another size reaches the model (src/inpaint/fit.ts); the server and the page
    // still centre-crop and answer at the model's size, so their bodies do not take this key.
    refine: z
      .enum(REFINE_KINDS)
      .default('z')
      .describe(
        'after the z search: z = none; features = optimise a hidden block’s activations per image, kept near G(ẑ)’s; generator = adapt the transposed convolutions after that block per image; modulation = the same layers, per-image channel scales of the shared kernels, batched (the shared model never changes)',
      ),
    refineIters: int(0, INPAINT_BOUNDS.iters).default(100).describe('Adam iterations of the refinement'),
    refineLr: num(0, INPAINT_BOUNDS.lr)
      .refine((v) => v > 0, { message: 'must be > 0' })
      .optional()
      .describe('Adam learning rate of the refinement'),
    refineDepth: int(1, 8)
      .default(1)
      .describe('where G is split for refinement, in blocks from the output (1 = nearest the output)'),
    refineDeviation: num(0, 1e6)
      .optional()
      .describe('weight β of the squared distance from the unrefined activations or weights'),
    refineFeatures: num(0, 1e6)
      .default(0)
      .describe(
        'weight γ of critic-feature matching on the known pixels during refinement (Deep Generative Prior’s discriminator loss; 0 = off)',
      ),
    fit: z
      .enum(['whole', 'crop'])
      .optional()
      .describe(
        "whole: the image, aspect kept (padded), at the model size; crop: a square with context around each hole region, completed and pasted back into that hole; default: the model's (crop for a model trained with --crop, else whole)",
      ),
  })
  .strict();

/** Fully resolved options. */
export type InpaintOptions = z.output<typeof InpaintOptionsSchema>;

export const DEFAULT_INPAINT: InpaintOptions = Object.freeze(InpaintOptionsSchema.parse({}));

/**
 * Fill in defaults and validate (types, ranges, unknown keys), or throw one UserError line naming the
 * option, e.g. `inpaint: restarts must be ≤ 64, got 1000000000`. Keys given as `undefined` keep their
 * default. `hasEncoder` says whether the model has an encoder: when the search then starts from it
 * (`init` auto or encoder), iterations and restarts not given default to INIT_DEFAULTS.encoder.
 */
export function resolveInpaintOptions(
  o: Partial<InpaintOptions> = {},
  label: (key: string) => string = (k) => k,
  hasEncoder = false,
): InpaintOptions {
  const given: Record<string, unknown> = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const init = given.init;
  if (hasEncoder && init !== 'random' && (INIT_KINDS as readonly unknown[]).includes(init ?? 'auto')) {
    for (const k of ['iters', 'restarts'] as const) if (given[k] === undefined) given[k] = INIT_DEFAULTS.encoder[k];
  }
  const r = InpaintOptionsSchema.safeParse(given);
  if (!r.success)
    throw new UserError(
      `inpaint: ${formatZodError(r.error, { name: (p) => label(p.map(String).join('.')), input: given })}`,
    );
  return r.data;
}

/** What a front end (CLI flags and help, a form) needs to know about one option, read off the schema. */
export type OptionField = FieldInfo<keyof InpaintOptions>;

/** The options in schema order, with bounds, defaults and descriptions. */
export const INPAINT_OPTION_FIELDS: readonly OptionField[] = Object.freeze(
  schemaFields<keyof InpaintOptions>(InpaintOptionsSchema),
);
