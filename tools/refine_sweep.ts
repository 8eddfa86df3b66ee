/**
 * Choose the refinement stage's settings (src/inpaint/refine.ts) on tuning images that are neither
 * training images nor the images eval reports:
 * - fashion-mnist: test images outside eval's 1,000 (selectEvalIndices(10000, 1000, 0)'s complement);
 * - emoji: OpenMoji's drawings of the held-out test emoji (`emoji-openmoji` test): the shipped model never
 *   saw OpenMoji, and eval reports `emoji-permissive` test images.
 * Prints, per setting and mask kind, the mean hole PSNR and its paired difference (± s.e.) against the
 * default search (refine z), and the seconds per image.
 *
 *   node dist/tools/refine_sweep.js --model emoji --n 64 --masks center,half --settings 'features:1:0.01:0.1:100;generator:1:0.0005:10:100'
 *
 * A setting is MODE:DEPTH:LR:DEVIATION:ITERS[:FEATURES[:ZITERS]] (FEATURES: the critic-feature weight γ,
 * default 0; ZITERS: the z search's iterations before refining, default the encoder's 100; `z:1:1:0:0:0:0`
 * is the encoder's z alone).
 *
 * `--encoder DIR` runs the settings with another encoder of the same generator (a train-encoder run or
 * its encoder/ folder); the baseline stays the model's own encoder's default search, so a wider or
 * longer-trained encoder is paired against what ships (`z:1:1:0:0` is the new encoder's default search).
 */
import { loadGanCheckpoint } from '../src/train/checkpoint.js';
import { evalMasks } from '../src/eval/runner.js';
import { completeInBatches, formatPaired, tuningImages } from '../src/eval/tuning.js';
import type { InpaintOptions } from '../src/inpaint/options.js';
import { initBackend } from '../src/backends/index.js';
import { attachEncoder } from '../src/encoder/checkpoint.js';
import { toolFlags } from '../bench/common.js';
import type { RefineKind } from '../src/inpaint/refine.js';

const f = toolFlags('refine_sweep', ['model', 'n', 'masks', 'settings', 'batch', 'backend', 'encoder']);
const modelName = f.model ?? 'emoji';
const n = Number(f.n ?? 64),
  batch = Number(f.batch ?? 32);
await initBackend(f.backend ?? 'native');
const gan = await loadGanCheckpoint(modelName);
const ck = (await attachEncoder(gan, 'auto', undefined, modelName)).model;
const tried = f.encoder ? (await attachEncoder(gan, 'encoder', f.encoder, modelName)).model : ck;
const size = ck.manifest.config.size,
  channels = ck.manifest.config.channels;
const images = await tuningImages(modelName, n, size, channels as 1 | 3);
const settings = (f.settings ?? 'features:1:0.01:0.1:100').split(';').map((s) => {
  const [mode, depth, lr, dev, iters, feat, zIters] = s.split(':');
  return {
    label: s,
    refine: mode as RefineKind,
    refineDepth: Number(depth),
    refineLr: Number(lr),
    refineDeviation: Number(dev),
    refineIters: Number(iters),
    refineFeatures: Number(feat ?? 0),
    ...(zIters !== undefined ? { iters: Number(zIters) } : {}),
  };
});

for (const kind of (f.masks ?? 'center,half').split(',')) {
  const masks = evalMasks(kind, images.n, size, size, 0);
  const run = async (extra: Partial<InpaintOptions>, model = tried) => {
    const t0 = performance.now();
    const r = await completeInBatches(model, images, masks, extra, batch);
    return { psnr: r.psnr, s: (performance.now() - t0) / 1000 / images.n };
  };
  const base = await run({}, ck);
  const mean = (xs: number[]) => xs.reduce((p, q) => p + q, 0) / xs.length;
  console.log(
    `${modelName} ${kind} n=${images.n}: refine z ${mean(base.psnr).toFixed(2)} dB, ${base.s.toFixed(3)} s/image`,
  );
  for (const st of settings) {
    const { label, ...o } = st;
    const r = await run(o);
    console.log(
      `  ${label}: ${mean(r.psnr).toFixed(2)} dB, Δ ${formatPaired(r.psnr, base.psnr)}, ${r.s.toFixed(3)} s/image`,
    );
  }
}
