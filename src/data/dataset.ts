/**
 * The in-memory dataset shared by training, evaluation and the classifier. Platform-neutral (no Node
 * or DOM imports): the Node loaders live in load_node.ts, the browser can build a Dataset itself.
 *
 * Pixels are kept as bytes (0..255, NHWC) because that is 4× smaller than float32: Fashion-MNIST train
 * at 32×32 is 60000·32·32 = 61 MB as bytes, 246 MB as floats. Batches are converted to float on demand.
 */
import type { ImageBatch } from '../types.js';

export type Split = 'train' | 'test';

export interface Dataset {
  /** Built-in name (`fashion-mnist`, …) or the folder path as given. */
  name: string;
  split: Split;
  /** Side of the square images, in pixels. */
  size: number;
  channels: 1 | 3;
  /** Number of images. */
  n: number;
  /** n·size·size·channels bytes, NHWC, 0..255. */
  pixels: Uint8Array;
  /** One class id per image, in [0, classNames.length), when the source is labelled. */
  labels?: Int32Array;
  /** Class id → name, when labelled. */
  classNames?: string[];
  /** Corrupt source files that were skipped while loading. */
  skipped: number;
  /**
   * Where the images come from, for datasets assembled from licensed sources (the built-in emoji
   * sets): what a checkpoint's manifest records so a model carries its data's licences.
   */
  sources?: DatasetSource[];
}

/** One source of a dataset's images and the terms of its artwork. */
export interface DatasetSource {
  /** The built-in dataset of this source alone (`emoji-twitter`, …). */
  name: string;
  /** The npm packages read, as name@version (the images' package first). */
  packages: string[];
  /** Version of the images' package. */
  version: string;
  /** SPDX id of the artwork's licence. */
  licence: string;
  /** The credit line the licence asks for. */
  attribution: string;
  /** Images from this source in the loaded split. */
  count: number;
}

/** Value range of the floats written by fillBatch: [0, 1] for ImageBatch, [-1, 1] for the models (tanh). */
export type PixelRange = '[-1,1]' | '[0,1]';

/** Bytes in one image of the dataset. */
export function imageBytes(ds: Pick<Dataset, 'size' | 'channels'>): number {
  return ds.size * ds.size * ds.channels;
}

// Byte → float lookup tables: one multiply-add per pixel is cheap, but a table avoids it entirely and
// gives exactly the same value for the same byte everywhere.
const LUT01 = new Float32Array(256).map((_, v) => v / 255);
const LUTPM1 = new Float32Array(256).map((_, v) => v / 127.5 - 1);

/**
 * Write the images `indices` of `ds` into `out` (NHWC float32, length ≥ indices.length·size²·channels)
 * in the given range. Allocation-free, so the training loop can reuse one buffer every step.
 * Returns `out`.
 */
export function fillBatch(
  ds: Dataset,
  indices: ArrayLike<number>,
  out: Float32Array,
  range: PixelRange = '[0,1]',
): Float32Array {
  const s = imageBytes(ds);
  if (out.length < indices.length * s) {
    throw new Error(`fillBatch: buffer holds ${out.length} floats, need ${indices.length * s}`);
  }
  const lut = range === '[-1,1]' ? LUTPM1 : LUT01;
  const px = ds.pixels;
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b]!;
    if (!(i >= 0 && i < ds.n && Number.isInteger(i)))
      throw new RangeError(`fillBatch: index ${i} outside [0, ${ds.n})`);
    const src = i * s,
      dst = b * s;
    for (let k = 0; k < s; k++) out[dst + k] = lut[px[src + k]!]!;
  }
  return out;
}

/** Like fillBatch, allocating the buffer unless one is given. NHWC float32, indices.length images. */
export function getBatch(
  ds: Dataset,
  indices: ArrayLike<number>,
  range: PixelRange = '[0,1]',
  out?: Float32Array,
): Float32Array {
  return fillBatch(ds, indices, out ?? new Float32Array(indices.length * imageBytes(ds)), range);
}

/** The images `indices` as an ImageBatch (values in [0, 1]). */
export function toImageBatch(ds: Dataset, indices: ArrayLike<number>): ImageBatch {
  return {
    data: getBatch(ds, indices, '[0,1]'),
    n: indices.length,
    height: ds.size,
    width: ds.size,
    channels: ds.channels,
  };
}

/** A new Dataset holding only the images `indices` (copied, in that order), labels included. */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const s = imageBytes(ds);
  const pixels = new Uint8Array(indices.length * s);
  const labels = ds.labels ? new Int32Array(indices.length) : undefined;
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b]!;
    if (!(i >= 0 && i < ds.n)) throw new RangeError(`subset: index ${i} outside [0, ${ds.n})`);
    pixels.set(ds.pixels.subarray(i * s, (i + 1) * s), b * s);
    if (labels) labels[b] = ds.labels![i]!;
  }
  const out: Dataset = {
    name: ds.name,
    split: ds.split,
    size: ds.size,
    channels: ds.channels,
    n: indices.length,
    pixels,
    skipped: ds.skipped,
  };
  if (labels) out.labels = labels;
  if (ds.classNames) out.classNames = ds.classNames;
  return out;
}

/** Images per class (length classNames.length), or undefined for an unlabelled dataset. */
export function classCounts(ds: Dataset): number[] | undefined {
  if (!ds.labels || !ds.classNames) return undefined;
  const c = new Array<number>(ds.classNames.length).fill(0);
  for (const l of ds.labels) c[l] = (c[l] ?? 0) + 1;
  return c;
}
