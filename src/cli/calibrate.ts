/** `wgan-inpaint calibrate`: record in a model's manifest how well it reproduces held-out images, for out-of-domain notices. */
import path from 'node:path';
import { str, numOpt, type Command, type Values } from './command.js';
import { initBackend } from '../backends/index.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { updateManifest } from '../train/manifest.js';
import { loadDataset } from '../data/load_node.js';
import { toImageBatch } from '../data/dataset.js';
import { calibrateDomain } from '../inpaint/domain.js';
import { attachEncoder } from '../encoder/checkpoint.js';
import { MASK_KINDS } from '../masks/masks.js';
import { UserError } from '../util/errors.js';

const help = `usage: wgan-inpaint calibrate --model RUN_DIR|CHECKPOINT|NAME --data NAME|DIR [options]

Measure how closely the model's search reproduces the known pixels of held-out images (the mean
|G(ẑ) − y| over known pixels at the model's size, the "known error") and store its spread in the
model's manifest (\`domain\`). From then on \`inpaint\`, \`batch\`, the API and the page say in one line
when an image's known pixels are matched far worse than that (threshold: max(2 × p95, p95 + 0.05) of
the held-out images with a similar fraction of known pixels: < 35 %, 35–65 %, > 65 %):
the image looks unlike the training data, and the fill is not to be trusted. The search is the
model's default: from its encoder (encoder/ in the model, or --encoder) when it has one, else from
random z; searches with fewer iterations than the calibration are not judged by the known error.
Also stored: cheap statistics of the held-out images' known pixels (brightness, contrast, shares of
dark/black/bright/white pixels, the border's, colourfulness, texture, noise, histogram entropy,
flatness, distinct colours, fine shading, muted mid-tones; two masks per image), so an image whose
statistics lie far from every held-out image's (beyond 1.5 × the held-out images' own 95th percentile
of that distance) is flagged too, whatever its search: natural photos, which a generator can match
roughly, mostly are.

  --model REF            the model whose manifest gets the statistics (a run folder: its newest checkpoint)
  --data NAME|DIR        held-out images: a built-in's test split, or a folder of images
  --n N                  images measured (the first N of the test split) [default: 200]
  --iters N              search iterations [default: 100 from the encoder's z, 300 from random z]
  --restarts N           search restarts [default: 1 from the encoder's z, 2 from random z]
  --encoder DIR          the encoder to start from [default: encoder/ in the model, if present]
  --init auto|random     random: calibrate random starts even when the model has an encoder
                         [default: auto]
  --masks K1,K2,…        mask kinds, cycled over the images [default: center,random,half,strokes]
  --expects TEXT         what the model expects, in words, quoted in the notice
                         [default: "S×S grey|colour images like DATA"]
  --backend KIND         auto | native | wasm | cpu | tensorflow [default: auto]

example
  wgan-inpaint calibrate --model models/fashion-mnist --data fashion-mnist --expects "32×32 grey clothing, white on black"`;

export const calibrateCommand: Command = {
  name: 'calibrate',
  summary: 'record how well a model reproduces held-out images (for out-of-domain notices)',
  help,
  options: {
    model: { type: 'string' },
    data: { type: 'string' },
    n: { type: 'string' },
    iters: { type: 'string' },
    restarts: { type: 'string' },
    masks: { type: 'string' },
    expects: { type: 'string' },
    backend: { type: 'string' },
    encoder: { type: 'string' },
    init: { type: 'string' },
  },
  async run(v: Values): Promise<number> {
    for (const k of ['model', 'data']) if (!str(v, k)) throw new UserError(`calibrate: --${k} is required`);
    const n = numOpt(v, 'n', { int: true, min: 2, max: 100000, def: 200 });
    const iters = numOpt(v, 'iters', { int: true, min: 1, max: 100000 });
    const restarts = numOpt(v, 'restarts', { int: true, min: 1, max: 64 });
    const init = str(v, 'init') ?? 'auto';
    if (init !== 'auto' && init !== 'random')
      throw new UserError(`calibrate: --init must be auto or random, got '${init}'`);
    const masks = (str(v, 'masks') ?? 'center,random,half,strokes')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const m of masks)
      if (!MASK_KINDS.includes(m))
        throw new UserError(`calibrate: unknown mask kind '${m}' (valid: ${MASK_KINDS.join(', ')})`);
    const backend = await initBackend(str(v, 'backend') ?? 'auto', (m) => console.error(`notice: ${m}`));
    const ck = await loadCheckpoint(str(v, 'model')!, {
      onNotice: (m) => console.error(`notice: ${m}`),
      encoder: false,
    });
    const { model, start, notice } = await attachEncoder(ck, init, str(v, 'encoder'), str(v, 'model')!);
    console.error(`notice: ${notice}`);
    const c = ck.manifest.config;
    const data = str(v, 'data')!;
    const ds = await loadDataset({
      data,
      size: c.size,
      channels: c.channels,
      split: 'test',
      limit: n,
      onWarning: (m) => console.error(`warning: ${m}`),
    });
    const heldOut = toImageBatch(
      ds,
      Array.from({ length: Math.min(n, ds.n) }, (_, i) => i),
    );
    const name = path.basename(path.resolve(data));
    const expects =
      str(v, 'expects') ?? `${c.size}×${c.size} ${c.channels === 1 ? 'grey' : 'colour'} images like ${name}`;
    console.error(`backend: ${backend}; model ${ck.dir}; ${heldOut.n} held-out images of ${name}; start: ${start}`);
    const stats = await calibrateDomain(model, heldOut, {
      data: name,
      expects,
      masks,
      ...(iters !== undefined ? { iters } : {}),
      ...(restarts !== undefined ? { restarts } : {}),
    });
    ck.generator.dispose();
    ck.critic.dispose();
    model.encoder?.dispose();
    updateManifest(ck.dir, (raw) => ({ ...raw, domain: stats }));
    const e = stats.knownError,
      ks = stats.knownStats!;
    const bins = stats.bins
      .map(
        (b) =>
          `${Math.round(b.minKnown * 100)}–${Math.min(100, Math.round(b.maxKnown * 100))} % known: ${b.threshold.toFixed(3)} (n ${b.n})`,
      )
      .join('; ');
    console.log(
      `known error over ${stats.n} held-out images (${stats.iters} iterations × ${stats.restarts} restarts from ${stats.start === 'encoder' ? "the encoder's z" : 'random z'}): median ${e.median.toFixed(4)}, p95 ${e.p95.toFixed(4)}, max ${e.max.toFixed(4)}; flagged above ${bins} ; statistics of ${ks.n} rows (distance to the ${ks.k}th nearest held-out row, p95 ${ks.p95.toFixed(2)}): flagged above ${ks.threshold.toFixed(2)} → ${path.join(ck.dir, 'manifest.json')}`,
    );
    return 0;
  },
};
