/**
 * The one training harness (Node): everything a training run does around its step, shared by `train`
 * (train/loop.ts, the GAN) and `train-encoder` (encoder/loop.ts): the run folder (RunDir), the
 * checked resume with fallback (verify.ts: sizes, digests, finite weights) and the resumable keys,
 * the checkpoint cadence and rotation, stats.jsonl, the plot, progress with ETA, divergence
 * (diverged.json) and abort. Each loop supplies only its step and what it writes (LoopHooks).
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors.js';
import { RunDir } from './run_dir.js';
import { newestGoodCheckpoint, pruneCheckpoints } from './checkpoint.js';
import { inspectCheckpoint, type CheckpointLayout } from './verify.js';
import { definedKeys } from '../util/defined.js';

/**
 * The checkpoint a run starts from: none for a new run (refused when the folder already has
 * checkpoints), else the newest one that passes its full check (optimizer state included), each
 * newer damaged one skipped with a notice; `verified` is false for an older checkpoint without digests.
 */
export function resumeCheckpoint(
  out: string,
  resume: boolean,
  layout: CheckpointLayout,
  onNotice?: (msg: string) => void,
): { ckpt?: string; verified?: boolean } {
  const run = new RunDir(out);
  if (!resume) {
    if (run.checkpoints().length)
      throw new UserError(
        `run folder '${out}' already has checkpoints; pass --resume to continue it, or choose another --out`,
      );
    return {};
  }
  let good: { dir: string; verified: boolean } | null;
  try {
    good = newestGoodCheckpoint(out, layout, { optimizer: true, ...definedKeys({ onNotice }) });
  } catch (e) {
    throw new UserError(`--resume: ${(e as Error).message}`);
  }
  if (!good) throw new UserError(`--resume: run folder '${out}' has no complete checkpoint`);
  return { ckpt: good.dir, verified: good.verified };
}

/**
 * The keys of `given` a resume may change (`keys`, beside each config schema), as overrides of the
 * saved config; any other key given must equal the saved value (UserError naming the first that differs).
 */
export function resumeOverrides(
  given: Record<string, unknown>,
  saved: Record<string, unknown>,
  keys: readonly string[],
): Record<string, unknown> {
  for (const [k, v] of Object.entries(given)) {
    if (keys.includes(k) || v === undefined) continue;
    if (JSON.stringify(saved[k]) !== JSON.stringify(v)) {
      throw new UserError(
        `--resume: '${k}' differs from the run's config (${JSON.stringify(saved[k])}); only ${keys.join(', ')} may change`,
      );
    }
  }
  return Object.fromEntries(keys.filter((k) => given[k] !== undefined).map((k) => [k, given[k]]));
}

/** The resume line of the log: where from, and whether the checkpoint's content was verified. */
export function resumedLine(ckpt: string, unit: string, step: number, verified: boolean | undefined): string {
  return `resumed from ${ckpt} at ${unit} ${step}${verified ? '' : ' (unverified: an older checkpoint without content digests)'}`;
}

/** The fields the harness adds to every stats line. */
export interface HarnessStat {
  iter: number;
  imagesPerSec: number;
  time: number;
  tensors: number;
  rssMB: number;
}

export interface LoopHooks<S extends HarnessStat> {
  /** One step (the step count before it is `step`): the stats values it logged and the real images it consumed. */
  step(
    step: number,
  ):
    | Promise<{ values: Omit<S, keyof HarnessStat>; images: number }>
    | { values: Omit<S, keyof HarnessStat>; images: number };
  /** The first logged value that is not finite (and must be), or undefined. */
  nonFinite(line: S): keyof S | undefined;
  /** Measurements added to the line of `step` before it is logged (probes). */
  measure?(step: number, line: S, stats: S[]): Promise<void> | void;
  /**
   * Write the sample grid of `step` (0 for a new run, every sampleEvery steps and the last); fields it
   * returns join that step's stats line (held-out validation).
   */
  sample(step: number): Promise<Partial<S> | undefined>;
  /** Also write the grid of the step a stopped run ends on. */
  sampleOnStop: boolean;
  /** plot.svg / plot.png from all the stats so far. */
  plot(stats: S[]): Promise<void>;
  /** Write the checkpoint folder of `step` (atomically) to `dir`. */
  save(dir: string, step: number, last: S | undefined, seconds: number): Promise<void>;
  /** The networks whose weights must be finite for a checkpoint to be written. */
  nets(): [string, tf.LayersModel][];
}

export interface LoopSpec<S extends HarnessStat> {
  run: RunDir<S>;
  layout: CheckpointLayout;
  /** The run's cadences and length. */
  iters: number;
  sampleEvery: number;
  checkpointEvery: number;
  keepCheckpoints: number;
  /** Where it starts: the step of the checkpoint resumed from (0 and no checkpoint: a new run). */
  step: number;
  ckpt?: string;
  /** What the messages call a run and a step: 'training' / 'iteration', 'encoder training' / 'step'. */
  what: string;
  unit: string;
  signal?: AbortSignal;
  log: (msg: string) => void;
  onProgress?: (p: S & { iters: number; eta: number }) => void;
}

