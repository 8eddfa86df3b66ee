/**
 * The CLI under bad inputs and faults (issue #16): every case is one UserError line (the binary prints
 * `wgan-inpaint: error: …` and exits 2), found before any work where it can be, and leaves nothing
 * half-written.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { main } from './run.js';
import { UserError } from '../util/errors.js';
import { buildModels, disposeModel } from '../models/index.js';
import { saveCheckpoint } from '../train/checkpoint.js';
import { resolveConfig } from '../config/config.js';
import { encodePng } from '../io/image.js';
import { pngHeaderOnly } from '../testing/crafted.js';
import { testBackend } from '../testing/fixtures.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'main.js');
const userError = (re: RegExp) => (e: Error) =>
  e instanceof UserError && re.test(e.message) && !e.message.includes('\n');
let d = '';
let model = '';
let good = '';

async function tinyModel(dir: string, poison = false): Promise<string> {
  const config = resolveConfig({ size: 28, channels: 1, nz: 4, gWidth: 2, dWidth: 2 });
  const m = buildModels('dcgan', { ...config });
  if (poison) {
    const w = m.generator.getWeights();
    const nan = w.map((t) => tf.fill(t.shape, NaN));
    m.generator.setWeights(nan);
    tf.dispose(nan);
  }
  await saveCheckpoint(dir, { ...m, manifest: { step: 0, seed: 0, config } });
  disposeModel(m);
  return dir;
}

const grey = (h: number, w: number, v = 0.4) => ({
  data: new Float32Array(h * w).fill(v),
  n: 1,
  height: h,
  width: w,
  channels: 1,
});

before(async () => {
  await testBackend();
  d = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-harden-'));
  model = await tinyModel(path.join(d, 'model'));
  good = path.join(d, 'good.png');
  fs.writeFileSync(good, await encodePng(grey(28, 28)));
});
after(() => fs.rmSync(d, { recursive: true, force: true }));

const inpaint = (...a: string[]) => main(['inpaint', '--iters', '2', '--restarts', '1', ...a]);
const noModel = () => path.join(d, 'no-such-model-folder');

test('1. images over --max-pixels are refused from their header, before the model is even loaded', async () => {
  const bomb = path.join(d, 'bomb.png');
  fs.writeFileSync(bomb, pngHeaderOnly(16000, 16000)); // 16000×16000 declared in ~70 bytes
  const out = path.join(d, 'o1');
  // The model does not exist: the size check comes first, so that is not what is reported.
  await assert.rejects(
    inpaint('--model', noModel(), '--input', bomb, '--mask', 'center', '--out', out),
    userError(/'.*bomb\.png' is 16000×16000 = 256 MP, above the limit of 40 MP \(--max-pixels 40000000\)/),
  );
  const big = path.join(d, 'big.png');
  fs.writeFileSync(big, await encodePng(grey(40, 50)));
  await assert.rejects(
    inpaint('--model', model, '--input', big, '--mask', 'center', '--out', out, '--max-pixels', '1999'),
    userError(/is 50×40 = 0\.002 MP, above the limit of 0\.001999 MP \(--max-pixels 1999\)/),
  );
  await assert.rejects(
    inpaint('--model', model, '--input', good, '--mask', bomb, '--out', out),
    userError(/mask '.*bomb\.png' is 16000×16000 = 256 MP, above the limit/),
  );
  await assert.rejects(
    inpaint('--model', model, '--input', good, '--mask', 'center', '--out', out, '--max-pixels', '0'),
    userError(/--max-pixels must be an integer ≥ 1, got '0'/),
  );
  assert.ok(!fs.existsSync(out));
  // The binary: one line, exit 2, no stack trace.
  const r = spawnSync(
    process.execPath,
    [CLI, 'inpaint', '--model', model, '--input', bomb, '--mask', 'center', '--out', out, '--backend', 'cpu'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 2, r.stderr);
  assert.ok(!/^\s+at /m.test(r.stderr), r.stderr);
  assert.match(r.stderr.trim().split('\n').at(-1)!, /^wgan-inpaint: error: .*above the limit of 40 MP/);
});

test('2. an input folder with link cycles is read once per real folder', async () => {
  const inp = path.join(d, 'loop-in');
  fs.mkdirSync(inp);
  fs.writeFileSync(path.join(inp, 'x.png'), await encodePng(grey(28, 28, 0.2)));
  fs.symlinkSync('.', path.join(inp, 'self'));
  fs.symlinkSync('.', path.join(inp, 'again'));
  const out = path.join(d, 'o2');
  assert.equal(await inpaint('--model', model, '--input', inp, '--mask', 'center', '--out', out), 0);
  const s = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.deepEqual(
    s.images.map((i: { output: string }) => i.output),
    ['x'],
  );
});

test('3. zero-byte images and masks are one clear error', async () => {
  const empty = path.join(d, 'empty.png');
  fs.writeFileSync(empty, '');
  const out = path.join(d, 'o3');
  await assert.rejects(
    inpaint('--model', model, '--input', empty, '--mask', 'center', '--out', out),
    userError(/cannot decode '.*empty\.png': the file is empty \(0 bytes\)/),
  );
  await assert.rejects(
    inpaint('--model', model, '--input', good, '--mask', empty, '--out', out),
    userError(/cannot decode mask '.*empty\.png': the file is empty \(0 bytes\)/),
  );
  assert.ok(!fs.existsSync(out));
});

test('4. --out is checked before any work; a name clash with summary.json is avoided', async () => {
  const file = path.join(d, 'a-file');
  fs.writeFileSync(file, 'x');
  // A bad model too: the output problem is found first.
  await assert.rejects(
    inpaint('--model', noModel(), '--input', good, '--mask', 'center', '--out', file),
    userError(/^--out '.*a-file' is a file, not a folder$/),
  );
  await assert.rejects(
    inpaint('--model', noModel(), '--input', good, '--mask', 'center', '--out', path.join(file, 'sub')),
    userError(/^cannot create --out '.*a-file\/sub': '.*a-file' is a file, not a folder$/),
  );
  const inOut = path.join(d, 'o4');
  fs.mkdirSync(path.join(inOut, 'good'), { recursive: true });
  fs.rmSync(path.join(inOut, 'good'), { recursive: true });
  fs.writeFileSync(path.join(inOut, 'good'), 'in the way');
  await assert.rejects(
    inpaint('--model', noModel(), '--input', good, '--mask', 'center', '--out', inOut),
    userError(/cannot write '.*o4\/good': a file of that name is in the way/),
  );
  // An input called summary.json.png gets its own folder; summary.json stays the summary.
  const sj = path.join(d, 'summary.json.png');
  fs.copyFileSync(good, sj);
  const out = path.join(d, 'o4b');
  assert.equal(await inpaint('--model', model, '--input', sj, '--mask', 'center', '--out', out), 0);
  assert.ok(fs.statSync(path.join(out, 'summary.json')).isFile());
  assert.ok(fs.existsSync(path.join(out, 'summary.json_1', 'blended.png')));
});

/** Run `fn` with fs.openSync / fs.mkdirSync failing with `code` where `when(path)` says so. */
async function withFault<T>(code: string, when: (p: string) => boolean, fn: () => Promise<T>): Promise<T> {
  const open = fs.openSync,
    mkdir = fs.mkdirSync;
  const fail = (p: unknown) => {
    if (when(String(p))) throw Object.assign(new Error(`${code}: simulated`), { code });
  };
  (fs as { openSync: unknown }).openSync = (p: fs.PathLike, ...a: unknown[]) => {
    fail(p);
    return (open as (...x: unknown[]) => number)(p, ...a);
  };
  (fs as { mkdirSync: unknown }).mkdirSync = (p: fs.PathLike, ...a: unknown[]) => {
    fail(p);
    return (mkdir as (...x: unknown[]) => unknown)(p, ...a);
  };
  try {
    return await fn();
  } finally {
    (fs as { openSync: unknown }).openSync = open;
    (fs as { mkdirSync: unknown }).mkdirSync = mkdir;
  }
}

