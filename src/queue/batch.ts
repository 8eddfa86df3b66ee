/**
 * `wgan-inpaint batch`: inpaint a folder of images in chunks, in-process or on a fleet of queue
 * workers, resumably.
 *
 * The plan is the same either way: the sorted image list is cut into chunks of `chunk` images by
 * position; the images of a chunk that are not done yet form one job (`runChunk`, seam.ts), whose id
 * is the digest of its items (digest.ts). In-process the jobs run one after another on this thread;
 * with --redis they go on the queue (a window of them at a time, so Redis holds a bounded amount) and
 * results are written as they come back. Same jobs, same function, same backend → the same bytes.
 *
 * Output: OUT/<input path without extension>/ with the files of src/io/outputs.ts plus meta.json
 * {input, key, model, losses, …}, each folder written atomically; OUT/summary.json at the end. An image
 * whose folder has a meta.json with the same key (same model, bytes, mask, options) is skipped, so
 * re-running the same command after Ctrl-C or a crash does only what is missing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { IMAGE_EXTENSIONS } from '../data/load_node.js';
import { listInputImages } from '../inpaint/files_node.js';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backends/index.js';
import { loadGanCheckpoint, resolveCheckpointDir, type Checkpoint } from '../train/checkpoint.js';
import { attachEncoder, modelEncoderDir, resolveEncoderDir } from '../encoder/checkpoint.js';
import { chooseInit } from '../encoder/init.js';
import { decodeMask } from '../io/image.js';
import { writeFileAtomic } from '../io/atomic.js';
import { outputNames } from '../io/outputs.js';
import { MASK_KINDS } from '../masks/masks.js';
import {
  conventionFlag,
  DEFAULT_MASK_CONVENTION,
  holeWarning,
  parseMaskConvention,
  type MaskConvention,
} from '../masks/convention.js';
import { resolveInpaintOptions, type InpaintOptions, type Start } from '../inpaint/options.js';
import type { ImageLosses } from '../inpaint/search.js';
import { UserError } from '../util/errors.js';
import { itemKey, modelDigest } from './digest.js';
import { inProcessExecutor, queueExecutor, type ChunkExecutor } from './executors.js';
import {
  BatchLedger,
  META,
  readBytes,
  readFailure,
  type BatchProgress,
  type ImageRecord,
  type ImageStatus,
  type Plan,
  type Planned,
} from './ledger.js';

export { DEFAULT_WINDOW, DEFAULT_WORKER_TIMEOUT_S } from './executors.js';
export type { BatchProgress, ImageRecord, ImageStatus } from './ledger.js';
import { b64, unb64, DEFAULT_QUEUE, type MaskSpec } from './protocol.js';
import { disposeModel } from '../models/index.js';

/**
 * Default images per chunk, from `npm run bench -- queue --only sweep` (docs/BENCHMARKS.md, "Queue"):
 * CPU seconds per image at the default settings (1000 iterations × 4 restarts, fashion-mnist model,
 * native) fall 14.4 → 12.0 → 9.3 → 7.3 → 6.0 → 5.5 → 4.9 for chunks of 1, 2, 4, 8, 16, 32, 64: 32
 * gets 94 % of what 64 saves over 1, while a chunk is still a few minutes of one worker (the work a
 * killed worker loses, the step of the progress bar) and a batch of a few thousand images still
 * spreads over a hundred workers.
 */
export const DEFAULT_CHUNK = 32;
/** How often a queued batch looks at the workers connected to its model's queue, ms. */

export interface BatchSpec {
  input: string;
  /** A mask kind, a mask file (for every image) or a folder of masks (same relative paths). */
  mask: string;
  out: string;
  /** A model reference (run folder, checkpoint folder, shipped name). */
  model: string;
  /**
   * The search options given; the others are resolved for the model's start (`init`: auto = its
   * encoder when it has one), so iterations and restarts not given default per start (INIT_DEFAULTS).
   */
  options: Partial<InpaintOptions>;
  /**
   * An encoder folder or train-encoder run to start from instead of MODEL/encoder/ (as `inpaint
   * --encoder`); the model digest then covers this one, so queue workers need the same `--encoder`.
   */
  encoder?: string;
  chunk?: number;
  /** Run on the queue at this Redis URL instead of in-process. */
  redis?: string;
  queue?: string;
  connectTimeoutS?: number;
  window?: number;
  /** Queue only: stop (UserError) after this many seconds with no worker of the model connected [DEFAULT_WORKER_TIMEOUT_S]. */
  workerTimeoutS?: number;
  /** In-process only: the TF.js backend kind [auto]. */
  backend?: string;
  /** Refuse image and mask files of more bytes than this, and non-regular files, before reading [DEFAULT_MAX_BYTES]. */
  maxBytes?: number;
  /** How mask files are read and mask.png written [hole-white: white = hole], src/masks/convention.ts. */
  maskConvention?: MaskConvention;
}

