import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { resolveConfig, RESUMABLE_KEYS, type TrainConfig, type TrainConfigInput } from '../config/config.js';
import { buildModels, forwardFlops, type GanModels } from '../models/index.js';
import { makeTrainer, criticStep, generatorStep, criticIters, criticStepsBefore, type Trainer } from './steps.js';
import { sampleZ, generate, fromModelRange } from '../models/sample.js';
import { LOSSES } from '../losses/index.js';
import { saveCheckpoint, loadGanCheckpoint, loadOptimizers, GAN_LAYOUT, type Manifest } from './checkpoint.js';
import { resumeCheckpoint, resumeOverrides, resumedLine, runLoop } from './harness.js';
import { manifestDataset, readManifest } from './manifest.js';
import { RunDir, type StatLine } from './run_dir.js';
import { makeProbe, explodedSince, type Probe } from './probe.js';

export type { StatLine } from './run_dir.js';
import { loadDataset } from '../data/load_node.js';
import { fillBatch, type Dataset } from '../data/dataset.js';
import { fillCropBatch, parseCropScale } from '../data/crops.js';
import { BatchSampler, type SamplerState } from '../data/sampler.js';
import { writeFileAtomic } from '../io/atomic.js';
import { makeGrid, encodePng } from '../io/image.js';
import { svgPlot, smooth } from '../io/plot.js';
import { activeBackend } from '../backends/index.js';
import { Rng } from '../util/rng.js';
import { UserError } from '../util/errors.js';
import { definedKeys } from '../util/defined.js';

export interface Progress extends StatLine {
  iters: number;
  /** Estimated seconds to the end. */
  eta: number;
}

export interface TrainOptions {
  /** Run folder. */
  out: string;
  /** Continue from the newest checkpoint in `out`. */
  resume?: boolean;
  onProgress?: (p: Progress) => void;
  /** Informational one-liners (dataset loaded, checkpoint written …). */
  onLog?: (msg: string) => void;
  /** Called once with the resolved config, when it has been saved as RUN_DIR/config.json. */
  onConfig?: (c: TrainConfig) => void;
  /** Abort: a checkpoint is written at the current iteration and train() returns. */
  signal?: AbortSignal;
  /** Use this dataset instead of loading config.data (tests, custom sources). */
  dataset?: Dataset;
  /** Real images for the --fd-every measurements instead of 1000 of config.data's TEST split. */
  evalDataset?: Dataset;
  /** Command line to record in the manifest. */
  command?: string;
}

export interface TrainResult {
  config: TrainConfig;
  /** The trained networks (G with batch norm statistics, critic). */
  models: GanModels;
  checkpointDir: string;
  step: number;
  last?: StatLine;
  aborted: boolean;
}

export { RESUMABLE_KEYS } from '../config/config.js';

/**
 * Write plot.svg and plot.png of the run's estimate, the losses, FD-classifier and modes covered from
 * stats.jsonl. `loss` (the config's) names the estimate: the W estimate, or the GAN's discriminator loss.
 */
export async function writePlot(runDir: string, stats: StatLine[], loss = 'wgan-gp'): Promise<void> {
  const run = new RunDir(runDir);
  const xs = stats.map((s) => s.iter);
  const fd = stats.filter((s) => s.fdClassifier !== undefined);
  const md = stats.filter((s) => s.modes !== undefined);
  const est = LOSSES.get(loss).estimate;
  const svg = svgPlot(
    [
      {
        title: est.name,
        series: [{ name: `${est.short} (EMA 0.9)`, xs, ys: smooth(stats.map((s) => s.wEstimate)), color: '#1f77b4' }],
      },
      {
        title: 'Losses',
        series: [
          { name: 'critic loss (EMA)', xs, ys: smooth(stats.map((s) => s.criticLoss)), color: '#d62728' },
          { name: 'generator loss (EMA)', xs, ys: smooth(stats.map((s) => s.genLoss)), color: '#2ca02c' },
          { name: 'gradient penalty (EMA)', xs, ys: smooth(stats.map((s) => s.penalty)), color: '#9467bd' },
        ],
      },
      ...(fd.length
        ? [
            {
              title: 'FD-classifier (generated vs real test images; lower is better)',
              series: [
                {
                  name: 'FD-classifier',
                  xs: fd.map((s) => s.iter),
                  ys: fd.map((s) => s.fdClassifier!),
                  color: '#ff7f0e',
                },
              ],
            },
          ]
        : []),
      ...(md.length
        ? [
            {
              title: 'modes covered (classes with ≥ ¼ of their uniform share of the samples)',
              series: [
                { name: 'modes covered', xs: md.map((s) => s.iter), ys: md.map((s) => s.modes!), color: '#8c564b' },
              ],
            },
          ]
        : []),
    ],
    { xlabel: 'generator iteration' },
  );
  writeFileAtomic(run.plotSvg, svg);
  writeFileAtomic(run.plotPng, new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer()));
}

