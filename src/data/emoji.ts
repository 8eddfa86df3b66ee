/**
 * The colour-emoji sources behind the built-in `emoji*` datasets, and the rules that turn four vendors'
 * drawings into one labelled, split and de-duplicated set. Platform-neutral (pure functions and
 * tables); emoji_node.ts reads the npm packages and decodes the images. docs/DATASETS.md is the user's
 * description of the same rules.
 *
 * Identity of an emoji: its code-point sequence. Vendors spell the same emoji with or without the
 * variation selectors U+FE0E/U+FE0F, so sequences are compared without them (matchKey). The catalogue
 * of emoji is emoji-datasource's emoji.json (categories, skin-tone variants, the fully-qualified form);
 * an emoji it does not list keeps its source's own group when that maps onto a category (OpenMoji),
 * else it is left out.
 *
 * Split: hashSplit of the *base* emoji's key (its emoji-datasource image name: fully-qualified code
 * points in lower-case hex joined by '-', plus '.png'), so every vendor's drawing and every skin tone of
 * one emoji land on the same side. That is the string the google-only `emoji` split hashed, so google's
 * base emoji keep the side they had.
 *
 * Skin tones: each emoji with skin-tone variants keeps its default (yellow) drawing and ONE toned
 * drawing — the one whose every modifier is chosenTone(base key) — so the 5 (or 25) tones of one shape
 * do not make up most of the data (they are half of emoji-datasource's images) while every tone still
 * appears across the set.
 *
 * Duplicates: images that are pixel-identical after decoding at the training size (which includes
 * byte-identical files) keep only their first member in dataset order (sources in EMOJI_SOURCE_ORDER,
 * then file order), whichever split it is in; see firstOfEachGroup.
 */
import { hashSplit, hashString } from './split.js';
import type { Split } from './dataset.js';

export const EMOJI_SOURCE_ORDER = ['google', 'twitter', 'openmoji', 'fluent'] as const;
export type EmojiSourceKind = (typeof EMOJI_SOURCE_ORDER)[number];

/** What a source is, where its files come from and the terms of its artwork. */
export interface EmojiSourceInfo {
  /** The built-in dataset of this source alone. */
  dataset: string;
  /** Whose drawings. */
  artwork: string;
  /** The npm package with the images. */
  imagesPackage: string;
  /** Further npm packages read (metadata), if any. */
  metadataPackages: readonly string[];
  /** Which files are the images, and their format. */
  images: string;
  /** SPDX id of the licence of the artwork (not necessarily the package's `license` field). */
  licence: string;
  licenceUrl: string;
  /** The credit line the licence asks for (CC-BY: creator, licence, link; MIT/Apache: the notice). */
  attribution: string;
  /** Where in the installed packages the artwork's licence is stated. */
  licenceReadIn: string;
}

export const EMOJI_SOURCES: Record<EmojiSourceKind, EmojiSourceInfo> = {
  google: {
    dataset: 'emoji-google',
    artwork: 'Noto Emoji (Google)',
    imagesPackage: 'emoji-datasource-google',
    metadataPackages: [],
    images: 'img/google/64/*.png: 64×64 RGBA PNG',
    licence: 'Apache-2.0',
    licenceUrl: 'https://github.com/googlefonts/noto-emoji/blob/main/LICENSE',
    attribution:
      'Noto Emoji, Copyright Google Inc., licensed under the Apache License 2.0 (https://www.apache.org/licenses/LICENSE-2.0)',
    licenceReadIn:
      "emoji-datasource-google/README.md: 'Android/Google/Noto images, are available under the Apache License 2.0' (the package's LICENSE is the MIT licence of emoji-datasource's code and data)",
  },
  twitter: {
    dataset: 'emoji-twitter',
    artwork: 'Twemoji (Twitter, Inc and other contributors; the jdecked fork)',
    imagesPackage: 'emoji-datasource-twitter',
    metadataPackages: [],
    images: 'img/twitter/64/*.png: 64×64 RGBA PNG',
    licence: 'CC-BY-4.0',
    licenceUrl: 'https://creativecommons.org/licenses/by/4.0/',
    attribution:
      'Twemoji graphics by Twitter, Inc and other contributors (https://github.com/jdecked/twemoji), licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/); resized and composited on white',
    licenceReadIn:
      "emoji-datasource-twitter/README.md: 'Twitter images are available under the Creative Commons Attribution 4.0 license' (the package's LICENSE is the MIT licence of emoji-datasource's code and data)",
  },
  openmoji: {
    dataset: 'emoji-openmoji',
    artwork: 'OpenMoji (the open-source emoji and icon project)',
    imagesPackage: 'openmoji',
    metadataPackages: [],
    images: 'color/svg/*.svg (72×72 view box), rasterised at 64×64 with sharp; data/openmoji.json',
    licence: 'CC-BY-SA-4.0',
    licenceUrl: 'https://creativecommons.org/licenses/by-sa/4.0/',
    attribution:
      'All emojis designed by OpenMoji – the open-source emoji and icon project (https://openmoji.org/). License: CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/); rasterised, resized and composited on white',
    licenceReadIn:
      "openmoji/LICENSE.txt (CC BY-SA 4.0 legal code) and openmoji/README.md: 'OpenMoji graphics are licensed under the Creative Commons Share Alike License 4.0' (code: LGPL-3.0)",
  },
  fluent: {
    dataset: 'emoji-fluent',
    artwork: 'Fluent Emoji (Microsoft Corporation), "Color" style',
    imagesPackage: 'fluentui-emoji',
    metadataPackages: ['fluentui-emoji-js'],
    images:
      'fluentui-emoji icons/modern/*.svg (32×32 view box), rasterised at 64×64 with sharp; code points from fluentui-emoji-js emojiData.json',
    licence: 'MIT',
    licenceUrl: 'https://github.com/microsoft/fluentui-emoji/blob/main/LICENSE',
    attribution:
      'Fluent Emoji, Copyright (c) Microsoft Corporation, licensed under the MIT License (https://github.com/microsoft/fluentui-emoji)',
    licenceReadIn:
      "fluentui-emoji-js/LICENSE: MIT, 'Copyright (c) Microsoft Corporation'; fluentui-emoji/LICENSE: MIT, Copyright (c) 2022 Mohammad Abu Mattar (the repackaging), its README: 'build into @microsoft/fluentui-emoji'",
  },
};

