import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EMOJI_DATASETS,
  EMOJI_SOURCES,
  EMOJI_SOURCE_ORDER,
  OPENMOJI_GROUPS,
  baseMatchKey,
  buildCatalogue,
  chosenTone,
  codePointsOf,
  decideEmoji,
  emojiSplit,
  firstOfEachGroup,
  keepsSkinTones,
  matchKey,
  parseHexSequence,
  skinTones,
  splitKeyOf,
  type EmojiDatasourceEntry,
} from './emoji.js';
import { DATASETS, isBuiltin } from './registry.js';
import { hashSplit } from './split.js';

test('code points: hex parsing, identity without variation selectors, skin tones', () => {
  assert.deepEqual(parseHexSequence('1F469-200D-1F4BB'), [0x1f469, 0x200d, 0x1f4bb]);
  assert.deepEqual(parseHexSequence('1f469 200d 1f4bb'), [0x1f469, 0x200d, 0x1f4bb]);
  assert.equal(parseHexSequence('grinning-face'), undefined);
  assert.equal(parseHexSequence('110000'), undefined);
  assert.deepEqual(codePointsOf('❤️'), [0x2764, 0xfe0f]);
  // ❤️ spelled with and without U+FE0F is one emoji.
  assert.equal(matchKey([0x2764, 0xfe0f]), matchKey([0x2764]));
  assert.equal(matchKey([0x2764]), '2764');
  const wavingDark = [0x1f44b, 0x1f3ff];
  assert.deepEqual(skinTones(wavingDark), [0x1f3ff]);
  assert.equal(baseMatchKey(wavingDark), '1F44B');
  // A lone modifier is the swatch emoji itself (category Component), not a variant of nothing.
  assert.deepEqual(skinTones([0x1f3fb]), []);
  assert.equal(baseMatchKey([0x1f3fb]), '1F3FB');
  assert.equal(splitKeyOf([0x1faea]), '1faea.png');
});

test('skin tones: one tone kept per emoji, all five tones used across emoji', () => {
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const key = `${(0x1f400 + i).toString(16)}.png`;
    const t = chosenTone(key);
    assert.ok(t >= 0x1f3fb && t <= 0x1f3ff);
    seen.add(t);
    assert.ok(keepsSkinTones([], key), 'the untoned drawing is always kept');
    assert.ok(keepsSkinTones([t], key));
    assert.ok(keepsSkinTones([t, t], key), 'a two-person emoji in the chosen tone');
    const other = 0x1f3fb + ((t - 0x1f3fb + 1) % 5);
    assert.ok(!keepsSkinTones([other], key));
    assert.ok(!keepsSkinTones([t, other], key), 'mixed tones are dropped');
  }
  assert.equal(seen.size, 5);
});

// A catalogue in emoji-datasource's shape: 😀, 👋 with skin variations, ❤️ (non-qualified 2764).
const tones = ['1F3FB', '1F3FC', '1F3FD', '1F3FE', '1F3FF'];
const ENTRIES: EmojiDatasourceEntry[] = [
  { unified: '1F600', image: '1f600.png', category: 'Smileys & Emotion' },
  {
    unified: '1F44B',
    image: '1f44b.png',
    category: 'People & Body',
    skin_variations: Object.fromEntries(
      tones.map((t) => [t, { unified: `1F44B-${t}`, image: `1f44b-${t.toLowerCase()}.png` }]),
    ),
  },
  { unified: '2764-FE0F', non_qualified: '2764', image: '2764-fe0f.png', category: 'Smileys & Emotion' },
];

test('decideEmoji: category and split from the base emoji; fallback for emoji outside the catalogue', () => {
  const cat = buildCatalogue(ENTRIES);
  const heartA = decideEmoji([0x2764, 0xfe0f], cat),
    heartB = decideEmoji([0x2764], cat);
  assert.deepEqual(heartA, { keep: true, category: 'Smileys & Emotion', splitKey: '2764-fe0f.png' });
  assert.deepEqual(heartB, heartA, 'both spellings: same emoji, same split key');
  // The split key of a base emoji is the image name the google-only split hashed.
  assert.equal(emojiSplit('1f600.png'), hashSplit('1f600.png'));

  const t = chosenTone('1f44b.png');
  for (const tone of tones.map((x) => parseInt(x, 16))) {
    const d = decideEmoji([0x1f44b, tone], cat);
    if (tone === t)
      assert.deepEqual(
        d,
        { keep: true, category: 'People & Body', splitKey: '1f44b.png' },
        'a variant is split with its base',
      );
    else assert.deepEqual(d, { keep: false, why: 'skin-tone' });
  }
  // A toned drawing the catalogue lacks (OpenMoji draws more tones) still finds its base.
  const toned = decideEmoji([0x1f600, chosenTone('1f600.png')], cat);
  assert.deepEqual(toned, { keep: true, category: 'Smileys & Emotion', splitKey: '1f600.png' });

  // Newer than the catalogue: the source's own category, split by its own (base) code points.
  const newer = decideEmoji([0x1faea], cat, { category: 'Smileys & Emotion' });
  assert.deepEqual(newer, { keep: true, category: 'Smileys & Emotion', splitKey: '1faea.png' });
  const tonedNewer = decideEmoji([0x1f9d1, chosenTone('1f9d1-200d-1fa70.png'), 0x200d, 0x1fa70], cat, {
    category: 'People & Body',
    base: [0x1f9d1, 0x200d, 0x1fa70],
  });
  assert.equal(tonedNewer.keep && tonedNewer.splitKey, '1f9d1-200d-1fa70.png');
  assert.deepEqual(decideEmoji([0xe000], cat), { keep: false, why: 'uncategorised' });
});

test('firstOfEachGroup drops later copies of a content key, never an undecodable item', () => {
  assert.deepEqual(firstOfEachGroup(['a', 'b', 'a', undefined, undefined, 'c', 'b']), [
    true,
    true,
    false,
    true,
    true,
    true,
    false,
  ]);
  assert.deepEqual(firstOfEachGroup([]), []);
});

test('every emoji source has its licence, credit line and a built-in dataset that states the licence', () => {
  assert.deepEqual(Object.keys(EMOJI_SOURCES).sort(), [...EMOJI_SOURCE_ORDER].sort());
  for (const kind of EMOJI_SOURCE_ORDER) {
    const s = EMOJI_SOURCES[kind];
    assert.match(s.licence, /^(Apache-2\.0|CC-BY-4\.0|CC-BY-SA-4\.0|MIT)$/, kind);
    assert.match(s.licenceUrl, /^https:\/\//, kind);
    assert.ok(s.attribution.length > 30 && s.licenceReadIn.length > 20, kind);
    assert.ok(isBuiltin(s.dataset), `${s.dataset} is a built-in`);
    const info = DATASETS[s.dataset as keyof typeof DATASETS];
    assert.equal(info.licence, s.licence, s.dataset);
    assert.deepEqual(EMOJI_DATASETS[s.dataset], [kind]);
  }
  // The union names every source and every licence.
  assert.deepEqual(EMOJI_DATASETS.emoji, EMOJI_SOURCE_ORDER);
  for (const kind of EMOJI_SOURCE_ORDER) assert.ok(DATASETS.emoji.licence.includes(EMOJI_SOURCES[kind].licence), kind);
  assert.deepEqual(
    DATASETS.emoji.sources,
    EMOJI_SOURCE_ORDER.map((k) => EMOJI_SOURCES[k].dataset),
  );
  // OpenMoji's groups map onto emoji-datasource's category names.
  assert.equal(new Set(Object.values(OPENMOJI_GROUPS)).size, 10);
});
