/**
 * Checkpoints: a folder per snapshot, written atomically (temporary sibling + rename), so a kill -9 at
 * any moment leaves only complete checkpoints.
 *
 *   RUN_DIR/checkpoints/iter-000500/
 *     manifest.json          format, versions, step, seed, config, dataset, sampler + RNG state, metrics
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
import type { GanModels } from '../models/dcgan.js';
import '../models/layers.js';
import { writeDirAtomic, cleanTemporaries } from '../io/atomic.js';
import { saveLayersModel, loadLayersModel } from '../io/tfjs_model.js';
import { MODELS_DIR } from '../io/paths.js';
import { UserError } from '../util/errors.js';
import { CHECKPOINT_FORMAT, VERSION } from '../version.js';
import { checkedManifest, MANIFEST_FILE, type Manifest } from './manifest.js';
import { readManifest } from './manifest.js';

export type { Manifest } from './manifest.js';
export { readManifest } from './manifest.js';

export interface Checkpoint extends GanModels {
  manifest: Manifest;
  /** Folder the checkpoint was loaded from. */
  dir: string;
  /** The encoder searches start from (loadCheckpoint's `encoder` option), or null. */
  encoder?: tf.LayersModel | null;
  /** Where `encoder` came from, or null. */
  encoderDir?: string | null;
}

/** Write an optimizer's state as FILE.json (specs) + FILE.bin (data); the encoder's training shares it. */
export async function saveOptimizer(opt: tf.Optimizer, file: string): Promise<void> {
  const named = await opt.getWeights();
  const { data, specs } = await tf.io.encodeWeights(named);
  // getWeights() returns the slot variables themselves plus a fresh `iter` scalar: free the latter.
  for (const n of named) if (!(n.tensor instanceof tf.Variable)) n.tensor.dispose();
  fs.writeFileSync(file + '.bin', new Uint8Array(data));
  fs.writeFileSync(file + '.json', JSON.stringify({ className: opt.getClassName(), specs, ...adamPowers(opt) }));
}

/**
 * Adam's accumulated β1^t, β2^t (float32 products, one multiply per step). TF.js's setWeights
 * recomputes them as pow(β, t + 1), which differs in the last bit for some β (0.999 at t = 2, 5, …;
 * not 0.5 or 0.9), so a resumed run would drift from the uninterrupted one: they are saved as they are.
 */
function adamPowers(opt: tf.Optimizer): { accBeta?: [number, number] } {
  const a = opt as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
  return opt instanceof tf.AdamOptimizer && a.accBeta1 && a.accBeta2 ? { accBeta: [a.accBeta1.dataSync()[0]!, a.accBeta2.dataSync()[0]!] } : {};
}

/** Restore what saveOptimizer wrote (FILE.json + FILE.bin; required, see below). The encoder's training shares it. */
export async function loadOptimizer(opt: tf.Optimizer, file: string): Promise<void> {
  // Required: resuming without it would silently restart the optimizer (no longer an exact resume).
  // checkCheckpoint has already validated both files; this only guards against a race.
  let tensors: tf.NamedTensorMap;
  let specs: { name: string }[];
  let accBeta: [number, number] | undefined;
  try {
    const j = JSON.parse(fs.readFileSync(file + '.json', 'utf8')) as { specs: tf.io.WeightsManifestEntry[]; accBeta?: [number, number] };
    specs = j.specs;
    accBeta = j.accBeta;
    const buf = fs.readFileSync(file + '.bin');
    tensors = tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), specs as tf.io.WeightsManifestEntry[]);
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
    tf.tidy(() => { a.accBeta1!.assign(tf.scalar(accBeta[0])); a.accBeta2!.assign(tf.scalar(accBeta[1])); });
  }
}

export interface SaveArgs extends GanModels {
  gOpt?: tf.Optimizer;
  dOpt?: tf.Optimizer;
  manifest: Omit<Manifest, 'format' | 'library' | 'tfjs' | 'createdAt'>;
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
    const manifest: Manifest = { format: CHECKPOINT_FORMAT, library: VERSION, tfjs: tf.version.tfjs, createdAt: new Date().toISOString(), ...a.manifest };
    fs.writeFileSync(path.join(tmp, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
  });
}

