/**
 * The CLI, hardening II (issues #30 and #31): a folder run never reads its own outputs, a bad file in
 * a folder is skipped and named (inpaint as batch), `batch` can set the search window, negative
 * numbers meet their bounds, and the thread counts of `worker` and `serve` are bounded by the machine.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from './run.js';
import { UserError } from '../util/errors.js';
import { buildModels, disposeModel } from '../models/index.js';
import { saveCheckpoint } from '../train/checkpoint.js';
import { resolveConfig } from '../config/config.js';
import { encodePng } from '../io/image.js';
import { testBackend } from '../testing/fixtures.js';
import { threadBound } from './bounds.js';

const userError = (re: RegExp) => (e: Error) =>
  e instanceof UserError && re.test(e.message) && !e.message.includes('\n');
let d = '';
let model = '';

const grey = (h: number, w: number, v = 0.4) => ({
  data: new Float32Array(h * w).fill(v),
  n: 1,
  height: h,
  width: w,
  channels: 1,
});

before(async () => {
  await testBackend();
  d = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-harden2-'));
  const config = resolveConfig({ size: 28, channels: 1, nz: 4, gWidth: 2, dWidth: 2 });
  const m = buildModels('dcgan', { ...config });
  model = path.join(d, 'model');
  await saveCheckpoint(model, { ...m, manifest: { step: 0, seed: 0, config } });
  disposeModel(m);
});
after(() => fs.rmSync(d, { recursive: true, force: true }));

const quick = ['--iters', '2', '--restarts', '1'];

/** A folder of `n` small grey images a.png, b.png, …. */
async function folder(name: string, n: number): Promise<string> {
  const dir = path.join(d, name);
  fs.mkdirSync(dir);
  for (let i = 0; i < n; i++)
    fs.writeFileSync(
      path.join(dir, `${String.fromCharCode(97 + i)}.png`),
      await encodePng(grey(28, 28, 0.2 + 0.1 * i)),
    );
  return dir;
}

const summaryOf = (out: string) =>
  JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) as {
    images: { input: string; output?: string; error?: string }[];
    options: { window: number };
  };

test('30.3 inpaint --input D --out D/out twice reads the same 3 images, not its own outputs', async () => {
  const inp = await folder('self', 3);
  const out = path.join(inp, 'out');
  for (let run = 0; run < 2; run++) {
    assert.equal(
      await main(['inpaint', '--model', model, '--input', inp, '--mask', 'center', '--out', out, ...quick]),
      0,
    );
    assert.deepEqual(
      summaryOf(out).images.map((i) => path.basename(i.input)),
      ['a.png', 'b.png', 'c.png'],
      `run ${run + 1}`,
    );
  }
  assert.deepEqual(fs.readdirSync(out).sort(), ['a', 'b', 'c', 'summary.json']);
  // --out given another way (a link to it) is still recognised as the output folder.
  fs.symlinkSync(out, path.join(d, 'out-link'));
  assert.equal(
    await main([
      'inpaint',
      '--model',
      model,
      '--input',
      inp,
      '--mask',
      'center',
      '--out',
      path.join(d, 'out-link'),
      ...quick,
    ]),
    0,
  );
  assert.equal(summaryOf(out).images.length, 3);
});

test('30.3 --out that is the input folder (or holds it) is refused, in inpaint and batch alike', async () => {
  const inp = await folder('same', 1);
  for (const cmd of ['inpaint', 'batch']) {
    for (const out of [inp, d]) {
      await assert.rejects(
        main([cmd, '--model', model, '--input', inp, '--mask', 'center', '--out', out, ...quick]),
        userError(/^--out '.*' is the input folder or holds it: its outputs would be read as inputs by the next run/),
        `${cmd} --out ${out}`,
      );
    }
  }
  assert.deepEqual(fs.readdirSync(inp), ['a.png']);
});

