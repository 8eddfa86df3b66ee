/**
 * `wgan-inpaint eval`: complete a fixed, seeded sample of held-out images with every method (ours, its
 * ablations and the baselines) under several mask kinds, and write a report (results.json, index.md,
 * grids) — see src/eval/runner.ts for what is measured and src/eval/report.ts for the files.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { str, numOpt, commandLine, type Command, type Values } from './command.js';
import { initBackend, activeBackend } from '../backends/index.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { loadDataset } from '../data/load_node.js';
import { toImageBatch, type Dataset } from '../data/dataset.js';
import { DEFAULT_EVAL, DEFAULT_EVAL_MASKS, EVAL_METHOD_KINDS, evaluate, getEvalMethod, plannedSearches, resolveEvalOptions, selectEvalIndices } from '../eval/runner.js';
import { writeEvalReport, type ReportContext } from '../eval/report.js';
import { defaultClassifierDirs, isClassifierDir, loadClassifier, type LoadedClassifier } from '../classifier/classifier_node.js';
import { classifierInput } from '../classifier/classifier.js';
import { FD_CLASSIFIER_NAME } from '../classifier/fd.js';
import { MASK_KINDS } from '../masks/masks.js';
import { ProgressBar, fmtDuration } from './progress.js';
import { UserError } from '../util/errors.js';
import { VERSION } from '../version.js';

const DEFAULT_N = 100;
const DEFAULT_FD_N = 1000;
const DEFAULT_GRID_ROWS = 6;

const help = `usage: wgan-inpaint eval --model RUN_DIR|CHECKPOINT|NAME --out DIR [options]

Complete the same seeded sample of held-out images, with the same seeded masks, by every method and
measure: PSNR and SSIM over the whole image, L1 and PSNR over the hole, seconds per image and (with a
classifier) semantic accuracy; plus ${FD_CLASSIFIER_NAME} of the generator. Writes DIR/results.json,
DIR/index.md and DIR/grid-<mask>.png. Images are resized to the model's size and channels.

options
  --model REF            run folder (newest checkpoint), checkpoint folder or shipped model name (required)
  --data NAME|DIR        fashion-mnist | mnist | emoji | image folder [default: the model's training data]
  --split test|train     [default: test]
  --limit N              load only a fixed-seed choice of N images of the split first (quick runs)
  --masks K1,K2,…        mask kinds [default: ${DEFAULT_EVAL_MASKS.join(',')}] (valid: ${MASK_KINDS.join(', ')})
  --n N                  images per mask kind (the same images for every kind) [default: ${DEFAULT_N}]
  --seed N               seed of the image choice, the masks and the search [default: 0]
  --iters N              latent-search iterations [default: ${DEFAULT_EVAL.iters}]
  --restarts K           random restarts per image [default: ${DEFAULT_EVAL.restarts}]
  --lambda X             weight of the critic prior [default: ${DEFAULT_EVAL.lambda}]
  --lr X                 Adam learning rate on z [default: ${DEFAULT_EVAL.lr}]
  --batch N              images per search call (memory) [default: ${DEFAULT_EVAL.batch}]
  --methods M1,M2,…      [default: all] one or more of:
${EVAL_METHOD_KINDS.map((k) => `                           ${k.padEnd(14)} ${getEvalMethod(k).description}`).join('\n')}
  --classifier DIR       classifier for semantic accuracy and ${FD_CLASSIFIER_NAME} (from \`wgan-inpaint classifier
                         train\`) [default: classifier/ in the checkpoint or run folder, if present]
  --no-classifier        skip semantic accuracy and ${FD_CLASSIFIER_NAME}
  --fd-n N               ${FD_CLASSIFIER_NAME}: generated samples and real images (at most the split) [default: ${DEFAULT_FD_N}]
  --grid-rows N          examples per grid [default: ${DEFAULT_GRID_ROWS}]
  --out DIR              report folder (required)
  --backend KIND         auto | native | wasm | cpu | tensorflow [default: auto]

example
  wgan-inpaint classifier train --data fashion-mnist --size 32 --out runs/fmnist/classifier
  wgan-inpaint eval --model runs/fmnist --n 200 --masks center,random,half,pattern --out runs/fmnist/eval`;

/** A POSIX-shell-safe rendering of one argument. */



