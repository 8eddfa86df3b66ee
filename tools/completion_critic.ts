/**
 * Experiment (issue #28; docs/SEARCH.md, "A critic of completions"): the second lever stop 40 named. A
 * critic Dc(image, mask) trained, WGAN-GP, to tell real images from the shipped encoder's completions of
 * them (M⊙y + (1−M)⊙G(E(y⊙M, M)), the encoder's mask mix), given the mask as a fourth channel: the
 * discriminator of learned inpainting models, which judges the hole against its context rather than
 * the image alone. G, E and the shipped critic stay frozen; nothing is written.
 *
 * Then, on the tuning images (src/eval/tuning.ts), paired against the default search:
 * - how far apart it puts real images and the default's completions (its mean score of each);
 * - as a selector: the best of K random-start searches by Dc (beside the oracle choice by the hole);
 * - as the prior of the known-pixel fit: argmin_z mean_M |G(z) − y| − λ·Dc(M⊙y + (1−M)⊙G(z), M), Adam
 *   from the encoder's z, for each λ.
 *
 *   node dist/tools/completion_critic.js --model emoji --iters 2000 --n 96 --kinds center,half,random --lambdas 0,0.003,0.03 --candidates 8
 */
import * as tf from '@tensorflow/tfjs';
import { loadGanCheckpoint } from '../src/train/checkpoint.js';
import { evalMasks, stat } from '../src/eval/runner.js';
import { completeInBatches, fitLatent, formatPaired, trainingBatch, tuningImages } from '../src/eval/tuning.js';
import { composite } from '../src/inpaint/composite.js';
import { holeRegions, psnr } from '../src/metrics/pixel.js';
import { initBackend } from '../src/backends/index.js';
import { attachEncoder } from '../src/encoder/checkpoint.js';
import { encoderInputTensor } from '../src/inpaint/encoder_input.js';
import { maskTensor } from '../src/encoder/step.js';
import { toModelTensor } from '../src/models/sample.js';
import { loadDataset } from '../src/data/load_node.js';
import { buildCritic } from '../src/models/dcgan.js';
import { gradientPenalty } from '../src/losses/wgan.js';
import { Rng } from '../src/util/rng.js';
import { toolFlags } from '../bench/common.js';
import type { ImageBatch, Mask } from '../src/types.js';

const f = toolFlags('completion_critic', ['model', 'iters', 'n', 'kinds', 'lambdas', 'candidates', 'steps', 'lr']);
const modelName = f.model ?? 'emoji';
const iters = Number(f.iters ?? 2000),
  n = Number(f.n ?? 96),
  candidates = Number(f.candidates ?? 8),
  steps = Number(f.steps ?? 300),
  lr = Number(f.lr ?? 0.01);
const kinds = (f.kinds ?? 'center,half,random').split(',');
const lambdas = (f.lambdas ?? '0,0.003,0.03').split(',').map(Number);
await initBackend('native');
const ck = (await attachEncoder(await loadGanCheckpoint(modelName), 'encoder', undefined, modelName)).model;
const cfg = ck.manifest.config;
const { size, channels } = cfg;
const G = ck.generator,
  E = ck.encoder!;

// Dc: the model's critic layout with one more input channel, the mask (1 known, 0 hole). ModelSpec
// types channels as an image's 1 | 3; the builder only uses it for the input shape.
const Dc = buildCritic({ ...cfg, channels: (channels + 1) as 3, criticNorm: 'layer', seed: 7 });
const judge = (img: tf.Tensor4D, m: tf.Tensor4D, training = false) =>
  Dc.apply(tf.concat([img, m], 3), { training }) as tf.Tensor2D;

/** M⊙y + (1−M)⊙g, all [N, h, w, ·] in [−1, 1]. */
const paste = (y: tf.Tensor4D, g: tf.Tensor4D, m: tf.Tensor4D) =>
  tf.add(tf.mul(m, y), tf.mul(tf.sub(1, m), g)) as tf.Tensor4D;

