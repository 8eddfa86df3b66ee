/**
 * `wgan-inpaint demo`: inpaint bundled held-out images with the bundled models under several mask
 * kinds, and write an HTML page + PNG grids (original | masked | G(ẑ) | blended). No training, no
 * download: the models and sample images ship in models/NAME/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Command, Values } from './command.js';
import { flagOptions, helpLines, schemaFields, valuesFromFlags } from './schema_flags.js';
import { asFlag, formatZodError } from '../util/zod_error.js';
import { initBackend } from '../backends/index.js';
import { listShippedModels, loadGanCheckpoint } from '../train/checkpoint.js';
import { MODELS_DIR } from '../io/paths.js';
import { readImage, makeGrid, upscale, encodePng } from '../io/image.js';
import { writeFileAtomic } from '../io/atomic.js';
import { listImageFiles } from '../data/load_node.js';
import { makeMask } from '../masks/masks.js';
import { inpaintImages } from '../inpaint/inpaint.js';
import type { ImageBatch, Mask } from '../types.js';
import { INIT_DEFAULTS, INPAINT_BOUNDS } from '../inpaint/options.js';
import { attachEncoder } from '../encoder/checkpoint.js';
import { UserError } from '../util/errors.js';
import { ProgressBar, fmtDuration } from './progress.js';

export const DEMO_MASKS = ['center', 'left', 'pattern', 'random'] as const;
/** A demo without an encoder: fewer than the library's 1000 × 4, so it stays a quick first run. */
const RANDOM_DEFAULT = { iters: 500, restarts: 2 } as const;

/** The demo's flags (flag = key in kebab-case; help and validation follow from the schema). */
export const DemoSchema = z.object({
  out: z.string().min(1).default('demo-out').describe('output folder'),
  model: z.string().min(1).optional().describe('comma-separated shipped models [default: all in models/]'),
  iters: z
    .number()
    .int()
    .min(1)
    .max(INPAINT_BOUNDS.iters)
    .optional()
    .describe(
      `z-search iterations (1–${INPAINT_BOUNDS.iters}) [default: ${INIT_DEFAULTS.encoder.iters} from a model's encoder (models/NAME/encoder/), ${RANDOM_DEFAULT.iters} from random z]`,
    ),
  restarts: z
    .number()
    .int()
    .min(1)
    .max(INPAINT_BOUNDS.restarts)
    .optional()
    .describe(
      `restarts (1–${INPAINT_BOUNDS.restarts}) [default: ${INIT_DEFAULTS.encoder.restarts} from the encoder, ${RANDOM_DEFAULT.restarts} from random z]`,
    ),
  backend: z.string().min(1).default('auto').describe('auto | native | wasm | cpu'),
});
const FIELDS = schemaFields(DemoSchema);