export interface BatchHooks {
  log?: (line: string) => void;
  onProgress?: (p: BatchProgress) => void;
  signal?: AbortSignal;
}

export interface BatchReport {
  mode: 'in-process' | 'queue';
  modelDir: string;
  modelDigest: string;
  /** Where the searches start with this model and init, decided before anything is submitted. */
  start: Start;
  /** The options every job carries: the given ones, the rest resolved for `start`. */
  options: InpaintOptions;
  /** How mask files were read and mask.png written. */
  maskConvention: MaskConvention;
  backend: string | null;
  chunk: number;
  /** Chunks run (or enqueued) in this run. */
  jobs: number;
  /** Extra runs of collected chunks (BullMQ attemptsStarted − 1, summed): work redone after a killed worker. */
  reruns: number;
  /** Seconds the chunks' searches took (summed; on the workers with --redis): the rest is overhead. */
  computeSeconds: number;
  done: number;
  skipped: number;
  failed: number;
  pending: number;
  seconds: number;
  interrupted: boolean;
  images: ImageRecord[];
}

/**
 * Where the searches start and the options every job carries. The batch resolves them here, knowing
 * the model (rather than sending only the given options for each worker to resolve) because:
 * - a job's key (digest.ts `itemKey`: model digest, image, mask, options) then covers exactly the
 *   options that ran, and meta.json/summary.json record them;
 * - an encoder-less model resolves as before (random defaults, init as given), so the keys of
 *   batches already done stay the same and a re-run still skips them;
 * - the workers need not resolve anything: the model digest covers MODEL/encoder/ (digest.ts), so a
 *   worker that accepts the job has the same encoder and takes the same start. init auto that lands
 *   on the encoder is sent as init 'encoder' (so `--init auto` and `--init encoder` share their
 *   results, and a worker that somehow cannot use the encoder fails the job instead of silently
 *   starting at random z).
 * Deciding needs the generator only when MODEL/encoder/ holds an encoder and init is not random (it
 * is checked against the generator, attachEncoder): then `load` loads the model.
 */
async function planStart(
  modelDir: string,
  spec: BatchSpec,
  load: () => Promise<Checkpoint>,
): Promise<Pick<Plan, 'options' | 'start' | 'startNotice' | 'model'>> {
  const given = spec.options;
  const init = given.init ?? 'auto';
  let start: Start = 'random';
  let notice: string;
  let model: Plan['model'] = null;
  const encDir = init === 'random' ? null : spec.encoder ? resolveEncoderDir(spec.encoder) : modelEncoderDir(modelDir);
  if (!encDir) {
    notice = chooseInit(init, null, `${modelDir}/encoder`, spec.model).notice; // init 'encoder' without one: a UserError
  } else {
    const ck = await load();
    try {
      const a = await attachEncoder(ck, init, spec.encoder, spec.model);
      start = a.start;
      notice = a.notice;
      model = a.model;
    } catch (e) {
      disposeModel(ck);
      throw e;
    }
  }
  const options = resolveInpaintOptions(
    { ...given, ...(start === 'encoder' ? { init: 'encoder' as const } : {}) },
    undefined,
    start === 'encoder',
  );
  return { options, start, startNotice: notice, model };
}

