/**
 * Experiment for issue #28's "what would reach the targets": a generator trained with the masks it
 * fills, in its cheapest form — the shipped generator fine-tuned together with its encoder on masked
 * training images (the encoder's own losses, src/encoder/losses.ts, with G's weights in the gradient
 * too; G's batch norm stays in inference mode), then the tuned pair measured against the shipped pair
 * on the tuning images (src/eval/tuning.ts), paired per image against the shipped default search.
 * Nothing is saved: the shipped model is read, never written.
 *
 *   node dist/tools/joint_tune.js --model emoji --iters 3000 --eval-every 1000 --n 96 --g-lr 1e-4 --e-lr 1e-4 \
 *     [--adv 0] [--options '{"iters":0,"refine":"generator","refineDepth":3,"refineLr":0.001}']
 *
 * Per mask kind it prints: the tuned pair's default search, its encoder alone (iters 0) and, with
 * --options, that method on the shipped and on the tuned pair — each as Δ hole PSNR (dB, mean ± s.e.)
 * against the shipped default search — and the shipped critic's mean score of the tuned completions.
 */
import * as tf from '@tensorflow/tfjs';
import { loadGanCheckpoint } from '../src/train/checkpoint.js';
import { loadDataset } from '../src/data/load_node.js';
import { fillBatch } from '../src/data/dataset.js';
import { BatchSampler } from '../src/data/sampler.js';
import { criticMean, evalMasks, stat } from '../src/eval/runner.js';
import { completeInBatches, formatPaired, tuningImages } from '../src/eval/tuning.js';
import type { InpaintOptions } from '../src/inpaint/options.js';
import { initBackend } from '../src/backends/index.js';
import { attachEncoder } from '../src/encoder/checkpoint.js';
import { FusedAdam } from '../src/backends/fused_adam.js';
import { trainingMasks } from '../src/encoder/masks.js';
import { encoderInputTensor } from '../src/encoder/model.js';
import { encoderLosses } from '../src/encoder/losses.js';
import { maskTensors } from '../src/encoder/step.js';
import { Rng } from '../src/util/rng.js';
import { toolFlags } from '../bench/common.js';

const f = toolFlags('joint_tune', [
  'model',
  'n',
  'iters',
  'g-lr',
  'e-lr',
  'adv',
  'recon',
  'context',
  'eval-every',
  'batch',
  'kinds',
  'options',
]);
const modelName = f.model ?? 'emoji';
const n = Number(f.n ?? 96),
  iters = Number(f.iters ?? 3000),
  gLr = Number(f['g-lr'] ?? 1e-4),
  eLr = Number(f['e-lr'] ?? 1e-4),
  batch = Number(f.batch ?? 64),
  evalEvery = Number(f['eval-every'] ?? 1000);
const weights = {
  recon: Number(f.recon ?? 1),
  context: Number(f.context ?? 1),
  hole: 0,
  latent: 0,
  adv: Number(f.adv ?? 0),
};
const kinds = (f.kinds ?? 'center,half,random,pattern,strokes').split(',');
// A second method measured beside the default search on both pairs (InpaintOptionsSchema's options).
const extra = f.options ? (JSON.parse(f.options) as Partial<InpaintOptions>) : null;

await initBackend('native');
const load = async () => (await attachEncoder(await loadGanCheckpoint(modelName), 'auto', undefined, modelName)).model;
const shipped = await load();
const tuned = await load();
const { size, channels, data } = shipped.manifest.config;
const images = await tuningImages(modelName, n, size, channels as 1 | 3);
const px = size * size * channels; // floats per image

/** Per-image hole PSNR of a completion method and the shipped critic's mean score of its composites. */
async function measure(ck: typeof shipped, kind: string, opts: Partial<InpaintOptions>) {
  const r = await completeInBatches(ck, images, evalMasks(kind, images.n, size, size, 0), opts);
  return { psnr: r.psnr, critic: criticMean(shipped.critic, r.composite) };
}
const base: Record<string, number[]> = {};
for (const k of kinds) {
  const r = await measure(shipped, k, {});
  base[k] = r.psnr;
  const enc = await measure(shipped, k, { iters: 0 });
  const o = extra ? await measure(shipped, k, extra) : null;
  console.log(
    `${modelName} ${k}, ${images.n} tuning images: shipped default search ${stat(r.psnr).mean.toFixed(2)} dB (critic ${r.critic.toFixed(2)}); Δ encoder alone ${formatPaired(enc.psnr, r.psnr)}${o ? `, options ${formatPaired(o.psnr, r.psnr)}` : ''}`,
  );
}

async function report(step: number): Promise<void> {
  for (const k of kinds) {
    const r = await measure(tuned, k, {});
    const enc = await measure(tuned, k, { iters: 0 });
    const o = extra ? await measure(tuned, k, extra) : null;
    console.log(
      `step ${step} ${k}: tuned pair Δ default search ${formatPaired(r.psnr, base[k]!)} (critic ${r.critic.toFixed(2)}), encoder alone ${formatPaired(enc.psnr, base[k]!)}${o ? `, options ${formatPaired(o.psnr, base[k]!)}` : ''}`,
    );
  }
}

// Training: E's and G's weights in one gradient, each with its own Adam.
const ds = await loadDataset({ data, size, channels, split: 'train' });
const sampler = new BatchSampler(ds.n, batch, 1);
const rng = new Rng(12345);
const E = tuned.encoder!,
  G = tuned.generator,
  D = tuned.critic;
const eVars = E.trainableWeights.map((v) => v.read() as tf.Variable);
const gVars = G.trainableWeights.map((v) => v.read() as tf.Variable);
const optE = new FusedAdam(eLr, 0.9, 0.999, 1e-8),
  optG = new FusedAdam(gLr, 0.5, 0.999, 1e-8);
const buf = new Float32Array(batch * px);
const t0 = performance.now();
let acc = 0;
for (let step = 1; step <= iters; step++) {
  fillBatch(ds, sampler.next(), buf, '[-1,1]');
  const masks = trainingMasks(rng, batch, size, size);
  const loss = tf.tidy(() => {
    const x = tf.tensor4d(buf, [batch, size, size, channels]);
    const mt = maskTensors(masks);
    const input = encoderInputTensor(x, mt.m);
    const { value, grads } = tf.variableGrads(
      () =>
        encoderLosses({
          generate: (z) => G.apply(z, { training: false }) as tf.Tensor4D,
          critic: (im) => D.apply(im, { training: false }) as tf.Tensor,
          zReal: E.apply(input, { training: true }) as tf.Tensor2D,
          x,
          w: mt.w,
          weights,
        }).total,
      [...eVars, ...gVars],
    );
    const pick = (vs: tf.Variable[]) => vs.map((v) => ({ name: v.name, tensor: grads[v.name]! }));
    optE.applyGradients(pick(eVars));
    if (gLr > 0) optG.applyGradients(pick(gVars));
    return value;
  });
  acc += (await loss.data())[0]!;
  loss.dispose();
  if (step % 100 === 0) {
    console.log(
      `step ${step}: loss ${(acc / 100).toFixed(4)}, ${((performance.now() - t0) / 1000 / step).toFixed(3)} s/step`,
    );
    acc = 0;
  }
  if (step % evalEvery === 0 || step === iters) await report(step);
}
