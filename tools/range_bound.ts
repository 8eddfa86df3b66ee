/**
 * How far can any z search get with this generator? (issue #28: are the targets within G's range?)
 * The oracle projection: for each tuning image y (src/eval/tuning.ts), z* = argmin_z mean |G(z) − y|
 * over the WHOLE image — the hole's true pixels included, which no search has — by Adam on z from the
 * encoder's code of the complete image, z clipped to [−1, 1] as the search clips it. Pasting G(z*)
 * into each mask kind's hole gives the hole PSNR of the best fill G's range holds for that image (up
 * to the optimiser: it is a local optimum, so a lower bound on the range's best, and an upper bound's
 * estimate for what the z search can reach). Printed per mask kind, paired per image against the
 * default search (encoder start, 100 × 1), which sees only the known pixels, beside the same fit over
 * the known pixels only and, on request, that fit with the in-domain term or a critic prior, the best
 * of K random-start searches (by loss, and by the hole), and a picture grid. docs/SEARCH.md has the
 * results ("Is it the generator's range?").
 *
 *   node dist/tools/range_bound.js --model emoji --n 96 [--steps 500] [--lr 0.01] [--in-domain 0.3,3] [--prior g:0.03,c:0.03] [--candidates 8] [--grid docs/search]
 */
import * as tf from '@tensorflow/tfjs';
import { loadGanCheckpoint } from '../src/train/checkpoint.js';
import { applyMask, composite } from '../src/inpaint/composite.js';
import { evalMasks, stat } from '../src/eval/runner.js';
import { completeInBatches, fitLatent, formatPaired, tuningImages } from '../src/eval/tuning.js';
import { toModelTensor } from '../src/models/sample.js';
import { holeRegions, psnr } from '../src/metrics/pixel.js';
import { initBackend } from '../src/backends/index.js';
import { attachEncoder } from '../src/encoder/checkpoint.js';
import { encoderInputTensor } from '../src/inpaint/encoder_input.js';
import { toolFlags } from '../bench/common.js';
import { imageAt, type ImageBatch, type Mask } from '../src/types.js';
import { encodePng, makeGrid } from '../src/io/image.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import path from 'node:path';

const f = toolFlags('range_bound', ['model', 'n', 'steps', 'lr', 'kinds', 'in-domain', 'prior', 'candidates', 'grid']);
const gridDir = f.grid;
const modelName = f.model ?? 'emoji';
const n = Number(f.n ?? 96),
  steps = Number(f.steps ?? 500),
  lr = Number(f.lr ?? 0.01);
const kinds = (f.kinds ?? 'center,half,random,pattern,strokes').split(',');
// Weights μ of In-Domain GAN inversion's term μ·mean (z − E(G(z), all known))² added to the known-pixel
// fit, each one more row per kind: does keeping z in the encoder's domain choose better holes?
const inDomain = (f['in-domain'] ?? '').split(',').filter(Boolean).map(Number);
// K random-start searches (300 iterations, 1 restart, seeds 1..K) per image: how good is the best of
// them when chosen by the search's own loss, and when chosen knowing the hole (an oracle selector)?
const candidates = Number(f.candidates ?? 0);
// Critic priors added to the known-pixel fit, each one more row per kind, as KIND:λ — g: λ·mean −D(G(z))
// (the search's own prior), c: λ·mean −D(M⊙y + (1−M)⊙G(z)) (the critic judging the completed image,
// so the hole's agreement with its context, not G(z) alone).
const priors = (f.prior ?? '')
  .split(',')
  .filter(Boolean)
  .map((p) => {
    const [kind, l] = p.split(':');
    if ((kind !== 'g' && kind !== 'c') || !(Number(l) >= 0)) {
      console.error(`range_bound: --prior wants g:λ or c:λ (λ ≥ 0), got '${p}'`);
      process.exit(2);
    }
    return { kind, lambda: Number(l) } as const;
  });
await initBackend('native');
const ck = (await attachEncoder(await loadGanCheckpoint(modelName), 'auto', undefined, modelName)).model;
const { size, channels } = ck.manifest.config;
const images = await tuningImages(modelName, n, size, channels as 1 | 3);

const y = toModelTensor(images);
const ones = tf.ones([images.n, size, size, 1]) as tf.Tensor4D;

/**
 * The known-pixel fit (fitLatent: mean |G(z) − y| over the pixels `masks` keep, from the encoder's code)
 * with, on request, the in-domain term μ·mean (z − E(G(z), all known))² or a critic prior; returns G(z)
 * in [0, 1] and prints the last step's loss.
 */
