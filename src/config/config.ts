/**
 * The one typed, validated training configuration. Platform-neutral.
 *
 * Defaults live here and nowhere else. Loss-specific hyper-parameters (optimizer, learning rate, betas,
 * n_critic, clip, λ) default to `null` = "take the preset of the chosen loss" (see LOSS_PRESETS) and
 * are filled in by resolveConfig(), so the saved config.json always holds concrete numbers.
 */
import { z } from 'zod';
import { UserError } from '../util/errors.js';

export const SIZES = [28, 32, 64] as const;
export const LOSS_KINDS = ['wgan', 'wgan-gp'] as const;
export const OPTIMIZER_KINDS = ['adam', 'rmsprop'] as const;
export const CRITIC_NORMS = ['auto', 'layer', 'batch', 'none'] as const;
/** Backend kinds (selected in src/backends for Node; the browser uses its own). */
export const BACKEND_NAMES = ['auto', 'native', 'wasm', 'cpu', 'tensorflow'] as const;

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);

export const TrainConfigSchema = z
  .object({
    /** Built-in dataset name (fashion-mnist, mnist, emoji) or an image folder. */
    data: z.string().min(1).default('fashion-mnist'),
    /** Use at most this many training images (0 = all); for quick runs. */
    limit: int(0).default(0),
    /** Square image side in pixels. */
    size: z.union([z.literal(28), z.literal(32), z.literal(64)], { errorMap: () => ({ message: 'must be 28, 32 or 64' }) }).default(32),
    /** 1 = grey, 3 = RGB. */
    channels: z.union([z.literal(1), z.literal(3)], { errorMap: () => ({ message: 'must be 1 or 3' }) }).default(1),
    /** Network family (registry key in src/models). */
    model: z.string().default('dcgan'),
    /** Latent dimension; z ∈ [-1, 1]^nz. */
    nz: int(1, 4096).default(100),
    /** Width (channels of the widest-resolution hidden layer) of G and of the critic. */
    gWidth: int(1, 1024).default(64),
    dWidth: int(1, 1024).default(64),
    /** Critic normalisation; `auto` = layer norm for wgan-gp (batch norm breaks the per-sample penalty), batch norm for wgan. */
    criticNorm: z.enum(CRITIC_NORMS).default('auto'),
    loss: z.enum(LOSS_KINDS).default('wgan-gp'),
    /** Generator iterations (each preceded by n_critic critic steps). */
    iters: int(1).default(5000),
    batch: int(1, 4096).default(64),
    optimizer: z.enum(OPTIMIZER_KINDS).nullable().default(null),
    lr: z.number().positive().nullable().default(null),
    beta1: z.number().min(0).max(1).nullable().default(null),
    beta2: z.number().min(0).max(1).nullable().default(null),
    nCritic: int(1, 1000).nullable().default(null),
    /** WGAN: clip critic weights to ±clip after each critic step. */
    clip: z.number().min(0).nullable().default(null),
    /** WGAN-GP: penalty weight λ. */
    gpLambda: z.number().min(0).nullable().default(null),
    seed: int(0, 2 ** 31 - 1).default(0),
    /** Write a sample grid + refresh the plot every N generator iterations. */
    sampleEvery: int(1).default(100),
    /** Write a checkpoint every N generator iterations (and always at the end). */
    checkpointEvery: int(1).default(500),
    /** How many checkpoints to keep (oldest removed first). */
    keepCheckpoints: int(1).default(2),
    backend: z.enum(BACKEND_NAMES).default('auto'),
    /** Log FD-classifier (Fréchet distance of classifier features, generated vs real test images)
     * every N generator iterations; 0 = off. Needs `classifier`. */
    fdEvery: int(0).default(0),
    /** Classifier folder (from `wgan-inpaint classifier train`) for FD-classifier. */
    classifier: z.string().default(''),
  })
  .strict();

export type TrainConfigInput = z.input<typeof TrainConfigSchema>;
export type TrainConfigParsed = z.output<typeof TrainConfigSchema>;
/** A config with every loss-specific field resolved to a concrete value. */
export type TrainConfig = { [K in keyof TrainConfigParsed]: Exclude<TrainConfigParsed[K], null> } & {
  optimizer: (typeof OPTIMIZER_KINDS)[number];
  criticNorm: Exclude<(typeof CRITIC_NORMS)[number], 'auto'>;
};

/**
 * Hyper-parameters of the two papers: WGAN (Arjovsky et al. 2017, Algorithm 1) and WGAN-GP
 * (Gulrajani et al. 2017, Algorithm 1).
 */
export const LOSS_PRESETS = {
  wgan: { optimizer: 'rmsprop', lr: 5e-5, beta1: 0, beta2: 0, nCritic: 5, clip: 0.01, gpLambda: 0, criticNorm: 'batch' },
  'wgan-gp': { optimizer: 'adam', lr: 1e-4, beta1: 0.5, beta2: 0.9, nCritic: 5, clip: 0, gpLambda: 10, criticNorm: 'layer' },
} as const;

function formatZodError(e: z.ZodError): string {
  return e.issues
    .map((i) => {
      const key = i.path.join('.') || '(config)';
      if (i.code === 'unrecognized_keys') return `unknown option(s) ${i.keys.map((k) => `'${k}'`).join(', ')}`;
      return `${key}: ${i.message}`;
    })
    .join('; ');
}

/** Validate raw input (from CLI flags or a JSON file) and fill in defaults and the loss preset. */
export function resolveConfig(input: unknown): TrainConfig {
  const r = TrainConfigSchema.safeParse(input);
  if (!r.success) throw new UserError(`invalid config: ${formatZodError(r.error)}`);
  const c = r.data;
  if (c.loss === 'wgan-gp' && c.criticNorm === 'batch') {
    // Batch norm mixes the samples of a batch, so ∇ₓD(x̂ᵢ) would no longer be sample i's own gradient.
    throw new UserError('invalid config: criticNorm batch cannot be used with wgan-gp (the gradient penalty is per sample); use layer or none');
  }
  const p = LOSS_PRESETS[c.loss];
  return {
    ...c,
    optimizer: c.optimizer ?? p.optimizer,
    lr: c.lr ?? p.lr,
    beta1: c.beta1 ?? p.beta1,
    beta2: c.beta2 ?? p.beta2,
    nCritic: c.nCritic ?? p.nCritic,
    clip: c.clip ?? p.clip,
    gpLambda: c.gpLambda ?? p.gpLambda,
    criticNorm: c.criticNorm === 'auto' ? p.criticNorm : c.criticNorm,
  };
}

/** The fully-resolved default config for a loss (what a run with no flags would use). */
export function defaultConfig(loss: TrainConfig['loss'] = 'wgan-gp'): TrainConfig {
  return resolveConfig({ loss });
}

/** Multi-line listing of a config, `key: value`, with `[default: …]` beside values that differ. */
export function formatConfig(c: TrainConfig): string {
  const d = defaultConfig(c.loss);
  const w = Math.max(...Object.keys(c).map((k) => k.length));
  return Object.entries(c)
    .map(([k, v]) => {
      const dv = (d as Record<string, unknown>)[k];
      const mark = JSON.stringify(dv) !== JSON.stringify(v) ? `   [default: ${JSON.stringify(dv)}]` : '';
      return `  ${k.padEnd(w)}  ${JSON.stringify(v)}${mark}`;
    })
    .join('\n');
}
