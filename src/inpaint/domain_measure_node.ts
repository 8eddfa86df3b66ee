/**
 * The measurement behind the out-of-domain check's claims (Node): natural photos and held-out
 * in-domain images, run through `inpaintImages` as `inpaint` runs them, and the verdicts. Shared by
 * tools/domain_rates.ts (the full measurement) and src/inpaint/domain_rates.test.ts (a small one).
 */
import fs from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../io/image.js';
import { loadDataset } from '../data/load_node.js';
import { toImageBatch } from '../data/dataset.js';
import { limitIndices, selectEvalIndices } from '../data/split.js';
import { makeMask } from '../masks/masks.js';
import { inpaintImages } from './inpaint.js';
import type { InpaintModel } from './search.js';
import { imageAt, type ImageBatch } from '../types.js';

const SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data';
const OPENCV = '/usr/share/doc/opencv-doc/examples/data';

/**
 * Photographs among the sample images of scikit-image (python3-skimage) and OpenCV (opencv-doc): not
 * drawings, logos, renders, charts, text or synthetic test patterns. Missing files are left out (the
 * packages may be absent), so callers check how many they got.
 */
export const PHOTOS: readonly string[] = [
  ...[
    'astronaut.png',
    'camera.png',
    'chelsea.png',
    'coffee.png',
    'coins.png',
    'hubble_deep_field.jpg',
    'motorcycle_left.png',
    'rocket.jpg',
    'moon.png',
    'brick.png',
    'grass.png',
    'gravel.png',
    'retina.jpg',
    'ihc.png',
  ].map((f) => path.join(SKIMAGE, f)),
  ...[
    'aero1.jpg',
    'apple.jpg',
    'baboon.jpg',
    'basketball1.png',
    'board.jpg',
    'building.jpg',
    'butterfly.jpg',
    'fruits.jpg',
    'graf1.png',
    'HappyFish.jpg',
    'home.jpg',
    'left01.jpg',
    'leuvenA.jpg',
    'messi5.jpg',
    'orange.jpg',
    'squirrel_cls.jpg',
    'sudoku.png',
    'box_in_scene.png',
    'aloeL.jpg',
    'rubberwhale1.png',
  ].map((f) => path.join(OPENCV, f)),
];

export const photoFiles = (): string[] => PHOTOS.filter((f) => fs.existsSync(f));

/**
 * The photographs the check's features and thresholds were chosen on (tools/domain_tune.ts): OpenCV's
 * only — those of PHOTOS and the other photographs among its samples — so that scikit-image's 14
 * photos are an untouched report set.
 */
export const TUNING_PHOTOS: readonly string[] = [
  ...PHOTOS.filter((f) => f.startsWith(OPENCV)),
  ...[
    'aero3.jpg',
    'aloeR.jpg',
    'basketball2.png',
    'graf3.png',
    'leuvenB.jpg',
    'rubberwhale2.png',
    'left02.jpg',
    'right01.jpg',
    'licenseplate_motion.jpg',
    'ela_original.jpg',
    'stuff.jpg',
    'chicky_512.png',
    'box.png',
    'pca_test1.jpg',
    'left.jpg',
    'right.jpg',
  ].map((f) => path.join(OPENCV, f)),
];

export interface NamedImage {
  name: string;
  /** An encoded image (a photo file), or an image at the model's size (a held-out one). */
  bytes?: Uint8Array;
  image?: ImageBatch;
}

/** What heldOutImages reads of a model's manifest (train/manifest.ts `Manifest` fits it). */
export interface ModelDataRef {
  config: { data: string; size: number; channels: 1 | 3 };
  domain?: { data?: string | undefined } | undefined;
}

/**
 * `n` held-out test images of the model's data: outside the calibration's choice (limitIndices(N,
 * calibrationN), as `calibrate --n` loads them) and, where the split has more images than eval uses,
 * outside eval's selections (selectEvalIndices seeds 0 and 1, 1,000 each); the first `n` of what is
 * left, in test order.
 */
export async function heldOutImages(manifest: ModelDataRef, n: number, calibrationN = 200): Promise<NamedImage[]> {
  const c = manifest.config;
  const ds = await loadDataset({
    data: manifest.domain?.data ?? c.data,
    size: c.size,
    channels: c.channels,
    split: 'test',
  });
  // Eval's images are left out where the split has others (fashion-mnist's 10,000); emoji-permissive's
  // test split is all in eval's choice, so there only the calibration's images are.
  const evalUsed = ds.n > 2000 ? [...selectEvalIndices(ds.n, 1000, 0), ...selectEvalIndices(ds.n, 1000, 1)] : [];
  const used = new Set<number>([...limitIndices(ds.n, calibrationN), ...evalUsed]);
  const idx: number[] = [];
  for (let i = 0; i < ds.n && idx.length < n; i++) if (!used.has(i)) idx.push(i);
  const b = toImageBatch(ds, idx);
  return idx.map((i, k) => ({ name: `test #${i}`, image: imageAt(b, k) }));
}

/**
 * The mask kinds the images get, in turn: holes a user draws. Not `random` (80 % of single pixels):
 * on a large photo, shrunk to the model's size keeping every hole, it leaves no known pixel, and
 * there is nothing to judge.
 */
export const MEASURE_KINDS = ['center', 'half', 'strokes', 'rects'];

/**
 * Complete every image (a mask kind in turn, seeded, at the image's own size; the model's default
 * search) and return each verdict: flagged or not, and why.
 */
export async function domainFlags(
  model: InpaintModel,
  items: NamedImage[],
  batch = 32,
): Promise<{ name: string; unlike: boolean; why: string }[]> {
  const channels = (model.generator.outputs[0]!.shape as number[])[3] as 1 | 3;
  const out: { name: string; unlike: boolean; why: string }[] = [];
  for (let s = 0; s < items.length; s += batch) {
    const part = items.slice(s, s + batch);
    const images = await Promise.all(
      part.map((it) => (it.image ? it.image : decodeImage(it.bytes!, { channels }, it.name))),
    );
    const masks = images.map((im, k) =>
      makeMask(MEASURE_KINDS[(s + k) % MEASURE_KINDS.length]!, im.height, im.width, { seed: 7000 + s + k }),
    );
    const r = await inpaintImages(model, images, masks, {});
    r.forEach((x, k) => {
      const d = x.domain;
      out.push({
        name: part[k]!.name,
        unlike: !!d?.unlike,
        why: d
          ? (d.message ??
            `known error ${d.knownError.toFixed(3)} ≤ ${d.threshold.toFixed(3)}${d.stats ? `, statistics ${d.stats.score.toFixed(2)} ≤ ${d.stats.threshold.toFixed(2)}` : ''}`)
          : 'not judged',
      });
    });
  }
  return out;
}
