/**
 * Checkpoints: a folder per snapshot, written atomically (temporary sibling + rename), so a kill -9 at
 * any moment leaves only complete checkpoints.
 *
 *   RUN_DIR/checkpoints/iter-000500/
 *     manifest.json          format, versions, step, seed, config, dataset, sampler + RNG state, metrics,
 *                            files: the SHA-256 of every other file (verify.ts; absent in older checkpoints)
 *     generator/model.json   TF.js layers model (topology + weightsManifest) — loads with tf.loadLayersModel
 *     generator/weights.bin
 *     critic/model.json, critic/weights.bin
 *     optimizer/generator.json + .bin, optimizer/critic.json + .bin   (tf.io weight specs + data)
 *
 * A checkpoint folder can be used on its own (copied, shipped in models/, served to the browser).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { GanModels } from '../models/index.js';
import '../models/layers.js';
import { writeDirAtomic, cleanTemporaries } from '../io/atomic.js';
import { saveLayersModel, loadLayersModel } from '../io/tfjs_model.js';
import { MODELS_DIR } from '../io/paths.js';
import { UserError } from '../util/errors.js';
import { CHECKPOINT_FORMAT, VERSION } from '../version.js';
import { checkedManifest, MANIFEST_FILE, type Manifest } from './manifest.js';
import { readManifest } from './manifest.js';
import { inspectCheckpoint, fileDigests, type CheckpointLayout } from './verify.js';
import { RunDir } from './run_dir.js';
import { saveOptimizer, loadOptimizer } from './optimizer_state.js';
import { definedKeys } from '../util/defined.js';

export { saveOptimizer, loadOptimizer };

export type { Manifest } from './manifest.js';
export { readManifest } from './manifest.js';

export interface Checkpoint extends GanModels {
  manifest: Manifest;
  /** Folder the checkpoint was loaded from. */
  dir: string;
  /** The encoder searches start from (encoder/checkpoint.ts loadCheckpoint's `encoder` option), or null. */
  encoder?: tf.LayersModel | null;
  /** Where `encoder` came from, or null. */
  encoderDir?: string | null;
}

export interface SaveArgs extends GanModels {
  gOpt?: tf.Optimizer;
  dOpt?: tf.Optimizer;
  manifest: Omit<Manifest, 'format' | 'library' | 'tfjs' | 'createdAt' | 'files'>;
}

/** Write a checkpoint folder atomically (an existing folder of that name is replaced). */
export async function saveCheckpoint(dir: string, a: SaveArgs): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    await saveLayersModel(a.generator, path.join(tmp, 'generator'));
    await saveLayersModel(a.critic, path.join(tmp, 'critic'));
    if (a.gOpt && a.dOpt) {
      fs.mkdirSync(path.join(tmp, 'optimizer'));
      await saveOptimizer(a.gOpt, path.join(tmp, 'optimizer', 'generator'));
      await saveOptimizer(a.dOpt, path.join(tmp, 'optimizer', 'critic'));
    }
    // The digests of everything written so far (not manifest.json itself): checked on load and resume.
    const manifest: Manifest = {
      format: CHECKPOINT_FORMAT,
      library: VERSION,
      tfjs: tf.version.tfjs,
      createdAt: new Date().toISOString(),
      ...a.manifest,
      files: fileDigests(tmp),
    };
    fs.writeFileSync(path.join(tmp, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
  });
}

export { checkpointName } from './run_dir.js';

/** Complete checkpoints of a run, oldest first (temporary folders of interrupted writes are ignored). */
export function listCheckpoints(runDir: string): string[] {
  return new RunDir(runDir).checkpoints();
}

/**
 * Delete all but the newest `keep` checkpoints and any leftovers of interrupted writes — except the
 * newest good one (`isGood`: passes its full check, digests included) when none of the kept ones is
 * good, so rotation never leaves a run with only damaged checkpoints.
 */
export function pruneCheckpoints(
  runDir: string,
  keep: number,
  isGood: (dir: string) => boolean = (d) => checkCheckpoint(d, { optimizer: true }) === null,
): void {
  const all = listCheckpoints(runDir);
  const cut = Math.max(0, all.length - keep);
  const doomed = all.slice(0, cut);
  // Newest first: usually the checkpoint just written passes and nothing older is read.
  if (doomed.length && !all.slice(cut).reverse().some(isGood)) {
    const spare = [...doomed].reverse().find(isGood);
    if (spare) doomed.splice(doomed.indexOf(spare), 1);
  }
  for (const d of doomed) fs.rmSync(d, { recursive: true, force: true });
  cleanTemporaries(new RunDir(runDir).checkpointsDir);
}

/** Where a GAN checkpoint keeps its networks and optimizer states (verify.ts checks it by this). */
export const GAN_LAYOUT: CheckpointLayout = {
  manifest: checkedManifest,
  nets: ['generator', 'critic'],
  optimizers: ['optimizer/generator', 'optimizer/critic'],
};

/**
 * Check a checkpoint folder fully without loading it (verify.ts): the manifest (JSON, format, step,
 * config), each network's model.json, that its weight files hold exactly the bytes its specs describe,
 * match their SHA-256 digests in the manifest and are finite, and — for a resume — both optimizer
 * states the same way. Returns what is wrong, or null.
 */
export function checkCheckpoint(dir: string, o: { optimizer: boolean }): string | null {
  return inspectCheckpoint(dir, GAN_LAYOUT, o).problem;
}

