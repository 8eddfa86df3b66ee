/**
 * The models a server offers: checked once at start (the inpainting workers load their own copies)
 * and exposed read-only at /models/<name>/… so the browser can load the same files with
 * tf.loadLayersModel. Only the files the browser needs are served (manifest, the two networks,
 * sample images); the optimizer state never leaves the server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { listShippedModels, loadGanCheckpoint, resolveCheckpointDir, type Manifest } from '../train/checkpoint.js';
import { MODELS_DIR } from '../io/paths.js';
import { UserError } from '../util/errors.js';
import { isBuiltin } from '../data/registry.js';
import type { ModelInfo } from '../protocol/api.js';
import { loadEncoder, modelEncoderDir, resolveEncoderDir } from '../encoder/checkpoint.js';
import type { EncoderManifest } from '../encoder/manifest.js';
import { definedKeys } from '../util/defined.js';
import { disposeModel } from '../models/index.js';

export type { ModelInfo } from '../protocol/api.js';

export interface ServedModel {
  /** URL-safe name, unique on the server. */
  name: string;
  /** The checkpoint folder (resolved from a run folder or shipped name). */
  dir: string;
  manifest: Manifest;
  size: number;
  channels: number;
  nz: number;
  /** Sample image file names in `dir/samples/` (PNG/JPEG), for the page's picker. */
  samples: string[];
  /**
   * The encoder searches start from: `serve --encoder`'s folder, else DIR/encoder/ when it holds an
   * encoder trained for this generator (checked at load), else null. /models/<name>/encoder/* is
   * served from `dir` here, wherever it is.
   */
  encoder: { dir: string; digest: string } | null;
}

/**
 * Files of a model folder the browser may fetch (relative, '/'-separated). The only JSON files are
 * the networks' model.json (TF.js topology and weight file names) and the manifests, which the
 * server answers with their public part (`publicManifest`), never as they are on disk.
 */
export function isServedModelFile(rel: string): boolean {
  return (
    rel === 'manifest.json' ||
    /^(generator|critic)\/(model\.json|[\w.-]+\.bin)$/.test(rel) ||
    /^encoder\/(model\.json|weights\.bin|manifest\.json)$/.test(rel) ||
    /^samples\/[\w.-]+\.(png|jpe?g)$/i.test(rel)
  );
}

/** Whether a served model file is a manifest (served only through `publicManifest`). */
export function isManifestFile(rel: string): boolean {
  return rel === 'manifest.json' || rel.endsWith('/manifest.json');
}

function safeName(s: string): string {
  const n = s.replace(/[^\w.-]+/g, '-').replace(/^[.-]+/, '');
  return n || 'model';
}

/** Sample images shipped beside a checkpoint (`samples/*.png|jpg`), sorted. */
export function listSamples(dir: string): string[] {
  const d = path.join(dir, 'samples');
  if (!fs.existsSync(d)) return [];
  return fs
    .readdirSync(d)
    .filter((f) => isServedModelFile(`samples/${f}`))
    .sort();
}

/**
 * Load the models named on the command line (shipped names, checkpoint folders or run folders); with
 * none, every shipped model in models/. A name is the shipped name or the folder's base name.
 * `encoder` (an encoder folder or train-encoder run, as `inpaint --encoder`) replaces MODEL/encoder/
 * of the one model served; one trained for another generator is an error, not a notice, as it was
 * asked for by name.
 */
export async function loadServedModels(
  refs: string[],
  notice: (m: string) => void = () => {},
  opts: { encoder?: string } = {},
): Promise<ServedModel[]> {
  let list = refs;
  if (list.length === 0) list = listShippedModels();
  if (opts.encoder !== undefined && list.length !== 1) {
    throw new UserError(
      `serve: --encoder is for one model, but ${list.length} would be served: give the model it was trained for with --model`,
    );
  }
  const encoderRef = opts.encoder !== undefined ? resolveEncoderDir(opts.encoder) : undefined;
  const out: ServedModel[] = [];
  const taken = new Set<string>();
  for (const ref of list) {
    const dir = resolveCheckpointDir(ref);
    // Loaded here to validate the folder and read the shapes; the networks themselves live in the
    // inpainting workers (pool.ts), so this copy is released at once.
    const checkpoint = await loadGanCheckpoint(dir);
    let name = safeName(path.basename(path.resolve(ref)));
    for (let k = 2; taken.has(name); k++) name = `${safeName(path.basename(path.resolve(ref)))}-${k}`;
    taken.add(name);
    // G: [N, nz] → [N, H, W, C].
    const [, h, , c] = checkpoint.generator.outputs[0]?.shape ?? [];
    const nz = checkpoint.generator.inputs[0]?.shape[1];
    if (typeof h !== 'number' || typeof c !== 'number' || typeof nz !== 'number') {
      disposeModel(checkpoint);
      throw new UserError(`model '${ref}': its generator does not map [N, nz] to [N, H, W, C] images`);
    }
    // The model's encoder, refused (with a notice; the model is served without it) when it was
    // trained for another generator.
    let encoder: ServedModel['encoder'] = null;
    const encDir = encoderRef ?? modelEncoderDir(dir);
    if (encDir) {
      try {
        const e = await loadEncoder(encDir, checkpoint.generator, name);
        e.encoder.dispose();
        encoder = { dir: path.resolve(encDir), digest: e.manifest.generator.digest };
      } catch (e) {
        if (!(e instanceof UserError) || encoderRef) {
          disposeModel(checkpoint);
          throw e;
        }
        notice(`model '${name}' is served without its encoder: ${e.message}`);
      }
    }
    disposeModel(checkpoint);
    out.push({
      name,
      dir: path.resolve(dir),
      manifest: checkpoint.manifest,
      size: h,
      channels: c,
      nz,
      samples: listSamples(dir),
      encoder,
    });
  }
  if (out.length === 0)
    throw new UserError(
      `serve: no models to serve (none shipped in ${MODELS_DIR}); pass --model DIR (a checkpoint or run folder)`,
    );
  return out;
}