/** Generate an 8×8 grid (or fewer) from a fixed z and write it as PNG. */
async function writeSamples(t: Trainer, zFixed: tf.Tensor2D, runDir: string, step: number): Promise<void> {
  const c = t.config;
  const img = tf.tidy(() => fromModelRange(generate(t.models.generator, zFixed)));
  const data = img.dataSync() as Float32Array;
  img.dispose();
  const n = zFixed.shape[0];
  const grid = makeGrid([{ data, n, height: c.size, width: c.size, channels: c.channels }], Math.ceil(Math.sqrt(n)), 2);
  const png = await encodePng(grid);
  const run = new RunDir(runDir);
  writeFileAtomic(run.samplesAt(step), png);
  writeFileAtomic(run.latestSamples, png);
}

/**
 * Resolve the config of a new or resumed run (the saved one, with the allowed overrides, on resume).
 * A resume uses the newest fully intact checkpoint (checkCheckpoint, optimizer state included);
 * `onNotice` hears about each damaged newer one that was skipped.
 */
export function runConfig(
  input: TrainConfigInput,
  out: string,
  resume: boolean,
  onNotice?: (msg: string) => void,
): { config: TrainConfig; ckpt?: string; verified?: boolean } {
  const { ckpt, verified } = resumeCheckpoint(out, resume, GAN_LAYOUT, onNotice);
  if (!ckpt) return { config: resolveConfig(input) };
  const saved = readManifest(ckpt).config;
  const over = resumeOverrides(input as Record<string, unknown>, { ...saved }, RESUMABLE_KEYS);
  // A critic rate that was never set apart from lr keeps following it.
  if (over.lr !== undefined && over.dLr === undefined && saved.dLr === saved.lr) over.dLr = over.lr;
  return { config: resolveConfig({ ...saved, ...over }), ckpt, verified: verified! };
}

/** Load the training set (or take `opts.dataset`) and check it fits the config. */
async function loadTrainingData(c: TrainConfig, opts: TrainOptions, log: (m: string) => void): Promise<Dataset> {
  const ds =
    opts.dataset ??
    (await loadDataset({
      data: c.data,
      size: c.crop || c.size,
      channels: c.channels,
      split: 'train',
      ...(c.limit ? { limit: c.limit } : {}),
      onWarning: log,
    }));
  // With --crop S the images are kept at S×S and every sample is a random crop of them (data/crops.ts).
  const dsSide = c.crop || c.size;
  if (ds.size !== dsSide || ds.channels !== c.channels)
    throw new UserError(`dataset is ${ds.size}px×${ds.channels}, config wants ${dsSide}px×${c.channels}`);
  if (c.crop && c.crop < c.size)
    throw new UserError(
      `--crop ${c.crop} is smaller than --size ${c.size}: crops are resized down to the model's size, not up`,
    );
  if (ds.n < 1) throw new UserError(`dataset '${c.data}' has no training images`);
  log(
    `data: ${ds.name} (${ds.split}) ${ds.n} images ${ds.size}×${ds.size}×${ds.channels}${ds.skipped ? `, ${ds.skipped} corrupt skipped` : ''}`,
  );
  return ds;
}

