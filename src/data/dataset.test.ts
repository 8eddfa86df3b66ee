import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fillBatch, getBatch, toImageBatch, subset, classCounts, type Dataset } from './dataset.js';
import { encodeCache, decodeCache } from './cache_format.js';
import { hashSplit, limitIndices, hashString } from './split.js';

// 3 images of 2×2 grey: image i has all pixels = 0, 51·… see below.
const ds: Dataset = {
  name: 't',
  split: 'train',
  size: 2,
  channels: 1,
  n: 3,
  pixels: new Uint8Array([0, 0, 0, 0, 255, 255, 255, 255, 0, 51, 102, 255]),
  labels: new Int32Array([1, 0, 1]),
  classNames: ['a', 'b'],
  skipped: 0,
};

test('fillBatch writes the chosen images in [0,1] and [-1,1] into a reused buffer', () => {
  const out = new Float32Array(8).fill(9);
  fillBatch(ds, [2, 1], out);
  assert.deepEqual(
    [...out].map((v) => Math.round(v * 1000) / 1000),
    [0, 0.2, 0.4, 1, 1, 1, 1, 1],
  );
  fillBatch(ds, [0, 2], out, '[-1,1]');
  assert.deepEqual(
    [...out].map((v) => Math.round(v * 1000) / 1000),
    [-1, -1, -1, -1, -1, -0.6, -0.2, 1],
  );
  assert.throws(() => fillBatch(ds, [0, 1, 2], out), /need 12/);
  assert.throws(() => fillBatch(ds, [3], out), RangeError);
  assert.equal(getBatch(ds, [1]).length, 4);
});

test('toImageBatch and subset keep shape and labels', () => {
  const b = toImageBatch(ds, [1]);
  assert.deepEqual([b.n, b.height, b.width, b.channels], [1, 2, 2, 1]);
  assert.deepEqual([...b.data], [1, 1, 1, 1]);
  const s = subset(ds, [2, 0]);
  assert.equal(s.n, 2);
  assert.deepEqual([...s.pixels], [0, 51, 102, 255, 0, 0, 0, 0]);
  assert.deepEqual([...s.labels!], [1, 1]);
  assert.deepEqual(classCounts(ds), [1, 2]);
});

test('cache bytes round-trip and reject another key', () => {
  const bytes = encodeCache({ ...ds, skipped: 2 }, 'k1', new Int32Array([0, 1, 3]), ['x.png', 'y.png']);
  const c = decodeCache(bytes, 'k1')!;
  assert.deepEqual([...c.ds.pixels], [...ds.pixels]);
  assert.deepEqual([...c.ds.labels!], [1, 0, 1]);
  assert.deepEqual(c.ds.classNames, ['a', 'b']);
  assert.deepEqual([...c.kept], [0, 1, 3]);
  assert.deepEqual([c.ds.skipped, c.skippedNames], [2, ['x.png', 'y.png']]);
  assert.equal(decodeCache(bytes, 'k2'), undefined);
  assert.equal(decodeCache(bytes.subarray(0, bytes.length - 1), 'k1'), undefined);
  const { labels: _l, classNames: _c, ...unlabelled } = ds;
  const u = decodeCache(encodeCache(unlabelled, 'k', new Int32Array([0, 1, 2]), []), 'k')!;
  assert.equal(u.ds.labels, undefined);
});

test('hash split is ≈10 % test, stable, and limitIndices is a sorted fixed choice', () => {
  // FNV-1a("") = 0x811c9dc5 before the finaliser; check the finalised value is stable across runs.
  assert.equal(hashString('a/b.png'), hashString('a/b.png'));
  assert.notEqual(hashString('a/b.png'), hashString('a/c.png'));
  let test_ = 0;
  for (let i = 0; i < 5000; i++) if (hashSplit(`class${i % 7}/img_${i}.png`) === 'test') test_++;
  assert.ok(test_ > 400 && test_ < 600, `test fraction ${test_ / 5000}`);
  const a = limitIndices(100, 10);
  assert.equal(a.length, 10);
  assert.deepEqual(
    [...a],
    [...a].sort((x, y) => x - y),
  );
  assert.equal(new Set(a).size, 10);
  assert.deepEqual([...a], [...limitIndices(100, 10)]);
  assert.notDeepEqual(
    [...a],
    Array.from({ length: 10 }, (_, i) => i),
  );
  assert.equal(limitIndices(5, 10).length, 5);
});