const help = [
  'usage: wgan-inpaint demo [--out DIR] [--model NAME[,NAME]] [--iters N] [--restarts K] [--backend KIND]',
  '',
  'Inpaint the bundled held-out sample images of each shipped model (models/NAME/samples/) under the',
  `mask kinds ${DEMO_MASKS.join(', ')}, and write index.html plus one PNG grid per model and`,
  'mask (rows: samples; columns: original | masked | G(ẑ) | blended) to the output folder.',
  '',
  ...helpLines(FIELDS, { values: { out: 'DIR', model: 'NAMES', restarts: 'K', backend: 'KIND' } }),
].join('\n');

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'inpaint bundled samples with the shipped models; writes an HTML page',
  help,
  options: flagOptions(FIELDS),
  async run(v: Values): Promise<number> {
    const t0 = Date.now();
    const parsed = DemoSchema.safeParse(valuesFromFlags(FIELDS, v));
    if (!parsed.success) throw new UserError(`demo: ${formatZodError(parsed.error, { name: asFlag })}`);
    const { out, model: modelList, iters: givenIters, restarts: givenRestarts } = parsed.data;
    const available = listShippedModels();
    const names = modelList?.split(',') ?? available;
    if (!names.length) throw new UserError(`no shipped models in ${MODELS_DIR}`);
    for (const n of names)
      if (!available.includes(n)) throw new UserError(`unknown shipped model '${n}' (valid: ${available.join(', ')})`);
    const bar = new ProgressBar();
    const backend = await initBackend(parsed.data.backend, (m) => bar.log(`notice: ${m}`));
    bar.log(`backend: ${backend}`);
    const sections: string[] = [];
    fs.mkdirSync(out, { recursive: true });
    for (const name of names) {
      const ck = await loadGanCheckpoint(name);
      // Each model's default start: its encoder when it has one (one notice line either way).
      const { model, start, notice } = await attachEncoder(ck, 'auto', undefined, name);
      bar.log(`notice: ${name}: ${notice}`);
      const defaults = start === 'encoder' ? INIT_DEFAULTS.encoder : RANDOM_DEFAULT;
      const iters = givenIters ?? defaults.iters,
        restarts = givenRestarts ?? defaults.restarts;
      const c = ck.manifest.config;
      const sampleDir = path.join(ck.dir, 'samples');
      const files = fs.existsSync(sampleDir) ? listImageFiles(sampleDir).map((f) => path.join(sampleDir, f)) : [];
      if (!files.length) throw new UserError(`shipped model '${name}' has no sample images in ${sampleDir}`);
      // Decoded at their own size; inpaintImages fits them to the model (fitToModel), as `inpaint` does.
      const originals = await Promise.all(files.map((f) => readImage(f, { channels: c.channels })));
      // One batched search over every (mask kind, image) pair.
      const images: ImageBatch[] = [],
        masks: Mask[] = [];
      for (const [k, kind] of DEMO_MASKS.entries()) {
        for (const [i, im] of originals.entries()) {
          images.push(im);
          masks.push(makeMask(kind, im.height, im.width, { seed: 100 * k + i }));
        }
      }
      const t = Date.now();
      bar.log(
        `${name}: ${originals.length} images × ${DEMO_MASKS.length} masks, ${iters} iterations × ${restarts} restarts from ${start === 'encoder' ? "the encoder's z" : 'random z'}`,
      );
      const res = await inpaintImages(
        model,
        images,
        masks,
        { iters, restarts, seed: 0 },
        {
          onProgress: (p) => bar.update(p.iter, p.iters, 'measured', `${name}  contextual ${p.contextual.toFixed(3)}`),
        },
      );
      const f = Math.max(1, Math.floor(96 / c.size));
      const blocks: string[] = [];
      for (const [k, kind] of DEMO_MASKS.entries()) {
        const rows = originals.flatMap((im, i) => {
          const r = res[k * originals.length + i]!;
          return [im, r.masked, r.raw, r.blended];
        });
        const file = `${name}-${kind}.png`;
        writeFileAtomic(path.join(out, file), await encodePng(upscale(makeGrid(rows, 4, 2, c.channels), f)));
        blocks.push(
          `<figure><img src="${file}" alt="${escapeHtml(name)} ${kind}"><figcaption>mask <b>${kind}</b></figcaption></figure>`,
        );
      }
      const secs = (Date.now() - t) / 1000;
      const m = ck.manifest;
      sections.push(
        `<section><h2>${escapeHtml(name)}</h2><p>${c.size}×${c.size}×${c.channels}, ${c.loss}, trained ${m.step} generator iterations` +
          `${m.trainSeconds ? ` in ${fmtDuration(m.trainSeconds)}` : ''} on ${escapeHtml(String(m.dataset?.name ?? c.data))}. ` +
          `Inpainting (${iters} iterations × ${restarts} restarts from ${start === 'encoder' ? "the model's encoder's z" : 'random z'}) took ${secs.toFixed(1)} s for ${images.length} images.</p><p class="cols">columns: original | masked | G(ẑ) | blended</p>${blocks.join('\n')}</section>`,
      );
      bar.log(`${name}: done in ${secs.toFixed(1)} s`);
    }
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>wgan-inpaint demo</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1100px}figure{display:inline-block;margin:0 1em 1em 0;vertical-align:top}
img{image-rendering:pixelated;border:1px solid #ccc}.cols{color:#555}</style></head><body>
<h1>wgan-inpaint demo</h1><p>Semantic inpainting with Wasserstein GANs (latent search with a contextual loss and the critic as prior, then Poisson blending). Backend: ${escapeHtml(backend)}. Held-out images: not seen in training.</p>
${sections.join('\n')}
</body></html>\n`;
    writeFileAtomic(path.join(out, 'index.html'), html);
    bar.log(
      `demo written to ${path.join(out, 'index.html')} in ${fmtDuration((Date.now() - t0) / 1000)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
    return 0;
  },
};