/** Checkpoint folder name for a step; zero-padded so names sort in step order. */
export function checkpointName(step: number): string {
  return `iter-${String(step).padStart(7, '0')}`;
}

/** Complete checkpoints of a run, oldest first (temporary folders of interrupted writes are ignored). */
export function listCheckpoints(runDir: string): string[] {
  const d = path.join(runDir, 'checkpoints');
  if (!fs.existsSync(d)) return [];
  return fs
    .readdirSync(d)
    .filter((n) => /^iter-\d+$/.test(n) && fs.existsSync(path.join(d, n, MANIFEST_FILE)))
    .sort()
    .map((n) => path.join(d, n));
}

/** Delete all but the newest `keep` checkpoints and any leftovers of interrupted writes. */
export function pruneCheckpoints(runDir: string, keep: number): void {
  const all = listCheckpoints(runDir);
  for (const d of all.slice(0, Math.max(0, all.length - keep))) fs.rmSync(d, { recursive: true, force: true });
  cleanTemporaries(path.join(runDir, 'checkpoints'));
}

/** Bytes per element of the dtypes tf.io writes. */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2, complex64: 8 };

/** Bytes the weight specs of a model.json or optimizer json describe. */
function specBytes(specs: unknown): number {
  if (!Array.isArray(specs)) throw new Error('no weight specs');
  let n = 0;
  for (const s of specs as { shape?: unknown; dtype?: unknown; quantization?: unknown }[]) {
    const per = DTYPE_BYTES[String(s.dtype)];
    if (!Array.isArray(s.shape) || per === undefined || s.quantization) throw new Error(`unexpected weight spec ${JSON.stringify(s).slice(0, 80)}`);
    n += (s.shape as number[]).reduce((a, b) => a * b, 1) * per;
  }
  return n;
}

