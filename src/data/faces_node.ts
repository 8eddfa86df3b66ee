/**
 * The built-in `faces` dataset in Node: draws each face with facesjs (npm, Apache-2.0; an optional
 * package like the emoji sets) from its own seeded stream (faces.ts), renders the SVG with sharp at
 * the requested size, keeps the head square (FACES_CROP) on white, and labels it from its descriptor.
 * Same seed and size → same bytes (for one facesjs and one sharp/librsvg version; both are in the cache
 * fingerprint).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import crypto from 'node:crypto';
import sharp from 'sharp';
import { decodeImage } from '../io/image.js';
import { UserError } from '../util/errors.js';
import type { Split } from './dataset.js';
import {
  FACES_COUNTS,
  FACES_CROP,
  FACES_RULES_VERSION,
  FACES_SEED,
  FACES_VIEWBOX,
  FACE_ATTRIBUTES,
  FACE_CLASSES,
  faceAttributes,
  faceClass,
  faceIndex,
  faceRng,
  type FaceDescriptor,
} from './faces.js';
import {
  DECODE_CONCURRENCY,
  datasetOf,
  datasetPackageDir,
  packageVersion,
  type PackageDirs,
  type Plan,
} from './plan_node.js';

interface Facesjs {
  generate(overrides?: unknown, options?: { gender?: 'male' | 'female' }): FaceDescriptor;
  faceToSvgString(face: FaceDescriptor): string;
}

const require = createRequire(import.meta.url);

/** facesjs, from `dirs` (tests) or resolved from wgan-inpaint; missing → one UserError line naming the install. */
export async function loadFacesjs(dirs?: PackageDirs): Promise<{ lib: Facesjs; version: string }> {
  const dir = datasetPackageDir('facesjs', 'faces', dirs);
  const version = packageVersion(dir);
  let entry: string;
  try {
    entry = dirs?.facesjs !== undefined ? path.join(dir, 'build', 'index.js') : require.resolve('facesjs');
  } catch (e) {
    throw new UserError(`faces: cannot load facesjs: ${(e as Error).message}`);
  }
  const lib = (await import(entry)) as Partial<Facesjs>;
  if (typeof lib.generate !== 'function' || typeof lib.faceToSvgString !== 'function') {
    throw new UserError(`faces: ${dir} is not facesjs 5 (no generate/faceToSvgString)`);
  }
  return { lib: lib as Facesjs, version };
}

/**
 * Face `index`'s descriptor: a gender drawn first (half each), then facesjs's own draws, all from
 * faceRng(index). facesjs calls Math.random synchronously inside generate(), so it is swapped for the
 * seeded stream for that call only.
 */
export function drawFace(lib: Facesjs, index: number): FaceDescriptor {
  const rng = faceRng(index);
  const gender = rng.next() < 0.5 ? 'male' : 'female';
  const saved = Math.random;
  Math.random = () => rng.next();
  try {
    return lib.generate(undefined, { gender });
  } finally {
    Math.random = saved;
  }
}

/** One face's SVG rendered on white: the FACES_CROP square at `size` px, size·size·channels bytes. */
export async function renderFace(
  lib: Facesjs,
  face: FaceDescriptor,
  size: number,
  channels: 1 | 3,
): Promise<Uint8Array> {
  // facesjs writes width/height 100%; a fixed size makes librsvg render the whole view box at `density`.
  const svg = lib
    .faceToSvgString(face)
    .replace('width="100%" height="100%"', `width="${FACES_VIEWBOX.width}" height="${FACES_VIEWBOX.height}"`);
  const scale = size / FACES_CROP.side; // px per view-box unit
  const full = await sharp(Buffer.from(svg), { density: 72 * scale })
    .flatten({ background: '#ffffff' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const left = Math.min(Math.round(FACES_CROP.x * scale), full.info.width - size);
  const top = Math.min(Math.round(FACES_CROP.y * scale), full.info.height - size);
  const png = await sharp(full.data, { raw: full.info })
    .extract({ left, top, width: size, height: size })
    .png({ compressionLevel: 0 })
    .toBuffer();
  const img = await decodeImage(png, { size, channels }, `face ${size}px`);
  const px = new Uint8Array(size * size * channels);
  for (let p = 0; p < px.length; p++) px[p] = Math.round(img.data[p]! * 255);
  return px;
}

/** Attribute values (k = FACE_ATTRIBUTES.length per face, row-major) of the faces `ks` of a split. */
export function faceAttributeRows(lib: Facesjs, split: Split, ks: ArrayLike<number>): Int32Array {
  const k = FACE_ATTRIBUTES.length;
  const out = new Int32Array(ks.length * k);
  for (let r = 0; r < ks.length; r++) out.set(faceAttributes(drawFace(lib, faceIndex(split, ks[r]!))), r * k);
  return out;
}

/** The Plan of `faces` for loadDataset: items are the split's face numbers 0..count-1. */
export function facesPlan(split: Split, dirs?: PackageDirs): Plan {
  const dir = datasetPackageDir('facesjs', 'faces', dirs);
  const version = packageVersion(dir);
  const fingerprint = crypto
    .createHash('sha256')
    .update(
      JSON.stringify([
        FACES_RULES_VERSION,
        FACES_SEED,
        FACES_COUNTS,
        FACES_CROP,
        `facesjs@${version}`,
        sharp.versions,
        dirs ?? null,
      ]),
    )
    .digest('hex');
  return {
    name: 'faces',
    tag: 'faces',
    fingerprint,
    count: FACES_COUNTS[split],
    async build(sel, size, channels) {
      const { lib } = await loadFacesjs(dirs);
      const s = size * size * channels;
      const pixels = new Uint8Array(sel.length * s);
      const labels = new Int32Array(sel.length);
      let next = 0;
      // sharp renders on libuv's thread pool: a few faces in flight keep both cores busy.
      const worker = async () => {
        while (next < sel.length) {
          const k = next++;
          const face = drawFace(lib, faceIndex(split, sel[k]!));
          labels[k] = faceClass(face);
          pixels.set(await renderFace(lib, face, size, channels), k * s);
        }
      };
      await Promise.all(Array.from({ length: Math.min(DECODE_CONCURRENCY, sel.length) }, worker));
      const ds = datasetOf('faces', split, size, channels, sel.length, pixels, 0, labels, FACE_CLASSES);
      return { ds, kept: Int32Array.from(sel), skippedNames: [] };
    },
    sources(kept) {
      return [
        {
          name: 'faces',
          packages: [`facesjs@${version}`],
          version,
          licence: 'Apache-2.0',
          attribution: 'Faces drawn with facesjs by Jeremy Scheff (ZenGM), Apache-2.0',
          count: kept.length,
        },
      ];
    },
  };
}
