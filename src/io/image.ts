/**
 * Image files ⇄ ImageBatch (NHWC float32 in [0, 1]) using sharp (libvips ships inside its npm package).
 * Node only; the browser uses canvas instead.
 */
import fs from 'node:fs';
import sharp, { type Metadata, type OutputInfo, type Sharp } from 'sharp';
import type { ImageBatch, Mask } from '../types.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic, describeFsError } from './atomic.js';
import { resizeBilinear } from './resize.js';
import { DEFAULT_MASK_CONVENTION, maskFromPixels, maskToGrey, type MaskConvention } from '../masks/convention.js';

export interface ReadOptions {
  /** 1 = grey, 3 = RGB. Alpha is composited on white. Default: 3 if the file has colour, else 1. */
  channels?: 1 | 3;
  /** Center-crop to a square and resize to size×size. Default: keep the file's size. */
  size?: number;
  /** Refuse images of more pixels than this, read from the header before decoding [default: DEFAULT_MAX_PIXELS]. */
  maxPixels?: number;
  /** Accept only these formats, by the bytes' signature (not the name) [default: any sharp reads]. */
  formats?: readonly ImageFormat[];
  /** readImage/readMask only: refuse files of more bytes than this, from fstat before reading [default: DEFAULT_MAX_BYTES]. */
  maxBytes?: number;
}

/**
 * The largest image decoded by default, pixels (40 MP: a 7300×5500 photo). A decoded image costs
 * 4 bytes per value per copy and inpainting holds about six full-size copies (input, G(ẑ) resized,
 * masked, composite, blended, the PNG encoder's), so 40 MP RGB ≈ 3 GB; a 249 KB PNG can declare
 * 16000×16000 (a decompression bomb), which is refused from its header.
 */
export const DEFAULT_MAX_PIXELS = 40_000_000;

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif';

/** The format named by the first bytes (magic numbers), or null for anything else (SVG, TIFF, AVIF, …). */
export function sniffImageFormat(b: Uint8Array): ImageFormat | null {
  const at = (i: number, ...v: number[]) => v.every((x, k) => b[i + k] === x);
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'webp'; // RIFF....WEBP
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'gif'; // GIF8
  return null;
}

/** Header facts of an image, read without decoding its pixels. */
export interface ImageHeader {
  /** The size as displayed: EXIF orientation applied (5–8 swap width and height), as the decoders return it. */
  width: number;
  height: number;
  format: string;
  channels: number;
  /** Colour (3+ bands in a colour space) as opposed to grey (1–2 bands or b-w). */
  colour: boolean;
}

/**
 * Read the header only and check it: empty data, a format outside `formats`, a missing size or more
 * than `maxPixels` pixels → UserError naming `name`. Costs microseconds whatever the declared size.
 */
export async function readImageHeader(
  bytes: Uint8Array,
  name: string,
  o: Pick<ReadOptions, 'maxPixels' | 'formats'> = {},
): Promise<ImageHeader> {
  if (bytes.length === 0) throw new UserError(`cannot decode ${name}: the file is empty (0 bytes)`);
  if (o.formats) {
    const f = sniffImageFormat(bytes);
    if (!f || !o.formats.includes(f)) {
      throw new UserError(
        `cannot decode ${name}: ${f ? `${f.toUpperCase()} is not` : 'the data is not'} one of the accepted formats (${o.formats.map((x) => x.toUpperCase()).join(', ')}), judged by its first bytes`,
      );
    }
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { failOn: 'error' }).metadata();
  } catch (e) {
    throw new UserError(`cannot decode ${name}: ${(e as Error).message}`);
  }
  if (!meta.width || !meta.height) throw new UserError(`cannot decode ${name}: no image size in its header`);
  // The displayed size (orientation 5–8 swaps the sides; the pixel count is the same either way).
  const width = meta.autoOrient?.width ?? meta.width,
    height = meta.autoOrient?.height ?? meta.height;
  const max = o.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (width * height > max) {
    throw new UserError(
      `${name} is ${width}×${height} = ${mp(width * height)}, above the limit of ${mp(max)} (--max-pixels ${max})`,
    );
  }
  return {
    width,
    height,
    format: meta.format ?? 'unknown',
    channels: meta.channels ?? 3,
    colour: (meta.channels ?? 3) >= 3 && meta.space !== 'b-w',
  };
}