/**
 * The sources of each built-in emoji dataset: the union, the union without share-alike artwork
 * (what the shipped emoji model trains on: whether trained weights adapt CC-BY-SA drawings is
 * unsettled, so the shipped model avoids the question), and one per source.
 */
export const EMOJI_DATASETS: Record<string, readonly EmojiSourceKind[]> = {
  emoji: EMOJI_SOURCE_ORDER,
  'emoji-permissive': EMOJI_SOURCE_ORDER.filter((k) => k !== 'openmoji'),
  'emoji-google': ['google'],
  'emoji-twitter': ['twitter'],
  'emoji-openmoji': ['openmoji'],
  'emoji-fluent': ['fluent'],
};

export function isEmojiDataset(name: string): boolean {
  return Object.hasOwn(EMOJI_DATASETS, name);
}

/**
 * OpenMoji's groups → emoji-datasource's categories, for emoji that emoji-datasource does not list
 * (newer than its Unicode version). Where both know an emoji they agree on all 3786 (checked for
 * openmoji 17.0.0 against emoji-datasource 16.0.0). `extras-openmoji` (private-use icons, brand logos)
 * and `extras-unicode` (non-emoji symbols, regional indicator letters) are not emoji: left out.
 */
export const OPENMOJI_GROUPS: Readonly<Record<string, string>> = {
  'smileys-emotion': 'Smileys & Emotion',
  'people-body': 'People & Body',
  component: 'Component',
  'animals-nature': 'Animals & Nature',
  'food-drink': 'Food & Drink',
  'travel-places': 'Travel & Places',
  activities: 'Activities',
  objects: 'Objects',
  symbols: 'Symbols',
  flags: 'Flags',
};

// ---------------------------------------------------------------------------------------------------
// Code points

const SKIN_LO = 0x1f3fb,
  SKIN_HI = 0x1f3ff;
export const isSkinTone = (cp: number): boolean => cp >= SKIN_LO && cp <= SKIN_HI;
const isVariationSelector = (cp: number) => cp === 0xfe0e || cp === 0xfe0f;

/** "1F469-200D-1F4BB", "1f469 200d 1f4bb" → code points; undefined when it is not such a list. */
export function parseHexSequence(s: string): number[] | undefined {
  const parts = s.trim().split(/[-\s_]+/);
  if (parts.length === 0 || !parts.every((p) => /^[0-9a-fA-F]{1,6}$/.test(p))) return undefined;
  const cps = parts.map((p) => parseInt(p, 16));
  return cps.every((c) => c <= 0x10ffff) ? cps : undefined;
}

/** The code points of a string (an emoji glyph). */
export function codePointsOf(glyph: string): number[] {
  return Array.from(glyph, (ch) => ch.codePointAt(0)!);
}

const hex = (cps: readonly number[]) => cps.map((c) => c.toString(16).toUpperCase().padStart(4, '0')).join('-');

/** Identity of an emoji across vendors: upper-case hex without variation selectors, '-' separated. */
export function matchKey(cps: readonly number[]): string {
  return hex(cps.filter((c) => !isVariationSelector(c)));
}

