import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { train } from './loop.js';
import {
  checkCheckpoint,
  newestIntactCheckpoint,
  resolveCheckpointDir,
  loadGanCheckpoint,
  listCheckpoints,
  pruneCheckpoints,
} from './checkpoint.js';
import { updateManifest } from './manifest.js';
import { fileDigests } from './verify.js';
import { RunDir } from './run_dir.js';
import { barsDataset, TINY, useBackend } from '../testing/fixtures.js';
import { UserError } from '../util/errors.js';
import type { GanModels } from '../models/index.js';
import { disposeModel } from '../models/index.js';

const ds = barsDataset(16);
let base = '';
let run = '';
let straight: GanModels;

before(async () => {
  await useBackend('cpu');
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-ckpt-'));
  run = path.join(base, 'run');
  // Checkpoints at iterations 2 and 4, each with its optimizer state.
  straight = (
    await train(
      { ...TINY, iters: 4, checkpointEvery: 2, keepCheckpoints: 3, data: 'bars', seed: 5 },
      { out: run, dataset: ds },
    )
  ).models;
});
after(() => fs.rmSync(base, { recursive: true, force: true }));

/** A copy of the run with the newest checkpoint (iter-0000004) damaged by `harm(dir)`. */
function damaged(name: string, harm: (newest: string, all: string[]) => void): string {
  const d = path.join(base, name);
  fs.cpSync(run, d, { recursive: true });
  const all = ['iter-0000002', 'iter-0000004'].map((n) => path.join(d, 'checkpoints', n));
  harm(all[1]!, all);
  return d;
}

/** Flip 4 bytes in the middle of a file: same size, so only its content digest tells. */
function flipBytes(file: string): void {
  const b = fs.readFileSync(file);
  for (let i = 0; i < 4; i++) b[(b.length >> 1) + i]! ^= 0x5a;
  fs.writeFileSync(file, b);
}

/** Overwrite the first float32 weights of a file with NaN and record the new digests, as a checkpoint written after a step gone bad would be. */
function nanWeights(dir: string, rel: string): void {
  const f = path.join(dir, rel);
  const b = fs.readFileSync(f);
  b.writeFloatLE(NaN, 0);
  b.writeFloatLE(NaN, 8);
  fs.writeFileSync(f, b);
  // Old checkpoints have no digests; new ones get them recomputed: either way only finiteness tells.
  updateManifest(dir, (m) => ('files' in m ? { ...m, files: fileDigests(dir) } : m));
}

const CASES: [string, (dir: string) => void, RegExp][] = [
  [
    '4 flipped bytes in the generator weights (same size)',
    (d) => flipBytes(path.join(d, 'generator', 'weights.bin')),
    /generator\/weights\.bin does not match its SHA-256 in manifest\.json/,
  ],
  [
    '4 flipped bytes in the critic optimizer state (same size)',
    (d) => flipBytes(path.join(d, 'optimizer', 'critic.bin')),
    /optimizer\/critic\.bin does not match its SHA-256/,
  ],
  [
    'NaN generator weights',
    (d) => nanWeights(d, 'generator/weights.bin'),
    /generator's weights holds 2 non-finite values/,
  ],
  [
    'NaN in the Adam state',
    (d) => nanWeights(d, 'optimizer/generator.bin'),
    /optimizer\/generator\.bin holds \d+ non-finite value/,
  ],
  [
    'truncated optimizer state',
    (d) => fs.truncateSync(path.join(d, 'optimizer', 'generator.bin'), 100),
    /optimizer\/generator\.bin has 100 bytes, optimizer\/generator\.json describes \d+/,
  ],
  [
    'corrupt manifest',
    (d) => fs.writeFileSync(path.join(d, 'manifest.json'), '{not json'),
    /manifest\.json is not valid JSON/,
  ],
  [
    'missing optimizer/critic.json',
    (d) => fs.rmSync(path.join(d, 'optimizer', 'critic.json')),
    /optimizer\/critic\.json is missing/,
  ],
  [
    'truncated generator weights',
    (d) => fs.truncateSync(path.join(d, 'generator', 'weights.bin'), 50),
    /generator's weight files hold 50 bytes, its model\.json describes \d+/,
  ],
  [
    'corrupt critic model.json',
    (d) => fs.writeFileSync(path.join(d, 'critic', 'model.json'), '['),
    /critic\/model\.json is not valid JSON/,
  ],
  [
    'manifest without a step',
    (d) =>
      fs.writeFileSync(
        path.join(d, 'manifest.json'),
        JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(d, 'manifest.json'), 'utf8')), step: 'x' }),
      ),
    /manifest\.json' is not a valid manifest: step/,
  ],
  ['missing manifest', (d) => fs.rmSync(path.join(d, 'manifest.json')), /manifest\.json is missing/],
];

for (const [what, harm, re] of CASES) {
  test(`resume with a damaged newest checkpoint (${what}): falls back to the older intact one, with a notice`, async () => {
    const d = damaged(what.replace(/\W+/g, '-'), harm);
    assert.match(checkCheckpoint(path.join(d, 'checkpoints', 'iter-0000004'), { optimizer: true }) ?? '', re);
    const log: string[] = [];
    const r = await train({ iters: 4 }, { out: d, dataset: ds, resume: true, onLog: (m) => log.push(m) });
    const notice = log.find((l) => l.startsWith('notice: checkpoint iter-0000004 is damaged'));
    assert.ok(notice && re.test(notice) && notice.endsWith('using iter-0000002 instead'), log.join('\n'));
    assert.ok(log.some((l) => /resumed from .*iter-0000002 at iteration 2/.test(l)));
    // An exact resume: the same weights as the run that was never interrupted.
    assert.equal(r.step, 4);
    assert.deepEqual(
      r.models.generator.getWeights().map((t) => Array.from(t.dataSync())),
      straight.generator.getWeights().map((t) => Array.from(t.dataSync())),
    );
  });
}

