/**
 * Experiment (issue #28; docs/SEARCH.md, "A network that predicts the fill"): the third lever, in its
 * simplest form, as a yardstick. A small U-Net F(y⊙M, M) → image, conditioned on the context through
 * skip connections, trained only to reproduce the whole image under the encoder's mask mix (mean
 * |F(·) − y|, no critic, no latent code): the kind of predictor hole PSNR favours, since it may blur
 * wherever the context leaves the hole uncertain. Its hole PSNR on the tuning images, paired against
 * the default search, says how much any predictor of this size trained on this data could gain in
 * PSNR, before any realism is asked of it. Nothing is written.
 *
 *   node dist/tools/context_predictor.js --model emoji --iters 3000 --width 32 --n 96
 */
import * as tf from '@tensorflow/tfjs';
import { loadGanCheckpoint } from '../src/train/checkpoint.js';
import { evalMasks, stat } from '../src/eval/runner.js';
import { completeInBatches, formatPaired, trainingBatch, tuningImages } from '../src/eval/tuning.js';
import { composite } from '../src/inpaint/composite.js';
import { holeRegions, psnr } from '../src/metrics/pixel.js';
import { initBackend } from '../src/backends/index.js';
import { attachEncoder } from '../src/encoder/checkpoint.js';
import { encoderInputTensor } from '../src/inpaint/encoder_input.js';
import { maskTensor } from '../src/encoder/step.js';
import { fromModelRange, toModelTensor } from '../src/models/sample.js';
import { loadDataset } from '../src/data/load_node.js';
import { Rng } from '../src/util/rng.js';
import { toolFlags } from '../bench/common.js';
import type { ImageBatch, Mask } from '../src/types.js';

const f = toolFlags('context_predictor', ['model', 'iters', 'width', 'n', 'kinds', 'lr']);
const modelName = f.model ?? 'emoji';
const iters = Number(f.iters ?? 3000),
  width = Number(f.width ?? 32),
  n = Number(f.n ?? 96),
  lr = Number(f.lr ?? 5e-4);
const kinds = (f.kinds ?? 'center,half,random,pattern,strokes').split(',');
await initBackend('native');
const ck = (await attachEncoder(await loadGanCheckpoint(modelName), 'encoder', undefined, modelName)).model;
const cfg = ck.manifest.config;
const { size, channels } = cfg;

// F: three stride-2 convs down (size → size/8), three transposed convs up, each up level concatenated
// with the down level of its size (the skip connections that carry the context to the output).
// Seeded initial weights, so a run repeats exactly.
let seed = 4300;
const init = () => tf.initializers.glorotUniform({ seed: seed++ });
const conv = (filters: number, name: string) =>
  tf.layers.conv2d({ filters, kernelSize: 4, strides: 2, padding: 'same', name, kernelInitializer: init() });
const up = (filters: number, name: string, activation: 'relu' | 'tanh') =>
  tf.layers.conv2dTranspose({
    filters,
    kernelSize: 4,
    strides: 2,
    padding: 'same',
    activation,
    name,
    kernelInitializer: init(),
  });
const lrelu = (name: string) => tf.layers.leakyReLU({ alpha: 0.2, name });
const inp = tf.input({ shape: [size, size, channels + 1] });
const e1 = lrelu('e1a').apply(conv(width, 'e1').apply(inp)) as tf.SymbolicTensor;
const e2 = lrelu('e2a').apply(conv(2 * width, 'e2').apply(e1)) as tf.SymbolicTensor;
const e3 = lrelu('e3a').apply(conv(4 * width, 'e3').apply(e2)) as tf.SymbolicTensor;
const d2 = up(2 * width, 'd2', 'relu').apply(e3) as tf.SymbolicTensor;
const d1 = up(width, 'd1', 'relu').apply(tf.layers.concatenate().apply([d2, e2])) as tf.SymbolicTensor;
const out = up(channels, 'd0', 'tanh').apply(tf.layers.concatenate().apply([d1, e1])) as tf.SymbolicTensor;
const F = tf.model({ inputs: inp, outputs: out });
console.log(`F: ${F.countParams()} weights (width ${width})`);

const train = await loadDataset({ data: cfg.data, size, channels, split: 'train' });
const rng = new Rng(43);
const opt: tf.Optimizer = tf.train.adam(lr, 0.9, 0.999);
const B = 64;
const vars = F.trainableWeights.map((v) => v.read() as tf.Variable);
const t0 = performance.now();
for (let it = 1; it <= iters; it++) {
  const { x, m } = trainingBatch(train, rng, B);
  const loss = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.abs(tf.sub(F.apply(encoderInputTensor(x, m), { training: true }) as tf.Tensor, x))) as tf.Scalar,
      vars,
    );
    opt.applyGradients(grads);
    return value;
  });
  tf.dispose([x, m]);
  if (it % 500 === 0 || it === iters)
    console.log(
      `step ${it}: mean |F − y| ${(await loss.data())[0]!.toFixed(4)}, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
  loss.dispose();
}

const images = await tuningImages(modelName, n, size, channels as 1 | 3);
/** F's prediction of each image under its mask, in [0, 1]. */
async function predict(masks: Mask[]): Promise<ImageBatch> {
  const p = tf.tidy(() => {
    const x = encoderInputTensor(toModelTensor(images), maskTensor(masks));
    return fromModelRange(F.apply(x, { training: false }) as tf.Tensor);
  });
  const data = Float32Array.from(await p.data());
  p.dispose();
  return { ...images, data };
}
for (const kind of kinds) {
  const masks = evalMasks(kind, images.n, size, size, 0);
  const base = await completeInBatches(ck, images, masks);
  const mine = psnr(composite(images, await predict(masks), masks), images, holeRegions(masks));
  console.log(
    `${modelName} ${kind}, ${images.n} tuning images: default search ${stat(base.psnr).mean.toFixed(2)} dB; U-Net F ${stat(mine).mean.toFixed(2)} dB, Δ ${formatPaired(mine, base.psnr)}`,
  );
}