/** The skin-tone modifiers in a sequence (none for a lone modifier: that is the swatch emoji itself). */
export function skinTones(cps: readonly number[]): number[] {
  const t = cps.filter(isSkinTone);
  return t.length === cps.filter((c) => !isVariationSelector(c)).length ? [] : t;
}

/** matchKey of the sequence without its skin-tone modifiers: the emoji a toned drawing is a variant of. */
export function baseMatchKey(cps: readonly number[]): string {
  return skinTones(cps).length ? matchKey(cps.filter((c) => !isSkinTone(c))) : matchKey(cps);
}

/** The split key of an emoji given its code points (for emoji outside the catalogue). */
export function splitKeyOf(cps: readonly number[]): string {
  return `${cps.map((c) => c.toString(16).padStart(4, '0')).join('-')}.png`;
}

/** The one skin tone (U+1F3FB…U+1F3FF) kept for the base emoji with this split key. */
export function chosenTone(baseSplitKey: string): number {
  // A different hash stream from the split's (same function, salted key), so the tone does not
  // correlate with the side of the split.
  return SKIN_LO + (hashString(`tone:${baseSplitKey}`) % 5);
}

/** Whether a drawing with these skin tones is kept: untoned, or every modifier the chosen tone. */
export function keepsSkinTones(tones: readonly number[], baseSplitKey: string): boolean {
  if (tones.length === 0) return true;
  const t = chosenTone(baseSplitKey);
  return tones.every((x) => x === t);
}

export function emojiSplit(baseSplitKey: string): Split {
  return hashSplit(baseSplitKey);
}

// ---------------------------------------------------------------------------------------------------
// The catalogue (emoji-datasource's emoji.json)

/** The fields of an emoji-datasource emoji.json entry that are read. */
export interface EmojiDatasourceEntry {
  unified: string;
  non_qualified?: string | null;
  image: string;
  category: string;
  skin_variations?: Record<string, { unified: string; non_qualified?: string | null; image: string }>;
}

export interface CatalogueEntry {
  category: string;
  /** The base emoji's image name: the split key. */
  baseKey: string;
  /** This drawing's image name in emoji-datasource. */
  image: string;
}

/** matchKey → entry, for every emoji and skin-tone variant emoji-datasource lists (either spelling). */
export function buildCatalogue(entries: readonly EmojiDatasourceEntry[]): Map<string, CatalogueEntry> {
  const m = new Map<string, CatalogueEntry>();
  const add = (seq: string | null | undefined, e: CatalogueEntry) => {
    const cps = seq ? parseHexSequence(seq) : undefined;
    if (cps && !m.has(matchKey(cps))) m.set(matchKey(cps), e);
  };
  for (const e of entries) {
    const base: CatalogueEntry = { category: e.category, baseKey: e.image, image: e.image };
    add(e.unified, base);
    add(e.non_qualified, base);
    for (const v of Object.values(e.skin_variations ?? {})) {
      const ve = { category: e.category, baseKey: e.image, image: v.image };
      add(v.unified, ve);
      add(v.non_qualified, ve);
    }
  }
  return m;
}

/** What the rules decide for one drawing. */
export type EmojiDecision =
  | { keep: true; category: string; splitKey: string }
  | { keep: false; why: 'uncategorised' | 'skin-tone' };

/**
 * Category, split key and the skin-tone rule for a drawing of `cps`. `fallback` is the source's own
 * category (already mapped) and base sequence for emoji the catalogue does not list.
 */
export function decideEmoji(
  cps: readonly number[],
  catalogue: ReadonlyMap<string, CatalogueEntry>,
  fallback?: { category?: string; base?: readonly number[] },
): EmojiDecision {
  const hit = catalogue.get(matchKey(cps)) ?? catalogue.get(baseMatchKey(cps));
  let category: string | undefined, splitKey: string;
  if (hit) {
    category = hit.category;
    splitKey = hit.baseKey;
  } else {
    category = fallback?.category;
    const base = fallback?.base ?? (skinTones(cps).length ? cps.filter((c) => !isSkinTone(c)) : cps);
    splitKey = splitKeyOf(base);
  }
  if (category === undefined) return { keep: false, why: 'uncategorised' };
  if (!keepsSkinTones(skinTones(cps), splitKey)) return { keep: false, why: 'skin-tone' };
  return { keep: true, category, splitKey };
}

// ---------------------------------------------------------------------------------------------------
// De-duplication

/**
 * For items in dataset order with a content key each (a hash of the decoded pixels; undefined = not
 * decodable, never a duplicate), whether each item is the first with its key. Pure, so the rule is
 * the same wherever the keys come from.
 */
export function firstOfEachGroup(keys: readonly (string | undefined)[]): boolean[] {
  const seen = new Set<string>();
  return keys.map((k) => {
    if (k === undefined) return true;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
