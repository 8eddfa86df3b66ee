/**
 * An optimizer's state on disk, FILE.json (class, weight specs, Adam's accumulated powers) + FILE.bin
 * (the slot variables): written beside the weights of a GAN checkpoint (checkpoint.ts) and of an
 * encoder checkpoint (encoder/checkpoint.ts), which both import it from here.
 */
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors.js';

/** Write an optimizer's state as FILE.json (specs) + FILE.bin (data); the encoder's training shares it. */
export async function saveOptimizer(opt: tf.Optimizer, file: string): Promise<void> {
  const named = await opt.getWeights();
  const { data, specs } = await tf.io.encodeWeights(named);
  // getWeights() returns the slot variables themselves plus a fresh `iter` scalar: free the latter.
  for (const n of named) if (!(n.tensor instanceof tf.Variable)) n.tensor.dispose();
  fs.writeFileSync(`${file}.bin`, new Uint8Array(data));
  fs.writeFileSync(`${file}.json`, JSON.stringify({ className: opt.getClassName(), specs, ...adamPowers(opt) }));
}

/**
 * Adam's accumulated β1^t, β2^t (float32 products, one multiply per step). TF.js's setWeights
 * recomputes them as pow(β, t + 1), which differs in the last bit for some β (0.999 at t = 2, 5, …;
 * not 0.5 or 0.9), so a resumed run would drift from the uninterrupted one: they are saved as they are.
 */
function adamPowers(opt: tf.Optimizer): { accBeta?: [number, number] } {
  const a = opt as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
  return opt instanceof tf.AdamOptimizer && a.accBeta1 && a.accBeta2
    ? { accBeta: [a.accBeta1.dataSync()[0]!, a.accBeta2.dataSync()[0]!] }
    : {};
}

/** Restore what saveOptimizer wrote (FILE.json + FILE.bin; required, see below). The encoder's training shares it. */
export async function loadOptimizer(opt: tf.Optimizer, file: string): Promise<void> {
  // Required: resuming without it would silently restart the optimizer (no longer an exact resume).
  // checkCheckpoint has already validated both files; this only guards against a race.
  let tensors: tf.NamedTensorMap;
  let specs: { name: string }[];
  let accBeta: [number, number] | undefined;
  try {
    const j = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8')) as {
      specs: tf.io.WeightsManifestEntry[];
      accBeta?: [number, number];
    };
    specs = j.specs;
    accBeta = j.accBeta;
    const buf = fs.readFileSync(`${file}.bin`);
    tensors = tf.io.decodeWeights(
      buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
      specs as tf.io.WeightsManifestEntry[],
    );
  } catch (e) {
    throw new UserError(`cannot load the optimizer state '${file}.json/.bin': ${(e as Error).message.split('\n')[0]}`);
  }
  // Optimizer slots are matched by position (TF.js's Adam/RMSProp index them in the order of the
  // variable list), so the names may differ from the saving process's auto-generated ones.
  await opt.setWeights(specs.map((s: { name: string }) => ({ name: s.name, tensor: tensors[s.name]! })));
  // setWeights makes its own variables (sharing the data) and reads `iter` as a number: free ours.
  tf.dispose(Object.values(tensors));
  const a = opt as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
  if (accBeta && a.accBeta1 && a.accBeta2) {
    tf.tidy(() => {
      a.accBeta1!.assign(tf.scalar(accBeta[0]));
      a.accBeta2!.assign(tf.scalar(accBeta[1]));
    });
  }
}