/** Validate everything and decide what to do; nothing is computed or written. */
async function planBatch(
  spec: BatchSpec,
  chunk: number,
  load: () => Promise<Checkpoint>,
  log: (line: string) => void,
): Promise<Plan> {
  // Outputs inside the input folder never become inputs of the next run (shared with `inpaint`).
  const { root, rels } = listInputImages(spec.input, spec.out);

  const maskArg = spec.mask;
  const convention =
    spec.maskConvention === undefined
      ? DEFAULT_MASK_CONVENTION
      : parseMaskConvention(spec.maskConvention, 'maskConvention');
  let maskOf: (rel: string, i: number) => MaskSpec | string;
  // The mask seeds need the resolved seed: resolved (and validated) now, for the start decided below.
  const seed = resolveInpaintOptions(spec.options).seed;
  if (MASK_KINDS.includes(maskArg)) {
    maskOf = (_, i) => ({ kind: maskArg, seed: seed + i });
  } else if (fs.existsSync(maskArg) && fs.statSync(maskArg).isDirectory()) {
    maskOf = (rel) => {
      // (The masks of a folder are checked for the other convention below, once all are found.)
      const stem = rel.replace(/\.[^./]+$/, '');
      for (const cand of [rel, ...IMAGE_EXTENSIONS.map((e) => stem + e)]) {
        const f = path.join(maskArg, cand);
        if (fs.existsSync(f) && fs.statSync(f).isFile()) return { png: b64(readBytes(f, 'mask', spec.maxBytes)) };
      }
      return `no mask for '${rel}' in '${maskArg}' (looked for ${stem}.png and the other image extensions)`;
    };
  } else if (fs.existsSync(maskArg)) {
    const bytes = readBytes(maskArg, 'mask', spec.maxBytes);
    // A corrupt mask file is bad input: fail now. One that makes most of an image a hole is likely of the other convention: say so.
    const w = holeWarning(
      await decodeMask(bytes, `mask '${maskArg}'`, { convention }),
      convention,
      `mask '${maskArg}'`,
      conventionFlag,
    );
    if (w) log(`warning: ${w}`);
    const spec_ = { png: b64(bytes) };
    maskOf = () => spec_;
  } else {
    throw new UserError(
      `--mask '${maskArg}' is neither a mask kind (${MASK_KINDS.join(', ')}) nor an existing file or folder`,
    );
  }

  const modelDir = resolveCheckpointDir(spec.model);
  const digest = modelDigest(modelDir, spec.encoder ? resolveEncoderDir(spec.encoder) : null);
  const st = await planStart(modelDir, spec, load);
  const options = st.options;
  const names = outputNames(rels);
  const images: Planned[] = rels.map((rel, i) => {
    const rec: Planned = {
      input: rel,
      output: names[i]!,
      status: 'pending',
      writes: 0,
      file: path.join(root, rel),
      key: '',
      mask: null,
    };
    const m = maskOf(rel, i);
    if (typeof m === 'string') return { ...rec, status: 'failed', reason: m };
    rec.mask = m;
    let bytes: Uint8Array;
    try {
      bytes = readBytes(rec.file, 'image', spec.maxBytes);
    } catch (e) {
      return { ...rec, status: 'failed', reason: readFailure(rel, e) };
    }
    rec.key = itemKey(digest, bytes, m, options, convention);
    const meta = readMeta(path.join(spec.out, rec.output, META));
    if (meta?.key === rec.key) {
      rec.status = 'skipped';
      rec.losses = meta.losses ?? null;
      rec.resized = !!meta.resized;
      if (meta.notice) rec.notice = meta.notice;
      if (meta.start) rec.start = meta.start;
    }
    return rec;
  });
  const chunks: number[][] = [];
  for (let s = 0; s < images.length; s += chunk) {
    const todo: number[] = [];
    for (let i = s; i < Math.min(images.length, s + chunk); i++) if (images[i]!.status === 'pending') todo.push(i);
    if (todo.length) chunks.push(todo);
  }
  if (fs.existsSync(maskArg) && fs.statSync(maskArg).isDirectory()) await warnMaskFolder(images, convention, log);
  return { maskConvention: convention, modelDir, digest, images, chunks, ...st };
}

/**
 * The masks of a mask folder that make more than HOLE_WARNING_FRACTION of their image a hole: one
 * warning line naming how many and the first (a folder of masks of the other convention would
 * otherwise say it once per image). A mask that cannot be decoded is left to the worker, which fails
 * that image alone with its reason.
 */
