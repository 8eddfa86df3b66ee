/**
 * Dev tool: the figure of docs/TRAINING.md's photo example (issue #15) — one photo with square holes,
 * completed by a crop-trained model with `fit: crop` and with `fit: whole`, and by Telea, at the
 * photo's own resolution; hole PSNR of each against the photo.
 *
 *   node dist/tools/photo_figure.js --model RUN|CHECKPOINT --photo FILE --out PNG [--hole 0.12]
 *     [--at x1,y1;x2,y2] [--zoom 3] [--json FILE]
 *
 * Holes: squares of side --hole × the photo's shorter side, centred at the --at fractions (default
 * two: 0.3,0.35;0.72,0.7). The PNG: one row per hole, a context square --zoom × the hole's side around
 * it, in columns masked | crop-fit | whole-fit | Telea | original, each shown at 2× (nearest).
 */
import fs from 'node:fs';
import { initBackend } from '../src/backends/index.js';
import { loadGanCheckpoint } from '../src/train/checkpoint.js';
import { inpaintImages } from '../src/inpaint/inpaint.js';
import { applyMask } from '../src/inpaint/composite.js';
import { telea } from '../src/baselines/telea.js';
import { getMetric } from '../src/metrics/index.js';
import { readImage, writePng } from '../src/io/image.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import type { ImageBatch, Mask } from '../src/types.js';
import { toolFlags } from '../bench/common.js';

const f = toolFlags('photo_figure', ['at', 'backend', 'hole', 'json', 'model', 'out', 'photo', 'zoom']);
if (!f.model || !f.photo || !f.out) {
  console.error(
    'usage: photo_figure --model RUN|CHECKPOINT --photo FILE --out PNG [--hole 0.12] [--at x1,y1;x2,y2] [--zoom 3] [--json FILE]',
  );
  process.exit(2);
}
await initBackend(f.backend ?? 'auto');
const ck = await loadGanCheckpoint(f.model);
const photo = await readImage(f.photo, { channels: ck.manifest.config.channels as 1 | 3 });
const { width: W, height: H, channels: C } = photo;
const side = Math.round(Number(f.hole ?? 0.12) * Math.min(W, H));
const centres = (f.at ?? '0.3,0.35;0.72,0.7').split(';').map((p) => p.split(',').map(Number) as [number, number]);
const boxes = centres.map(([fx, fy]) => ({
  left: Math.round(fx * W - side / 2),
  top: Math.round(fy * H - side / 2),
  side,
}));
const mask: Mask = { data: new Float32Array(W * H).fill(1), width: W, height: H };
for (const b of boxes)
  for (let y = b.top; y < b.top + side; y++) for (let x = b.left; x < b.left + side; x++) mask.data[y * W + x] = 0;

const t0 = performance.now();
const [crop] = await inpaintImages(ck, [photo], [mask], { fit: 'crop' });
const tCrop = (performance.now() - t0) / 1000;
const [whole] = await inpaintImages(ck, [photo], [mask], { fit: 'whole' });
const t = telea(photo, [mask]);
const outputs: [string, ImageBatch][] = [
  ['masked', applyMask(photo, mask)],
  ['crop-fit', crop!.blended],
  ['whole-fit', whole!.blended],
  ['Telea', t],
  ['original', photo],
];
const psnr = getMetric('hole-psnr');
const figures = Object.fromEntries(
  outputs.slice(1, 4).map(([name, img]) => [name, psnr.compute(img, photo, [mask])[0]!]),
);
console.log(
  `${f.photo} ${W}×${H}, ${boxes.length} holes of ${side}×${side} px; crop-fit search ${tCrop.toFixed(1)} s; hole PSNR (dB): ${Object.entries(
    figures,
  )
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ')}`,
);

// One row per hole: a context square around it from each output, nearest-upscaled 2×, 4 px gaps.
const zoom = Number(f.zoom ?? 3),
  ctx = Math.min(W, H, Math.round(zoom * side)),
  S = 2,
  gap = 4;
const cell = ctx * S,
  cols = outputs.length,
  rows = boxes.length;
const fig: ImageBatch = {
  data: new Float32Array((cols * cell + (cols - 1) * gap) * (rows * cell + (rows - 1) * gap) * C).fill(1),
  n: 1,
  width: cols * cell + (cols - 1) * gap,
  height: rows * cell + (rows - 1) * gap,
  channels: C,
};
boxes.forEach((b, r) => {
  const x0 = Math.max(0, Math.min(W - ctx, Math.round(b.left + side / 2 - ctx / 2))),
    y0 = Math.max(0, Math.min(H - ctx, Math.round(b.top + side / 2 - ctx / 2)));
  outputs.forEach(([, img], c) => {
    for (let y = 0; y < cell; y++) {
      for (let x = 0; x < cell; x++) {
        const src = ((y0 + Math.floor(y / S)) * W + x0 + Math.floor(x / S)) * C;
        const dst = ((r * (cell + gap) + y) * fig.width + c * (cell + gap) + x) * C;
        for (let k = 0; k < C; k++) fig.data[dst + k] = img.data[src + k]!;
      }
    }
  });
});
await writePng(f.out, fig);
if (f.json)
  writeFileAtomic(
    f.json,
    `${JSON.stringify(
      {
        photo: f.photo,
        width: W,
        height: H,
        holes: boxes,
        holePsnr: figures,
        columns: outputs.map(([n]) => n),
        cropFitSeconds: tCrop,
        model: ck.dir,
        step: ck.manifest.step,
      },
      null,
      2,
    )}\n`,
  );
console.log(`wrote ${f.out}${f.json ? ` and ${f.json}` : ''}`);
if (!fs.existsSync(f.out)) process.exit(1);