/** A dataset as the public may see it: a built-in name, or only the last part of a folder path. */
function publicData(data: string): string {
  const d = data.replace(/^'(.*)'$/, '$1'); // loaders name folders '…'
  return isBuiltin(d)
    ? d
    : (d
        .split(/[\\/]+/)
        .filter(Boolean)
        .pop() ?? 'folder');
}

/**
 * What every manifest under /models/ serves — the model's (manifest.json) and its encoder's
 * (encoder/manifest.json), through this one function: the facts a client needs to use or judge the
 * network (versions, step, seed, config, the generator an encoder is for, dataset name and size,
 * metrics, training time). Kept by name, so a field a newer writer adds stays private until listed
 * here. Left out: the command lines (`command`, `resumes`), free-form notes (`extra`), resume state
 * (`sampler`, `rngState`, `cropRngState`), the backend, and local paths: a dataset or model folder
 * keeps only its last part, the classifier folder is dropped.
 */
export function publicManifest(man: Manifest | EncoderManifest | Record<string, unknown>): Record<string, unknown> {
  const m = man as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of ['format', 'kind', 'library', 'tfjs', 'createdAt', 'step', 'seed'])
    if (m[k] !== undefined) out[k] = m[k];
  const gen = m.generator;
  if (gen && typeof gen === 'object') {
    // An encoder's generator: its digest and shape (what the page checks), the model's name only.
    const { digest, size, channels, nz, model, step } = gen as Record<string, unknown>;
    out.generator = {
      digest,
      size,
      channels,
      nz,
      ...(typeof model === 'string' ? { model: publicData(model) } : {}),
      ...definedKeys({ step }),
    };
  }
  const config = m.config;
  if (config && typeof config === 'object') {
    const { classifier: _c, ...rest } = config as Record<string, unknown>;
    // `data` (a dataset folder) and an encoder's `model` (a run or checkpoint folder) may be paths.
    for (const k of ['data', 'model']) if (typeof rest[k] === 'string') rest[k] = publicData(rest[k] as string);
    out.config = rest;
  }
  const dataset = m.dataset;
  if (dataset && typeof dataset === 'object') {
    const d = dataset as Record<string, unknown>;
    out.dataset = { ...d, ...(typeof d.name === 'string' ? { name: publicData(d.name) } : {}) };
  }
  if (m.metrics !== undefined) out.metrics = m.metrics;
  if (m.trainSeconds !== undefined) out.trainSeconds = m.trainSeconds;
  return out;
}

export function modelInfo(m: ServedModel): ModelInfo {
  const man = m.manifest;
  const base = `/models/${encodeURIComponent(m.name)}`;
  return {
    name: m.name,
    size: m.size,
    channels: m.channels,
    nz: m.nz,
    generator: `${base}/generator/model.json`,
    critic: `${base}/critic/model.json`,
    samples: m.samples.map((f) => `${base}/samples/${encodeURIComponent(f)}`),
    encoder: m.encoder
      ? { model: `${base}/encoder/model.json`, manifest: `${base}/encoder/manifest.json`, digest: m.encoder.digest }
      : null,
    fit: man.config.crop ? 'crop' : 'whole',
    manifest: {
      step: man.step,
      loss: man.config.loss,
      model: man.config.model,
      data: publicData(man.config.data),
      ...(man.dataset ? { dataset: publicData(man.dataset.name) } : {}),
      gWidth: man.config.gWidth,
      dWidth: man.config.dWidth,
      criticNorm: man.config.criticNorm,
      library: man.library,
      createdAt: man.createdAt,
      ...definedKeys({ trainSeconds: man.trainSeconds, metrics: man.metrics }),
    },
    ...(man.domain ? { expects: man.domain.expects, domain: man.domain } : {}),
  };
}
