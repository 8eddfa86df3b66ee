/**
 * Dev tool (docs/ENCODER.md, "Stopping each image's search early on held-out context"): would a
 * per-image stop, chosen on known pixels hidden from the search, beat the fixed 100 iterations?
 *
 *   node dist/tools/holdout_stop.js MODEL SPLIT N OFFSET MASKS [HIDE_FRACTION=0.25] [WINDOW=7]
 *   e.g. node dist/tools/holdout_stop.js emoji train 320 0 center,half
 *
 * Images OFFSET … OFFSET+N−1 of SPLIT (use a split the reported evaluation does not: `train`), masks
 * seeded 7. For each mask kind it prints hole PSNR (Poisson-blended, dB; 100 dB cap as in eval) of:
 * the default search on the true mask; the encoder alone; the default search with HIDE_FRACTION of
 * the known pixels within the hole's WINDOW×WINDOW context hidden from its mask; and that search
 * stopped per image at the snapshot (every 10 iterations) closest (L1) to the hidden pixels — each as
 * a paired difference from the default ± s.e., and which snapshots the stop picked.
 */
import { initBackend } from '../src/backends/index.js';
import { loadGanCheckpoint } from '../src/train/checkpoint.js';
import { attachEncoder } from '../src/encoder/checkpoint.js';
import { loadDataset } from '../src/data/load_node.js';
import { toImageBatch } from '../src/data/dataset.js';
import { latentSearch, type InpaintModel } from '../src/inpaint/search.js';
import { finishFill } from '../src/inpaint/finish.js';
import { evalMasks, measurePerImage } from '../src/eval/runner.js';
import { importanceWeights } from '../src/inpaint/weights.js';
import { imageAt, stackImages, type ImageBatch, type Mask } from '../src/types.js';
import { PSNR_CAP_DB } from '../src/metrics/index.js';
import { Rng } from '../src/util/rng.js';

const [name, split, nArg, offArg, maskArg, fracArg, winArg] = process.argv.slice(2);
if (!name || !split || !nArg || !offArg || !maskArg) {
  console.error('usage: holdout_stop MODEL SPLIT N OFFSET MASKS [HIDE_FRACTION=0.25] [WINDOW=7]');
  process.exit(2);
}
const n = Number(nArg),
  off = Number(offArg),
  frac = Number(fracArg ?? 0.25),
  win = Number(winArg ?? 7);
const CHUNK = 64,
  SNAP_EVERY = 10;

await initBackend('native');
const { model: ck } = await attachEncoder(await loadGanCheckpoint(name), 'encoder', undefined, name);
const { size, channels, data } = ck.manifest.config;
const ds = await loadDataset({ data, size, channels, split: split as 'train' | 'test' });
const images = toImageBatch(
  ds,
  Int32Array.from({ length: n }, (_, i) => off + i),
);
const px = size * size,
  s = px * channels;

const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
const stat = (a: number[]): string => {
  const m = mean(a),
    sd = Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1));
  return `${m.toFixed(2)} ± ${(sd / Math.sqrt(a.length)).toFixed(2)}`;
};
const paired = (a: number[], b: number[]): string => stat(a.map((v, i) => v - b[i]!));

/** The search over all images in chunks; with `snaps`, G(z) of every image every SNAP_EVERY iterations too. */
async function search(
  model: InpaintModel,
  masks: Mask[],
  snaps: boolean,
  iters?: number,
): Promise<{ raw: ImageBatch; shots: ImageBatch[][] }> {
  const raws: ImageBatch[] = [],
    shots: ImageBatch[][] = [];
  for (let i0 = 0; i0 < n; i0 += CHUNK) {
    const k = Math.min(CHUNK, n - i0),
      got: ImageBatch[] = [];
    const chunk = stackImages(Array.from({ length: k }, (_, j) => imageAt(images, i0 + j)));
    const r = await latentSearch(
      model,
      chunk,
      masks.slice(i0, i0 + k),
      { progressEvery: snaps ? SNAP_EVERY : 0, ...(iters !== undefined ? { iters } : {}) },
      {
        onProgress: (p) => {
          if (p.raw) got.push(p.raw);
        },
      },
    );
    raws.push(r.raw);
    shots.push(got);
  }
  return { raw: stackImages(raws), shots };
}

for (const kind of maskArg.split(',')) {
  const masks = evalMasks(kind, n, size, size, 7);
  // hidden[i]: the known pixels of image i hidden from the search (1), all within the context window.
  const hidden: Uint8Array[] = [],
    searchMasks: Mask[] = [];
  for (let i = 0; i < n; i++) {
    const m = masks[i]!,
      w = importanceWeights(m, win, 0),
      rng = new Rng(1000 + i);
    const h = new Uint8Array(px),
      data = Float32Array.from(m.data);
    for (let j = 0; j < px; j++)
      if (m.data[j]! > 0.5 && w[j]! > 0 && rng.uniform(0, 1) < frac) {
        h[j] = 1;
        data[j] = 0;
      }
    hidden.push(h);
    searchMasks.push({ ...m, data });
  }
  const holePsnr = (raw: ImageBatch): number[] =>
    measurePerImage(finishFill(images, raw, masks, { blend: 'poisson' }).blended, images, masks).holePsnr.map((v) =>
      Math.min(v, PSNR_CAP_DB),
    );

  const def = await search(ck, masks, false);
  const encOnly = await search(ck, masks, false, 0);
  const hid = await search(ck, searchMasks, true);
  // Per image, the snapshot closest to its hidden pixels.
  const stopped = new Float32Array(n * s),
    picked = new Map<number, number>();
  hid.shots.forEach((shots, c) => {
    for (let j = 0; j < shots[0]!.n; j++) {
      const i = c * CHUNK + j;
      let best = Infinity,
        bt = 0;
      shots.forEach((shot, t) => {
        let e = 0,
          cnt = 0;
        for (let p = 0; p < px; p++) {
          if (!hidden[i]![p]) continue;
          for (let ch = 0; ch < channels; ch++) {
            e += Math.abs(shot.data[j * s + p * channels + ch]! - images.data[i * s + p * channels + ch]!);
            cnt++;
          }
        }
        if ((cnt ? e / cnt : 0) < best - 1e-9) {
          best = cnt ? e / cnt : 0;
          bt = t;
        }
      });
      picked.set(bt * SNAP_EVERY, (picked.get(bt * SNAP_EVERY) ?? 0) + 1);
      stopped.set(shots[bt]!.data.subarray(j * s, (j + 1) * s), i * s);
    }
  });
  const pd = holePsnr(def.raw),
    pe = holePsnr(encOnly.raw),
    ph = holePsnr(hid.raw);
  const ps = holePsnr({ data: stopped, n, height: size, width: size, channels });
  console.log(`${name} ${split} ${kind}: n ${n}, hidden ${frac} of the known pixels in the ${win}×${win} window`);
  console.log(
    `  default ${stat(pd)} dB; paired Δ: encoder only ${paired(pe, pd)}, hidden ${paired(ph, pd)}, hidden + stop ${paired(ps, pd)}`,
  );
  console.log(
    `  stop at iteration (images): ${[...picked]
      .sort((a, b) => a[0] - b[0])
      .map(([t, c]) => `${t}: ${c}`)
      .join(', ')}`,
  );
}
