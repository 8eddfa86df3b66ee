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
import { saveOptimizer, loadOptimizer } from '../train/optimizer_state.js';
import { RunDir } from '../train/run_dir.js';
import { MANIFEST_FILE, readManifestJson } from '../train/manifest.js';
import { fileDigests, inspectCheckpoint, type CheckpointLayout } from '../train/verify.js';
import { loadGanCheckpoint, type Checkpoint, type LoadGanCheckpointOptions } from '../train/checkpoint.js';
import { disposeModel } from '../models/index.js';
import { UserError } from '../util/errors.js';
import { VERSION } from '../version.js';
import type { InpaintModel } from '../inpaint/search.js';
import { INIT_DEFAULTS, type InitKind, type Start } from '../inpaint/options.js';
import { chooseInit } from './init.js';
import {
  ENCODER_FORMAT,
  ENCODER_KIND,
  checkEncoderFor,
  parseEncoderManifest,
  type EncoderManifest,
} from './manifest.js';

export const ENCODER_SUBDIR = 'encoder';
const MANIFEST = MANIFEST_FILE;

export interface LoadedEncoder {
  encoder: tf.LayersModel;
  manifest: EncoderManifest;
  dir: string;
}

export interface SaveEncoderArgs {
  encoder: tf.LayersModel;
  opt?: tf.Optimizer;
  manifest: Omit<EncoderManifest, 'format' | 'kind' | 'library' | 'tfjs' | 'createdAt' | 'files'>;
}

/** Write an encoder folder atomically (an existing folder of that name is replaced). */
export async function saveEncoder(dir: string, a: SaveEncoderArgs): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    await saveLayersModel(a.encoder, tmp);
    if (a.opt) await saveOptimizer(a.opt, path.join(tmp, 'optimizer'));
    // The digests of everything written so far (not manifest.json itself): checked on load and resume.
    const m: EncoderManifest = {
      format: ENCODER_FORMAT,
      kind: ENCODER_KIND,
      library: VERSION,
      tfjs: tf.version.tfjs,
      createdAt: new Date().toISOString(),
      ...a.manifest,
      files: fileDigests(tmp),
    };
    fs.writeFileSync(path.join(tmp, MANIFEST), `${JSON.stringify(m, null, 2)}\n`);
  });
}

/** Where an encoder folder keeps its network and Adam state (train/verify.ts checks it by this). */
export const ENCODER_LAYOUT: CheckpointLayout = {
  manifest: (d) => readEncoderManifest(d),
  nets: [''],
  optimizers: ['optimizer'],
};

/** A UserError when an encoder folder fails its check (sizes, digests, finite weights). */
function checkedEncoderDir(dir: string): void {
  const p = inspectCheckpoint(dir, ENCODER_LAYOUT, { optimizer: false }).problem;
  if (p) throw new UserError(`encoder '${dir}' is damaged: ${p}`);
}

function isEncoderDir(d: string): boolean {
  if (!fs.existsSync(path.join(d, MANIFEST))) return false;
  try {
    return (readManifestJson(d) as Record<string, unknown> | null)?.kind === ENCODER_KIND;
  } catch {
    return false;
  }
}

/** Read and validate DIR/manifest.json of an encoder folder (through the one manifest reader, train/manifest.ts). */
export function readEncoderManifest(dir: string): EncoderManifest {
  const f = path.join(dir, MANIFEST);
  let raw: unknown;
  try {
    raw = readManifestJson(dir);
  } catch (e) {
    throw new UserError(`cannot read '${f}': ${(e as Error).message}`);
  }
  return parseEncoderManifest(raw, f);
}

/**
 * The encoder folder a name refers to: an encoder folder itself, a folder holding one in encoder/
 * (a model folder, or a finished train-encoder run), or a train-encoder run folder's newest checkpoint.
 */
export function resolveEncoderDir(ref: string): string {
  if (isEncoderDir(ref)) return ref;
  const sub = path.join(ref, ENCODER_SUBDIR);
  if (isEncoderDir(sub)) return sub;
  const last = new RunDir(ref).checkpoints().filter(isEncoderDir).at(-1);
  if (last) return last;
  if (!fs.existsSync(ref)) throw new UserError(`encoder folder '${ref}' does not exist`);
  if (fs.existsSync(path.join(ref, MANIFEST))) readEncoderManifest(ref); // throws: names what the manifest is instead
  throw new UserError(
    `'${ref}' holds no encoder (no manifest.json of kind "${ENCODER_KIND}", no ${ENCODER_SUBDIR}/, no checkpoints/)`,
  );
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
  checkedEncoderDir(dir);
  await checkEncoderFor(manifest, generator, dir, modelName);
  const encoder = await loadLayersModel(dir, 'encoder');
  return { encoder, manifest, dir };
}

/** Load an encoder folder without checking it against a generator (training resumes check it themselves). */
export async function loadEncoderUnchecked(dir: string): Promise<LoadedEncoder> {
  const manifest = readEncoderManifest(dir);
  checkedEncoderDir(dir);
  return { encoder: await loadLayersModel(dir, 'encoder'), manifest, dir };
}

