/**
 * `runEval`: the whole evaluation a user runs — load the model and the held-out data, pick the
 * classifier, complete the same seeded images with every method (runner.ts), write the report
 * (report.ts) — as a library function (Node: it reads datasets and writes files). The `eval` command
 * is its flags; its options are one schema, from which the command's flags and help follow.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { activeBackend, BACKEND_KINDS } from '../backends/index.js';
import { loadGanCheckpoint } from '../train/checkpoint.js';
import { disposeModel } from '../models/index.js';
import { loadDataset } from '../data/load_node.js';
import { toImageBatch, type Dataset } from '../data/dataset.js';
import { BUILTIN_NAMES, classAttributesOf } from '../data/registry.js';
import {
  DEFAULT_EVAL,
  DEFAULT_EVAL_MASKS,
  EVAL_METHOD_KINDS,
  ENCODER_METHOD_KINDS,
  evaluate,
  plannedSearches,
  resolveEvalOptions,
  selectEvalIndices,
  type EvalResult,
} from './runner.js';
import { writeEvalReport, type ReportContext } from './report.js';
import {
  defaultClassifierDirs,
  isClassifierDir,
  loadClassifier,
  type LoadedClassifier,
} from '../classifier/classifier_node.js';
import { classifierInput } from '../classifier/classifier.js';
import { FD_CLASSIFIER_NAME } from '../classifier/fd.js';
import { MASK_KINDS } from '../masks/masks.js';
import { UserError } from '../util/errors.js';
import { formatZodError, asFlag } from '../util/zod_error.js';
import { VERSION } from '../version.js';
import { ENCODER_SUBDIR, loadEncoder, modelEncoderDir, type LoadedEncoder } from '../encoder/checkpoint.js';
import { definedKeys } from '../util/defined.js';

const int = (min: number) => z.number().int().min(min);
const list = (def: readonly string[], what: string) => z.string().default(def.join(',')).describe(what);

export const EvalRunSchema = z
  .object({
    model: z
      .string()
      .min(1)
      .describe('run folder (newest checkpoint), checkpoint folder or shipped model name (required)'),
    out: z.string().min(1).describe('report folder (required)'),
    data: z
      .string()
      .min(1)
      .optional()
      .describe(`${BUILTIN_NAMES.join(' | ')} | image folder [default: the model's training data]`),
    split: z.enum(['test', 'train']).default('test').describe('which split to complete'),
    limit: int(1).optional().describe('load only a fixed-seed choice of N images of the split first (quick runs)'),
    masks: list(DEFAULT_EVAL_MASKS, `mask kinds, comma-separated (valid: ${MASK_KINDS.join(', ')})`),
    n: int(1).default(100).describe('images per mask kind (the same images for every kind)'),
    seed: int(0).default(DEFAULT_EVAL.seed).describe('seed of the image choice, the masks and the search'),
    iters: int(0).default(DEFAULT_EVAL.iters).describe('latent-search iterations'),
    restarts: int(1).default(DEFAULT_EVAL.restarts).describe('random restarts per image'),
    lambda: z.number().min(0).default(DEFAULT_EVAL.lambda).describe('weight of the critic prior'),
    lr: z.number().positive().default(DEFAULT_EVAL.lr).describe('Adam learning rate on z'),
    contextFloor: z
      .number()
      .min(0)
      .max(1)
      .default(DEFAULT_EVAL.contextFloor)
      .describe('least importance weight of a known pixel, in every search (0: Yeh et al.’s weights)'),
    batch: int(1).default(DEFAULT_EVAL.batch).describe('images per search call (memory)'),
    methods: z
      .string()
      .default('all')
      .describe(
        'methods, comma-separated, or all (the encoder methods only when there is an encoder, then wgan-encoder first); the report pairs every method image by image with the first',
      ),
    encoder: z
      .string()
      .min(1)
      .optional()
      .describe(
        `encoder for the wgan-encoder methods (from \`wgan-inpaint train-encoder\`) [default: ${ENCODER_SUBDIR}/ in the checkpoint folder, if present]`,
      ),
    encoderIters: int(0)
      .default(DEFAULT_EVAL.encoderIters)
      .describe("wgan-encoder: search iterations from the encoder's z"),
    encoderRestarts: int(1)
      .default(DEFAULT_EVAL.encoderRestarts)
      .describe("wgan-encoder: restarts (restart 0 at the encoder's z)"),
    classifier: z
      .string()
      .min(1)
      .optional()
      .describe(
        `classifier for semantic accuracy and ${FD_CLASSIFIER_NAME} (from \`wgan-inpaint classifier train\`) [default: classifier/ in the checkpoint or run folder, if present]`,
      ),
    noClassifier: z.boolean().default(false).describe(`skip semantic accuracy and ${FD_CLASSIFIER_NAME}`),
    fdN: int(2).default(1000).describe(`${FD_CLASSIFIER_NAME}: generated samples and real images (at most the split)`),
    gridRows: int(1).default(6).describe('examples per grid'),
    backend: z
      .enum(BACKEND_KINDS)
      .default('auto')
      .describe('compute backend (the caller initialises it; recorded in the report)'),
  })
  .strict();

export type EvalRunOptions = z.input<typeof EvalRunSchema>;

export interface EvalRunCallbacks {
  onLog?: (msg: string) => void;
  /** Search iterations done of all planned (every mask kind, search and chunk), and a label. */
  onProgress?: (done: number, total: number, label: string) => void;
  signal?: AbortSignal;
  /** The command line recorded in the report. */
  command?: string;
}

