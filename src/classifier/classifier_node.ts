/**
 * Classifier folders on disk (Node only), written atomically (temporary sibling + rename):
 *
 *   DIR/model.json     TF.js layers model (topology + weightsManifest); loads with tf.loadLayersModel
 *   DIR/weights.bin
 *   DIR/manifest.json  kind, versions, dataset, size/channels, class names, test accuracy, command
 *
 * `eval` looks for a classifier in `classifier/` next to the model (see defaultClassifierDirs).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeDirAtomic } from '../io/atomic.js';
import { UserError } from '../util/errors.js';
import { VERSION } from '../version.js';

export const CLASSIFIER_FORMAT = 1;

export interface ClassifierManifest {
  format: number;
  kind: 'classifier';
  library: string;
  tfjs: string;
  createdAt: string;
  /** Dataset it was trained on (built-in name or folder) and the images' shape. */
  data: string;
  size: number;
  channels: number;
  classNames: string[];
  width: number;
  features: number;
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
  trainN: number;
  /** Accuracy on the TEST split (testN images), in [0, 1]. */
  testAccuracy: number;
  testN: number;
  /** Mean cross-entropy of each epoch. */
  epochLosses: number[];
  trainSeconds: number;
  backend: string;
  command?: string;
}

export interface LoadedClassifier {
  model: tf.LayersModel;
  manifest: ClassifierManifest;
  dir: string;
}

/** Save a classifier folder atomically (an existing folder of that name is replaced). */
export async function saveClassifier(dir: string, model: tf.LayersModel, manifest: Omit<ClassifierManifest, 'format' | 'kind' | 'library' | 'tfjs' | 'createdAt'>): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        const modelJson = {
          modelTopology: a.modelTopology,
          format: 'layers-model',
          generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
          convertedBy: `wgan-inpaint ${VERSION}`,
          weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
        };
        fs.writeFileSync(path.join(tmp, 'weights.bin'), new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData!)));
        fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(modelJson));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const full: ClassifierManifest = { format: CLASSIFIER_FORMAT, kind: 'classifier', library: VERSION, tfjs: tf.version.tfjs, createdAt: new Date().toISOString(), ...manifest };
    fs.writeFileSync(path.join(tmp, 'manifest.json'), JSON.stringify(full, null, 2) + '\n');
  });
}

/** True when `dir` looks like a classifier folder. */
export function isClassifierDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'model.json')) && fs.existsSync(path.join(dir, 'manifest.json'));
}

/** Load a classifier folder; a missing or corrupt folder → UserError. */
export async function loadClassifier(dir: string): Promise<LoadedClassifier> {
  if (!fs.existsSync(dir)) throw new UserError(`classifier folder '${dir}' does not exist`);
  if (!isClassifierDir(dir)) throw new UserError(`'${dir}' is not a classifier folder (no model.json + manifest.json); make one with \`wgan-inpaint classifier train\``);
  let manifest: ClassifierManifest;
  let j: { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as ClassifierManifest;
    j = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  } catch (e) {
    throw new UserError(`cannot read classifier '${dir}': ${(e as Error).message}`);
  }
  if (manifest.kind !== 'classifier' || manifest.format !== CLASSIFIER_FORMAT) {
    throw new UserError(`'${dir}' holds a ${String(manifest.kind)} of format ${String(manifest.format)}; this version reads classifier format ${CLASSIFIER_FORMAT}`);
  }
  let model: tf.LayersModel;
  try {
    const specs = j.weightsManifest.flatMap((g) => g.weights);
    const buf = Buffer.concat(j.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p)))));
    const weightData = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: j.modelTopology, weightSpecs: specs, weightData }));
  } catch (e) {
    throw new UserError(`cannot load classifier '${dir}': ${(e as Error).message}`);
  }
  return { model, manifest, dir };
}

/**
 * Where `eval` looks for a classifier when --classifier is not given, most specific first: the
 * checkpoint folder's `classifier/`, then its run folder's (RUN/checkpoints/iter-N → RUN/classifier).
 */
export function defaultClassifierDirs(checkpointDir: string): string[] {
  const dirs = [path.join(checkpointDir, 'classifier')];
  const parent = path.dirname(checkpointDir);
  if (path.basename(parent) === 'checkpoints') dirs.push(path.join(path.dirname(parent), 'classifier'));
  return dirs;
}