// ---- training: real images against the encoder's completions of them, under the encoder's mask mix
const train = await loadDataset({ data: cfg.data, size, channels, split: 'train' });
const rng = new Rng(41);
const opt: tf.Optimizer = tf.train.adam(1e-4, 0.5, 0.9);
const B = 64;
const vars = Dc.trainableWeights.map((v) => v.read() as tf.Variable);
const t0 = performance.now();
for (let it = 1; it <= iters; it++) {
  const { x, m } = trainingBatch(train, rng, B);
  const alphaData = Float32Array.from({ length: B }, () => rng.next());
  const w = tf.tidy(() => {
    const g = G.apply(E.apply(encoderInputTensor(x, m), { training: false }), { training: false }) as tf.Tensor4D;
    const fake = paste(x, g, m);
    const alpha = tf.tensor4d(alphaData, [B, 1, 1, 1]);
    let wd!: tf.Scalar;
    const { grads } = tf.variableGrads(() => {
      wd = tf.sub(tf.mean(judge(x, m, true)), tf.mean(judge(fake, m, true))) as tf.Scalar;
      tf.keep(wd);
      // The mask channel is the same in both, so interpolating the 4-channel inputs interpolates the images.
      const gp = gradientPenalty(
        (t) => Dc.apply(t, { training: true }) as tf.Tensor,
        tf.concat([x, m], 3) as tf.Tensor4D,
        tf.concat([fake, m], 3) as tf.Tensor4D,
        alpha,
      ).penalty;
      return tf.add(tf.neg(wd), tf.mul(10, gp)) as tf.Scalar;
    }, vars);
    opt.applyGradients(grads);
    return wd;
  });
  tf.dispose([x, m]);
  if (it % 250 === 0 || it === iters)
    console.log(
      `step ${it}: Wasserstein estimate (real − completed) ${(await w.data())[0]!.toFixed(3)}, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
  w.dispose();
}

// ---- evaluation on the tuning images
const images = await tuningImages(modelName, n, size, channels as 1 | 3);
const y = toModelTensor(images);

/** Dc's score of each completed image [N] (composites in [0, 1]). */
async function scores(c: ImageBatch, masks: Mask[]): Promise<number[]> {
  const s = tf.tidy(() => judge(toModelTensor(c), maskTensor(masks)));
  const out = Array.from(await s.data());
  s.dispose();
  return out;
}

/** The known-pixel fit (fitLatent) − λ·mean Dc(completed, M), from the encoder's z; G(z) in [0, 1]. */
async function fit(masks: Mask[], lambda: number): Promise<ImageBatch> {
  const penalty = (g: tf.Tensor4D, _z: tf.Variable, m: tf.Tensor4D) =>
    tf.mul(-lambda, tf.mean(judge(paste(y, g, m), m))) as tf.Scalar;
  return (await fitLatent(ck, images, masks, { steps, lr, ...(lambda > 0 ? { penalty } : {}) })).raw;
}

const realScore = stat(await scores(images, evalMasks('center', images.n, size, size, 0))).mean;
for (const kind of kinds) {
  const masks = evalMasks(kind, images.n, size, size, 0);
  const holes = holeRegions(masks);
  const base = await completeInBatches(ck, images, masks);
  const baseScore = stat(await scores(base.composite, masks)).mean;
  const parts = [`Dc: real ${realScore.toFixed(2)} (center masks), default's completions ${baseScore.toFixed(2)}`];
  if (candidates > 0) {
    const byDc = new Array<number>(images.n).fill(Number.NaN),
      best = new Array<number>(images.n).fill(Number.NEGATIVE_INFINITY),
      byHole = new Array<number>(images.n).fill(Number.NaN);
    for (let k = 1; k <= candidates; k++) {
      const r = await completeInBatches(ck, images, masks, { init: 'random', iters: 300, restarts: 1, seed: k });
      const s = await scores(r.composite, masks);
      r.psnr.forEach((v, i) => {
        if (s[i]! > best[i]!) {
          best[i] = s[i]!;
          byDc[i] = v;
        }
        if (!(v <= byHole[i]!)) byHole[i] = v;
      });
    }
    parts.push(
      `best of ${candidates} random starts by Dc ${formatPaired(byDc, base.psnr)}, by the hole (oracle) ${formatPaired(byHole, base.psnr)}`,
    );
  }
  for (const l of lambdas) {
    const fill = composite(images, await fit(masks, l), masks);
    const p = psnr(fill, images, holes);
    parts.push(
      `fit + λ ${l}·Dc: ${formatPaired(p, base.psnr)} (Dc ${stat(await scores(fill, masks)).mean.toFixed(2)})`,
    );
  }
  console.log(
    `${modelName} ${kind}, ${images.n} tuning images, default ${stat(base.psnr).mean.toFixed(2)} dB; ${parts.join('; ')}`,
  );
}
