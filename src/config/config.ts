/**
 * The one typed, validated training configuration. Platform-neutral.
 *
 * Defaults live here and nowhere else. Loss-specific hyper-parameters (optimizer, learning rate, betas,
 * n_critic, clip, λ) default to `null` = "take the preset of the chosen loss" (see LOSS_PRESETS), and
 * the widths to `null` = "the model kind's default width" (MODEL_REGISTRY); resolveConfig() fills them
 * in, so the saved config.json always holds concrete numbers.
 */
import { z } from 'zod';
import { UserError } from '../util/errors.js';
import { formatZodError } from '../util/zod_error.js';
import { BACKEND_KINDS } from '../backends/kinds.js';
import { PRESETS, PRESET_KINDS } from './presets.js';
import { LOSSES, LOSS_KINDS, type LossPreset } from '../losses/index.js';
import { BUILTIN_NAMES } from '../data/registry.js';
import { MODEL_REGISTRY } from '../models/index.js';

export const SIZES = [28, 32, 64] as const;
export const OPTIMIZER_KINDS = ['adam', 'rmsprop'] as const;
export const CRITIC_NORMS = ['auto', 'layer', 'batch', 'none'] as const;
/** Backend kinds (selected in src/backends for Node; the browser uses its own). */
export { BACKEND_KINDS as BACKEND_NAMES } from '../backends/kinds.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);

export const TrainConfigSchema = z
  .object({
    data: z
      .string()
      .min(1)
      .default('fashion-mnist')
      .describe(`${BUILTIN_NAMES.join(' | ')} | an image folder (PNG/JPEG/WebP/GIF, recursive)`),
    limit: int(0).default(0).describe('use only N training images (0 = all), for quick runs'),
    size: z
      .union([z.literal(28), z.literal(32), z.literal(64)], { errorMap: () => ({ message: 'must be 28, 32 or 64' }) })
      .default(32)
      .describe('image side in pixels'),
    channels: z
      .union([z.literal(1), z.literal(3)], { errorMap: () => ({ message: 'must be 1 or 3' }) })
      .default(1)
      .describe('1 = grey, 3 = RGB'),
    model: z
      .string()
      .default('dcgan')
      .describe(
        `network family (registry key in src/models): ${MODEL_REGISTRY.kinds.join(' | ')}; mlp = 4 fully connected layers each, as in the WGAN paper's MLP experiment`,
      ),
    nz: int(1, 4096).default(100).describe('latent size; z ∈ [-1, 1]^nz'),
    gWidth: int(1, 4096)
      .nullable()
      .default(null)
      .describe(
        'generator width: dcgan = channels of its widest-resolution hidden layer, mlp = units of each hidden layer',
      ),
    dWidth: int(1, 4096).nullable().default(null).describe('critic width (as --g-width)'),
    criticNorm: z
      .enum(CRITIC_NORMS)
      .default('auto')
      .describe(
        "critic normalisation; auto = the loss's choice (layer for wgan-gp: batch norm breaks the per-sample penalty; batch for wgan)",
      ),
    preset: z
      .enum(PRESET_KINDS)
      .nullable()
      .default(null)
      .describe('a training recipe (src/config/presets.ts; see docs/TRAINING.md): fills the keys not given'),
    loss: z
      .enum(LOSS_KINDS)
      .default('wgan-gp')
      .describe(
        'adversarial loss (registry key in src/losses); gan = the standard GAN, the comparison baseline (its logged estimate is the discriminator loss, not a Wasserstein estimate)',
      ),
    iters: int(1).default(5000).describe('generator iterations (each preceded by n_critic critic steps)'),
    batch: int(1, 4096).default(64).describe('images per step'),
    optimizer: z.enum(OPTIMIZER_KINDS).nullable().default(null).describe('optimizer of G and the critic'),
    lr: z
      .number()
      .positive()
      .finite()
      .nullable()
      .default(null)
      .describe("learning rate (the generator's, and the critic's unless --d-lr)"),
    dLr: z
      .number()
      .positive()
      .finite()
      .nullable()
      .default(null)
      .describe('critic learning rate; a larger one is the two time-scale update rule (TTUR, Heusel et al. 2017)'),
    beta1: z.number().min(0).max(1).nullable().default(null).describe('Adam β1'),
    beta2: z.number().min(0).max(1).nullable().default(null).describe('Adam β2'),
    nCritic: int(1, 1000).nullable().default(null).describe('critic steps per generator step'),
    clip: z
      .number()
      .min(0)
      .nullable()
      .default(null)
      .describe('wgan: clip critic weights to ±clip after each critic step'),
    gpLambda: z.number().min(0).max(1e6).nullable().default(null).describe('wgan-gp: gradient-penalty weight λ'),
    gpEvery: int(1, 64)
      .default(1)
      .describe(
        'wgan-gp: the penalty on every k-th critic step only, weighted k·λ (lazy regularisation, as StyleGAN2 does for R1)',
      ),
    seed: int(0, 2 ** 31 - 1)
      .default(0)
      .describe('seed of weights, data order, z and α'),
    sampleEvery: int(1).default(100).describe('sample grid (fixed z) + plot every N iterations'),
    checkpointEvery: int(1).default(500).describe('checkpoint every N iterations (and always at the end)'),
    keepCheckpoints: int(1).default(2).describe('checkpoints kept (oldest removed first)'),
    backend: z.enum(BACKEND_KINDS).default('auto').describe('compute backend (auto = native → wasm → cpu)'),
    fdEvery: int(0)
      .default(0)
      .describe(
        "log FD-classifier (Fréchet distance of a classifier's features, 1000 samples vs 1000 real test images) every N iterations beside the W estimate; 0 = off",
      ),
    classifier: z
      .string()
      .default('')
      .describe('classifier folder for --fd-every (from `wgan-inpaint classifier train`)'),
    crop: int(0, 4096)
      .default(0)
      .describe(
        'train on random crops: images loaded at S×S (their centre square), each sample a square of side scale·S (--crop-scale) resized to --size, so the model learns the patches of large photos; its inpainting then defaults to --fit crop; 0 = whole images',
      ),
    cropScale: z
      .string()
      .regex(/^(0?\.\d+|1(\.0*)?),(0?\.\d+|1(\.0*)?)$/, { message: "must be 'a,b' with 0 < a ≤ b ≤ 1, e.g. 0.25,0.5" })
      .refine(
        (s) => {
          const [a, b] = s.split(',').map(Number);
          return a! > 0 && a! <= b!;
        },
        { message: "must be 'a,b' with 0 < a ≤ b ≤ 1" },
      )
      .default('0.25,0.5')
      .describe('with --crop: the range of crop sides as a fraction of S, drawn uniformly per sample'),
  })
  .strict();