export interface EvalRun {
  result: EvalResult;
  /** results.json, index.md, grids. */
  outDir: string;
  seconds: number;
}

const splitList = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);

/** The classifier to use: `classifier`, else the first default location that holds one, else none. */
async function pickClassifier(
  o: { classifier?: string | undefined; noClassifier: boolean },
  checkpointDir: string,
  ds: Dataset,
  log: (m: string) => void,
): Promise<{ c?: LoadedClassifier; note?: string }> {
  if (o.noClassifier) return { note: 'disabled with --no-classifier' };
  const given = o.classifier;
  const dir = given ?? defaultClassifierDirs(checkpointDir).find(isClassifierDir);
  if (!dir)
    return {
      note: `no classifier given and none found at ${defaultClassifierDirs(checkpointDir).join(' or ')} (train one with \`wgan-inpaint classifier train\`)`,
    };
  const c = await loadClassifier(dir);
  const { size, channels } = classifierInput(c.model);
  const problem =
    size !== ds.size || channels !== ds.channels
      ? `the classifier takes ${size}×${size}×${channels} images, the model makes ${ds.size}×${ds.size}×${ds.channels}`
      : !ds.labels || !ds.classNames
        ? `dataset '${ds.name}' has no labels`
        : JSON.stringify(c.manifest.classNames) !== JSON.stringify(ds.classNames)
          ? `the classifier's classes (${c.manifest.classNames.slice(0, 4).join(', ')}, …) differ from the dataset's (${ds.classNames.slice(0, 4).join(', ')}, …)`
          : undefined;
  if (problem) {
    c.model.dispose();
    if (given) throw new UserError(`eval: cannot use classifier '${dir}': ${problem}`);
    log(`notice: not using the classifier in ${dir}: ${problem}`);
    return { note: `classifier in ${dir} not used: ${problem}` };
  }
  return { c };
}

/** Validate the options (one UserError line naming the first problem). */
export function resolveEvalRun(input: EvalRunOptions): z.output<typeof EvalRunSchema> {
  const r = EvalRunSchema.safeParse(input);
  if (!r.success) throw new UserError(`eval: ${formatZodError(r.error, { name: asFlag, input })}`);
  return r.data;
}

