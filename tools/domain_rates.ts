/**
 * Measure the out-of-domain check (src/inpaint/domain.ts) of a model: the share of natural photos it
 * flags and the share of held-out in-domain images it flags by mistake.
 *
 * - photos: scikit-image's sample photographs (Debian python3-skimage) and OpenCV's sample images
 *   (Debian opencv-doc), those that are photographs (no drawings, charts, logos or synthetic tests);
 *   printed apart too, since the check's features and thresholds were chosen on OpenCV's
 *   (tools/domain_tune.ts): scikit-image's are the untouched report set;
 * - held-out: test images of the model's data outside the calibration's choice (limitIndices(N,
 *   `--calibration-n`), as `calibrate --n` loads them) and outside eval's 1,000 (selectEvalIndices,
 *   seeds 0 and 1: the inpainted and the FD images), so neither the thresholds nor the published
 *   figures saw them.
 * Each image gets a mask kind cycled over center, random, half, strokes (seeded), at its own size, is
 * fitted to the model as `inpaint` does (whole, aspect kept) and completed by the model's default
 * search; the verdict is inpaintImages' own.
 *
 *   node dist/tools/domain_rates.js --model fashion-mnist [--held 200] [--photos 0 = all] [--backend native]
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadCheckpoint } from '../src/encoder/checkpoint.js';
import { attachEncoder } from '../src/encoder/checkpoint.js';
import { initBackend } from '../src/backends/index.js';
import { toolFlags } from '../bench/common.js';
import { photoFiles, heldOutImages, domainFlags, TUNING_PHOTOS } from '../src/inpaint/domain_measure_node.js';

const f = toolFlags('domain_rates', ['model', 'held', 'photos', 'backend', 'calibration-n', 'verbose']);
const name = f.model ?? 'fashion-mnist';
await initBackend(f.backend ?? 'native');
const ck = await loadCheckpoint(name);
const { model } = await attachEncoder(ck, 'auto', undefined, name);
const photos = photoFiles().slice(0, Number(f.photos ?? 0) || undefined);
const held = await heldOutImages(ck.manifest, Number(f.held ?? 200), Number(f['calibration-n'] ?? 200));
const t0 = Date.now();
const ph = await domainFlags(
  model,
  photos.map((p) => ({ name: path.basename(p), bytes: new Uint8Array(fs.readFileSync(p)) })),
);
const ho = await domainFlags(model, held);
const rate = (r: typeof ph) =>
  `${r.filter((x) => x.unlike).length}/${r.length} (${((100 * r.filter((x) => x.unlike).length) / r.length).toFixed(1)} %)`;
const tuned = new Set(TUNING_PHOTOS.map((p) => path.basename(p)));
console.log(
  `${name}: photos flagged ${rate(ph)} (scikit-image, not tuned on: ${rate(ph.filter((r) => !tuned.has(r.name)))}; OpenCV, tuned on: ${rate(ph.filter((r) => tuned.has(r.name)))}); held-out flagged ${rate(ho)} [${((Date.now() - t0) / 1000).toFixed(0)} s]`,
);
if (f.verbose)
  for (const r of [...ph, ...ho])
    if (r.unlike !== ph.includes(r))
      console.log(`  ${ph.includes(r) ? 'missed photo' : 'flagged held-out'} ${r.name}: ${r.why}`);