const mp = (n: number) => `${+(n / 1e6).toPrecision(4)} MP`;

/**
 * A sharp pipeline for data whose header readImageHeader accepted (libvips' own pixel limit as a
 * second guard). EXIF orientation is applied here, the one decode path of the CLI, the library, the
 * HTTP API and the queue: a phone photo stored sideways (orientation 6) is completed upright, as the
 * page's canvas shows it, and a mask drawn on the photo as displayed fits it instead of being stretched.
 */
function decoder(bytes: Uint8Array, header: ImageHeader): Sharp {
  return sharp(bytes, {
    failOn: 'error',
    limitInputPixels: Math.max(1, header.width * header.height),
    autoOrient: true,
  });
}

/** The decoded raw pixels of a sharp pipeline; a decoder failure is one UserError naming the input. */
async function rawPixels(img: Sharp, name: string): Promise<{ data: Buffer; info: OutputInfo }> {
  try {
    return await img.raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new UserError(`cannot decode ${name}: ${(e as Error).message}`);
  }
}

/**
 * Decode raw bytes of a PNG/JPEG/WebP/GIF… into a 1-image batch. The header is checked first
 * (readImageHeader: empty data, pixel limit, formats). Throws UserError on corrupt data.
 */
export async function decodeImage(bytes: Uint8Array, opts: ReadOptions = {}, name = 'image'): Promise<ImageBatch> {
  const header = await readImageHeader(bytes, name, opts);
  const channels = opts.channels ?? (header.colour ? 3 : 1);
  let img = decoder(bytes, header).flatten({ background: { r: 255, g: 255, b: 255 } });
  if (opts.size) {
    img = img.resize(opts.size, opts.size, { fit: 'cover', position: 'centre', kernel: 'lanczos3' });
  }
  img = channels === 1 ? img.toColourspace('b-w') : img.toColourspace('srgb');
  const { data, info } = await rawPixels(img, name);
  const c = info.channels;
  const h = info.height,
    w = info.width;
  const f = new Float32Array(h * w * channels);
  for (let i = 0; i < h * w; i++) {
    for (let k = 0; k < channels; k++) f[i * channels + k] = data[i * c + Math.min(k, c - 1)]! / 255;
  }
  return { data: f, n: 1, height: h, width: w, channels };
}

/**
 * Render an SVG to a side×side RGBA PNG (aspect kept, transparent padding), so a vector source becomes
 * the same kind of image as a bitmap one before decodeImage resizes it. sharp (librsvg) rasterises at
 * 72 dpi by default, i.e. at the SVG's own width in px; the density makes its larger side `side` px,
 * so the render is drawn at the target resolution instead of being resampled from another one.
 * Corrupt SVG → UserError.
 */