/** Restore the Adam state of a run checkpoint (a finished encoder/ folder has none: nothing to restore). */
export async function loadEncoderOptimizer(dir: string, opt: tf.Optimizer): Promise<void> {
  if (fs.existsSync(path.join(dir, 'optimizer.json'))) await loadOptimizer(opt, path.join(dir, 'optimizer'));
}

export interface AttachedEncoder {
  /** The checkpoint with `encoder` set when the search will start from one. */
  model: InpaintModel & { dir: string };
  start: Start;
  /** Where the encoder came from, or null. */
  encoderDir: string | null;
  /** One line saying which start is used and why. */
  notice: string;
}

/**
 * Decide where the search starts for a loaded model and load its encoder: `--encoder REF` when given,
 * else MODEL/encoder/. `init` random never loads one; encoder without one is a UserError naming where
 * it looked; an encoder trained for another generator is refused (UserError) — except that `auto`
 * with the model's own MODEL/encoder/ falls back to random starts with a notice that says why (a
 * retrained generator keeps working until its encoder is retrained, docs/ENCODER.md).
 */
export async function attachEncoder<C extends InpaintModel & { dir: string }>(
  ck: C,
  init: InitKind,
  encoderRef: string | undefined,
  modelName: string,
): Promise<AttachedEncoder & { model: C }> {
  const lookedIn = encoderRef ?? path.join(ck.dir, ENCODER_SUBDIR);
  const dir = init === 'random' ? null : encoderRef ? resolveEncoderDir(encoderRef) : modelEncoderDir(ck.dir);
  const choice = chooseInit(init, dir, lookedIn, modelName);
  if (choice.use === 'random')
    return { model: { ...ck, encoder: null }, start: 'random', encoderDir: null, notice: choice.notice };
  try {
    const enc = await loadEncoder(dir!, ck.generator, modelName);
    return { model: { ...ck, encoder: enc.encoder }, start: 'encoder', encoderDir: enc.dir, notice: choice.notice };
  } catch (e) {
    if (!(e instanceof UserError) || init !== 'auto' || encoderRef) throw e;
    return {
      model: { ...ck, encoder: null },
      start: 'random',
      encoderDir: null,
      notice: `start: random z (${INIT_DEFAULTS.random.iters} iterations × ${INIT_DEFAULTS.random.restarts} restarts by default); the model's encoder is not used: ${e.message}`,
    };
  }
}

export interface LoadCheckpointOptions extends LoadGanCheckpointOptions {
  /**
   * The model's encoder, attached as `inpaint` attaches it (attachEncoder, init auto): true = MODEL/encoder/
   * when it holds one trained for this generator (else random starts, with a notice saying why); a
   * folder = that encoder (refused unless trained for this generator); false = none. [true]
   */
  encoder?: boolean | string;
}

/**
 * Load a checkpoint (generator, critic, manifest) from a checkpoint folder, a run folder or a shipped
 * model name, with its encoder attached as the CLI does (`{ encoder: false }` leaves it out), so
 * `inpaint(await loadCheckpoint('fashion-mnist'), …)` searches as `wgan-inpaint inpaint` does: from
 * the encoder's z, 100 iterations × 1 restart by default. A function as the second argument is
 * `onNotice` (also told where the search will start). Optimizer state is loaded separately by
 * `loadOptimizers` (only training needs it). Here, above train/, so that training's loader
 * (loadGanCheckpoint) need not know about encoders.
 */
export async function loadCheckpoint(
  ref: string,
  opts: LoadCheckpointOptions | ((msg: string) => void) = {},
): Promise<Checkpoint> {
  const o: LoadCheckpointOptions = typeof opts === 'function' ? { onNotice: opts } : opts;
  const ck = await loadGanCheckpoint(ref, o);
  if (o.encoder === false) return ck;
  try {
    const a = await attachEncoder(ck, 'auto', typeof o.encoder === 'string' ? o.encoder : undefined, ref);
    o.onNotice?.(a.notice);
    return { ...ck, encoder: a.model.encoder ?? null, encoderDir: a.encoderDir };
  } catch (e) {
    disposeModel(ck);
    throw e;
  }
}

/**
 * Install an encoder as a model's own: check it against the model's generator (refused otherwise),
 * then copy its manifest and network (no optimizer state) to MODEL_DIR/encoder/ atomically, replacing
 * the one there. `ref` is an encoder folder or a train-encoder run. Returns the installed folder.
 */
export async function installEncoder(
  ref: string,
  model: { dir: string; generator: tf.LayersModel },
  modelName: string,
): Promise<string> {
  const src = resolveEncoderDir(ref);
  checkedEncoderDir(src);
  await checkEncoderFor(readEncoderManifest(src), model.generator, src, modelName);
  const dest = path.join(model.dir, ENCODER_SUBDIR);
  const files = ['manifest.json', 'model.json', ...listWeightFiles(src)];
  await writeDirAtomic(dest, (tmp) => {
    for (const f of files) fs.copyFileSync(path.join(src, f), path.join(tmp, f));
  });
  return dest;
}

/** The weight files a folder's model.json names. */
function listWeightFiles(dir: string): string[] {
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
    weightsManifest?: { paths: string[] }[];
  };
  return (m.weightsManifest ?? []).flatMap((g) => g.paths);
}