/** Keys of TrainConfigSchema a resumed run may change (`train --resume`); any other must match the run's config. */
export const RESUMABLE_KEYS = [
  'iters',
  'sampleEvery',
  'checkpointEvery',
  'keepCheckpoints',
  'backend',
  'lr',
  'dLr',
  'fdEvery',
  'classifier',
] as const;

export type TrainConfigInput = z.input<typeof TrainConfigSchema>;
export type TrainConfigParsed = z.output<typeof TrainConfigSchema>;
/** A config with every loss-specific field resolved to a concrete value. */
export type TrainConfig = { [K in Exclude<keyof TrainConfigParsed, 'preset'>]: Exclude<TrainConfigParsed[K], null> } & {
  /** The recipe the run was started with (null = none); its values are already in the other keys. */
  preset: string | null;
  optimizer: (typeof OPTIMIZER_KINDS)[number];
  criticNorm: Exclude<(typeof CRITIC_NORMS)[number], 'auto'>;
};

/** Each loss's own hyper-parameters (its paper's), from the loss registry. */
export const LOSS_PRESETS: Readonly<Record<string, LossPreset & { criticNorm: string }>> = Object.freeze(
  Object.fromEntries(
    LOSSES.kinds.map((k) => [k, { ...LOSSES.get(k).preset, criticNorm: LOSSES.get(k).criticNorms[0] }]),
  ),
);

/** Validate raw input (from CLI flags or a JSON file) and fill in defaults and the loss preset. */
export function resolveConfig(input: unknown): TrainConfig {
  // A preset fills the keys the input leaves out (undefined or null); validated with everything else.
  const given = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  // Typed as the schema's input: a preset key or value the schema does not take fails to compile.
  const preset: Readonly<Partial<TrainConfigInput>> =
    typeof given.preset === 'string' && PRESETS.has(given.preset) ? PRESETS.get(given.preset).values : {};
  const filled = {
    ...preset,
    ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined && v !== null)),
    ...('preset' in given ? { preset: given.preset } : {}),
  };
  const r = TrainConfigSchema.safeParse(input === undefined ? input : filled);
  if (!r.success) throw new UserError(`invalid config: ${formatZodError(r.error, { input: filled })}`);
  const c = r.data;
  const loss = LOSSES.get(c.loss);
  const model = MODEL_REGISTRY.get(c.model);
  if (c.criticNorm !== 'auto' && !(loss.criticNorms as readonly string[]).includes(c.criticNorm)) {
    throw new UserError(
      `invalid config: criticNorm ${c.criticNorm} cannot be used with ${c.loss}${loss.normNote ? ` (${loss.normNote})` : ''}; use ${loss.criticNorms.join(' or ')}`,
    );
  }
  const p = loss.preset;
  const lr = c.lr ?? p.lr;
  return {
    ...c,
    gWidth: c.gWidth ?? model.defaultWidth,
    dWidth: c.dWidth ?? model.defaultWidth,
    optimizer: c.optimizer ?? p.optimizer,
    lr,
    dLr: c.dLr ?? lr,
    beta1: c.beta1 ?? p.beta1,
    beta2: c.beta2 ?? p.beta2,
    nCritic: c.nCritic ?? p.nCritic,
    clip: c.clip ?? p.clip,
    gpLambda: c.gpLambda ?? p.gpLambda,
    criticNorm: c.criticNorm === 'auto' ? loss.criticNorms[0] : c.criticNorm,
  };
}

/** The fully-resolved default config for a loss and model (what a run with no other flags would use). */
export function defaultConfig(loss: TrainConfig['loss'] = 'wgan-gp', model = 'dcgan'): TrainConfig {
  return resolveConfig({ loss, model });
}

/** Multi-line listing of a config, `key: value`, with `[default: …]` beside values that differ. */
export function formatConfig(c: TrainConfig): string {
  const d = defaultConfig(c.loss, c.model);
  const w = Math.max(...Object.keys(c).map((k) => k.length));
  return Object.entries(c)
    .map(([k, v]) => {
      const dv = (d as Record<string, unknown>)[k];
      const mark = JSON.stringify(dv) !== JSON.stringify(v) ? `   [default: ${JSON.stringify(dv)}]` : '';
      return `  ${k.padEnd(w)}  ${JSON.stringify(v)}${mark}`;
    })
    .join('\n');
}