export interface LoopResult<S> {
  step: number;
  last?: S;
  aborted: boolean;
  /** The newest checkpoint written that passed its check ('' = none). */
  lastGood: string;
  /** Seconds since this process's part of the run started. */
  seconds: number;
}

/** The first network with a NaN or ±Inf weight, and that value as text; or null. */
export function nonFiniteWeights(nets: [string, tf.LayersModel][]): { net: string; value: string } | null {
  for (const [net, m] of nets) {
    for (const w of m.weights) {
      const v = (w.read().dataSync() as Float32Array).find((x) => !Number.isFinite(x));
      if (v !== undefined) return { net, value: String(v) };
    }
  }
  return null;
}

/**
 * Run steps until `iters` (or abort), with stats, samples, plot, checkpoints and divergence handled
 * here. Throws UserError on divergence (a non-finite logged value or non-finite weights at a
 * checkpoint), having written diverged.json and kept the last good checkpoint.
 */
export async function runLoop<S extends HarnessStat>(spec: LoopSpec<S>, h: LoopHooks<S>): Promise<LoopResult<S>> {
  const { run, iters } = spec;
  let step = spec.step;
  const startStep = step;
  const resumed = !!spec.ckpt;
  const stats = resumed ? run.readStats() : [];
  let last: S | undefined = stats.at(-1);
  let lastGood = spec.ckpt ?? '';
  let aborted = false;
  let lastSampled = -1;
  const t0 = performance.now();
  const seconds = () => (performance.now() - t0) / 1000;

  const diverged = (s: number, key: string, value: string, detail: string): never => {
    run.writeDiverged({ iter: s, key, value, lastGood });
    throw new UserError(
      `${spec.what} diverged at ${spec.unit} ${s}: ${detail}; the last good checkpoint is ${lastGood || '(none yet)'}`,
    );
  };

  const checkpoint = async (s: number) => {
    // A step can leave the weights non-finite while the values it logged were finite (they are
    // computed before its update): such a state is a divergence, never a checkpoint.
    const nf = nonFiniteWeights(h.nets());
    if (nf) diverged(s, `${nf.net} weights`, nf.value, `the ${nf.net}'s weights are not finite (${nf.value})`);
    const dir = run.checkpointAt(s);
    await h.save(dir, s, last, seconds());
    // Read back: a checkpoint that fails its own check (digests, sizes) is not the last good one.
    const p = inspectCheckpoint(dir, spec.layout, { optimizer: true }).problem;
    if (p)
      spec.log(
        `notice: checkpoint ${path.basename(dir)} failed its check after writing (${p}); the last good one stays ${lastGood || '(none yet)'}`,
      );
    else lastGood = dir;
    pruneCheckpoints(run.dir, spec.keepCheckpoints, (d) =>
      d === dir ? !p : inspectCheckpoint(d, spec.layout, { optimizer: true }).problem === null,
    );
  };

  if (!resumed) {
    await h.sample(0);
    lastSampled = 0;
  }
  while (step < iters) {
    if (spec.signal?.aborted) {
      aborted = true;
      break;
    }
    const ti = performance.now();
    const { values, images } = await h.step(step);
    step++;
    const dt = (performance.now() - ti) / 1000;
    const line = {
      iter: step,
      ...values,
      imagesPerSec: images / dt,
      time: seconds(),
      tensors: tf.memory().numTensors,
      rssMB: Math.round(process.memoryUsage.rss() / 2 ** 20),
    } as S;
    last = line;
    const bad = h.nonFinite(line);
    if (bad !== undefined) diverged(step, String(bad), String(line[bad]), `${String(bad)} is ${line[bad]}`);
    await h.measure?.(step, line, stats);
    if (step % spec.sampleEvery === 0 || step === iters) {
      Object.assign(line, (await h.sample(step)) ?? {});
      lastSampled = step;
    }
    stats.push(line);
    run.appendStats(line);
    spec.onProgress?.({ ...line, iters, eta: (line.time / (step - startStep)) * (iters - step) });
    if (step % spec.sampleEvery === 0 && step !== iters) await h.plot(stats);
    if (step % spec.checkpointEvery === 0 && step !== iters) await checkpoint(step);
    // Let timers, signals and progress output run between steps.
    await new Promise((r) => setImmediate(r));
  }
  if (step > startStep || !resumed) {
    await checkpoint(step);
    if (h.sampleOnStop && lastSampled !== step) await h.sample(step);
    await h.plot(stats);
  }
  const r: LoopResult<S> = { step, aborted, lastGood, seconds: seconds() };
  if (last) r.last = last;
  return r;
}
