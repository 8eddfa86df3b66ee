/**
 * Encoder folders on disk (Node). One layout for a run's checkpoints and for a finished encoder:
 *
 *   DIR/manifest.json              kind "inpainting-encoder", the generator's digest, config, step, states
 *   DIR/model.json, DIR/weights.bin the encoder (TF.js layers model: tf.loadLayersModel('DIR/model.json'))
 *   DIR/optimizer.json + .bin      Adam state (run checkpoints only, for an exact --resume)
 *
 * Where an encoder lives: a model folder (checkpoint or shipped model) MODEL has its encoder in
 * MODEL/encoder/ — `inpaint --init auto` and `eval` look there — and `train-encoder --out RUN`
 * writes RUN/checkpoints/iter-N/ while training and RUN/encoder/ (no optimizer state) at the end,
 * the folder to copy into MODEL/encoder/ or to name with --encoder.
 * Written atomically (temporary sibling + rename), as every checkpoint.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '../models/layers.js';
import { writeDirAtomic } from '../io/atomic.js';
import { saveLayersModel, loadLayersModel } from '../io/tfjs_model.js';
import { listCheckpoints, saveOptimizer, loadOptimizer } from '../train/checkpoint.js';
import { UserError } from '../util/errors.js';
import { VERSION } from '../version.js';
import { ENCODER_FORMAT, ENCODER_KIND, checkEncoderFor, parseEncoderManifest, type EncoderManifest } from './manifest.js';

export const ENCODER_SUBDIR = 'encoder';
const MANIFEST = 'manifest.json';

export interface LoadedEncoder {
  encoder: tf.LayersModel;
  manifest: EncoderManifest;
  dir: string;
}

export interface SaveEncoderArgs {
  encoder: tf.LayersModel;
  opt?: tf.Optimizer;
  manifest: Omit<EncoderManifest, 'format' | 'kind' | 'library' | 'tfjs' | 'createdAt'>;
}

/** Write an encoder folder atomically (an existing folder of that name is replaced). */
export async function saveEncoder(dir: string, a: SaveEncoderArgs): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    await saveLayersModel(a.encoder, tmp);
    if (a.opt) await saveOptimizer(a.opt, path.join(tmp, 'optimizer'));
    const m: EncoderManifest = { format: ENCODER_FORMAT, kind: ENCODER_KIND, library: VERSION, tfjs: tf.version.tfjs, createdAt: new Date().toISOString(), ...a.manifest };
    fs.writeFileSync(path.join(tmp, MANIFEST), JSON.stringify(m, null, 2) + '\n');
  });
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`cannot read '${file}': ${(e as Error).message}`);
  }
}

function isEncoderDir(d: string): boolean {
  const f = path.join(d, MANIFEST);
  if (!fs.existsSync(f)) return false;
  try {
    return (JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, unknown>)['kind'] === ENCODER_KIND;
  } catch {
    return false;
  }
}

/** Read and validate DIR/manifest.json of an encoder folder. */
export function readEncoderManifest(dir: string): EncoderManifest {
  const f = path.join(dir, MANIFEST);
  return parseEncoderManifest(readJson(f), f);
}

/**
 * The encoder folder a name refers to: an encoder folder itself, a folder holding one in encoder/
 * (a model folder, or a finished train-encoder run), or a train-encoder run folder's newest checkpoint.
 */
export function resolveEncoderDir(ref: string): string {
  if (isEncoderDir(ref)) return ref;
  const sub = path.join(ref, ENCODER_SUBDIR);
  if (isEncoderDir(sub)) return sub;
  const last = listCheckpoints(ref).filter(isEncoderDir).at(-1);
  if (last) return last;
  if (!fs.existsSync(ref)) throw new UserError(`encoder folder '${ref}' does not exist`);
  if (fs.existsSync(path.join(ref, MANIFEST))) readEncoderManifest(ref); // throws: names what the manifest is instead
  throw new UserError(`'${ref}' holds no encoder (no manifest.json of kind "${ENCODER_KIND}", no ${ENCODER_SUBDIR}/, no checkpoints/)`);
}

/** MODEL_DIR/encoder when it holds an encoder, else null. */
export function modelEncoderDir(modelDir: string): string | null {
  const d = path.join(modelDir, ENCODER_SUBDIR);
  return isEncoderDir(d) ? d : null;
}

/**
 * Load an encoder for a generator: refused (UserError) when it was trained for another generator.
 * `modelName` names the model in that message.
 */
export async function loadEncoder(ref: string, generator: tf.LayersModel, modelName: string): Promise<LoadedEncoder> {
  const dir = resolveEncoderDir(ref);
  const manifest = readEncoderManifest(dir);
  await checkEncoderFor(manifest, generator, dir, modelName);
  const encoder = await loadLayersModel(dir, 'encoder');
  return { encoder, manifest, dir };
}

/** Load an encoder folder without checking it against a generator (training resumes check it themselves). */
export async function loadEncoderUnchecked(dir: string): Promise<LoadedEncoder> {
  const manifest = readEncoderManifest(dir);
  return { encoder: await loadLayersModel(dir, 'encoder'), manifest, dir };
}

export async function loadEncoderOptimizer(dir: string, opt: tf.Optimizer): Promise<void> {
  await loadOptimizer(opt, path.join(dir, 'optimizer'));
}
