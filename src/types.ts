/**
 * Plain-data types shared by every layer. Platform-neutral: no Node or DOM imports.
 *
 * Conventions used throughout the project:
 * - Images are NHWC float32 with values in [0, 1] (the models map to [-1, 1] internally, because the
 *   generator ends in tanh).
 * - A mask is H×W, shared by all channels, with **1 = known pixel, 0 = unknown (hole)**.
 */

/** A batch of images: `data.length === n * height * width * channels`, NHWC, values in [0, 1]. */
export interface ImageBatch {
  data: Float32Array;
  n: number;
  height: number;
  width: number;
  channels: number;
}

/** One binary mask, H×W, row-major; 1 = known, 0 = unknown. */
export interface Mask {
  data: Float32Array;
  height: number;
  width: number;
}

/** Number of floats in one image of a batch. */
export function imageSize(b: Pick<ImageBatch, 'height' | 'width' | 'channels'>): number {
  return b.height * b.width * b.channels;
}

/** A view of images [from, to) of a batch (no copy). */
export function imagesAt(b: ImageBatch, from: number, to: number): ImageBatch {
  const s = imageSize(b);
  return {
    data: b.data.subarray(from * s, to * s),
    n: to - from,
    height: b.height,
    width: b.width,
    channels: b.channels,
  };
}

/** A view of image `i` of a batch (no copy). */
export function imageAt(b: ImageBatch, i: number): ImageBatch {
  return imagesAt(b, i, i + 1);
}

/** Concatenate single images (all the same shape) into one batch. */
export function stackImages(images: ImageBatch[]): ImageBatch {
  const first = images[0];
  if (!first) throw new Error('stackImages: no images');
  const s = imageSize(first);
  let n = 0;
  for (const im of images) {
    if (im.height !== first.height || im.width !== first.width || im.channels !== first.channels) {
      throw new Error(
        `stackImages: shape ${im.height}x${im.width}x${im.channels} differs from ${first.height}x${first.width}x${first.channels}`,
      );
    }
    n += im.n;
  }
  const data = new Float32Array(n * s);
  let off = 0;
  for (const im of images) {
    data.set(im.data, off);
    off += im.data.length;
  }
  return { data, n, height: first.height, width: first.width, channels: first.channels };
}

/**
 * One attribute read off a dataset's class id: `ofClass[c]` is the attribute's value
 * for class `c`, one of `values`. Lets eval report how often a completion keeps each attribute
 * ("glasses recovered when the eyes were hidden") from a classifier trained on the combined classes.
 */
export interface ClassAttribute {
  name: string;
  values: readonly string[];
  ofClass: readonly number[];
}
