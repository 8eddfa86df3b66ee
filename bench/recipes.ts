/**
 * `npm run bench -- recipes [--backend native] [--size 32] [--channels 1] [--width 32] [--batch 64] [--rounds 7]`
 *
 * ms per generator iteration of each training recipe (the presets of src/config/presets.ts plus the
 * lazy-penalty variants compared in docs/TRAINING.md), measured round-robin — one iteration of each
 * recipe per round — so the recipes share whatever else the machine is doing; medians and the ratio
 * to the `paper` recipe, beside the analytic GFLOP the recipe report uses.
 */
import * as tf from '@tensorflow/tfjs';
import { resolveConfig, type TrainConfigInput } from '../src/config/config.js';
import { buildModels } from '../src/models/index.js';
import { makeTrainer, criticStep, generatorStep, criticIters, type Trainer } from '../src/train/steps.js';
import { iterationFlops } from '../src/train/loop.js';
import { parseFlags, median, useBackend } from './common.js';

const RECIPES: [string, TrainConfigInput][] = [
  ['paper (n_critic 5)', { preset: 'paper' }],
  ['lazy GP k=4', { preset: 'paper', gpEvery: 4 }],
  ['TTUR, n_critic 2', { preset: 'fast', gpEvery: 1 }],
  ['fast (TTUR + lazy GP k=4)', { preset: 'fast' }],
];

export async function run(args: string[]): Promise<void> {
  const f = parseFlags(args, ['backend', 'batch', 'channels', 'rounds', 'size', 'width']);
  const size = Number(f.size ?? 32),
    channels = Number(f.channels ?? 1),
    batch = Number(f.batch ?? 64),
    width = Number(f.width ?? 32),
    rounds = Number(f.rounds ?? 7);
  await useBackend(f.backend ?? 'native');
  console.log(
    `bench recipes: ${size}×${size}×${channels}, widths ${width}, batch ${batch}, backend ${tf.getBackend()}; median of ${rounds} rounds, one iteration of each recipe per round`,
  );
  const real = tf.randomUniform([batch, size, size, channels], -1, 1) as tf.Tensor4D;
  const cells = RECIPES.map(([name, over]) => {
    const config = resolveConfig({ size, channels, batch, gWidth: width, dWidth: width, ...over });
    return {
      name,
      t: makeTrainer(buildModels('dcgan', { ...config }), config) as Trainer,
      steps: 0,
      ms: [] as number[],
    };
  });
  const iterate = (c: (typeof cells)[number]) => {
    const nd = criticIters(c.t.config, 0);
    for (let k = 0; k < nd; k++) criticStep(c.t, real, c.steps++);
    generatorStep(c.t, batch);
  };
  for (const c of cells) iterate(c); // warm-up (optimizer slots, kernel caches)
  for (let r = 0; r < rounds; r++) {
    for (const c of cells) {
      // A lazy penalty falls on some iterations only: time a whole cycle of gpEvery iterations.
      const cycle = c.t.config.gpEvery;
      const t0 = performance.now();
      for (let i = 0; i < cycle; i++) iterate(c);
      c.ms.push((performance.now() - t0) / cycle);
    }
  }
  const base = median(cells[0]!.ms);
  for (const c of cells) {
    const ms = median(c.ms);
    console.log(
      `  ${c.name.padEnd(26)} ${ms.toFixed(0).padStart(6)} ms/iter  ${(iterationFlops(c.t) / 1e9).toFixed(1).padStart(6)} GFLOP/iter  ${(ms / base).toFixed(2)}× paper`,
    );
    c.t.gOpt.dispose();
    c.t.dOpt.dispose();
  }
  real.dispose();
}