/** Where a run starts: fresh networks, or everything a checkpoint holds to continue bit for bit. */
interface StartState {
  trainer: Trainer;
  sampler: BatchSampler;
  /** Generator iterations done. */
  step: number;
  trainSeconds: number;
  /** The crop positions and scales of --crop (checkpointed, so a resume draws the same crops). */
  cropRng: Rng;
  /** The resumed checkpoint's manifest (its command and resumes carry over). */
  manifestPrev?: Manifest;
}

/** Build the networks and sampler of a new run, or restore them (with optimizers and RNGs) from `ckpt`. */
async function startState(
  c: TrainConfig,
  ds: Dataset,
  run: RunDir,
  resumeFrom: { ckpt?: string | undefined; verified?: boolean | undefined },
  log: (m: string) => void,
): Promise<StartState> {
  const cropRng = new Rng(c.seed + 0xc409);
  const { ckpt, verified } = resumeFrom;
  if (!ckpt) {
    const trainer = makeTrainer(buildModels(c.model, { ...c }), c);
    const sampler = new BatchSampler(ds.n, c.batch, c.seed);
    run.clearStats();
    return { trainer, sampler, step: 0, trainSeconds: 0, cropRng };
  }
  const ck = await loadGanCheckpoint(ckpt);
  const trainer = makeTrainer({ generator: ck.generator, critic: ck.critic }, c);
  await loadOptimizers(ckpt, trainer.gOpt, trainer.dOpt);
  const step = ck.manifest.step;
  trainer.rng.state = (ck.manifest.rngState ?? trainer.rng.state) >>> 0;
  cropRng.state = (ck.manifest.cropRngState ?? cropRng.state) >>> 0;
  const sampler = ck.manifest.sampler
    ? BatchSampler.fromState(ds.n, c.batch, ck.manifest.sampler as SamplerState)
    : new BatchSampler(ds.n, c.batch, c.seed);
  // Drop stats lines written after that checkpoint (the previous process died after writing them).
  run.truncateStats(step);
  log(resumedLine(ckpt, 'iteration', step, verified));
  return {
    trainer,
    sampler,
    step,
    trainSeconds: ck.manifest.trainSeconds ?? 0,
    cropRng,
    manifestPrev: ck.manifest,
  };
}

/**
 * FD-classifier, modes covered and spread (probe.ts) when `fdEvery` > 0: a fixed set of real test
 * images, their classifier features and spread computed once. The caller disposes `classifier`.
 */
async function fdProbe(
  c: TrainConfig,
  opts: TrainOptions,
  log: (m: string) => void,
): Promise<{ probe?: Probe; classifier?: tf.LayersModel }> {
  if (c.fdEvery <= 0) return {};
  if (!c.classifier)
    throw new UserError('fdEvery needs a classifier folder (--classifier DIR, from `wgan-inpaint classifier train`)');
  const { loadClassifier } = await import('../classifier/classifier_node.js');
  const { toImageBatch } = await import('../data/dataset.js');
  const clf = await loadClassifier(c.classifier);
  const test =
    opts.evalDataset ??
    (await loadDataset({
      data: c.data,
      size: c.size,
      channels: c.channels,
      split: 'test',
      limit: 1000,
      onWarning: log,
    }));
  const real = toImageBatch(
    test,
    Array.from({ length: Math.min(test.n, 1000) }, (_, i) => i),
  );
  const probe = makeProbe(clf.model, real, c.seed);
  log(
    `FD-classifier, modes covered (of ${probe.classes}) and sample spread every ${c.fdEvery} iterations against ${real.n} test images (classifier ${c.classifier}; real spread ${probe.realSpread.toFixed(3)})`,
  );
  return { probe, classifier: clf.model };
}

/**
 * One generator iteration: n_critic critic steps on real batches (random crops with --crop), then
 * one generator step; and which logged value is not finite (a divergence). Holds the critic-step
 * counter (lazy penalty) and the newest measured penalty across iterations.
 */
