import { test } from 'node:test';
import crypto from 'node:crypto';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chunkId, itemKey, modelDigest } from './digest.js';
import { outputNames } from '../io/outputs.js';
import { resolveInpaintOptions } from '../inpaint/options.js';
import { initBackend } from '../backends/index.js';
import { addTinyEncoder, makeTinyModel } from '../testing/server_fixture.js';

const o = resolveInpaintOptions({ iters: 10 });
const img = new Uint8Array([1, 2, 3]);
const center = { kind: 'center', seed: 0 };

test('an item key changes with the model, the image bytes, the mask, every option (the seed too) and the mask convention', () => {
  const k = itemKey('m1', img, center, o, 'hole-white');
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.equal(
    itemKey('m1', new Uint8Array([1, 2, 3]), { seed: 0, kind: 'center' }, { ...o }, 'hole-white'),
    k,
    'same inputs, same key (key order does not matter)',
  );
  const others = [
    itemKey('m2', img, center, o, 'hole-white'),
    itemKey('m1', new Uint8Array([1, 2, 4]), center, o, 'hole-white'),
    itemKey('m1', img, { kind: 'center', seed: 1 }, o, 'hole-white'),
    itemKey('m1', img, { kind: 'half', seed: 0 }, o, 'hole-white'),
    itemKey('m1', img, { png: Buffer.from('a').toString('base64') }, o, 'hole-white'),
    itemKey('m1', img, center, { ...o, seed: 1 }, 'hole-white'),
    itemKey('m1', img, center, { ...o, iters: 11 }, 'hole-white'),
    itemKey('m1', img, center, { ...o, lambda: 0.1 }, 'hole-white'),
    itemKey('m1', img, center, { ...o, blend: 'none' }, 'hole-white'),
    // The refinement beyond z (issue #28): its mode and each of its settings.
    itemKey('m1', img, center, { ...o, refine: 'generator' }, 'hole-white'),
    itemKey('m1', img, center, { ...o, refine: 'modulation' }, 'hole-white'),
    itemKey('m1', img, center, { ...o, refine: 'generator', refineIters: 50 }, 'hole-white'),
    itemKey('m1', img, center, { ...o, refine: 'generator', refineLr: 0.001 }, 'hole-white'),
    itemKey('m1', img, center, { ...o, refine: 'generator', refineDepth: 2 }, 'hole-white'),
    itemKey('m1', img, center, { ...o, refine: 'generator', refineDeviation: 1 }, 'hole-white'),
    itemKey('m1', img, center, { ...o, refine: 'generator', refineFeatures: 0.5 }, 'hole-white'),
    // The convention decides how a mask file is read and how mask.png is written.
    itemKey('m1', img, center, o, 'known-white'),
    itemKey('m1', img, { png: Buffer.from('a').toString('base64') }, o, 'known-white'),
  ];
  assert.equal(new Set([k, ...others]).size, others.length + 1);
});

test('chunk ids: a digest of the keys in order, never an integer, no colon', () => {
  const a = chunkId(['k1', 'k2']);
  assert.match(a, /^c[0-9a-f]{40}$/);
  assert.equal(chunkId(['k1', 'k2']), a);
  assert.notEqual(chunkId(['k2', 'k1']), a);
  assert.notEqual(chunkId(['k1']), a);
});

test('the model digest covers the networks and ignores the manifest', async () => {
  await initBackend('cpu');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-digest-'));
  try {
    const dir = await makeTinyModel(path.join(tmp, 'm'));
    const d = modelDigest(dir);
    assert.match(d, /^[0-9a-f]{64}$/);
    const man = path.join(dir, 'manifest.json');
    fs.writeFileSync(
      man,
      fs.readFileSync(man, 'utf8').replace(/"createdAt": "[^"]*"/, '"createdAt": "2000-01-01T00:00:00.000Z"'),
    );
    assert.equal(modelDigest(dir), d);
    const wf = path.join(dir, 'critic', 'weights.bin');
    const b = fs.readFileSync(wf);
    b[b.length - 1] = b[b.length - 1]! ^ 1;
    fs.writeFileSync(wf, b);
    assert.notEqual(modelDigest(dir), d);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

/** The digest as it was before encoders were covered: generator/ and critic/ files only. */
function networksOnlyDigest(dir: string): string {
  const h = crypto.createHash('sha256');
  const walk = (rel: string) => {
    for (const e of fs
      .readdirSync(path.join(dir, rel), { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) {
        const bytes = fs.readFileSync(path.join(dir, r));
        h.update(`${r}\0${bytes.length}\0`);
        h.update(bytes);
      }
    }
  };
  for (const net of ['generator', 'critic']) walk(net);
  return h.digest('hex');
}

test('the model digest covers the encoder (its network and the generator it is for), not its dates; a model without one keeps its digest', async () => {
  await initBackend('cpu');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-digest-'));
  try {
    const dir = await makeTinyModel(path.join(tmp, 'm'));
    const plain = modelDigest(dir);
    assert.equal(plain, networksOnlyDigest(dir), 'an encoder-less model hashes as before');
    // An encoder/ folder that holds no encoder is not one (modelEncoderDir): no change.
    fs.mkdirSync(path.join(dir, 'encoder'));
    fs.writeFileSync(path.join(dir, 'encoder', 'notes.txt'), 'x');
    assert.equal(modelDigest(dir), plain);
    fs.rmSync(path.join(dir, 'encoder'), { recursive: true });

    await addTinyEncoder(dir);
    const withEnc = modelDigest(dir);
    assert.notEqual(withEnc, plain, 'adding an encoder changes the digest');
    // The same encoder given as a folder of its own (--encoder) hashes as the installed one.
    const bare = await makeTinyModel(path.join(tmp, 'bare'));
    assert.equal(modelDigest(bare), plain, 'the tiny model is built the same each time');
    assert.equal(modelDigest(bare, path.join(dir, 'encoder')), withEnc, 'same networks + the same encoder elsewhere');
    assert.throws(() => modelDigest(bare, path.join(bare, 'generator')), /holds no encoder manifest/);
    const man = path.join(dir, 'encoder', 'manifest.json');
    const text = fs.readFileSync(man, 'utf8');
    fs.writeFileSync(man, text.replace(/"createdAt": "[^"]*"/, '"createdAt": "2000-01-01T00:00:00.000Z"'));
    assert.equal(modelDigest(dir), withEnc, "the encoder's dates do not count");
    fs.writeFileSync(man, text.replace(/"digest": "sha256:[0-9a-f]{4}/, '"digest": "sha256:0000'));
    assert.notEqual(
      modelDigest(dir),
      withEnc,
      'the generator the encoder is for counts (it decides whether it is used)',
    );
    fs.writeFileSync(man, text);
    assert.equal(modelDigest(dir), withEnc);
    const wf = path.join(dir, 'encoder', 'weights.bin');
    const b = fs.readFileSync(wf);
    b[0] = b[0]! ^ 1;
    fs.writeFileSync(wf, b);
    assert.notEqual(modelDigest(dir), withEnc, "the encoder's weights count");
    fs.rmSync(path.join(dir, 'encoder'), { recursive: true });
    assert.equal(modelDigest(dir), plain, 'removing it gives the encoder-less digest back');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('output names keep the folders, drop the extension and stay unique', () => {
  assert.deepEqual(outputNames(['a.png', 'a.jpg', 'sub/b c.png', 'summary.json.png', '.x/.y.png']), [
    'a',
    'a_1',
    'sub/b_c',
    'summary.json_1',
    '_x/_y',
  ]);
});
