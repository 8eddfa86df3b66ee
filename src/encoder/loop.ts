import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import type { ImageBatch, Mask } from '../types.js';
import { loadGanCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import { disposeModel } from '../models/index.js';
import { resumeCheckpoint, resumeOverrides, resumedLine, runLoop } from '../train/harness.js';
import { RunDir } from '../train/run_dir.js';
import { loadDataset } from '../data/load_node.js';
import { fillBatch, toImageBatch, type Dataset } from '../data/dataset.js';
import { BatchSampler, type SamplerState } from '../data/sampler.js';
import { applyMask } from '../inpaint/composite.js';
import { getMetric, meanFinite } from '../metrics/index.js';
import { selectEvalIndices } from '../data/split.js';
import { maskSeed } from '../masks/series.js';
import { makeMask, type MaskKindName } from '../masks/masks.js';
import { writeFileAtomic } from '../io/atomic.js';
import { makeGrid, encodePng } from '../io/image.js';
import { svgPlot, smooth, type Series } from '../io/plot.js';
import { activeBackend } from '../backends/index.js';
import { UserError } from '../util/errors.js';
import { ENCODER_RESUMABLE_KEYS, resolveEncoderConfig, type EncoderConfig, type EncoderConfigInput } from './config.js';
import { buildEncoder, encoderFill } from './model.js';
import { makeEncoderTrainer, encoderStep, type EncoderTrainer } from './step.js';
import { ENCODER_LOSS_PARTS } from './losses.js';
import { generatorDigest, shortDigest, type EncoderManifest } from './manifest.js';
import {
  saveEncoder,
  readEncoderManifest,
  loadEncoderUnchecked,
  loadEncoderOptimizer,
  ENCODER_LAYOUT,
} from './checkpoint.js';
import { definedKeys } from '../util/defined.js';

/** The held-out mask kinds the validation cycles through (the evaluation's). */
export const VAL_MASK_KINDS = [
  'center',
  'random',
  'half',
  'pattern',
  'strokes',
] as const satisfies readonly MaskKindName[];

/** One line of stats.jsonl (NaN parts — weight 0 — are written as null). */
export interface EncoderStatLine {
  iter: number;
  loss: number;
  recon: number;
  context: number;
  /** Absent in runs from before the hole loss. */
  hole?: number;
  latent: number;
  adv: number;
  /** Real training images per second over this step. */
  imagesPerSec: number;
  /** Seconds since the run (or resume) started. */
  time: number;
  /** Encoder-only hole PSNR (dB) on the fixed held-out set, at sample steps: mean and per mask kind. */
  valHolePsnr?: number;
  valByKind?: Record<string, number>;
  tensors: number;
  rssMB: number;
}

export interface EncoderProgress extends EncoderStatLine {
  iters: number;
  eta: number;
}

export interface EncoderTrainOptions {
  /** Run folder. */
  out: string;
  resume?: boolean;
  onProgress?: (p: EncoderProgress) => void;
  onLog?: (msg: string) => void;
  /** Called once with the resolved config when it is saved. */
  onConfig?: (c: EncoderConfig, fromModel: { dWidth: number; data: string }) => void;
  signal?: AbortSignal;
  /** Use these instead of loading config.data (tests). */
  dataset?: Dataset;
  valDataset?: Dataset;
  command?: string;
}

export interface EncoderTrainResult {
  config: EncoderConfig;
  encoder: tf.LayersModel;
  /** The frozen model it was trained for (the caller disposes all three). */
  model: Checkpoint;
  step: number;
  checkpointDir: string;
  /** RUN_DIR/encoder. */
  encoderDir: string;
  last?: EncoderStatLine;
  aborted: boolean;
}

/**
 * The config of a new or resumed run, and the model it serves. On resume the saved config is used,
 * with only ENCODER_RESUMABLE_KEYS allowed to change; the model may be left out. A resume starts from
 * the newest checkpoint that passes its full check (harness.ts), each newer damaged one skipped with
 * a notice.
 */
export async function encoderRunConfig(
  input: EncoderConfigInput | Partial<EncoderConfigInput>,
  out: string,
  resume: boolean,
  onNotice?: (msg: string) => void,
): Promise<{
  config: EncoderConfig;
  model: Checkpoint;
  fromModel: { dWidth: number; data: string };
  ckpt?: string;
  verified?: boolean;
  saved?: EncoderManifest;
}> {
  const { ckpt, verified } = resumeCheckpoint(out, resume, ENCODER_LAYOUT, onNotice);
  const saved = ckpt ? readEncoderManifest(ckpt) : undefined;
  const ref = (saved?.config.model as string | undefined) ?? input.model;
  if (!ref) throw new UserError('train-encoder: --model is required');
  const model = await loadGanCheckpoint(ref);
  const fromModel = { dWidth: model.manifest.config.dWidth, data: model.manifest.config.data };
  try {
    if (!saved) return { config: resolveEncoderConfig(input, fromModel), model, fromModel };
    const over = resumeOverrides(input as Record<string, unknown>, saved.config, ENCODER_RESUMABLE_KEYS);
    return {
      config: resolveEncoderConfig({ ...saved.config, ...over }, fromModel),
      model,
      fromModel,
      ckpt: ckpt!,
      verified: verified!,
      saved,
    };
  } catch (e) {
    disposeModel(model);
    throw e;
  }
}

/** The fixed held-out images and masks for the grid and the validation PSNR. */
interface ValSet {
  images: ImageBatch;
  masks: Mask[];
  kinds: string[];
}

function valSet(ds: Dataset, n: number, seed: number): ValSet {
  const idx = selectEvalIndices(ds.n, n, seed);
  const images = toImageBatch(ds, idx);
  const kinds = Array.from({ length: images.n }, (_, i) => VAL_MASK_KINDS[i % VAL_MASK_KINDS.length]!);
  // Image i gets the evaluation's mask i of its kind, so the validation holes are fixed per seed.
  const masks = kinds.map((k, i) => makeMask(k, ds.size, ds.size, { seed: maskSeed(seed, i) }));
  return { images, masks, kinds };
}

/** Encoder-only hole PSNR on the validation set: the mean and per kind (dB). */
async function validate(
  t: EncoderTrainer,
  v: ValSet,
): Promise<{ mean: number; byKind: Record<string, number>; composite: ImageBatch }> {
  const { composite } = await encoderFill(t.encoder, t.generator, v.images, v.masks);
  const per = getMetric('hole-psnr').compute(composite, v.images, v.masks);
  const byKind: Record<string, number> = {};
  for (const k of new Set(v.kinds)) byKind[k] = meanFinite(per.filter((_, i) => v.kinds[i] === k));
  return { mean: meanFinite(per), byKind, composite };
}

/** The grid: up to 16 validation images as (masked | encoder-only fill | truth), two per row. */
async function writeGrid(v: ValSet, composite: ImageBatch, run: RunDir<EncoderStatLine>, step: number): Promise<void> {
  const n = Math.min(16, v.images.n);
  const s = v.images.height * v.images.width * v.images.channels;
  const masked = applyMask(v.images, v.masks);
  const tiles: ImageBatch[] = [];
  const one = (b: ImageBatch, i: number): ImageBatch => ({ ...b, n: 1, data: b.data.subarray(i * s, (i + 1) * s) });
  for (let i = 0; i < n; i++) tiles.push(one(masked, i), one(composite, i), one(v.images, i));
  const png = await encodePng(makeGrid(tiles, n > 1 ? 6 : 3, 2));
  writeFileAtomic(run.samplesAt(step), png);
  writeFileAtomic(run.latestSamples, png);
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/** plot.svg / plot.png from the stats: weighted loss, its parts, held-out encoder-only hole PSNR. */
export async function writeEncoderPlot(runDir: string, stats: EncoderStatLine[]): Promise<void> {
  const run = new RunDir<EncoderStatLine>(runDir);
  const xs = stats.map((s) => s.iter);
  const finite = (k: keyof EncoderStatLine) => stats.some((s) => typeof s[k] === 'number' && Number.isFinite(s[k]));
  const parts = ENCODER_LOSS_PARTS.filter(finite);
  const val = stats.filter((s) => typeof s.valHolePsnr === 'number');
  const kinds = [...new Set(val.flatMap((s) => Object.keys(s.valByKind ?? {})))];
  const valSeries: Series[] = [
    { name: 'all', xs: val.map((s) => s.iter), ys: val.map((s) => s.valHolePsnr!), color: '#000000' },
    ...kinds.map((k, i) => ({
      name: k,
      xs: val.map((s) => s.iter),
      ys: val.map((s) => s.valByKind?.[k] ?? NaN),
      color: COLORS[i % COLORS.length]!,
    })),
  ];
  const svg = svgPlot(
    [
      {
        title: 'Encoder loss (weighted total, EMA 0.9)',
        series: [{ name: 'loss', xs, ys: smooth(stats.map((s) => s.loss)), color: COLORS[0]! }],
      },
      {
        title: 'Loss parts (unweighted, EMA 0.9)',
        series: parts.map((k, i) => ({
          name: k,
          xs,
          ys: smooth(stats.map((s) => (s[k] as number | null) ?? NaN)),
          color: COLORS[(i + 1) % COLORS.length]!,
        })),
      },
      ...(val.length ? [{ title: 'Held-out encoder-only hole PSNR (dB; higher is better)', series: valSeries }] : []),
    ],
    { xlabel: 'step' },
  );
  writeFileAtomic(run.plotSvg, svg);
  writeFileAtomic(run.plotPng, new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer()));
}

/**
 * Train an encoder for a model's generator (G and the critic frozen). Resolves when `iters` steps are
 * done (or on abort) with the last checkpoint and RUN_DIR/encoder written. Throws UserError on bad
 * input or divergence (NaN/Inf), keeping the last good checkpoint.
 */
export async function trainEncoder(
  input: EncoderConfigInput | Partial<EncoderConfigInput>,
  opts: EncoderTrainOptions,
): Promise<EncoderTrainResult> {
  const log = opts.onLog ?? (() => {});
  const {
    config: c,
    model,
    fromModel,
    ckpt,
    verified,
    saved,
  } = await encoderRunConfig(input, opts.out, !!opts.resume, (m) => log(`notice: ${m}`));
  const run = new RunDir<EncoderStatLine>(opts.out);
  const G = model.generator;
  const [, size, , channels] = G.outputs[0]!.shape as number[];
  const nz = G.inputs[0]!.shape[1] as number;
  let trainer: EncoderTrainer | undefined;
  try {
    const digest = await generatorDigest(G);
    if (saved && saved.generator.digest !== digest) {
      throw new UserError(
        `--resume: model '${c.model}' has another generator (digest ${shortDigest(digest)}…) than the one this run trains for (${shortDigest(saved.generator.digest)}…)`,
      );
    }
    const ds =
      opts.dataset ??
      (await loadDataset({
        data: c.data,
        size: size!,
        channels: channels as 1 | 3,
        split: 'train',
        ...(c.limit ? { limit: c.limit } : {}),
        onWarning: log,
      }));
    if (ds.size !== size || ds.channels !== channels)
      throw new UserError(`dataset is ${ds.size}px×${ds.channels}, the model makes ${size}px×${channels}`);
    if (ds.n < 1) throw new UserError(`dataset '${c.data}' has no training images`);
    // Held-out images for the grid and the validation PSNR: the test split, else (none) training images.
    let vds = opts.valDataset;
    if (!vds) {
      try {
        vds = await loadDataset({
          data: c.data,
          size: size!,
          channels: channels as 1 | 3,
          split: 'test',
          limit: c.valN,
          onWarning: log,
        });
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        log(`notice: no test split (${e.message}); validating on training images`);
      }
    }
    const held = vds && vds.n > 0 ? vds : ds;
    const val = valSet(held, c.valN, c.seed);
    log(
      `model: ${model.dir} (step ${model.manifest.step}, generator ${shortDigest(digest)}…); data: ${ds.name} ${ds.split} ${ds.n} images; validation: ${val.images.n} ${held.split} images`,
    );

    const weights = {
      recon: c.reconWeight,
      context: c.contextWeight,
      hole: c.holeWeight,
      latent: c.latentWeight,
      adv: c.advWeight,
    };
    let step = 0,
      trainSeconds = 0;
    let sampler: BatchSampler;
    if (ckpt && saved) {
      const e = await loadEncoderUnchecked(ckpt);
      trainer = makeEncoderTrainer({ encoder: e.encoder, generator: G, critic: model.critic }, { ...c, weights });
      await loadEncoderOptimizer(ckpt, trainer.opt);
      step = saved.step;
      trainSeconds = saved.trainSeconds ?? 0;
      trainer.rng.state = (saved.rngState ?? trainer.rng.state) >>> 0;
      sampler = saved.sampler
        ? BatchSampler.fromState(ds.n, c.batch, saved.sampler as SamplerState)
        : new BatchSampler(ds.n, c.batch, c.seed);
      run.truncateStats(step);
      log(resumedLine(ckpt, 'step', step, verified));
    } else {
      const encoder = buildEncoder({
        size: size as 28 | 32 | 64,
        channels: channels as 1 | 3,
        nz,
        width: c.width,
        seed: c.seed,
      });
      trainer = makeEncoderTrainer({ encoder, generator: G, critic: model.critic }, { ...c, weights });
      sampler = new BatchSampler(ds.n, c.batch, c.seed);
      run.clearStats();
    }
    const t = trainer;
    run.writeConfig(c);
    opts.onConfig?.(c, fromModel);

    const resumes = [...(saved?.resumes ?? []), ...(ckpt && opts.command ? [opts.command] : [])];
    const command = saved?.command ?? opts.command;
    // A resumed run is no longer a diverged one (it may diverge again, with a new record).
    run.clearDiverged();
    const manifestAt = (
      s: number,
      withState: boolean,
      last: EncoderStatLine | undefined,
      seconds: number,
    ): Omit<EncoderManifest, 'format' | 'kind' | 'library' | 'tfjs' | 'createdAt' | 'files'> => ({
      step: s,
      generator: { digest, size: size!, channels: channels!, nz, model: c.model, step: model.manifest.step },
      config: { ...c },
      dataset: { name: ds.name, split: ds.split, n: ds.n, size: ds.size, channels: ds.channels },
      ...(withState ? { sampler: sampler.state(), rngState: t.rng.state } : {}),
      ...(last ? { metrics: { ...last } } : {}),
      backend: activeBackend(),
      trainSeconds: trainSeconds + seconds,
      ...(command ? { command } : {}),
      ...(resumes.length ? { resumes } : {}),
    });
    const buf = new Float32Array(c.batch * size! * size! * channels!);
    const r = await runLoop<EncoderStatLine>(
      {
        run,
        layout: ENCODER_LAYOUT,
        iters: c.iters,
        sampleEvery: c.sampleEvery,
        checkpointEvery: c.checkpointEvery,
        keepCheckpoints: c.keepCheckpoints,
        step,
        ...(ckpt ? { ckpt } : {}),
        what: 'encoder training',
        unit: 'step',
        log,
        ...definedKeys({ signal: opts.signal, onProgress: opts.onProgress }),
      },
      {
        step: () => {
          fillBatch(ds, sampler.next(), buf, '[-1,1]');
          const x = tf.tensor4d(buf, [c.batch, size!, size!, channels!]);
          try {
            return { values: encoderStep(t, x), images: c.batch };
          } finally {
            x.dispose();
          }
        },
        // A part with weight 0 is not computed (NaN, logged as null).
        nonFinite: (l) =>
          (['loss', ...ENCODER_LOSS_PARTS] as const).find(
            (k) => !Number.isFinite(l[k]) && !(Number.isNaN(l[k]) && weights[k as keyof typeof weights] === 0),
          ),
        // The grid and the held-out encoder-only hole PSNR of that step's line.
        sample: async (s) => {
          const v = await validate(t, val);
          await writeGrid(val, v.composite, run, s);
          return s === 0 ? {} : { valHolePsnr: v.mean, valByKind: v.byKind };
        },
        sampleOnStop: false,
        plot: (stats) => writeEncoderPlot(opts.out, stats),
        nets: () => [['encoder', t.encoder]],
        save: (dir, s, last, seconds) =>
          saveEncoder(dir, { encoder: t.encoder, opt: t.opt, manifest: manifestAt(s, true, last, seconds) }),
      },
    );
    await saveEncoder(run.encoderDir, { encoder: t.encoder, manifest: manifestAt(r.step, false, r.last, r.seconds) });
    t.opt.dispose();
    const res: EncoderTrainResult = {
      config: c,
      encoder: t.encoder,
      model,
      step: r.step,
      checkpointDir: r.lastGood,
      encoderDir: run.encoderDir,
      aborted: r.aborted,
    };
    if (r.last) res.last = r.last;
    return res;
  } catch (e) {
    trainer?.opt.dispose();
    trainer?.encoder.dispose();
    G.dispose();
    model.critic.dispose();
    throw e;
  }
}