async function project(
  masks: Mask[],
  label: string,
  mu = 0,
  prior?: { kind: 'g' | 'c'; lambda: number },
): Promise<ImageBatch> {
  const penalty =
    mu > 0 || prior
      ? (g: tf.Tensor4D, z: tf.Variable, w: tf.Tensor4D): tf.Scalar => {
          let loss = tf.scalar(0);
          if (mu > 0) {
            const ez = ck.encoder!.apply(encoderInputTensor(g, ones), { training: false }) as tf.Tensor;
            loss = tf.add(loss, tf.mul(mu, tf.mean(tf.square(tf.sub(z, ez)))));
          }
          if (prior) {
            const judged = prior.kind === 'g' ? g : tf.add(tf.mul(w, y), tf.mul(tf.sub(1, w), g));
            const d = ck.critic.apply(judged, { training: false }) as tf.Tensor;
            loss = tf.sub(loss, tf.mul(prior.lambda, tf.mean(d)));
          }
          return loss;
        }
      : undefined;
  const r = await fitLatent(ck, images, masks, { steps, lr, ...(penalty ? { penalty } : {}) });
  console.log(`  ${label}: the fit's loss after ${steps} steps ${r.loss.toFixed(4)} (images in [−1, 1])`);
  return r.raw;
}

const full: Mask = { height: size, width: size, data: new Float32Array(size * size).fill(1) };
const oracleRaw = await project(
  Array.from({ length: images.n }, () => full),
  'oracle (every pixel)',
);

for (const kind of kinds) {
  const masks = evalMasks(kind, images.n, size, size, 0);
  const { composite: defFill, psnr: def } = await completeInBatches(ck, images, masks);
  const holes = holeRegions(masks);
  const ctxFill = composite(images, await project(masks, `${kind}: known pixels only`), masks),
    oracleFill = composite(images, oracleRaw, masks);
  // Per-image hole PSNRs as "mean dB, Δ paired vs the default ± s.e.".
  const row = (a: number[]) => `${stat(a).mean.toFixed(2)} dB, Δ ${formatPaired(a, def)}`;
  const vs = (fill: ImageBatch) => row(psnr(fill, images, holes));
  const extra: string[] = [];
  for (const mu of inDomain) {
    const r = await project(masks, `${kind}: known pixels + in-domain μ = ${mu}`, mu);
    extra.push(`; + in-domain μ = ${mu}: ${vs(composite(images, r, masks))}`);
  }
  if (candidates > 0) {
    const byLoss = new Array<number>(images.n).fill(Number.NaN),
      byHole = new Array<number>(images.n).fill(Number.NaN),
      best = new Array<number>(images.n).fill(Number.POSITIVE_INFINITY);
    // The pixel mean of the K completions: what averaging plausible fills (a blur) buys in PSNR, which
    // rewards the posterior mean; no sharp fill can be that mean.
    const sum = new Float32Array(images.data.length);
    for (let k = 1; k <= candidates; k++) {
      const r = await completeInBatches(ck, images, masks, { init: 'random', iters: 300, restarts: 1, seed: k });
      r.composite.data.forEach((v, i) => {
        sum[i]! += v / candidates;
      });
      r.psnr.forEach((v, i) => {
        const loss = r.losses[i]!.total;
        if (loss < best[i]!) {
          best[i] = loss;
          byLoss[i] = v;
        }
        if (!(v <= byHole[i]!)) byHole[i] = v;
      });
    }
    extra.push(
      `; best of ${candidates} random starts by loss: ${row(byLoss)}, by the hole (oracle choice): ${row(byHole)}, their pixel mean: ${vs({ ...images, data: sum })}`,
    );
  }
  for (const pr of priors) {
    const r = await project(masks, `${kind}: known pixels + prior ${pr.kind}:${pr.lambda}`, 0, pr);
    extra.push(`; + prior ${pr.kind}:${pr.lambda}: ${vs(composite(images, r, masks))}`);
  }
  console.log(
    `${modelName} ${kind}, ${images.n} tuning images: default search ${stat(def).mean.toFixed(2)} dB; plain L1 fit of the known pixels ${vs(ctxFill)}; oracle projection ${vs(oracleFill)}${extra.join('')}`,
  );
  if (gridDir) {
    // The first 8 images, one per row: original | masked | default search | known pixels fitted harder | oracle.
    const masked = applyMask(images, masks);
    const tiles = Array.from({ length: Math.min(8, images.n) }, (_, i) =>
      [images, masked, defFill, ctxFill, oracleFill].map((b) => imageAt(b, i)),
    ).flat();
    const file = path.join(gridDir, `range-bound-${modelName}-${kind}.png`);
    writeFileAtomic(file, await encodePng(makeGrid(tiles, 5)));
    console.log(`  grid (original | masked | default | known pixels fitted harder | oracle): ${file}`);
  }
}