export async function rasteriseSvg(bytes: Uint8Array, side: number, name = 'SVG'): Promise<Uint8Array> {
  try {
    const meta = await sharp(bytes, { failOn: 'error' }).metadata();
    if (meta.format !== 'svg') throw new Error(`not an SVG (${meta.format})`);
    const density = (72 * side) / Math.max(meta.width ?? side, meta.height ?? side, 1);
    const png = await sharp(bytes, { density, failOn: 'error' })
      .resize(side, side, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
      .ensureAlpha()
      .png({ compressionLevel: 0 })
      .toBuffer();
    return new Uint8Array(png);
  } catch (e) {
    throw new UserError(`cannot render ${name}: ${(e as Error).message}`);
  }
}

/**
 * The largest input file read by default, bytes (256 MB). Above the largest image the pixel limit lets
 * through in any sane encoding (a 40 MP RGB PNG stored uncompressed is 120 MB), and small enough that
 * a mistaken path (a disk image, a video) is refused at once instead of being read into memory.
 */
export const DEFAULT_MAX_BYTES = 256_000_000;

/** Bytes for a message: `123 bytes`, `4.5 kB`, `256 MB`, `1.5 GB` (decimal units, as the pixel limit's MP). */
export function fmtBytes(n: number): string {
  if (n < 1e3) return `${n} bytes`;
  const [d, u] = n >= 1e9 ? [1e9, 'GB'] : n >= 1e6 ? [1e6, 'MB'] : [1e3, 'kB'];
  return `${+(n / d).toPrecision(3)} ${u}`;
}

/** What a non-regular file is, for the message that refuses it. */
function fileKind(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'another kind of file';
}

/**
 * Read an input file (an image or a mask to inpaint) whole, but only a regular file of at most
 * `maxBytes`, checked with fstat on the opened file before a byte is read: /dev/zero would otherwise
 * be read without end, a FIFO would block forever and a 1.5 GB file would be read whole before its
 * header is looked at. `what` names the file in errors ('image', 'mask'). Every refusal is one UserError.
 */
export function readInputFile(file: string, what: string, maxBytes = DEFAULT_MAX_BYTES): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer (forever); it changes
    // nothing for a regular file, the only kind read below.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read ${what} '${file}': ${code === 'EISDIR' ? 'it is a folder' : describeFsError(e)}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw new UserError(`cannot read ${what} '${file}': it is a folder`);
    if (!st.isFile()) throw new UserError(`${what} '${file}' is not a regular file (it is ${fileKind(st)})`);
    const over = (n: number) =>
      new UserError(
        `${what} '${file}' is ${fmtBytes(n)}, over the limit of ${fmtBytes(maxBytes)} (--max-bytes ${maxBytes})`,
      );
    if (st.size > maxBytes) throw over(st.size);
    // Read to the end, but never more than maxBytes + 1: a file that grows while it is read, or one
    // whose size fstat does not know (/proc), is still refused instead of read without end.
    let buf = Buffer.allocUnsafe(Math.min(st.size, maxBytes) + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > maxBytes) throw over(n);
        const more = Buffer.allocUnsafe(Math.min(maxBytes + 1, 2 * buf.length + 65536));
        buf.copy(more, 0, 0, n);
        buf = more;
      }
      const got = fs.readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot read ${what} '${file}': ${describeFsError(e)}`);
  } finally {
    fs.closeSync(fd);
  }
}

/** Read an image file into a 1-image batch. Missing, not a regular file, over maxBytes or maxPixels, or corrupt → UserError. */
export async function readImage(file: string, opts: ReadOptions = {}): Promise<ImageBatch> {
  return decodeImage(readInputFile(file, 'image', opts.maxBytes), opts, `'${file}'`);
}

/** Quantise image `i` of a batch to 8-bit interleaved pixels. */
export function toUint8(b: ImageBatch, i = 0): Uint8Array {
  const s = b.height * b.width * b.channels;
  const out = new Uint8Array(s);
  for (let j = 0; j < s; j++) {
    const v = b.data[i * s + j]!;
    out[j] = Math.round(Math.min(1, Math.max(0, v)) * 255);
  }
  return out;
}

/** Encode image `i` of a batch as PNG bytes. */
export async function encodePng(b: ImageBatch, i = 0): Promise<Uint8Array> {
  // Grey stays 1-channel (libvips would otherwise write 3 identical channels: 3× the bytes).
  const buf = await sharp(toUint8(b, i), {
    raw: { width: b.width, height: b.height, channels: b.channels as 1 | 3 | 4 },
  })
    .toColourspace(b.channels === 1 ? 'b-w' : 'srgb')
    .png()
    .toBuffer();
  return new Uint8Array(buf);
}

/** Write image `i` of a batch as a PNG file, atomically. */
export async function writePng(file: string, b: ImageBatch, i = 0): Promise<void> {
  writeFileAtomic(file, await encodePng(b, i));
}

/** A mask as a 1-channel image in `convention` (default hole-white: white = hole, black = known; src/masks/convention.ts). */
export function maskToImage(m: Mask, convention: MaskConvention = DEFAULT_MASK_CONVENTION): ImageBatch {
  return { data: maskToGrey(m, convention), n: 1, height: m.height, width: m.width, channels: 1 };
}

/**
 * Decode mask bytes under `convention` (default hole-white: white = hole; transparent = known; the
 * rules are src/masks/convention.ts `maskFromPixels`); resized (nearest) to height×width when given.
 * The header is checked first, as for images.
 */
export async function decodeMask(
  bytes: Uint8Array,
  name: string,
  o: Pick<ReadOptions, 'maxPixels' | 'formats'> & { height?: number; width?: number; convention?: MaskConvention } = {},
): Promise<Mask> {
  const header = await readImageHeader(bytes, name, o);
  let img = decoder(bytes, header).ensureAlpha();
  if (o.height && o.width) img = img.resize(o.width, o.height, { fit: 'fill', kernel: 'nearest' });
  const { data, info } = await rawPixels(img, name);
  // 2 channels (grey+alpha) or 4 (rgba): alpha is last.
  return maskFromPixels(data, info.width, info.height, info.channels, true, o.convention ?? DEFAULT_MASK_CONVENTION);
}

/**
 * Read a mask file (see decodeMask) under `convention`, resized (nearest) to height×width when given;
 * the file is checked as readInputFile does.
 */
export async function readMask(
  file: string,
  height?: number,
  width?: number,
  maxPixels?: number,
  maxBytes?: number,
  convention: MaskConvention = DEFAULT_MASK_CONVENTION,
): Promise<Mask> {
  return decodeMask(readInputFile(file, 'mask', maxBytes), `mask '${file}'`, {
    ...(height && width ? { height, width } : {}),
    ...(maxPixels ? { maxPixels } : {}),
    convention,
  });
}

/**
 * Tile images into one grid image (rows × cols, `pad` pixels of white between tiles). Images may be
 * grey or RGB; grey ones are expanded to RGB when `channels` is 3.
 */
export function makeGrid(tiles: ImageBatch[], cols: number, pad = 2, channels?: 1 | 3): ImageBatch {
  const flat: { b: ImageBatch; i: number }[] = [];
  for (const b of tiles) for (let i = 0; i < b.n; i++) flat.push({ b, i });
  if (flat.length === 0) throw new Error('makeGrid: no tiles');
  const th = Math.max(...flat.map((t) => t.b.height));
  const tw = Math.max(...flat.map((t) => t.b.width));
  const c = channels ?? (flat.some((t) => t.b.channels === 3) ? 3 : 1);
  const rows = Math.ceil(flat.length / cols);
  const H = rows * th + (rows + 1) * pad;
  const W = cols * tw + (cols + 1) * pad;
  const out = new Float32Array(H * W * c).fill(1);
  flat.forEach(({ b, i }, k) => {
    const r = Math.floor(k / cols),
      q = k % cols;
    const y0 = pad + r * (th + pad),
      x0 = pad + q * (tw + pad);
    const s = b.height * b.width * b.channels;
    for (let y = 0; y < b.height; y++) {
      for (let x = 0; x < b.width; x++) {
        for (let ch = 0; ch < c; ch++) {
          const src = b.data[i * s + (y * b.width + x) * b.channels + Math.min(ch, b.channels - 1)]!;
          out[((y0 + y) * W + x0 + x) * c + ch] = src;
        }
      }
    }
  });
  return { data: out, n: 1, height: H, width: W, channels: c };
}

/** Nearest-neighbour upscale by an integer factor (for viewing small 28–64 px images). */
export function upscale(b: ImageBatch, f: number): ImageBatch {
  if (f === 1) return b;
  const H = b.height * f,
    W = b.width * f,
    c = b.channels;
  const out = new Float32Array(b.n * H * W * c);
  for (let n = 0; n < b.n; n++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++)
        for (let k = 0; k < c; k++)
          out[((n * H + y) * W + x) * c + k] =
            b.data[((n * b.height + Math.floor(y / f)) * b.width + Math.floor(x / f)) * c + k]!;
  return { data: out, n: b.n, height: H, width: W, channels: c };
}

/** Largest side of a preview made from results (side_by_side.png), px: whatever the input's size or aspect. */
export const PREVIEW_MAX_SIDE = 8192;
/** Largest preview, pixels (16 MP: ≈ 190 MB as float RGB while it is built, 48 MB as 8-bit). */
export const PREVIEW_MAX_PIXELS = 16_000_000;
/** Most frames in progress.gif: longer recordings are sampled evenly (the last frame always kept). */
export const PREVIEW_MAX_FRAMES = 240;

/**
 * Tiles (1-image batches) in a grid for viewing, bounded whatever their size or aspect: small tiles
 * (a 28–64 px model's) are upscaled by an integer factor to ≥ `minHeight` px high, as
 * `upscale(makeGrid(…), f)` always did — but a factor that would take the grid past PREVIEW_MAX_SIDE
 * per side or PREVIEW_MAX_PIXELS is lowered, and a grid too large even at 1× (a photo, or a 20000×1
 * strip whose 128 / height upscale was 128× in both directions: 2.1 GB for a 222-byte 1000×1 PNG) is
 * built from tiles shrunk first (resizeBilinear, box-averaged), so no full-size grid is ever made.
 */
export function previewGrid(tiles: ImageBatch[], cols: number, minHeight = 128, pad = 2): ImageBatch {
  const th = Math.max(...tiles.map((t) => t.height)),
    tw = Math.max(...tiles.map((t) => t.width));
  const n = tiles.reduce((k, t) => k + t.n, 0),
    rows = Math.ceil(n / cols);
  const gw = cols * tw + (cols + 1) * pad,
    gh = rows * th + (rows + 1) * pad;
  // The largest integer upscale within the bounds (0 when even 1× is too large).
  const fit = Math.floor(
    Math.min(PREVIEW_MAX_SIDE / gw, PREVIEW_MAX_SIDE / gh, Math.sqrt(PREVIEW_MAX_PIXELS / (gw * gh))),
  );
  if (fit >= 1) return upscale(makeGrid(tiles, cols, pad), Math.min(fit, Math.max(1, Math.floor(minHeight / th))));
  // Shrink every tile by one factor k so that the grid (its padding kept) fits; the rounding of tile
  // sides (at least 1 px) is checked, not assumed.
  const dims = (k: number) => {
    const w = Math.max(1, Math.floor(tw * k)),
      h = Math.max(1, Math.floor(th * k));
    return { w, h, W: cols * w + (cols + 1) * pad, H: rows * h + (rows + 1) * pad };
  };
  const fits = ({ W, H }: { W: number; H: number }) =>
    W <= PREVIEW_MAX_SIDE && H <= PREVIEW_MAX_SIDE && W * H <= PREVIEW_MAX_PIXELS;
  let k = Math.min(
    (PREVIEW_MAX_SIDE - (cols + 1) * pad) / (cols * tw),
    (PREVIEW_MAX_SIDE - (rows + 1) * pad) / (rows * th),
    Math.sqrt(PREVIEW_MAX_PIXELS / (gw * gh)),
  );
  for (let i = 0; i < 200 && !fits(dims(k)); i++) k *= 0.98;
  const shrunk = tiles.flatMap((t) =>
    Array.from({ length: t.n }, (_, i) =>
      resizeBilinear(t, Math.max(1, Math.floor(t.width * k)), Math.max(1, Math.floor(t.height * k)), i),
    ),
  );
  return makeGrid(shrunk, cols, pad);
}

/** The frames progress.gif shows: at most PREVIEW_MAX_FRAMES, sampled evenly, the last (the result) always kept. */
export function previewFrames<T>(frames: T[]): T[] {
  if (frames.length <= PREVIEW_MAX_FRAMES) return frames;
  const last = frames.length - 1;
  return Array.from(
    { length: PREVIEW_MAX_FRAMES },
    (_, i) => frames[Math.round((i * last) / (PREVIEW_MAX_FRAMES - 1))]!,
  );
}

/**
 * Encode frames (1-image batches of equal shape, values in [0,1]) as a looping animated GIF.
 * Frames are stacked vertically and handed to libvips as pages of `pageHeight`.
 */
export async function encodeGif(frames: ImageBatch[], delayMs = 120): Promise<Uint8Array> {
  const f0 = frames[0];
  if (!f0) throw new Error('encodeGif: no frames');
  const s = f0.height * f0.width * f0.channels;
  const buf = new Uint8Array(s * frames.length);
  frames.forEach((f, i) => {
    buf.set(toUint8(f, 0), i * s);
  });
  // GIF needs ≥3 bands or 1; libvips handles grey. Hold the last frame longer so the result is seen.
  const delay = frames.map((_, i) => (i === frames.length - 1 ? delayMs * 8 : delayMs));
  const out = await sharp(buf, {
    raw: { width: f0.width, height: f0.height * frames.length, channels: f0.channels as 1 | 3, pageHeight: f0.height },
  })
    .gif({ delay, loop: 0 })
    .toBuffer();
  return new Uint8Array(out);
}