test('31.6 inpaint DIR: one bad file is skipped and named in summary.json, the others are written, exit 1', async () => {
  const inp = await folder('mixed', 2);
  fs.writeFileSync(path.join(inp, 'broken.png'), 'not an image');
  fs.writeFileSync(path.join(inp, 'empty.png'), '');
  const out = path.join(d, 'mixed-out');
  // The progress bar writes to process.stderr itself.
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => {
    lines.push(String(s));
    return true;
  }) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(['inpaint', '--model', model, '--input', inp, '--mask', 'center', '--out', out, ...quick]);
  } finally {
    process.stderr.write = write;
  }
  assert.equal(code, 1);
  const s = summaryOf(out);
  assert.deepEqual(
    s.images.map((i) => [path.basename(i.input), i.output ?? null]),
    [
      ['a.png', 'a'],
      ['b.png', 'b'],
      ['broken.png', null],
      ['empty.png', null],
    ],
  );
  assert.match(s.images[2]!.error!, /cannot decode '.*broken\.png'/);
  assert.match(s.images[3]!.error!, /the file is empty \(0 bytes\)/);
  assert.deepEqual(fs.readdirSync(out).sort(), ['a', 'b', 'summary.json']);
  assert.ok(
    lines.some((l) => /failed: '.*broken\.png': cannot decode/.test(l)),
    lines.join('\n'),
  );
  // A folder of nothing but bad files, or one bad file given alone, is bad input: one line, nothing written.
  const bad = path.join(d, 'all-bad');
  fs.mkdirSync(bad);
  fs.writeFileSync(path.join(bad, 'x.png'), 'not an image');
  const out2 = path.join(d, 'bad-out');
  await assert.rejects(
    main(['inpaint', '--model', model, '--input', bad, '--mask', 'center', '--out', out2, ...quick]),
    userError(/cannot decode '.*x\.png'/),
  );
  await assert.rejects(
    main([
      'inpaint',
      '--model',
      model,
      '--input',
      path.join(inp, 'broken.png'),
      '--mask',
      'center',
      '--out',
      out2,
      ...quick,
    ]),
    userError(/cannot decode '.*broken\.png'/),
  );
  assert.ok(!fs.existsSync(out2));
});

test("31.6 batch --help lists --window once (the search window) and the queue's own --in-flight; batch --window sets the search window", async () => {
  const logs: string[] = [];
  const log = console.log;
  console.log = (s: string) => logs.push(s);
  try {
    await main(['batch', '--help']);
  } finally {
    console.log = log;
  }
  const h = logs.join('\n');
  assert.equal(h.match(/^ +--window /gm)?.length, 1, h);
  assert.match(h, /^ +--window N +importance-weight window/m);
  assert.match(h, /^ +--in-flight N +chunks on the queue at once from this batch/m);
  const inp = await folder('win', 1);
  const out = path.join(d, 'win-out');
  assert.equal(
    await main([
      'batch',
      '--model',
      model,
      '--input',
      inp,
      '--mask',
      'center',
      '--out',
      out,
      '--window',
      '5',
      '--backend',
      'cpu',
      ...quick,
    ]),
    0,
  );
  assert.equal(summaryOf(out).options.window, 5);
  await assert.rejects(
    main(['batch', '--model', model, '--input', inp, '--mask', 'center', '--out', out, '--in-flight', '4']),
    userError(/^batch: --in-flight needs --redis$/),
  );
});

test('30.9 a negative number meets the option\'s bound, not "argument is ambiguous"', async () => {
  const run = (...a: string[]) =>
    main([
      'inpaint',
      '--model',
      model,
      '--input',
      path.join(d, 'no.png'),
      '--mask',
      'center',
      '--out',
      path.join(d, 'neg'),
      ...a,
    ]);
  // (0 iterations is allowed: the encoder's one-pass fill.)
  await assert.rejects(run('--iters', '-5'), userError(/^inpaint: --iters must be ≥ 0, got -5$/));
  await assert.rejects(run('--restarts', '-2'), userError(/^inpaint: --restarts must be ≥ 1, got -2$/));
  await assert.rejects(run('--lambda', '-0.5'), userError(/--lambda must be ≥ 0, got -0\.5/));
  await assert.rejects(run('--max-pixels', '-1'), userError(/^--max-pixels must be an integer ≥ 1, got '-1'$/));
  await assert.rejects(main(['serve', '--port', '-1']), userError(/^--port must be an integer ≥ 0, got '-1'$/));
  await assert.rejects(
    main(['train', '--iters', '-5', '--dry-run']),
    userError(/iters: Number must be greater than or equal to 1, got -5/),
  );
  // A value that is not a number still reads as a missing value.
  await assert.rejects(run('--iters', '--mask'), userError(/--iters needs a value|ambiguous/));
});

test('30.8 worker --concurrency and serve --max-running are bounded by the machine, one line naming the bound', async () => {
  await assert.rejects(
    main(['worker', '--redis', 'redis://127.0.0.1:1', '--model', model, '--concurrency', '100000']),
    userError(/^--concurrency must be ≤ \d+ on this machine \(.*\), got 100000$/),
  );
  await assert.rejects(
    main(['serve', '--model', model, '--max-running', '100000', '--port', '0']),
    userError(/^--max-running must be ≤ \d+ on this machine \(.*\), got 100000$/),
  );
  // The bound: cores × 4 or what half the memory holds, whichever is smaller; at least 1.
  const GB = 2 ** 30;
  assert.deepEqual(threadBound({ cores: 2, totalBytes: 24 * GB }).max, 8);
  const mem = threadBound({ cores: 64, totalBytes: 4 * GB });
  assert.ok(mem.max < 64 * 4 && mem.max >= 1, String(mem.max));
  assert.match(mem.why, /memory/);
  assert.match(threadBound({ cores: 2, totalBytes: 24 * GB }).why, /2 cores/);
  assert.equal(threadBound({ cores: 1, totalBytes: 0.1 * GB }).max, 1);
});
