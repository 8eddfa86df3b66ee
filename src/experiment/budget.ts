/**
 * The time budget of a grid of training runs, from measured step times: one critic step and one
 * generator step of a cell (loss × model) are timed, then a run's time is projected with the loss's
 * own critic schedule (WGAN's 100 critic steps for the first 25 iterations and every 500th count).
 * Platform-neutral (performance.now() exists in Node and in browsers).
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/config.js';
import { buildModels, disposeModel } from '../models/index.js';
import { makeTrainer, criticStep, generatorStep, criticStepsBefore } from '../train/steps.js';
import { makeProbe } from '../train/probe.js';
import type { ImageBatch } from '../types.js';

/** Median seconds of one step of each kind. */
export interface StepTimes {
  critic: number;
  generator: number;
  /** One --fd-every measurement (1000 samples, classifier, FD); 0 when not measured. */
  probe: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Time `steps` critic and generator steps of the config's cell (after one warm-up of each) on random
 * real images; with a classifier and real images, one probe measurement too. Leaves no tensors.
 */
export function measureCell(
  c: TrainConfig,
  o: { steps: number; classifier?: tf.LayersModel; real?: ImageBatch },
): StepTimes {
  const models = buildModels(c.model, { ...c });
  const t = makeTrainer(models, c);
  const real = tf.randomUniform([c.batch, c.size, c.size, c.channels], -1, 1, 'float32', c.seed) as tf.Tensor4D;
  try {
    criticStep(t, real, 0);
    generatorStep(t, c.batch);
    const tc: number[] = [],
      tg: number[] = [];
    for (let i = 0; i < o.steps; i++) {
      let t0 = performance.now();
      criticStep(t, real, i + 1);
      tc.push((performance.now() - t0) / 1000);
      t0 = performance.now();
      generatorStep(t, c.batch);
      tg.push((performance.now() - t0) / 1000);
    }
    let probe = 0;
    if (o.classifier && o.real) {
      const p = makeProbe(o.classifier, o.real, c.seed);
      const t0 = performance.now();
      p.measure(models.generator);
      probe = (performance.now() - t0) / 1000;
    }
    return { critic: median(tc), generator: median(tg), probe };
  } finally {
    real.dispose();
    t.gOpt.dispose();
    t.dOpt.dispose();
    disposeModel(models);
  }
}

/** Projected seconds of one run of `c` (c.iters iterations, a measurement every c.fdEvery). */
export function projectRunSeconds(
  c: Pick<TrainConfig, 'loss' | 'nCritic' | 'iters' | 'fdEvery'>,
  t: StepTimes,
): number {
  const probes = c.fdEvery > 0 ? Math.floor(c.iters / c.fdEvery) : 0;
  return criticStepsBefore(c, c.iters) * t.critic + c.iters * t.generator + probes * t.probe;
}
