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
import { saveLayersModel, loadLayersModel } from '../io/tfjs_model.js';
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
export async function saveClassifier(
  dir: string,
  model: tf.LayersModel,
  manifest: Omit<ClassifierManifest, 'format' | 'kind' | 'library' | 'tfjs' | 'createdAt'>,
): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    await saveLayersModel(model, tmp);
    const full: ClassifierManifest = {
      format: CLASSIFIER_FORMAT,
      kind: 'classifier',
      library: VERSION,
      tfjs: tf.version.tfjs,
      createdAt: new Date().toISOString(),
      ...manifest,
    };
    fs.writeFileSync(path.join(tmp, 'manifest.json'), `${JSON.stringify(full, null, 2)}\n`);
  });
}

/** True when `dir` looks like a classifier folder. */
export function isClassifierDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'model.json')) && fs.existsSync(path.join(dir, 'manifest.json'));
}

/** Load a classifier folder; a missing or corrupt folder → UserError. */
export async function loadClassifier(dir: string): Promise<LoadedClassifier> {
  if (!fs.existsSync(dir)) throw new UserError(`classifier folder '${dir}' does not exist`);
  if (!isClassifierDir(dir))
    throw new UserError(
      `'${dir}' is not a classifier folder (no model.json + manifest.json); make one with \`wgan-inpaint classifier train\``,
    );
  let manifest: ClassifierManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as ClassifierManifest;
  } catch (e) {
    throw new UserError(`cannot read classifier '${dir}': ${(e as Error).message}`);
  }
  if (manifest.kind !== 'classifier' || manifest.format !== CLASSIFIER_FORMAT) {
    throw new UserError(
      `'${dir}' holds a ${String(manifest.kind)} of format ${String(manifest.format)}; this version reads classifier format ${CLASSIFIER_FORMAT}`,
    );
  }
  const model = await loadLayersModel(dir, 'classifier');
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