function readJsonFile(file: string, rel: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${rel} is missing` : `${rel} cannot be read (${code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${rel} is not valid JSON (${(e as Error).message})`);
  }
}

function fileSize(file: string, rel: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    throw new Error(`${rel} is missing`);
  }
}

/**
 * Check a checkpoint folder fully without loading it: the manifest (JSON, format, step, config), each
 * network's model.json and that its weight files hold exactly the bytes its specs describe, and — for
 * a resume — both optimizer states (json + bin, sizes matching). Returns what is wrong, or null.
 */
export function checkCheckpoint(dir: string, o: { optimizer: boolean }): string | null {
  try {
    checkedManifest(dir);
    for (const net of ['generator', 'critic']) {
      const j = readJsonFile(path.join(dir, net, 'model.json'), `${net}/model.json`) as { modelTopology?: unknown; weightsManifest?: { paths: string[]; weights: unknown }[] };
      if (!j || typeof j !== 'object' || !j.modelTopology || !Array.isArray(j.weightsManifest)) throw new Error(`${net}/model.json is not a TF.js layers model`);
      let want = 0, have = 0;
      for (const g of j.weightsManifest) {
        want += specBytes(g.weights);
        for (const p of g.paths) have += fileSize(path.join(dir, net, p), `${net}/${p}`);
      }
      if (have !== want) throw new Error(`${net}'s weight files hold ${have} bytes, its model.json describes ${want}`);
    }
    if (o.optimizer) {
      for (const net of ['generator', 'critic']) {
        const rel = `optimizer/${net}`;
        const j = readJsonFile(path.join(dir, `${rel}.json`), `${rel}.json`) as { specs?: unknown };
        const want = specBytes(j?.specs);
        const have = fileSize(path.join(dir, `${rel}.bin`), `${rel}.bin`);
        if (have !== want) throw new Error(`${rel}.bin has ${have} bytes, ${rel}.json describes ${want}`);
      }
    }
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * The newest checkpoint of a run folder that passes checkCheckpoint. Each newer damaged one is
 * skipped with a notice naming what is wrong; none intact → UserError listing every problem. Null
 * when the run has no checkpoint folder at all.
 */
export function newestIntactCheckpoint(runDir: string, o: { optimizer: boolean; onNotice?: (msg: string) => void }): string | null {
  const d = path.join(runDir, 'checkpoints');
  // Every iter-* folder, also those whose manifest.json is gone (listCheckpoints hides them).
  const all = fs.existsSync(d) ? fs.readdirSync(d).filter((n) => /^iter-\d+$/.test(n)).sort().reverse() : [];
  if (!all.length) return null;
  const problems: string[] = [];
  for (const name of all) {
    const dir = path.join(d, name);
    const p = checkCheckpoint(dir, o);
    if (p === null) {
      for (const q of problems) o.onNotice?.(`checkpoint ${q}; using ${name} instead`);
      return dir;
    }
    problems.push(`${name} is damaged (${p})`);
  }
  throw new UserError(`no intact checkpoint in '${d}': ${problems.join('; ')}`);
}

/**
 * Resolve what the user named to a checkpoint folder: a checkpoint folder itself, a run folder (its
 * newest intact checkpoint, with a notice for each damaged newer one), or the name of a shipped model
 * (models/NAME).
 */
/** Names of the shipped models (folders of models/ with a manifest), sorted. */
export function listShippedModels(): string[] {
  if (!fs.existsSync(MODELS_DIR)) return [];
  return fs.readdirSync(MODELS_DIR).filter((n) => fs.existsSync(path.join(MODELS_DIR, n, MANIFEST_FILE))).sort();
}

export function resolveCheckpointDir(ref: string, onNotice?: (msg: string) => void): string {
  if (fs.existsSync(path.join(ref, MANIFEST_FILE))) return ref;
  if (fs.existsSync(path.join(ref, 'checkpoints'))) {
    const last = newestIntactCheckpoint(ref, { optimizer: false, ...(onNotice ? { onNotice } : {}) });
    if (!last) throw new UserError(`run folder '${ref}' has no complete checkpoint yet`);
    return last;
  }
  if (!ref.includes('/') && !ref.includes(path.sep)) {
    const shipped = path.join(MODELS_DIR, ref);
    if (fs.existsSync(path.join(shipped, MANIFEST_FILE))) return shipped;
    const names = listShippedModels();
    if (!fs.existsSync(ref)) throw new UserError(`unknown model '${ref}' (shipped models: ${names.join(', ') || 'none'}; or give a run folder or checkpoint folder)`);
  }
  if (!fs.existsSync(ref)) throw new UserError(`model folder '${ref}' does not exist`);
  throw new UserError(`'${ref}' is neither a checkpoint folder (with manifest.json) nor a run folder (with checkpoints/)`);
}

export interface LoadCheckpointOptions {
  /** Notices, one line each: a damaged newer checkpoint skipped, and where the search will start. */
  onNotice?: (msg: string) => void;
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
 * `onNotice`. Optimizer state is loaded separately by `loadOptimizers` (only training needs it).
 */
export async function loadCheckpoint(ref: string, opts: LoadCheckpointOptions | ((msg: string) => void) = {}): Promise<Checkpoint> {
  const o: LoadCheckpointOptions = typeof opts === 'function' ? { onNotice: opts } : opts;
  const dir = resolveCheckpointDir(ref, o.onNotice);
  const manifest = readManifest(dir);
  const generator = await loadLayersModel(path.join(dir, 'generator'), 'generator');
  let critic: tf.LayersModel;
  try {
    critic = await loadLayersModel(path.join(dir, 'critic'), 'critic');
  } catch (e) {
    generator.dispose();
    throw e;
  }
  const ck: Checkpoint = { generator, critic, manifest, dir, encoder: null, encoderDir: null };
  if (o.encoder === false) return ck;
  try {
    // Imported here: encoder/checkpoint.ts imports this module (listCheckpoints, the optimizer state).
    const { attachEncoder } = await import('../encoder/checkpoint.js');
    const a = await attachEncoder(ck, 'auto', typeof o.encoder === 'string' ? o.encoder : undefined, ref);
    o.onNotice?.(a.notice);
    return { ...ck, encoder: a.model.encoder ?? null, encoderDir: a.encoderDir };
  } catch (e) {
    generator.dispose();
    critic.dispose();
    throw e;
  }
}

/** Load both optimizer states of a checkpoint (check it first with checkCheckpoint(dir, {optimizer: true})). */
export async function loadOptimizers(dir: string, gOpt: tf.Optimizer, dOpt: tf.Optimizer): Promise<void> {
  await loadOptimizer(gOpt, path.join(dir, 'optimizer', 'generator'));
  await loadOptimizer(dOpt, path.join(dir, 'optimizer', 'critic'));
}