/** Run an evaluation and write its report to `options.out`. The backend must be initialised. */
export async function runEval(options: EvalRunOptions, cb: EvalRunCallbacks = {}): Promise<EvalRun> {
  const t0 = performance.now();
  const log = cb.onLog ?? (() => {});
  const v = resolveEvalRun(options);
  const all = v.methods === 'all';
  let opts = resolveEvalOptions({
    masks: splitList(v.masks),
    methods: all ? [...EVAL_METHOD_KINDS] : splitList(v.methods),
    seed: v.seed,
    iters: v.iters,
    restarts: v.restarts,
    lambda: v.lambda,
    lr: v.lr,
    contextFloor: v.contextFloor,
    batch: v.batch,
    encoderIters: v.encoderIters,
    encoderRestarts: v.encoderRestarts,
  });
  const ck = await loadGanCheckpoint(v.model);
  let clf: LoadedClassifier | undefined;
  let enc: LoadedEncoder | undefined;
  try {
    // The encoder methods: --encoder, else CHECKPOINT/encoder; `all` leaves them out without one.
    const wantsEncoder = opts.methods.some((k) => ENCODER_METHOD_KINDS.includes(k));
    const encDir = v.encoder ?? (wantsEncoder ? modelEncoderDir(ck.dir) : null);
    if (wantsEncoder && encDir) {
      enc = await loadEncoder(encDir, ck.generator, v.model);
      log(`encoder: ${enc.dir} (step ${enc.manifest.step})`);
      // `all` with an encoder: the default search (wgan-encoder) first, so the report's paired
      // column compares every other method with what users get.
      if (all) opts = { ...opts, methods: ['wgan-encoder', ...opts.methods.filter((k) => k !== 'wgan-encoder')] };
    } else if (wantsEncoder && all) {
      opts = { ...opts, methods: opts.methods.filter((k) => !ENCODER_METHOD_KINDS.includes(k)) };
      log(
        `notice: no encoder at ${path.join(ck.dir, ENCODER_SUBDIR)} (or --encoder DIR): leaving out ${ENCODER_METHOD_KINDS.join(', ')}`,
      );
    } else if (wantsEncoder) {
      throw new UserError(
        `eval: ${opts.methods.filter((k) => ENCODER_METHOD_KINDS.includes(k)).join(', ')} need an encoder: none at ${path.join(ck.dir, ENCODER_SUBDIR)}; pass --encoder DIR (from \`wgan-inpaint train-encoder\`)`,
      );
    }
    const { size, channels } = ck.manifest.config;
    const data = v.data ?? ck.manifest.config.data;
    const ds = await loadDataset({
      data,
      size,
      channels,
      split: v.split,
      ...definedKeys({ limit: v.limit }),
      onWarning: (m) => log(`warning: ${m}`),
    });
    const idx = selectEvalIndices(ds.n, v.n, opts.seed);
    if (idx.length < v.n) log(`notice: the ${v.split} split has only ${ds.n} images; evaluating all of them`);
    const images = toImageBatch(ds, idx);
    const labels = ds.labels ? Int32Array.from(idx, (i) => ds.labels![i]!) : undefined;
    log(
      `model: ${ck.dir} (step ${ck.manifest.step}); data: ${ds.name} ${v.split} ${images.n} of ${ds.n} images ${size}×${size}×${channels}`,
    );
    const picked = await pickClassifier(v, ck.dir, ds, log);
    clf = picked.c;
    if (clf) log(`classifier: ${clf.dir} (test accuracy ${(clf.manifest.testAccuracy * 100).toFixed(1)} %)`);
    // Per-attribute accuracy needs the dataset's decomposition and a classifier over its classes.
    const attributes = clf ? classAttributesOf(ds.name) : undefined;
    const fdReal = clf ? toImageBatch(ds, selectEvalIndices(ds.n, v.fdN, opts.seed + 1)) : undefined;

    // Progress over all latent-search iterations of all mask kinds, searches and chunks.
    const perChunk = [...plannedSearches(opts).values()].reduce((a, s) => a + s.iters, 0);
    const total = opts.masks.length * Math.ceil(images.n / opts.batch) * perChunk;
    let doneBefore = 0,
      lastKey = '',
      lastIters = 0;
    const result = await evaluate(
      {
        model: ck,
        ...(enc ? { encoder: enc.encoder } : {}),
        images,
        ...definedKeys({ labels }),
        ...(clf ? { classifier: clf.model } : {}),
        ...(clf && fdReal ? { fd: { real: fdReal, n: v.fdN, seed: opts.seed } } : {}),
        ...definedKeys({ attributes }),
      },
      opts,
      {
        ...definedKeys({ signal: cb.signal }),
        onLog: log,
        onSearchProgress: (p) => {
          const key = `${p.mask}|${p.search}|${p.imagesDone}`;
          if (key !== lastKey) {
            if (lastKey) doneBefore += lastIters;
            lastKey = key;
            lastIters = p.iters;
          }
          if (total > 0)
            cb.onProgress?.(
              Math.min(total, doneBefore + p.iter),
              total,
              `${p.mask} ${p.search} images ${p.imagesDone + 1}–${Math.min(p.images, p.imagesDone + opts.batch)}/${p.images}`,
            );
        },
      },
    );
    const seconds = (performance.now() - t0) / 1000;
    const ctx: ReportContext = {
      command: cb.command ?? '(library call)',
      model: {
        dir: ck.dir,
        step: ck.manifest.step,
        config: ck.manifest.config,
        ...(ck.manifest.command ? { command: ck.manifest.command } : {}),
        ...definedKeys({ dataset: ck.manifest.dataset, trainSeconds: ck.manifest.trainSeconds }),
      },
      data: {
        name: ds.name,
        split: v.split,
        size,
        channels,
        available: ds.n,
        indices: Array.from(idx),
        labelled: !!ds.labels,
      },
      versions: { library: VERSION, tfjs: tf.version.tfjs, node: process.version, backend: activeBackend() },
      classifier: clf
        ? { dir: clf.dir, testAccuracy: clf.manifest.testAccuracy, data: clf.manifest.data, testN: clf.manifest.testN }
        : undefined,
      classifierNote: picked.note,
      encoder: enc?.dir,
      gridRows: v.gridRows,
      seconds,
    };
    fs.mkdirSync(v.out, { recursive: true });
    await writeEvalReport(v.out, result, images, ctx);
    return { result, outDir: path.resolve(v.out), seconds };
  } finally {
    disposeModel(ck);
    clf?.model.dispose();
    enc?.encoder.dispose();
  }
}