test('resume refuses clearly when no checkpoint is intact, listing what is wrong with each', async () => {
  const d = damaged('all-bad', (_n, all) => {
    fs.writeFileSync(path.join(all[1]!, 'manifest.json'), '{');
    fs.rmSync(path.join(all[0]!, 'optimizer', 'critic.json'));
  });
  await assert.rejects(
    train({ iters: 6 }, { out: d, dataset: ds, resume: true }),
    (e: Error) =>
      e instanceof UserError &&
      !e.message.includes('\n') &&
      /^--resume: no intact checkpoint in '.*checkpoints': iter-0000004 is damaged \(manifest\.json is not valid JSON.*\); iter-0000002 is damaged \(optimizer\/critic\.json is missing\)$/.test(
        e.message,
      ),
  );
  assert.equal(newestIntactCheckpoint(path.join(base, 'nothing-here'), { optimizer: true }), null);
});

test('resume refuses in one line when every checkpoint has the same-size corruption', async () => {
  const d = damaged('all-flipped', (_n, all) => {
    for (const c of all) flipBytes(path.join(c, 'generator', 'weights.bin'));
  });
  await assert.rejects(
    train({ iters: 6 }, { out: d, dataset: ds, resume: true }),
    (e: Error) =>
      e instanceof UserError &&
      !e.message.includes('\n') &&
      /^--resume: no intact checkpoint in .*iter-0000004 is damaged \(generator\/weights\.bin does not match .*iter-0000002 is damaged \(generator\/weights\.bin does not match/.test(
        e.message,
      ),
  );
});

test('rotation never removes the newest verified checkpoint', () => {
  const d = damaged('rotation', (n) => flipBytes(path.join(n, 'generator', 'weights.bin')));
  // keep 1 would leave only the corrupted iter-0000004: the verified iter-0000002 stays too.
  pruneCheckpoints(d, 1);
  assert.deepEqual(
    listCheckpoints(d).map((c) => path.basename(c)),
    ['iter-0000002', 'iter-0000004'],
  );
  // With a good checkpoint among the kept ones, rotation removes as before.
  const e = damaged('rotation-ok', () => {});
  pruneCheckpoints(e, 1);
  assert.deepEqual(
    listCheckpoints(e).map((c) => path.basename(c)),
    ['iter-0000004'],
  );
});

test('a checkpoint whose weights went non-finite is never written as the last good one', async () => {
  const d = damaged('blow-up', () => {});
  // A generator rate beyond float32 (1e39 > 3.4e38): its first update makes G's weights ±Inf/NaN,
  // while every loss of that iteration was computed before that update and is finite; the critic
  // keeps a sane rate, so only the next iteration's losses show it.
  await assert.rejects(
    train(
      { iters: 40, lr: 1e39, dLr: 1e-4, checkpointEvery: 1, keepCheckpoints: 1 },
      { out: d, dataset: ds, resume: true },
    ),
    (e: Error) =>
      e instanceof UserError && /diverged at iteration 5: the generator's weights are not finite/.test(e.message),
  );
  const rec = new RunDir(d).diverged();
  assert.ok(rec?.lastGood, JSON.stringify(rec));
  assert.equal(checkCheckpoint(rec.lastGood, { optimizer: true }), null, 'the last good checkpoint passes its check');
  for (const c of listCheckpoints(d))
    assert.equal(checkCheckpoint(c, { optimizer: true }), null, `${c} left as a checkpoint`);
});

test('checkpoints without digests (older format) still resume and load, as unverified', async () => {
  const d = damaged('old-format', (_n, all) => {
    for (const c of all) updateManifest(c, ({ files: _f, ...m }) => m);
  });
  assert.equal(checkCheckpoint(path.join(d, 'checkpoints', 'iter-0000004'), { optimizer: true }), null);
  const log: string[] = [];
  const r = await train({ iters: 4 }, { out: d, dataset: ds, resume: true, onLog: (m) => log.push(m) });
  assert.ok(
    log.some((l) =>
      /resumed from .*iter-0000004 at iteration 4 \(unverified: an older checkpoint without content digests\)/.test(l),
    ),
    log.join('\n'),
  );
  assert.equal(r.step, 4);
  const ck = await loadGanCheckpoint(path.join(d, 'checkpoints', 'iter-0000004'));
  disposeModel(ck);
});

test('loading a checkpoint folder directly checks its digests', async () => {
  const d = damaged('direct', (n) => flipBytes(path.join(n, 'critic', 'weights.bin')));
  await assert.rejects(
    loadGanCheckpoint(path.join(d, 'checkpoints', 'iter-0000004')),
    (e: Error) =>
      e instanceof UserError &&
      /^checkpoint '.*iter-0000004' is damaged: critic\/weights\.bin does not match its SHA-256/.test(e.message),
  );
});

test('inpainting from a run folder also skips a damaged newest checkpoint (optimizer state not needed)', async () => {
  const d = damaged('for-inpaint', (n) => fs.rmSync(path.join(n, 'optimizer'), { recursive: true }));
  // Without optimizer state the newest is still fine for inpainting …
  assert.match(resolveCheckpointDir(d), /iter-0000004$/);
  // … but damaged weights are not.
  fs.truncateSync(path.join(d, 'checkpoints', 'iter-0000004', 'critic', 'weights.bin'), 8);
  const notices: string[] = [];
  const ck = await loadGanCheckpoint(d, (m) => notices.push(m));
  assert.equal(ck.manifest.step, 2);
  assert.match(notices.join('\n'), /checkpoint iter-0000004 is damaged \(critic's weight files hold 8 bytes/);
  disposeModel(ck);
});
