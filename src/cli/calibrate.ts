/** `wgan-inpaint calibrate`: record in a model's manifest how well it reproduces held-out images, for out-of-domain notices. */
import path from 'node:path';
import { z } from 'zod';
import type { Command, Values } from './command.js';
import { commandFlags } from './schema_flags.js';
import { initBackend } from '../backends/index.js';
import { loadCheckpoint } from '../encoder/checkpoint.js';
import { updateManifest } from '../train/manifest.js';
import { loadDataset } from '../data/load_node.js';
import { toImageBatch } from '../data/dataset.js';
import { calibrateDomain } from '../inpaint/domain.js';
import { attachEncoder } from '../encoder/checkpoint.js';
import { MASK_KINDS } from '../masks/masks.js';
import { UserError } from '../util/errors.js';

const CalibrateFlagsSchema = z.object({
  model: z.string().describe('the model whose manifest gets the statistics (a run folder: its newest checkpoint)'),
  data: z.string().describe("held-out images: a built-in's test split, or a folder of images"),
  n: z.number().int().min(2).max(100000).default(200).describe('images measured (the first N of the test split)'),
  iters: z
    .number()
    .int()
    .min(1)
    .max(100000)
    .optional()
    .describe("search iterations [default: 100 from the encoder's z, 300 from random z]"),
  restarts: z
    .number()
    .int()
    .min(1)
    .max(64)
    .optional()
    .describe("search restarts [default: 1 from the encoder's z, 2 from random z]"),
  encoder: z.string().optional().describe('the encoder to start from [default: encoder/ in the model, if present]'),
  init: z
    .enum(['auto', 'random'])
    .default('auto')
    .describe('random: calibrate random starts even when the model has an encoder'),
  masks: z.string().default('center,random,half,strokes').describe('mask kinds, cycled over the images'),
  expects: z
    .string()
    .optional()
    .describe('what the model expects, in words, quoted in the notice [default: "S×S grey|colour images like DATA"]'),
  backend: z.string().default('auto').describe('auto | native | wasm | cpu | tensorflow'),
});
const FLAGS = commandFlags('calibrate', CalibrateFlagsSchema);

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

${FLAGS.help({ values: { model: 'REF', data: 'NAME|DIR', encoder: 'DIR', masks: 'K1,K2,…', expects: 'TEXT', backend: 'KIND' } })}

example
  wgan-inpaint calibrate --model models/fashion-mnist --data fashion-mnist --expects "32×32 grey clothing, white on black"`;

export const calibrateCommand: Command = {
  name: 'calibrate',
  summary: 'record how well a model reproduces held-out images (for out-of-domain notices)',
  help,
  options: FLAGS.options,
  async run(v: Values): Promise<number> {
    const { n, iters, restarts, init, ...f } = FLAGS.parse(v);
    const masks = f.masks
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const m of masks)
      if (!MASK_KINDS.includes(m))
        throw new UserError(`calibrate: unknown mask kind '${m}' (valid: ${MASK_KINDS.join(', ')})`);
    const backend = await initBackend(f.backend, (m) => console.error(`notice: ${m}`));
    const ck = await loadCheckpoint(f.model, {
      onNotice: (m) => console.error(`notice: ${m}`),
      encoder: false,
    });
    const { model, start, notice } = await attachEncoder(ck, init, f.encoder, f.model);
    console.error(`notice: ${notice}`);
    const c = ck.manifest.config;
    const data = f.data;
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
    const expects = f.expects ?? `${c.size}×${c.size} ${c.channels === 1 ? 'grey' : 'colour'} images like ${name}`;
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
