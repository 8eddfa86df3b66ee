/**
 * `npm run bench -- train [--backends native,wasm,cpu] [--size 32] [--channels 3] [--batch 64]
 *  [--width 64] [--iters 3] [--loss wgan-gp] [--no-torch] [--json FILE]`
 *
 * ms per WGAN-GP iteration (5 critic steps + 1 generator step) and real images/s, per backend, with
 * GFLOP/s and % of the machine's sgemm ceiling; PyTorch (if installed) on the same networks.
 */
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../src/config/config.js';
import { buildModels } from '../src/models/index.js';
import { makeTrainer, criticStep, generatorStep } from '../src/train/steps.js';
import { iterationFlops } from '../src/train/loop.js';
import {
  parseFlags,
  timeMs,
  backendsToRun,
  useBackend,
  sgemmCeiling,
  ceilingOfRun,
  pytorchRef,
  writeJson,
} from './common.js';

export async function run(args: string[]): Promise<void> {
  const f = parseFlags(args, ['backends', 'batch', 'channels', 'iters', 'json', 'loss', 'size', 'width', 'no-torch']);
  const size = Number(f.size ?? 32),
    channels = Number(f.channels ?? 3),
    batch = Number(f.batch ?? 64),
    width = Number(f.width ?? 64),
    n = Number(f.iters ?? 3);
  const config = resolveConfig({ size, channels, batch, gWidth: width, dWidth: width, loss: f.loss ?? 'wgan-gp' });
  console.log(
    `bench train: ${config.loss} iteration = ${config.nCritic} critic + 1 generator steps, batch ${batch}, ${size}×${size}×${channels}, widths ${width}; median of ${n}`,
  );
  const before = sgemmCeiling();
  const results: {
    backend: string;
    msPerIteration: number;
    imagesPerSec: number;
    gflopPerIteration: number;
    gflops: number;
    pctOfSgemm: number | null;
  }[] = [];
  for (const b of await backendsToRun(f)) {
    await useBackend(b);
    const t = makeTrainer(buildModels('dcgan', { ...config }), config);
    const real = tf.randomUniform([batch, size, size, channels], -1, 1) as tf.Tensor4D;
    const ms = await timeMs(() => {
      for (let k = 0; k < config.nCritic; k++) criticStep(t, real);
      generatorStep(t, batch);
    }, n);
    const gflops = iterationFlops(t) / 1e9;
    const row = {
      backend: b,
      msPerIteration: ms,
      imagesPerSec: (batch * config.nCritic) / (ms / 1000),
      gflopPerIteration: gflops,
      gflops: gflops / (ms / 1000),
      pctOfSgemm: null as number | null,
    };
    results.push(row);
    console.log(
      `  ${b.padEnd(7)} ${ms.toFixed(0).padStart(7)} ms/iter  ${row.imagesPerSec.toFixed(1).padStart(7)} img/s  ${row.gflops.toFixed(1).padStart(6)} GFLOP/s`,
    );
    real.dispose();
    t.gOpt.dispose();
    t.dOpt.dispose();
    tf.dispose([...t.models.generator.weights.map((w) => w.read()), ...t.models.critic.weights.map((w) => w.read())]);
  }
  const ceiling = ceilingOfRun(before, sgemmCeiling());
  for (const r of results) {
    r.pctOfSgemm = ceiling ? (100 * r.gflops) / ceiling : null;
    if (ceiling) console.log(`  ${String(r.backend).padEnd(7)} ${r.pctOfSgemm!.toFixed(0)}% of the sgemm ceiling`);
  }
  let torch = null;
  if (f['no-torch'] !== 'true') {
    torch = pytorchRef([
      '--size',
      String(size),
      '--channels',
      String(channels),
      '--batch',
      String(batch),
      '--width',
      String(width),
      '--iters',
      String(n),
    ]);
    if (torch) {
      console.log(`  pytorch ${torch.torch}: ${torch.wganGpIterationMs.toFixed(0)} ms/iter`);
      for (const r of results)
        console.log(
          `  ${String(r.backend).padEnd(7)} time / PyTorch time = ${((r.msPerIteration as number) / torch.wganGpIterationMs).toFixed(3)}`,
        );
    }
  }
  writeJson(f.json, {
    bench: 'train',
    config: { size, channels, batch, width, loss: config.loss, nCritic: config.nCritic },
    sgemmCeilingGflops: ceiling,
    results,
    pytorch: torch,
  });
}
