/**
 * Where the latent search starts: `random` (seeded z ~ U[−1, 1]^nz per restart, as always) or
 * `encoder` (restart 0 at E(y⊙M, M), the others mixed toward random starts; see search.ts initZ), and
 * `auto` = the encoder when the model has one. Platform-neutral.
 *
 * The iterations and restarts a start needs differ (the encoder's start is already near the answer),
 * so each has its own defaults, chosen from the evaluation in docs/ENCODER.md.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageBatch, Mask } from '../types.js';
import { INIT_DEFAULTS, INIT_KINDS, type InitKind } from '../inpaint/options.js';
import { UserError } from '../util/errors.js';
import { encode } from './model.js';

export { INIT_DEFAULTS, INIT_KINDS, type InitKind };

/** The search's initZ for an encoder: z = E(y⊙M, M) of the (model-size) images. */
export function encoderStart(E: tf.LayersModel): (images: ImageBatch, masks: Mask[]) => Promise<Float32Array> {
  return (images, masks) => encode(E, images, masks);
}

export interface InitChoice {
  use: 'encoder' | 'random';
  /** One line for the user saying which start is used and why (auto), or undefined. */
  notice: string;
}

/**
 * Decide the start. `encoderDir` is where the model's encoder was found (null: none); `lookedIn`
 * says where it was looked for, `modelName` names the model. `--init encoder` without one is an error.
 */
export function chooseInit(init: InitKind, encoderDir: string | null, lookedIn: string, modelName: string): InitChoice {
  if (!(INIT_KINDS as readonly string[]).includes(init))
    throw new UserError(`unknown init '${init}' (valid: ${INIT_KINDS.join(', ')})`);
  const how = (u: 'encoder' | 'random') =>
    `${INIT_DEFAULTS[u].iters} iterations × ${INIT_DEFAULTS[u].restarts} restarts by default`;
  if (init === 'random') return { use: 'random', notice: `start: random z (${how('random')})` };
  if (encoderDir) return { use: 'encoder', notice: `start: the encoder in ${encoderDir} (${how('encoder')})` };
  const train = `train one with \`wgan-inpaint train-encoder --model ${modelName} --out DIR\` and copy DIR/encoder to ${lookedIn} or pass --encoder DIR`;
  if (init === 'encoder')
    throw new UserError(`--init encoder: model '${modelName}' has no encoder (looked in ${lookedIn}); ${train}`);
  return {
    use: 'random',
    notice: `start: random z, model '${modelName}' has no encoder at ${lookedIn} (${how('random')}; ${train})`,
  };
}