/**
 * The newest checkpoint of a run folder that passes checkCheckpoint. Each newer damaged one is
 * skipped with a notice naming what is wrong; none intact → UserError listing every problem. Null
 * when the run has no checkpoint folder at all.
 */
export function newestIntactCheckpoint(
  runDir: string,
  o: { optimizer: boolean; onNotice?: (msg: string) => void },
): string | null {
  return newestGoodCheckpoint(runDir, GAN_LAYOUT, o)?.dir ?? null;
}

/**
 * newestIntactCheckpoint for any kind of checkpoint (its layout): the folder and whether its content
 * was verified against recorded digests (false: an older checkpoint without them).
 */
export function newestGoodCheckpoint(
  runDir: string,
  layout: CheckpointLayout,
  o: { optimizer: boolean; onNotice?: (msg: string) => void },
): { dir: string; verified: boolean } | null {
  const run = new RunDir(runDir);
  // Every checkpoint folder, also those whose manifest.json is gone (checkpoints() hides them).
  const all = run.checkpointFolders().reverse();
  if (!all.length) return null;
  const problems: string[] = [];
  for (const dir of all) {
    const name = path.basename(dir);
    const r = inspectCheckpoint(dir, layout, o);
    if (r.problem === null) {
      for (const q of problems) o.onNotice?.(`checkpoint ${q}; using ${name} instead`);
      return { dir, verified: r.verified };
    }
    problems.push(`${name} is damaged (${r.problem})`);
  }
  throw new UserError(`no intact checkpoint in '${run.checkpointsDir}': ${problems.join('; ')}`);
}

/**
 * Resolve what the user named to a checkpoint folder: a checkpoint folder itself, a run folder (its
 * newest intact checkpoint, with a notice for each damaged newer one), or the name of a shipped model
 * (models/NAME).
 */
/** Names of the shipped models (folders of models/ with a manifest), sorted. */
export function listShippedModels(): string[] {
  if (!fs.existsSync(MODELS_DIR)) return [];
  return fs
    .readdirSync(MODELS_DIR)
    .filter((n) => fs.existsSync(path.join(MODELS_DIR, n, MANIFEST_FILE)))
    .sort();
}

export function resolveCheckpointDir(ref: string, onNotice?: (msg: string) => void): string {
  if (fs.existsSync(path.join(ref, MANIFEST_FILE))) return ref;
  if (new RunDir(ref).hasCheckpointsDir()) {
    const last = newestIntactCheckpoint(ref, { optimizer: false, ...definedKeys({ onNotice }) });
    if (!last) throw new UserError(`run folder '${ref}' has no complete checkpoint yet`);
    return last;
  }
  if (!ref.includes('/') && !ref.includes(path.sep)) {
    const shipped = path.join(MODELS_DIR, ref);
    if (fs.existsSync(path.join(shipped, MANIFEST_FILE))) return shipped;
    const names = listShippedModels();
    if (!fs.existsSync(ref))
      throw new UserError(
        `unknown model '${ref}' (shipped models: ${names.join(', ') || 'none'}; or give a run folder or checkpoint folder)`,
      );
  }
  if (!fs.existsSync(ref)) throw new UserError(`model folder '${ref}' does not exist`);
  throw new UserError(
    `'${ref}' is neither a checkpoint folder (with manifest.json) nor a run folder (with checkpoints/)`,
  );
}

export interface LoadGanCheckpointOptions {
  /** Notices, one line each: a damaged newer checkpoint skipped. */
  onNotice?: (msg: string) => void;
}

/**
 * Load a checkpoint's generator, critic and manifest from a checkpoint folder, a run folder or a
 * shipped model name, without an encoder (`encoder: null`): what training, the server's workers and the
 * queue need. The public `loadCheckpoint` (encoder/checkpoint.ts, a layer above) calls this and
 * attaches the model's encoder as the CLI does. A function as the second argument is `onNotice`.
 * Optimizer state is loaded separately by `loadOptimizers` (only training needs it).
 */
export async function loadGanCheckpoint(
  ref: string,
  opts: LoadGanCheckpointOptions | ((msg: string) => void) = {},
): Promise<Checkpoint> {
  const o: LoadGanCheckpointOptions = typeof opts === 'function' ? { onNotice: opts } : opts;
  const dir = resolveCheckpointDir(ref, o.onNotice);
  // A run folder's checkpoint was checked when it was chosen; a folder named directly is checked here.
  if (path.resolve(dir) === path.resolve(ref) || !new RunDir(ref).hasCheckpointsDir()) {
    const p = checkCheckpoint(dir, { optimizer: false });
    if (p) throw new UserError(`checkpoint '${dir}' is damaged: ${p}`);
  }
  const manifest = readManifest(dir);
  const generator = await loadLayersModel(path.join(dir, 'generator'), 'generator');
  let critic: tf.LayersModel;
  try {
    critic = await loadLayersModel(path.join(dir, 'critic'), 'critic');
  } catch (e) {
    generator.dispose();
    throw e;
  }
  return { generator, critic, manifest, dir, encoder: null, encoderDir: null };
}

/** Load both optimizer states of a checkpoint (check it first with checkCheckpoint(dir, {optimizer: true})). */
export async function loadOptimizers(dir: string, gOpt: tf.Optimizer, dOpt: tf.Optimizer): Promise<void> {
  await loadOptimizer(gOpt, path.join(dir, 'optimizer', 'generator'));
  await loadOptimizer(dOpt, path.join(dir, 'optimizer', 'critic'));
}
