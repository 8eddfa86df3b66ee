/**
 * Training recipes: named sets of config values, chosen with `--preset NAME` (config key `preset`).
 * A preset fills only the keys the user did not give; the resolved config saved in config.json holds
 * the concrete values, so a run never depends on a preset's later edits. Platform-neutral.
 *
 * How each was chosen — FD-classifier against compute on Fashion-MNIST, same seed — is in
 * docs/TRAINING.md.
 */
import { defineRegistry } from '../util/registry.js';
import type { TrainConfigInput } from './config.js';

export interface Preset {
  readonly kind: string;
  readonly description: string;
  readonly values: Readonly<Partial<TrainConfigInput>>;
}

export const PRESETS = defineRegistry<Preset>('preset', [
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
]);

export const PRESET_KINDS = PRESETS.kinds as readonly [string, ...string[]];