async function warnMaskFolder(
  images: Planned[],
  convention: MaskConvention,
  log: (line: string) => void,
): Promise<void> {
  let first: string | null = null,
    n = 0,
    total = 0;
  for (const im of images) {
    if (!im.mask || !('png' in im.mask) || im.status === 'skipped') continue;
    total++;
    let w: string | null = null;
    try {
      w = holeWarning(
        await decodeMask(unb64(im.mask.png), `the mask of '${im.input}'`, { convention }),
        convention,
        `the mask of '${im.input}'`,
        conventionFlag,
      );
    } catch {
      continue;
    }
    if (w) {
      n++;
      first ??= w;
    }
  }
  if (first) log(`warning: ${first}${n > 1 ? ` (and ${n - 1} more of the ${total} masks)` : ''}`);
}

function readMeta(
  file: string,
): { key?: string; losses?: ImageLosses | null; resized?: boolean; notice?: string; start?: Start } | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Run a batch (in-process, or on the queue with spec.redis); returns what happened to every image and
 * writes OUT/summary.json. Throws UserError for bad input (before anything is computed or written),
 * for an unreachable Redis, and when no worker of the model is connected for `workerTimeoutS` (after
 * writing what is done and summary.json, and taking its waiting jobs off the queue); failures of
 * single images are in the report, not thrown.
 */
export async function runBatch(spec: BatchSpec, hooks: BatchHooks = {}): Promise<BatchReport> {
  const log = hooks.log ?? (() => {});
  const chunk = spec.chunk ?? DEFAULT_CHUNK;
  if (!Number.isInteger(chunk) || chunk < 1) throw new UserError(`batch: chunk must be an integer ≥ 1, got ${chunk}`);
  // Loading the model while planning (only to check its encoder, planStart): in-process on the
  // batch's backend, kept for the run; with --redis on the cpu backend (unless one is already active),
  // only read (its weights' digest) and disposed.
  let backend: string | null = null;
  const load = async () => {
    if (!spec.redis) backend = await initBackend(spec.backend ?? 'auto', (m) => log(`notice: ${m}`));
    else if (!tf.engine().backendName) await initBackend('cpu'); // a backend the caller chose is kept
    return loadGanCheckpoint(resolveCheckpointDir(spec.model));
  };
  const plan = await planBatch(spec, chunk, load, log);
  log(`notice: ${plan.startNotice}`);
  if (spec.redis && plan.model) {
    disposeModel(plan.model);
    plan.model = null;
  }
  fs.mkdirSync(spec.out, { recursive: true });
  const ledger = new BatchLedger(spec, plan, hooks.onProgress, log);
  ledger.progress();
  // The chunks run in this process, or on the queue's workers; either way each result is applied
  // (written, counted) by the ledger as it arrives.
  const executor: ChunkExecutor = spec.redis
    ? queueExecutor({ ...spec, redis: spec.redis }, log)
    : inProcessExecutor(async () => plan.model ?? (await load()));
  const { interrupted, stopped } = await executor.run(plan, ledger, hooks.signal);
  const { images, options } = plan;
  const count = (s: ImageStatus) => images.filter((im) => im.status === s).length;
  const report: BatchReport = {
    mode: spec.redis ? 'queue' : 'in-process',
    modelDir: plan.modelDir,
    modelDigest: plan.digest,
    start: plan.start,
    options,
    maskConvention: plan.maskConvention,
    backend,
    chunk,
    jobs: ledger.jobs,
    reruns: ledger.reruns,
    computeSeconds: ledger.computeSeconds,
    done: count('done'),
    skipped: count('skipped'),
    failed: count('failed'),
    pending: count('pending'),
    seconds: (Date.now() - ledger.t0) / 1000,
    interrupted,
    images: images.map(({ file: _f, key: _k, mask: _m, ...rec }) => rec),
  };
  writeFileAtomic(
    path.join(spec.out, 'summary.json'),
    `${JSON.stringify(
      {
        ...report,
        ...(spec.redis ? { queue: spec.queue ?? DEFAULT_QUEUE } : {}),
        ...(stopped ? { stopped: stopped.message } : {}),
      },
      null,
      2,
    )}\n`,
  );
  if (stopped) throw stopped;
  return report;
}