function listOpt(v: Values, key: string, def: readonly string[]): string[] {
  const s = str(v, key);
  if (s === undefined) return [...def];
  return s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
}

/** The classifier to use: --classifier, else the first default location that holds one, else none. */
async function pickClassifier(v: Values, checkpointDir: string, ds: Dataset, log: (m: string) => void): Promise<{ c?: LoadedClassifier; note?: string }> {
  if (v['no-classifier']) return { note: 'disabled with --no-classifier' };
  const given = str(v, 'classifier');
  const dir = given ?? defaultClassifierDirs(checkpointDir).find(isClassifierDir);
  if (!dir) return { note: `no classifier given and none found at ${defaultClassifierDirs(checkpointDir).join(' or ')} (train one with \`wgan-inpaint classifier train\`)` };
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

export const evalCommand: Command = {
  name: 'eval',
  summary: 'measure inpainting (PSNR, SSIM, hole L1/PSNR, time, semantic accuracy) against ablations and baselines',
  help,
  options: {
    model: { type: 'string' },
    data: { type: 'string' },
    split: { type: 'string' },
    limit: { type: 'string' },
    masks: { type: 'string' },
    n: { type: 'string' },
    seed: { type: 'string' },
    iters: { type: 'string' },
    restarts: { type: 'string' },
    lambda: { type: 'string' },
    lr: { type: 'string' },
    batch: { type: 'string' },
    methods: { type: 'string' },
    classifier: { type: 'string' },
    'no-classifier': { type: 'boolean' },
    'fd-n': { type: 'string' },
    'grid-rows': { type: 'string' },
    out: { type: 'string' },
    backend: { type: 'string' },
  },
  async run(v: Values, positionals: string[]): Promise<number> {
    const t0 = performance.now();
    const ref = str(v, 'model');
    if (!ref) throw new UserError('eval: --model RUN_DIR|CHECKPOINT|NAME is required');
    const out = str(v, 'out');
    if (!out) throw new UserError('eval: --out DIR is required');
    const split = str(v, 'split', 'test')!;
    if (split !== 'test' && split !== 'train') throw new UserError(`eval: --split must be test or train, got '${split}'`);
    const n = numOpt(v, 'n', { def: DEFAULT_N, int: true, min: 1 });
    const limit = str(v, 'limit') === undefined ? undefined : numOpt(v, 'limit', { def: 0, int: true, min: 1 });
    const fdN = numOpt(v, 'fd-n', { def: DEFAULT_FD_N, int: true, min: 2 });
    const gridRows = numOpt(v, 'grid-rows', { def: DEFAULT_GRID_ROWS, int: true, min: 1 });
    const opts = resolveEvalOptions({
      masks: listOpt(v, 'masks', DEFAULT_EVAL_MASKS),
      methods: listOpt(v, 'methods', EVAL_METHOD_KINDS),
      seed: numOpt(v, 'seed', { def: DEFAULT_EVAL.seed, int: true, min: 0 }),
      iters: numOpt(v, 'iters', { def: DEFAULT_EVAL.iters, int: true, min: 0 }),
      restarts: numOpt(v, 'restarts', { def: DEFAULT_EVAL.restarts, int: true, min: 1 }),
      lambda: numOpt(v, 'lambda', { def: DEFAULT_EVAL.lambda, int: false, min: 0 }),
      lr: numOpt(v, 'lr', { def: DEFAULT_EVAL.lr, int: false, min: Number.MIN_VALUE }),
      batch: numOpt(v, 'batch', { def: DEFAULT_EVAL.batch, int: true, min: 1 }),
    });

    const bar = new ProgressBar();
    const backend = await initBackend(str(v, 'backend', 'auto')!, (m) => bar.log(`notice: ${m}`));
    bar.log(`backend: ${backend}`);
    const ck = await loadCheckpoint(ref);
    const { size, channels } = ck.manifest.config;
    const data = str(v, 'data') ?? ck.manifest.config.data;
    const ds = await loadDataset({ data, size, channels, split, ...(limit !== undefined ? { limit } : {}), onWarning: (m) => bar.log(`warning: ${m}`) });
    const idx = selectEvalIndices(ds.n, n, opts.seed);
    if (idx.length < n) bar.log(`notice: the ${split} split has only ${ds.n} images; evaluating all of them`);
    const images = toImageBatch(ds, idx);
    const labels = ds.labels ? Int32Array.from(idx, (i) => ds.labels![i]!) : undefined;
    bar.log(`model: ${ck.dir} (step ${ck.manifest.step}); data: ${ds.name} ${split} ${images.n} of ${ds.n} images ${size}×${size}×${channels}`);
    const picked = await pickClassifier(v, ck.dir, ds, (m) => bar.log(m));
    const clf = picked.c;
    if (clf) bar.log(`classifier: ${clf.dir} (test accuracy ${(clf.manifest.testAccuracy * 100).toFixed(1)} %)`);
    const fdReal = clf ? toImageBatch(ds, selectEvalIndices(ds.n, fdN, opts.seed + 1)) : undefined;

    // Progress over all latent-search iterations of all mask kinds, searches and chunks.
    const searches = plannedSearches(opts).size;
    const chunks = Math.ceil(images.n / opts.batch);
    const total = opts.masks.length * searches * chunks * opts.iters;
    let doneBefore = 0, lastKey = '';
    const tSearch = performance.now();
    const ac = new AbortController();
    const onSig = () => { bar.log('interrupted'); ac.abort(); };
    process.once('SIGINT', onSig);
    try {
      const result = await evaluate(
        { model: ck, images, ...(labels ? { labels } : {}), ...(clf ? { classifier: clf.model } : {}), ...(clf && fdReal ? { fd: { real: fdReal, n: fdN, seed: opts.seed } } : {}) },
        opts,
        {
          signal: ac.signal,
          onLog: (m) => bar.log(m),
          onSearchProgress: (p) => {
            const key = `${p.mask}|${p.search}|${p.imagesDone}`;
            if (key !== lastKey) { if (lastKey) doneBefore += opts.iters; lastKey = key; }
            const done = Math.min(total, doneBefore + p.iter);
            const el = (performance.now() - tSearch) / 1000;
            if (total > 0) bar.update(done, total, done > 0 ? (el / done) * (total - done) : NaN, `${p.mask} ${p.search} images ${p.imagesDone + 1}–${Math.min(p.images, p.imagesDone + opts.batch)}/${p.images}`);
          },
        },
      );
      const seconds = (performance.now() - t0) / 1000;
      const ctx: ReportContext = {
        command: commandLine('eval', v, positionals),
        model: {
          dir: ck.dir,
          step: ck.manifest.step,
          config: ck.manifest.config,
          ...(ck.manifest.command ? { command: ck.manifest.command } : {}),
          ...(ck.manifest.dataset ? { dataset: ck.manifest.dataset } : {}),
          ...(ck.manifest.trainSeconds !== undefined ? { trainSeconds: ck.manifest.trainSeconds } : {}),
        },
        data: { name: ds.name, split, size, channels, available: ds.n, indices: Array.from(idx), labelled: !!ds.labels },
        versions: { library: VERSION, tfjs: tf.version.tfjs, node: process.version, backend: activeBackend() },
        classifier: clf ? { dir: clf.dir, testAccuracy: clf.manifest.testAccuracy, data: clf.manifest.data, testN: clf.manifest.testN } : undefined,
        classifierNote: picked.note,
        gridRows,
        seconds,
      };
      fs.mkdirSync(out, { recursive: true });
      await writeEvalReport(out, result, images, ctx);
      bar.log(`done in ${fmtDuration(seconds)}: ${path.join(out, 'index.md')}`);
      for (const kind of opts.masks) {
        const cells = result.cells[kind]!;
        bar.log(`  ${kind}: ${opts.methods.map((m) => `${m} ${cells[m]!.holePsnr.mean.toFixed(2)} dB`).join(', ')} (hole PSNR)`);
      }
      return 0;
    } finally {
      process.off('SIGINT', onSig);
      ck.generator.dispose();
      ck.critic.dispose();
      clf?.model.dispose();
    }
  },
};
