import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  FACES_COUNTS,
  FACE_ATTRIBUTES,
  FACE_CLASSES,
  faceAttributes,
  faceClass,
  faceIndex,
  skinBin,
  type FaceDescriptor,
} from './faces.js';
import { drawFace, faceAttributeRows, loadFacesjs } from './faces_node.js';
import { datasetPackageDir, loadDataset } from './load_node.js';
import { DATASETS } from './registry.js';

const face = (over: Partial<Record<keyof FaceDescriptor, { id?: string; color?: string }>>): FaceDescriptor =>
  ({
    body: { color: '#f2d6cb', ...over.body },
    eye: { id: 'eye3', ...over.eye },
    mouth: { id: 'mouth1', ...over.mouth },
    glasses: { id: 'none', ...over.glasses },
    facialHair: { id: 'none', ...over.facialHair },
    accessories: { id: 'none', ...over.accessories },
  }) as FaceDescriptor;

test('face attributes are read off the descriptor', () => {
  assert.deepEqual(faceAttributes(face({})), [0, 0, 0, 0, 0]);
  assert.deepEqual(
    faceAttributes(
      face({
        glasses: { id: 'glasses2-black' },
        eye: { id: 'female7' },
        body: { color: '#74453d' },
        accessories: { id: 'hat2' },
      }),
    ),
    [1, 0, 1, 2, 1],
  );
  // under-eye paint is an accessory but not headwear
  assert.equal(faceAttributes(face({ accessories: { id: 'eye-black' } }))[4], 0);
  assert.equal(faceClass(face({ glasses: { id: 'facemask' }, facialHair: { id: 'goatee3' } })), 3);
  assert.equal(FACE_CLASSES[faceClass(face({ facialHair: { id: 'beard1' } }))], 'facial hair');
  // facesjs 5's skin colours: five light, three medium, three dark
  const tones = [
    '#f2d6cb',
    '#ddb7a0',
    '#fedac7',
    '#f0c5a3',
    '#eab687',
    '#bb876f',
    '#aa816f',
    '#a67358',
    '#ad6453',
    '#74453d',
    '#5c3937',
  ];
  assert.deepEqual(tones.map(skinBin), [0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
  assert.throws(() => skinBin('red'), /not a #rrggbb colour/);
});

test("the registry's class attributes decompose faceClass into glasses and facial hair", () => {
  const attrs = DATASETS.faces.classAttributes;
  assert.deepEqual(
    attrs.map((a) => a.name),
    ['glasses', 'facialHair'],
  );
  for (const glasses of ['none', 'glasses1-primary'])
    for (const facialHair of ['none', 'beard1']) {
      const f = face({ glasses: { id: glasses }, facialHair: { id: facialHair } });
      const c = faceClass(f);
      const [g, h] = faceAttributes(f) as [number, number];
      assert.deepEqual(
        attrs.map((a) => a.ofClass[c]),
        [g, h],
      );
      assert.deepEqual(attrs[0].values, FACE_ATTRIBUTES[0].classes);
      assert.deepEqual(attrs[1].values, FACE_ATTRIBUTES[1].classes);
    }
});

test('facesjs is found although its exports hide package.json', () => {
  assert.ok(fs.existsSync(path.join(datasetPackageDir('facesjs', 'faces'), 'package.json')));
  const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  assert.ok(
    'facesjs' in pkg.devDependencies && !('facesjs' in pkg.dependencies),
    'facesjs is a devDependency, not a dependency',
  );
});

test('faces: the split is disjoint, every face distinct, and the same index draws the same face', async () => {
  const { lib } = await loadFacesjs();
  assert.equal(faceIndex('test', 0), FACES_COUNTS.train);
  const key = (i: number) => JSON.stringify(drawFace(lib, i));
  assert.equal(key(17), key(17));
  const train = new Set<string>();
  for (let k = 0; k < FACES_COUNTS.train; k++) train.add(key(faceIndex('train', k)));
  assert.equal(train.size, FACES_COUNTS.train, 'no two training faces are the same');
  for (let k = 0; k < FACES_COUNTS.test; k++)
    assert.ok(!train.has(key(faceIndex('test', k))), `test face ${k} is also a training face`);
  // Math.random is restored after each draw
  const r = Math.random;
  drawFace(lib, 3);
  assert.equal(Math.random, r);
});

test('faces: generation is deterministic by seed and size; labels match the descriptors', async () => {
  {
    const load = (size: number, split: 'train' | 'test' = 'test') =>
      loadDataset({ data: 'faces', size, channels: 3, split, limit: 12, cache: false });
    const [a, b, c] = [await load(64), await load(64), await load(32)];
    assert.equal(a.n, 12);
    assert.equal(a.pixels.length, 12 * 64 * 64 * 3);
    assert.ok(Buffer.from(a.pixels).equals(Buffer.from(b.pixels)), 'same seed and size, same bytes');
    assert.equal(c.pixels.length, 12 * 32 * 32 * 3);
    // on white: the corners of every face are background
    for (let i = 0; i < a.n; i++)
      assert.deepEqual([...a.pixels.subarray(i * 64 * 64 * 3, i * 64 * 64 * 3 + 3)], [255, 255, 255]);
    // not all alike: the faces differ
    assert.ok(!Buffer.from(a.pixels.subarray(0, 12288)).equals(Buffer.from(a.pixels.subarray(12288, 24576))));
    // labels are the descriptors' classes, and the attribute rows agree with them
    const { lib } = await loadFacesjs();
    const { limitIndices } = await import('./split.js');
    const sel = limitIndices(FACES_COUNTS.test, 12);
    const rows = faceAttributeRows(lib, 'test', sel);
    const k = FACE_ATTRIBUTES.length;
    for (let r = 0; r < 12; r++) {
      assert.equal(a.labels![r], faceClass(drawFace(lib, faceIndex('test', sel[r]!))));
      assert.equal(a.labels![r], rows[r * k]! + 2 * rows[r * k + 1]!);
    }
    assert.deepEqual(a.classNames, FACE_CLASSES);
    assert.equal(a.sources?.[0]?.licence, 'Apache-2.0');
    assert.equal(DATASETS.faces.defaultSize, 64);
  }
});
