import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { train } from './loop.js';
import { checkCheckpoint, newestIntactCheckpoint, resolveCheckpointDir, loadCheckpoint } from './checkpoint.js';
import { barsDataset, TINY, useBackend } from '../testing/fixtures.js';
import { UserError } from '../util/errors.js';
import type { GanModels } from '../models/dcgan.js';

const ds = barsDataset(16);
let base = '';
let run = '';
let straight: GanModels;

before(async () => {
  await useBackend('cpu');
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-ckpt-'));
  run = path.join(base, 'run');
  // Checkpoints at iterations 2 and 4, each with its optimizer state.
  straight = (await train({ ...TINY, iters: 4, checkpointEvery: 2, keepCheckpoints: 3, data: 'bars', seed: 5 }, { out: run, dataset: ds })).models;
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

const CASES: [string, (dir: string) => void, RegExp][] = [
  ['truncated optimizer state', (d) => fs.truncateSync(path.join(d, 'optimizer', 'generator.bin'), 100), /optimizer\/generator\.bin has 100 bytes, optimizer\/generator\.json describes \d+/],
  ['corrupt manifest', (d) => fs.writeFileSync(path.join(d, 'manifest.json'), '{not json'), /manifest\.json is not valid JSON/],
  ['missing optimizer/critic.json', (d) => fs.rmSync(path.join(d, 'optimizer', 'critic.json')), /optimizer\/critic\.json is missing/],
  ['truncated generator weights', (d) => fs.truncateSync(path.join(d, 'generator', 'weights.bin'), 50), /generator's weight files hold 50 bytes, its model\.json describes \d+/],
  ['corrupt critic model.json', (d) => fs.writeFileSync(path.join(d, 'critic', 'model.json'), '['), /critic\/model\.json is not valid JSON/],
  ['manifest without a step', (d) => fs.writeFileSync(path.join(d, 'manifest.json'), JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(d, 'manifest.json'), 'utf8')), step: 'x' })), /manifest\.json' is not a valid manifest: step/],
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
    assert.deepEqual(r.models.generator.getWeights().map((t) => Array.from(t.dataSync())), straight.generator.getWeights().map((t) => Array.from(t.dataSync())));
  });
}

test('resume refuses clearly when no checkpoint is intact, listing what is wrong with each', async () => {
  const d = damaged('all-bad', (_n, all) => {
    fs.writeFileSync(path.join(all[1]!, 'manifest.json'), '{');
    fs.rmSync(path.join(all[0]!, 'optimizer', 'critic.json'));
  });
  await assert.rejects(
    train({ iters: 6 }, { out: d, dataset: ds, resume: true }),
    (e: Error) => e instanceof UserError && !e.message.includes('\n') && /^--resume: no intact checkpoint in '.*checkpoints': iter-0000004 is damaged \(manifest\.json is not valid JSON.*\); iter-0000002 is damaged \(optimizer\/critic\.json is missing\)$/.test(e.message),
  );
  assert.equal(newestIntactCheckpoint(path.join(base, 'nothing-here'), { optimizer: true }), null);
});

test('inpainting from a run folder also skips a damaged newest checkpoint (optimizer state not needed)', async () => {
  const d = damaged('for-inpaint', (n) => fs.rmSync(path.join(n, 'optimizer'), { recursive: true }));
  // Without optimizer state the newest is still fine for inpainting …
  assert.match(resolveCheckpointDir(d), /iter-0000004$/);
  // … but damaged weights are not.
  fs.truncateSync(path.join(d, 'checkpoints', 'iter-0000004', 'critic', 'weights.bin'), 8);
  const notices: string[] = [];
  const ck = await loadCheckpoint(d, (m) => notices.push(m));
  assert.equal(ck.manifest.step, 2);
  assert.match(notices.join('\n'), /checkpoint iter-0000004 is damaged \(critic's weight files hold 8 bytes/);
  ck.generator.dispose();
  ck.critic.dispose();
});