test('4. a read-only or full output location: one line naming the file; summary.json, or nothing at all', async () => {
  const inp = path.join(d, 'two');
  fs.mkdirSync(inp);
  fs.writeFileSync(path.join(inp, 'a.png'), await encodePng(grey(28, 28, 0.3)));
  fs.writeFileSync(path.join(inp, 'b.png'), await encodePng(grey(28, 28, 0.6)));
  const run = (out: string) => inpaint('--model', model, '--input', inp, '--mask', 'center', '--out', out);
  // Read-only: found by the up-front probe, before any work.
  const ro = path.join(d, 'ro');
  await withFault(
    'EROFS',
    (p) => p.startsWith(ro),
    () => assert.rejects(run(ro), userError(/^cannot write to --out '.*ro': read-only file system \(EROFS\)$/)),
  );
  assert.ok(!fs.existsSync(ro));
  // The disk fills up while b is written: a is kept and summary.json says what happened.
  const full = path.join(d, 'full');
  await withFault(
    'ENOSPC',
    (p) => /\.b\.tmp-[^/]*\/\.input\.png\.tmp-/.test(p),
    () =>
      assert.rejects(
        run(full),
        userError(
          /^cannot write '.*full\/b\/input\.png': no space left on the device \(ENOSPC\); summary\.json lists the 1 image\(s\) written before$/,
        ),
      ),
  );
  const s = JSON.parse(fs.readFileSync(path.join(full, 'summary.json'), 'utf8'));
  assert.deepEqual(
    s.images.map((i: { output?: string }) => i.output ?? 'error'),
    ['a', 'error'],
  );
  assert.deepEqual(fs.readdirSync(full).sort(), ['a', 'summary.json']);
  // Full before summary.json can be written either: nothing of this run is left.
  const full2 = path.join(d, 'full2');
  let aDone = false;
  await withFault(
    'ENOSPC',
    (p) => {
      if (p.includes(`${path.sep}.a.tmp-`)) return false;
      if (p.includes(`${path.sep}.b.tmp-`) || p.includes('.summary.json.tmp-')) aDone = true;
      return aDone;
    },
    () =>
      assert.rejects(
        run(full2),
        userError(/no space left on the device \(ENOSPC\); removed the 1 image folder\(s\) this run wrote$/),
      ),
  );
  assert.ok(!fs.existsSync(full2));
});