function ganIteration(c: TrainConfig, ds: Dataset, st: StartState, cropScale: [number, number]) {
  const { trainer, sampler, cropRng } = st;
  const buf = new Float32Array(c.batch * c.size * c.size * c.channels);
  let criticSteps = criticStepsBefore(c, st.step);
  let lastPenalty = { penalty: NaN, gradNorm: NaN };
  let penaltyNow = false;
  return {
    step: (s: number) => {
      const nd = criticIters(c, s);
      let cs = { criticLoss: 0, wEstimate: 0, penalty: 0, gradNorm: NaN };
      penaltyNow = false;
      for (let k = 0; k < nd; k++) {
        const idx = sampler.next();
        if (c.crop) fillCropBatch(ds, idx, buf, c.size, cropRng, cropScale);
        else fillBatch(ds, idx, buf, '[-1,1]');
        const real = tf.tensor4d(buf, [c.batch, c.size, c.size, c.channels]);
        cs = criticStep(trainer, real, criticSteps++);
        real.dispose();
        // A lazy penalty is computed on some critic steps only: log the newest one measured.
        if (Number.isNaN(cs.penalty)) Object.assign(cs, lastPenalty);
        else {
          lastPenalty = { penalty: cs.penalty, gradNorm: cs.gradNorm };
          penaltyNow = true;
        }
      }
      const genLoss = generatorStep(trainer, c.batch);
      return { values: { ...cs, genLoss }, images: nd * c.batch };
    },
    nonFinite: (l: StatLine) =>
      (
        ['criticLoss', 'wEstimate', ...(penaltyNow || c.gpLambda === 0 ? ['penalty' as const] : []), 'genLoss'] as const
      ).find((k) => !Number.isFinite(l[k])),
  };
}

/**
 * The --fd-every measurement added to a stats line (FD-classifier, modes, spread, collapse, exploding
 * values), with a one-time warning for collapse and for exploding values: reported, not stopped on.
 */
function probeMeasure(
  c: TrainConfig,
  run: RunDir,
  trainer: Trainer,
  probe: Probe | undefined,
  log: (m: string) => void,
) {
  let probedAt = [...run.readStats()].reverse().find((s) => s.fdClassifier !== undefined)?.iter ?? 0;
  const warned = { collapsed: false, exploding: false };
  return (s: number, l: StatLine, stats: StatLine[]) => {
    if (!probe || s % c.fdEvery !== 0) return;
    const r = probe.measure(trainer.models.generator);
    const exploding = explodedSince([...stats, l], probedAt);
    Object.assign(l, {
      fdClassifier: r.fdClassifier,
      modes: r.modes,
      klUniform: r.klUniform,
      spread: r.spread,
      spreadRatio: r.spreadRatio,
      collapsed: r.collapsed,
      exploding,
    });
    probedAt = s;
    // Reported, not stopped on: a run may recover, and an experiment wants the whole curve.
    if (r.collapsed && !warned.collapsed)
      log(
        `warning: samples collapsed at iteration ${s} (spread ${r.spread.toFixed(3)} = ${r.spreadRatio.toFixed(2)} × the real images'; < 0.25 counts as collapse)`,
      );
    if (exploding && !warned.exploding)
      log(`warning: the critic's values exploded before iteration ${s} (more than 100 × their median so far)`);
    warned.collapsed ||= r.collapsed;
    warned.exploding ||= exploding;
  };
}

/** Writes a checkpoint of the run: networks, optimizers and everything a bit-exact resume needs. */
function checkpointWriter(c: TrainConfig, ds: Dataset, st: StartState, opts: TrainOptions, ckpt: string | undefined) {
  const { trainer, sampler, cropRng, manifestPrev } = st;
  // The first command stays the run's command; each resume's command is appended.
  const resumes = [...(manifestPrev?.resumes ?? []), ...(ckpt && opts.command ? [opts.command] : [])];
  const command = manifestPrev?.command ?? opts.command;
  return (dir: string, s: number, last: StatLine | undefined, seconds: number) =>
    saveCheckpoint(dir, {
      ...trainer.models,
      gOpt: trainer.gOpt,
      dOpt: trainer.dOpt,
      manifest: {
        step: s,
        seed: c.seed,
        config: c,
        dataset: manifestDataset(ds),
        sampler: sampler.state(),
        rngState: trainer.rng.state,
        ...(c.crop ? { cropRngState: cropRng.state } : {}),
        ...(last ? { metrics: { ...last } } : {}),
        backend: activeBackend(),
        trainSeconds: st.trainSeconds + seconds,
        ...(command ? { command } : {}),
        ...(resumes.length ? { resumes } : {}),
      },
    });
}

