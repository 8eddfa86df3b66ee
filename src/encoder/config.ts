/**
 * The one typed, validated configuration of an encoder training run (`train-encoder`). Platform-neutral.
 * Defaults live here; the command's flags and help derive from the schema (src/cli/schema_flags.ts).
 *
 * The loss mix (the four weights) was chosen by the experiment in docs/ENCODER.md.
 */
import { z } from 'zod';
import { UserError } from '../util/errors.js';
import { formatZodError } from '../util/zod_error.js';
import { BACKEND_KINDS } from '../backends/kinds.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);
const weight = (d: number, what: string) => z.number().min(0).finite().default(d).describe(what);

export const EncoderConfigSchema = z
  .object({
    model: z
      .string()
      .min(1)
      .describe(
        'the generator to serve: a run folder (newest checkpoint), a checkpoint folder or a shipped model name (required)',
      ),
    data: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe('training images: fashion-mnist | mnist | emoji | an image folder'),
    limit: int(0).default(0).describe('use only N training images (0 = all), for quick runs'),
    iters: int(1).default(3000).describe('training steps'),
    batch: int(1, 4096).default(64).describe('real images per step (and as many generated ones for the latent loss)'),
    lr: z.number().positive().finite().default(5e-4).describe('Adam learning rate'),
    beta1: z.number().min(0).max(1).default(0.9).describe('Adam β1'),
    beta2: z.number().min(0).max(1).default(0.999).describe('Adam β2'),
    width: int(1, 1024).nullable().default(null).describe('channels of the first conv (doubled per stage)'),
    reconWeight: weight(
      1,
      'weight of the whole-image reconstruction loss mean |G(E(y⊙M, M)) − y| (training images are complete)',
    ),
    contextWeight: weight(
      1,
      "weight of the contextual loss: the search's importance-weighted mean |G(E(·)) − y| over known pixels near the hole",
    ),
    holeWeight: weight(
      0,
      'weight of the hole loss: mean |G(E(·)) − y| over the hole pixels alone, a mean per image (what hole PSNR judges)',
    ),
    // 0 by default: at 800 steps it tied on the search's result and cost ≈ 1.5× per step (docs/ENCODER.md).
    latentWeight: weight(0, 'weight of the latent regression on generated images, mean (E(G(z)⊙M, M) − z)²'),
    advWeight: weight(0, 'weight of the adversarial term mean −D(G(E(·))) (the frozen critic)'),
    seed: int(0, 2 ** 31 - 1)
      .default(0)
      .describe('seed of the weights, data order, masks and z'),
    valN: int(1, 4096)
      .default(64)
      .describe(
        'held-out images (test split, fixed masks of every kind) whose encoder-only hole PSNR is logged at each sample step',
      ),
    sampleEvery: int(1)
      .default(100)
      .describe('sample grid (masked | encoder-only fill | truth) + plot + validation every N steps'),
    checkpointEvery: int(1).default(500).describe('checkpoint every N steps (and always at the end)'),
    keepCheckpoints: int(1).default(2).describe('checkpoints kept (oldest removed first)'),
    backend: z.enum(BACKEND_KINDS).default('auto').describe('compute backend (auto = native → wasm → cpu)'),
  })
  .strict();

export type EncoderConfigInput = z.input<typeof EncoderConfigSchema>;
type Parsed = z.output<typeof EncoderConfigSchema>;
/** A resolved config: `width` and `data` filled in from the generator's model. */
export type EncoderConfig = Omit<Parsed, 'width' | 'data'> & { width: number; data: string };

/** Options a resumed run may change; anything else must match the run's config.json. */
export const ENCODER_RESUMABLE_KEYS = [
  'iters',
  'sampleEvery',
  'checkpointEvery',
  'keepCheckpoints',
  'backend',
  'lr',
] as const;

/** Validate raw input and fill the defaults that come from the model (its critic width and data). */
export function resolveEncoderConfig(input: unknown, fromModel: { dWidth: number; data: string }): EncoderConfig {
  const r = EncoderConfigSchema.safeParse(input);
  if (!r.success) throw new UserError(`invalid encoder config: ${formatZodError(r.error)}`);
  const c = r.data;
  if (c.reconWeight + c.contextWeight + c.holeWeight + c.latentWeight + c.advWeight === 0)
    throw new UserError('invalid encoder config: every loss weight is 0');
  return { ...c, width: c.width ?? fromModel.dWidth, data: c.data ?? fromModel.data };
}

/** Multi-line listing `key: value`, with `[default: …]` beside values that differ. */
export function formatEncoderConfig(c: EncoderConfig, fromModel: { dWidth: number; data: string }): string {
  const d = resolveEncoderConfig({ model: c.model }, fromModel) as Record<string, unknown>;
  const w = Math.max(...Object.keys(c).map((k) => k.length));
  return Object.entries(c)
    .map(([k, v]) => {
      const mark =
        k !== 'model' && JSON.stringify(d[k]) !== JSON.stringify(v) ? `   [default: ${JSON.stringify(d[k])}]` : '';
      return `  ${k.padEnd(w)}  ${JSON.stringify(v)}${mark}`;
    })
    .join('\n');
}
