/**
 * The tuning slice of the out-of-domain check (src/inpaint/domain.ts): dump, as JSON, the known error
 * and the known pixels' statistics of
 *
 * - `calib`: the calibration's rows (the first `--calibration-n` test images by limitIndices, two
 *   masks each, as calibrateDomain makes them; statistics only, no search);
 * - `val`: in-domain validation images: test images outside the calibration's and eval's, *after*
 *   the `--held` ones that tools/domain_rates.ts reports (so the report never sees them), completed
 *   as domain_rates completes them;
 * - `photo`: the tuning photographs — OpenCV's sample photos (Debian opencv-doc) only, each with
 *   every mask kind; scikit-image's are kept for the report (tools/domain_rates.ts prints them apart).
 *
 *   node dist/tools/domain_tune.js --model emoji [--val 200] [--held 200] [--out runs/domain_tune_emoji.json]
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadCheckpoint } from '../src/encoder/checkpoint.js';
import { attachEncoder } from '../src/encoder/checkpoint.js';
import { initBackend } from '../src/backends/index.js';
import { toolFlags } from '../bench/common.js';
import { TUNING_PHOTOS, heldOutImages, MEASURE_KINDS } from '../src/inpaint/domain_measure_node.js';
import { loadDataset } from '../src/data/load_node.js';
import { toImageBatch } from '../src/data/dataset.js';
import { limitIndices } from '../src/data/split.js';
import { makeMask } from '../src/masks/masks.js';
import { decodeImage } from '../src/io/image.js';
import { fitToModel } from '../src/inpaint/fit.js';
import { inpaintImages } from '../src/inpaint/inpaint.js';
import { knownStats, KNOWN_STAT_NAMES } from '../src/inpaint/domain.js';
import type { ImageBatch, Mask } from '../src/types.js';

const f = toolFlags('domain_tune', ['model', 'val', 'held', 'calibration-n', 'backend', 'out']);
const name = f.model ?? 'emoji';
await initBackend(f.backend ?? 'native');
const ck = await loadCheckpoint(name);
const { model } = await attachEncoder(ck, 'auto', undefined, name);
const c = ck.manifest.config;
const [, h, w, ch] = model.generator.outputs[0]!.shape as number[];
const rows: {
  set: string;
  name: string;
  mask: string;
  knownError: number | null;
  threshold?: number;
  stats: number[];
}[] = [];

// The calibration's rows, as calibrateDomain makes them.
const ds = await loadDataset({
  data: ck.manifest.domain?.data ?? c.data,
  size: c.size,
  channels: c.channels,
  split: 'test',
});
const calIdx = [...limitIndices(ds.n, Number(f['calibration-n'] ?? 200))];
const cal = toImageBatch(ds, calIdx);
const kinds = ck.manifest.domain?.masks ?? ['center', 'random', 'half', 'strokes'];
calIdx.forEach((ix, i) => {
  for (const [k, seed] of [
    [i % kinds.length, 1000 + i],
    [(i + 1) % kinds.length, 5000 + i],
  ] as const) {
    const m = makeMask(kinds[k]!, cal.height, cal.width, { seed });
    rows.push({ set: 'calib', name: `test #${ix}`, mask: kinds[k]!, knownError: null, stats: knownStats(cal, m, i) });
  }
});

/** Complete images (each with its mask) as domain_rates does and record the known error and the statistics at the model's size. */
async function measure(set: string, items: { name: string; image: ImageBatch; mask: Mask; kind: string }[]) {
  for (let s = 0; s < items.length; s += 32) {
    const part = items.slice(s, s + 32);
    const r = await inpaintImages(
      model,
      part.map((it) => it.image),
      part.map((it) => it.mask),
      {},
    );
    part.forEach((it, k) => {
      const fit = fitToModel(it.image, it.mask, { width: w!, height: h! }, 'whole');
      rows.push({
        set,
        name: it.name,
        mask: it.kind,
        knownError: r[k]!.domain?.knownError ?? null,
        ...(r[k]!.domain ? { threshold: r[k]!.domain!.threshold } : {}),
        stats: knownStats(fit.images[0]!, fit.masks[0]!),
      });
    });
    console.error(`${set}: ${Math.min(items.length, s + 32)}/${items.length}`);
  }
}

const held = Number(f.held ?? 200),
  nVal = Number(f.val ?? 200);
const val = (await heldOutImages(ck.manifest, held + nVal)).slice(held);
await measure(
  'val',
  val.map((it, i) => {
    const kind = MEASURE_KINDS[i % MEASURE_KINDS.length]!;
    return { name: it.name, image: it.image!, kind, mask: makeMask(kind, h!, w!, { seed: 9000 + i }) };
  }),
);
const photos: { name: string; image: ImageBatch; mask: Mask; kind: string }[] = [];
for (const p of TUNING_PHOTOS.filter((q) => fs.existsSync(q))) {
  const im = await decodeImage(new Uint8Array(fs.readFileSync(p)), { channels: ch as 1 | 3 }, p);
  for (const [k, kind] of MEASURE_KINDS.entries())
    photos.push({
      name: path.basename(p),
      image: im,
      kind,
      mask: makeMask(kind, im.height, im.width, { seed: 9500 + k }),
    });
}
await measure('photo', photos);
const out = f.out ?? `runs/domain_tune_${name}.json`;
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify({ model: name, names: KNOWN_STAT_NAMES, domain: ck.manifest.domain, rows }));
console.error(`wrote ${rows.length} rows → ${out}`);
