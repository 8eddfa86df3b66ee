/**
 * The built-in emoji datasets (`emoji` = all sources, `emoji-google`, `emoji-twitter`, `emoji-openmoji`,
 * `emoji-fluent`): reads the npm packages, lists each source's drawings with their code points, applies
 * the rules of emoji.ts (category, split, skin tones) and decodes them, de-duplicating across sources
 * and splits. What each package ships (checked on the versions in package-lock.json):
 * - emoji-datasource-google / -twitter 16.0.0: img/<vendor>/64/<image>.png, 64×64 RGBA; emoji.json
 *   (the same file in both) names each image, its category and skin-tone variants. emoji.json and
 *   categories.json of emoji-datasource-google are also the catalogue for the other sources.
 * - openmoji 17.0.0: color/svg/<HEXCODE>.svg (72×72 view box) and data/openmoji.json (hexcode, group,
 *   skintone_base_hexcode).
 * - fluentui-emoji 1.3.0: icons/modern/<kebab-name>.svg (32×32 view box; Microsoft's "Color" style)
 *   without code points; fluentui-emoji-js 1.2.1's emojiData.json gives each Microsoft file name
 *   (`artist_color_medium-light.svg`) its glyph, whose code points identify the emoji.
 * SVGs are rasterised at 64×64 (rasteriseSvg) so every source enters decodeImage as a 64 px image.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { rasteriseSvg } from '../io/image.js';
import { UserError } from '../util/errors.js';
import type { DatasetSource, Split } from './dataset.js';
import {
  EMOJI_DATASETS,
  EMOJI_SOURCES,
  OPENMOJI_GROUPS,
  buildCatalogue,
  codePointsOf,
  decideEmoji,
  emojiSplit,
  firstOfEachGroup,
  parseHexSequence,
  type CatalogueEntry,
  type EmojiDatasourceEntry,
  type EmojiSourceKind,
} from './emoji.js';
import {
  datasetOf,
  datasetPackageDirs,
  decodeEach,
  packageVersion,
  statFingerprint,
  type Built,
  type PackageDirs,
  type Plan,
} from './plan_node.js';

/** Bump when a rule of emoji.ts or the decoding here changes, so old caches are not reused. */
const EMOJI_RULES_VERSION = 1;
/** Side at which SVG sources are rendered before the common resize (the bitmap sources' size). */
export const SVG_RENDER_SIZE = 64;
/** The package whose emoji.json/categories.json are the catalogue of code points and categories. */
const CATALOGUE_PACKAGE = 'emoji-datasource-google';

/** One drawing that the rules keep (before de-duplication). */
export interface EmojiItem {
  source: EmojiSourceKind;
  /** Absolute path of the image file. */
  file: string;
  /** `<source>/<file name>`, for warnings and reports. */
  shown: string;
  /** The drawing's code points as its source spells them. */
  codePoints: number[];
  /** Class id (index into classNames). */
  label: number;
  /** The base emoji's key that decides the split (see emoji.ts). */
  splitKey: string;
  split: Split;
  svg: boolean;
}

/** One source's drawings, and why the others were left out. */
export interface SourceListing {
  kind: EmojiSourceKind;
  /** name@version of the packages read, the images' first. */
  packages: string[];
  version: string;
  /** Image files of the style used that the package ships. */
  files: number;
  /** Kept by the rules, in file-name order. */
  items: EmojiItem[];
  dropped: {
    /** Not emoji: OpenMoji's extras (private-use icons, brand logos, non-emoji symbols). */
    notEmoji: number;
    /** No category: neither the catalogue nor the source's own group places it. */
    uncategorised: number;
    /** A skin tone other than the one kept for its emoji. */
    skinTone: number;
    /** Metadata without an image file, or an image file without metadata. */
    unmatched: number;
  };
}

export interface EmojiListing {
  name: string;
  classNames: string[];
  sources: SourceListing[];
  /** Metadata files read (part of the cache fingerprint). */
  metadataFiles: string[];
}

