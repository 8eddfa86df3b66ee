/**
 * Training recipes: named sets of config values, chosen with `--preset NAME` (config key `preset`).
 * A preset fills only the keys the user did not give; the resolved config saved in config.json holds
 * the concrete values, so a run never depends on a preset's later edits. Platform-neutral.
 *
 * How each was chosen — FD-classifier against compute on Fashion-MNIST, same seed — is in
 * docs/TRAINING.md.
 */
import type { LossKind, OptimizerKind } from '../losses/index.js';
import { defineRegistry, type KindOf } from '../util/registry.js';

/**
 * The config keys a preset may fill. Named here, not taken from config.ts's schema, because the
 * schema's `preset` enum is built from this registry; config.ts's resolveConfig assigns these to its
 * input type, so a key or value the schema does not take fails to compile there.
 */
export interface PresetValues {
  loss?: LossKind;
  optimizer?: OptimizerKind;
  lr?: number;
  dLr?: number;
  beta1?: number;
  beta2?: number;
  nCritic?: number;
  clip?: number;
  gpLambda?: number;
  gpEvery?: number;
  batch?: number;
}

export interface Preset {
  readonly kind: string;
  readonly description: string;
  readonly values: Readonly<PresetValues>;
}

export const PRESETS = defineRegistry('preset', [
  {
    kind: 'paper',
    description:
      "the loss papers' own settings (WGAN-GP: Adam 1e-4 β (0.5, 0.9), n_critic 5, penalty on every critic step)",
    values: {},
  },
  {
    kind: 'fast',
    description:
      'WGAN-GP with the two time-scale rule (n_critic 2, critic lr 3e-4, generator lr 1e-4) and a lazy penalty (every 4th critic step, weighted 4·λ): 0.29× the compute of an iteration of paper, and a lower FD-classifier at equal compute (docs/TRAINING.md)',
    values: { loss: 'wgan-gp', nCritic: 2, lr: 1e-4, dLr: 3e-4, gpEvery: 4 },
  },
] as const satisfies readonly Preset[]);
/** 'paper' | 'fast'. */
export type PresetKind = KindOf<typeof PRESETS>;

export const PRESET_KINDS = PRESETS.kinds as readonly [PresetKind, ...PresetKind[]];