/**
 * Train a WGAN / WGAN-GP (or the standard-GAN baseline). Resolves when `config.iters` generator iterations are done (or on abort),
 * with the last checkpoint written. Throws UserError on bad input or divergence (NaN/Inf), leaving the
 * last good checkpoint in place and RUN_DIR/diverged.json. Collapsed samples and exploding critic
 * values (measured every fdEvery iterations) are recorded in stats.jsonl and logged, not stopped on.
 *
 * The steps: resolve the config (runConfig), load the data, start or resume the state, write the
 * config, prepare the probe, then the harness's loop (train/harness.ts) over one GAN iteration.
 */
export async function train(input: TrainConfigInput, opts: TrainOptions): Promise<TrainResult> {
  const log = opts.onLog ?? (() => {});
  const { config: c, ckpt, verified } = runConfig(input, opts.out, !!opts.resume, (m) => log(`notice: ${m}`));
  const run = new RunDir(opts.out);
  const ds = await loadTrainingData(c, opts, log);
  const cropScale = parseCropScale(c.cropScale);
  const st = await startState(c, ds, run, { ckpt, verified }, log);
  const { trainer } = st;

  // Only now, with the data and any checkpoint read, does the run folder get written.
  run.writeConfig(c);
  opts.onConfig?.(c);

  const { probe, classifier } = await fdProbe(c, opts, log);
  const zFixed = sampleZ(new Rng(c.seed + 0x5eed), 64, c.nz);
  const iteration = ganIteration(c, ds, st, cropScale);
  // A resumed run is no longer a diverged one (it may diverge again, with a new record).
  run.clearDiverged();
  const measure = probeMeasure(c, run, trainer, probe, log);
  try {
    const r = await runLoop<StatLine>(
      {
        run,
        layout: GAN_LAYOUT,
        iters: c.iters,
        sampleEvery: c.sampleEvery,
        checkpointEvery: c.checkpointEvery,
        keepCheckpoints: c.keepCheckpoints,
        step: st.step,
        ...(ckpt ? { ckpt } : {}),
        what: 'training',
        unit: 'iteration',
        log,
        ...definedKeys({ signal: opts.signal, onProgress: opts.onProgress }),
      },
      {
        step: iteration.step,
        nonFinite: iteration.nonFinite,
        measure,
        sample: (s) => writeSamples(trainer, zFixed, opts.out, s).then(() => undefined),
        sampleOnStop: true,
        plot: (stats) => writePlot(opts.out, stats, c.loss),
        nets: () => [
          ['generator', trainer.models.generator],
          ['critic', trainer.models.critic],
        ],
        save: checkpointWriter(c, ds, st, opts, ckpt),
      },
    );
    const result: TrainResult = {
      config: c,
      models: trainer.models,
      checkpointDir: r.lastGood,
      step: r.step,
      aborted: r.aborted,
    };
    if (r.last) result.last = r.last;
    return result;
  } finally {
    zFixed.dispose();
    trainer.gOpt.dispose();
    trainer.dOpt.dispose();
    classifier?.dispose();
  }
}

/** FLOPs of one generator iteration (n_critic critic steps + 1 generator step), for GFLOP/s figures. */
export function iterationFlops(t: Trainer): number {
  const c = t.config;
  const g = forwardFlops(t.models.generator),
    d = forwardFlops(t.models.critic);
  // critic step: G fwd; D fwd+bwd on real and fake (3× fwd each); GP: D fwd on x̂, its input gradient
  // (≈2× fwd), and the gradient of that (≈2× the first-order graph) → ≈ 9× fwd.
  const critic = c.batch * (g + LOSSES.get(c.loss).criticForwards(c) * d);
  const gen = c.batch * 3 * (g + d);
  return c.nCritic * critic + gen;
}
