/**
 * The files one inpainted image leaves behind, shared by `inpaint` (written at once) and `batch`
 * (encoded by a queue worker, carried back through Redis, written by the batch client): one
 * definition, so both commands write the same folder and the same bytes.
 *
 *   input.png  mask.png (in the run's mask convention: white = hole by default)  masked.png  raw.png = G(ẑ)  composite.png  blended.png
 *   side_by_side.png (input | masked | G(ẑ) | composite | blended, upscaled to ≥ 128 px high; at
 *     most PREVIEW_MAX_SIDE px a side and PREVIEW_MAX_PIXELS, shrunk for large or thin images)
 *   progress.gif (G(z) over the search at the model's size, upscaled the same way, at most
 *     PREVIEW_MAX_FRAMES frames; only when frames were recorded)
 */
import path from 'node:path';
import type { ImageBatch, Mask } from '../types.js';
import { encodePng, encodeGif, maskToImage, previewFrames, previewGrid } from './image.js';
import { writeDirAtomic, writeFileAtomic } from './atomic.js';
import { DEFAULT_MASK_CONVENTION, type MaskConvention } from '../masks/convention.js';

/**
 * The images of one completed image that its folder holds: inpaint/inpaint.ts's FittedResult has
 * them all (named here, so io/ stays below the completion pipeline).
 */
export interface OutputImages {
  masked: ImageBatch;
  raw: ImageBatch;
  composite: ImageBatch;
  blended: ImageBatch;
  frames: ImageBatch[];
}

/** A file of an output folder: name (no folders) and bytes. */
export type OutputFile = [name: string, bytes: Uint8Array];

/**
 * Encode the output files of one image (`image`/`mask` at the original size, as `r` is); mask.png in
 * `convention`, the one the run read its mask files in, so it can be fed back as `--mask`.
 */
export async function inpaintOutputFiles(
  image: ImageBatch,
  mask: Mask,
  r: OutputImages,
  convention: MaskConvention = DEFAULT_MASK_CONVENTION,
): Promise<OutputFile[]> {
  const files: OutputFile[] = [
    ['input.png', await encodePng(image)],
    ['mask.png', await encodePng(maskToImage(mask, convention))],
    ['masked.png', await encodePng(r.masked)],
    ['raw.png', await encodePng(r.raw)],
    ['composite.png', await encodePng(r.composite)],
    ['blended.png', await encodePng(r.blended)],
    // Bounded whatever the image's aspect (a 1000×1 strip was upscaled 128× both ways: 2.1 GB).
    ['side_by_side.png', await encodePng(previewGrid([image, r.masked, r.raw, r.composite, r.blended], 5))],
  ];
  if (r.frames.length)
    files.push(['progress.gif', await encodeGif(previewFrames(r.frames).map((fr) => previewGrid([fr], 1, 128, 0)))]);
  return files;
}

/** Write an output folder atomically (a temporary sibling renamed into place; replaces an old one). */
export async function writeOutputDir(dir: string, files: OutputFile[]): Promise<void> {
  await writeDirAtomic(dir, (tmp) => {
    // writeFileAtomic: each file fsynced and, on failure, a WriteError naming dir/name.
    for (const [name, bytes] of files) writeFileAtomic(path.join(tmp, name), bytes);
  });
}

/**
 * Output folder names from input paths (relative to the input folder): the path without extension,
 * sanitised, made unique in order; never `summary.json` (the summary's own name) nor a hidden name.
 */
export function outputNames(rels: string[]): string[] {
  const used = new Set<string>(['summary.json']);
  return rels.map((r) => {
    const base = r
      .replace(/\.[^./]+$/, '')
      .split('/')
      .map((s) => s.replace(/[^\w.-]+/g, '_').replace(/^\.+/, '_') || '_')
      .join('/');
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  });
}