function readJson<T>(file: string, dataset: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new UserError(
      `${dataset}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

function listDir(dir: string, ext: string, dataset: string): string[] {
  try {
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(ext))
      .sort();
  } catch (e) {
    throw new UserError(`${dataset}: cannot read ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The packages a dataset reads: the catalogue, then each source's images and metadata packages. */
export function emojiPackages(name: string): string[] {
  const kinds = EMOJI_DATASETS[name];
  if (!kinds) throw new Error(`not an emoji dataset: ${name}`);
  return [
    ...new Set([
      CATALOGUE_PACKAGE,
      ...kinds.flatMap((k) => [EMOJI_SOURCES[k].imagesPackage, ...EMOJI_SOURCES[k].metadataPackages]),
    ]),
  ];
}

/** List the drawings of an emoji dataset (no image is decoded). Missing packages → one UserError line. */
export function listEmoji(name: string, dirs?: PackageDirs): EmojiListing {
  const kinds = EMOJI_DATASETS[name];
  if (!kinds) throw new Error(`not an emoji dataset: ${name}`);
  const pkgs = emojiPackages(name);
  const found = datasetPackageDirs(pkgs, name, dirs);
  const dirOf = (pkg: string) => found[pkgs.indexOf(pkg)]!;
  const catRoot = dirOf(CATALOGUE_PACKAGE);
  const metadataFiles = [path.join(catRoot, 'emoji.json'), path.join(catRoot, 'categories.json')];
  const entries = readJson<EmojiDatasourceEntry[]>(metadataFiles[0]!, name);
  const classNames = Object.keys(readJson<Record<string, unknown>>(metadataFiles[1]!, name));
  if (!Array.isArray(entries) || classNames.length === 0)
    throw new UserError(`${name}: unexpected content in ${catRoot} (not emoji-datasource?)`);
  const catalogue = buildCatalogue(entries);
  const sources = kinds.map((kind) => {
    const info = EMOJI_SOURCES[kind];
    const roots = [info.imagesPackage, ...info.metadataPackages].map(dirOf);
    const packages = [info.imagesPackage, ...info.metadataPackages].map((p, i) => `${p}@${packageVersion(roots[i]!)}`);
    const ctx: ListCtx = { name, kind, classNames, catalogue, roots, metadataFiles };
    const l =
      kind === 'google' || kind === 'twitter'
        ? listDatasource(ctx, entries)
        : kind === 'openmoji'
          ? listOpenmoji(ctx)
          : listFluent(ctx);
    return { kind, packages, version: packageVersion(roots[0]!), ...l };
  });
  return { name, classNames, sources, metadataFiles };
}

interface ListCtx {
  name: string;
  kind: EmojiSourceKind;
  classNames: string[];
  catalogue: Map<string, CatalogueEntry>;
  /** The folders of the source's packages (images first). */
  roots: string[];
  /** Metadata files read, appended to. */
  metadataFiles: string[];
}

type Listed = Pick<SourceListing, 'files' | 'items' | 'dropped'>;

/** Applies decideEmoji to each (file, code points, fallback) and counts what is dropped. */
function collect(
  ctx: ListCtx,
  files: number,
  candidates: { file: string; cps: number[]; svg: boolean; category?: string; base?: number[] }[],
  dropped: Listed['dropped'],
): Listed {
  const items: EmojiItem[] = [];
  candidates.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  for (const c of candidates) {
    const fb: { category?: string; base?: readonly number[] } = {};
    if (c.category !== undefined) fb.category = c.category;
    if (c.base !== undefined) fb.base = c.base;
    const d = decideEmoji(c.cps, ctx.catalogue, fb);
    const label = d.keep ? ctx.classNames.indexOf(d.category) : -1;
    if (!d.keep || label < 0) {
      if (!d.keep && d.why === 'skin-tone') dropped.skinTone++;
      else dropped.uncategorised++;
      continue;
    }
    items.push({
      source: ctx.kind,
      file: c.file,
      shown: `${ctx.kind}/${path.basename(c.file)}`,
      codePoints: c.cps,
      label,
      splitKey: d.splitKey,
      split: emojiSplit(d.splitKey),
      svg: c.svg,
    });
  }
  return { files, items, dropped };
}

const noDrops = (): Listed['dropped'] => ({ notEmoji: 0, uncategorised: 0, skinTone: 0, unmatched: 0 });

/** emoji-datasource-google / -twitter: every image named in emoji.json (base or skin variation). */
function listDatasource(ctx: ListCtx, entries: EmojiDatasourceEntry[]): Listed {
  const vendor = ctx.kind === 'google' ? 'google' : 'twitter';
  const dir = path.join(ctx.roots[0]!, 'img', vendor, '64');
  const names = listDir(dir, '.png', ctx.name);
  const cpsOf = new Map<string, number[]>();
  for (const e of entries) {
    for (const v of [e, ...Object.values(e.skin_variations ?? {})]) {
      const cps = parseHexSequence(v.unified);
      if (cps) cpsOf.set(v.image, cps);
    }
  }
  if (ctx.kind === 'twitter') ctx.metadataFiles.push(path.join(ctx.roots[0]!, 'emoji.json'));
  const dropped = noDrops();
  const candidates = names.flatMap((f) => {
    const cps = cpsOf.get(f);
    if (!cps) {
      dropped.unmatched++;
      return [];
    }
    return [{ file: path.join(dir, f), cps, svg: false }];
  });
  return collect(ctx, names.length, candidates, dropped);
}

interface OpenmojiEntry {
  hexcode: string;
  group: string;
  skintone_base_hexcode?: string;
}

/** openmoji: data/openmoji.json's emoji (its extras left out), color/svg/<hexcode>.svg. */
function listOpenmoji(ctx: ListCtx): Listed {
  const root = ctx.roots[0]!;
  const meta = path.join(root, 'data', 'openmoji.json');
  ctx.metadataFiles.push(meta);
  const entries = readJson<OpenmojiEntry[]>(meta, ctx.name);
  const dir = path.join(root, 'color', 'svg');
  const names = new Set(listDir(dir, '.svg', ctx.name));
  const dropped = noDrops();
  const candidates: Parameters<typeof collect>[2] = [];
  const used = new Set<string>();
  for (const e of entries) {
    const file = `${e.hexcode}.svg`;
    const cps = parseHexSequence(e.hexcode);
    if (!names.has(file) || !cps) {
      dropped.unmatched++;
      continue;
    }
    used.add(file);
    if (e.group.startsWith('extras-')) {
      dropped.notEmoji++;
      continue;
    }
    const c: Parameters<typeof collect>[2][number] = { file: path.join(dir, file), cps, svg: true };
    const category = OPENMOJI_GROUPS[e.group];
    if (category !== undefined) c.category = category;
    const base = e.skintone_base_hexcode ? parseHexSequence(e.skintone_base_hexcode) : undefined;
    if (base) c.base = base;
    candidates.push(c);
  }
  dropped.unmatched += [...names].filter((f) => !used.has(f)).length;
  return collect(ctx, names.size, candidates, dropped);
}

interface FluentEntry {
  glyph: string;
  images?: { Color?: string[] };
}

/** A file name reduced to its letters and digits (diacritics removed), for matching two spellings. */
const squash = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[^A-Za-z0-9]/g, '')
    .toLowerCase();
/** Microsoft's Color file name → fluentui-emoji's icon name, squashed: `artist_color_medium-light.svg` → `artistmediumlight`. */
const fluentKey = (colorFile: string) =>
  squash(colorFile.replace(/_color(?:_([a-z-]+))?\.svg$/, (_m, tone: string | undefined) => (tone ? `_${tone}` : '')));
/** Names fluentui-emoji 1.3.0 spells differently beyond punctuation and accents. */
const FLUENT_ALIASES: Readonly<Record<string, string>> = { stuffedflatbread: 'stuffedbread' };

/** fluentui-emoji icons/modern/*.svg, with code points from fluentui-emoji-js emojiData.json. */
function listFluent(ctx: ListCtx): Listed {
  const dir = path.join(ctx.roots[0]!, 'icons', 'modern');
  const names = listDir(dir, '.svg', ctx.name);
  const byKey = new Map<string, string>();
  for (const f of names) byKey.set(squash(f.replace(/\.svg$/, '')), f);
  const meta = path.join(ctx.roots[1]!, 'emojiData.json');
  ctx.metadataFiles.push(meta);
  const entries = readJson<FluentEntry[]>(meta, ctx.name);
  const dropped = noDrops();
  const candidates: Parameters<typeof collect>[2] = [];
  const used = new Set<string>();
  for (const e of entries) {
    const colour = e.images?.Color?.[0];
    const k = colour ? fluentKey(colour) : undefined;
    const f = k ? byKey.get(FLUENT_ALIASES[k] ?? k) : undefined;
    if (!f || used.has(f) || typeof e.glyph !== 'string') {
      dropped.unmatched++;
      continue;
    }
    used.add(f);
    candidates.push({ file: path.join(dir, f), cps: codePointsOf(e.glyph), svg: true });
  }
  dropped.unmatched += names.length - used.size;
  return collect(ctx, names.length, candidates, dropped);
}

// ---------------------------------------------------------------------------------------------------
// Decoding and de-duplication

/** All items of a listing in dataset order (sources in order, each in file-name order). */
export function emojiItems(l: EmojiListing): EmojiItem[] {
  return l.sources.flatMap((s) => s.items);
}

/**
 * Decode every item at size×channels (SVGs rendered at SVG_RENDER_SIZE first) and mark duplicates: an
 * item whose pixels equal an earlier item's (firstOfEachGroup over a SHA-256 of the bytes) is dropped,
 * whatever split either is in. Corrupt files are undefined in `images` and listed in skippedNames.
 */
export async function decodeEmoji(
  items: readonly EmojiItem[],
  size: number,
  channels: 1 | 3,
): Promise<{ images: (Uint8Array | undefined)[]; first: boolean[]; skippedNames: string[] }> {
  const files = items.map((it) => it.file),
    shown = items.map((it) => it.shown);
  const prepare = async (bytes: Buffer, i: number) =>
    items[i]!.svg ? rasteriseSvg(bytes, SVG_RENDER_SIZE, `'${shown[i]}'`) : bytes;
  const { images, skippedNames } = await decodeEach(
    files,
    shown,
    Int32Array.from(items, (_, i) => i),
    size,
    channels,
    prepare,
  );
  const first = firstOfEachGroup(
    images.map((px) => (px ? crypto.createHash('sha256').update(px).digest('hex') : undefined)),
  );
  return { images, first, skippedNames };
}

/** The Plan of an emoji dataset for loadDataset. */
export function emojiPlan(name: string, split: Split, dirs?: PackageDirs): Plan {
  const listing = listEmoji(name, dirs);
  const all = emojiItems(listing);
  const splitItems = (s: Split) => all.flatMap((it, i) => (it.split === s ? [i] : []));
  const mine = splitItems(split);
  const versions = listing.sources.map((s) => s.packages.join(' '));
  const fingerprint = crypto
    .createHash('sha256')
    .update(JSON.stringify([EMOJI_RULES_VERSION, SVG_RENDER_SIZE, name, versions, dirs ?? null]))
    .update(statFingerprint([...listing.metadataFiles, ...all.map((it) => it.file)]))
    .digest('hex');
  return {
    name,
    tag: name,
    fingerprint,
    count: mine.length,
    build: () => {
      throw new Error('emoji datasets are built by buildAll');
    },
    async buildAll(size, channels) {
      const { images, first, skippedNames } = await decodeEmoji(all, size, channels);
      const s = size * size * channels;
      const out = {} as Record<Split, Built>;
      for (const sp of ['train', 'test'] as const) {
        const idx = splitItems(sp);
        const keptK = idx.flatMap((i, k) => (images[i] && first[i] ? [k] : []));
        const pixels = new Uint8Array(keptK.length * s);
        keptK.forEach((k, row) => {
          pixels.set(images[idx[k]!]!, row * s);
        });
        const labels = Int32Array.from(keptK, (k) => all[idx[k]!]!.label);
        const shownHere = new Set(idx.map((i) => all[i]!.shown));
        const skippedHere = skippedNames.filter((n) => shownHere.has(n));
        out[sp] = {
          ds: datasetOf(name, sp, size, channels, keptK.length, pixels, skippedHere.length, labels, listing.classNames),
          kept: Int32Array.from(keptK),
          skippedNames: skippedHere,
        };
      }
      return out;
    },
    sources(kept) {
      return listing.sources.map((src) => {
        const info = EMOJI_SOURCES[src.kind];
        let count = 0;
        for (const k of kept) if (all[mine[k]!]!.source === src.kind) count++;
        return {
          name: info.dataset,
          packages: src.packages,
          version: src.version,
          licence: info.licence,
          attribution: info.attribution,
          count,
        } satisfies DatasetSource;
      });
    },
  };
}