test('7. out-of-range and non-decimal options are one error before any work; a NaN model writes nothing', async () => {
  const out = path.join(d, 'o7');
  const run = (...a: string[]) =>
    main(['inpaint', '--model', noModel(), '--input', good, '--mask', 'center', '--out', out, ...a]);
  await assert.rejects(run('--restarts', '1e9'), userError(/^inpaint: --restarts must be ≤ 64, got 1000000000$/));
  await assert.rejects(run('--restarts', '100000', '--iters', '1'), userError(/--restarts must be ≤ 64/));
  await assert.rejects(run('--lambda', '1e308'), userError(/--lambda must be ≤ 1000, got 1e\+308/));
  await assert.rejects(run('--iters', '0x10'), userError(/^inpaint: --iters must be a decimal number, got '0x10'$/));
  await assert.rejects(run('--iters', 'Infinity'), userError(/--iters must be a decimal number/));
  await assert.rejects(run('--lr', '1e300'), userError(/--lr must be ≤ 1/));
  await assert.rejects(run('--window', '100001'), userError(/--window must be ≤ 255/));
  await assert.rejects(run('--window', '4'), userError(/--window must be odd/));
  await assert.rejects(run('--blend', 'soft'), userError(/--blend must be poisson or none, got "soft"/));
  await assert.rejects(run('--progress-every=-1'), userError(/--progress-every must be ≥ 0/));
  await assert.rejects(
    main(['train', '--iters', '0x10', '--dry-run']),
    userError(/--iters must be an integer, got '0x10'/),
  );
  assert.ok(!fs.existsSync(out));
  // A model with NaN weights: refused when loaded (checkpoints are verified, src/train/verify.ts), one
  // line, nothing written. (A search whose loss turns non-finite is tested in src/inpaint/search.test.ts.)
  const nanModel = await tinyModel(path.join(d, 'nan-model'), true);
  await assert.rejects(
    main(['inpaint', '--model', nanModel, '--input', good, '--mask', 'center', '--out', out, '--iters', '50']),
    userError(/nan-model' is damaged: generator's weights holds \d+ non-finite values/),
  );
  assert.ok(!fs.existsSync(out));
});

test('inpaint --help shows the bounds from the options schema and --max-pixels', async () => {
  const logs: string[] = [];
  const orig = console.log;
  console.log = (s: string) => logs.push(s);
  try {
    await main(['inpaint', '--help']);
  } finally {
    console.log = orig;
  }
  const h = logs.join('\n');
  const flat = h.replace(/\n {20,}/g, ' '); // wrapped help lines joined
  assert.match(
    flat,
    /--restarts N +restarts per image, the best final loss wins \(1–64\) \[default: 4 from random z, 1 from the encoder's\]/,
  );
  assert.match(flat, /--iters N .*\[default: 1000 from random z, 100 from the encoder's\]/);
  assert.match(flat, /--init auto\|encoder\|random +where the search starts.*\[default: auto\]/);
  assert.match(flat, /--init-mix X .*\(0–1\) \[default: 0\.1\]/);
  assert.match(h, /--encoder DIR /);
  assert.match(h, /--lambda X +weight λ of the prior loss −D\(G\(z\)\) \(0–1000\) \[default: 0\.03\]/);
  assert.match(h, /--max-pixels N .*\n.*\n +\[default: 40000000[\];]/);
});
