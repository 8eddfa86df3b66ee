import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from './run.js';
import { UserError } from '../util/errors.js';
import { buildModels } from '../models/index.js';
import { saveCheckpoint } from '../train/checkpoint.js';
import { resolveConfig } from '../config/config.js';
import { encodePng, readImage } from '../io/image.js';
import { testBackend } from '../testing/fixtures.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'main.js');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-cli-'));
const userError = (re: RegExp) => (e: Error) =>
  e instanceof UserError && re.test(e.message) && !e.message.includes('\n');

test('the binary prints one error line and exits 2 on bad input', () => {
  const r = spawnSync(
    process.execPath,
    [CLI, 'train', '--data', '/nonexistent/folder', '--out', path.join(tmp(), 'r'), '--backend', 'cpu'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 2);
  // Informational lines (the backend) may come first; the error is one line, and the last.
  const errors = r.stderr
    .trim()
    .split('\n')
    .filter((l) => /error/i.test(l));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(r.stderr.trim().split('\n').at(-1)!, /^wgan-inpaint: error: .*\/nonexistent\/folder/);
  const u = spawnSync(process.execPath, [CLI, 'bogus'], { encoding: 'utf8' });
  assert.equal(u.status, 2);
  assert.match(u.stderr, /unknown command 'bogus' \(valid: .*train/);
});

test('train: bad input is rejected with a clear message', async () => {
  const out = path.join(tmp(), 'run');
  const empty = tmp();
  await assert.rejects(
    main(['train', '--data', 'no-such-dataset', '--out', out, '--backend', 'cpu']),
    userError(/unknown dataset 'no-such-dataset'/),
  );
  await assert.rejects(main(['train', '--data', empty, '--out', out, '--backend', 'cpu']), userError(/no images/));
  await assert.rejects(main(['train', '--size', '48', '--out', out]), userError(/size/));
  await assert.rejects(main(['train', '--loss', 'hinge', '--out', out]), userError(/loss/));
  await assert.rejects(
    main(['train', '--model', 'unet', '--data', 'fashion-mnist', '--limit', '8', '--out', out, '--backend', 'cpu']),
    userError(/unknown model 'unet' \(valid: dcgan, mlp\)/),
  );
  await assert.rejects(main(['train', '--iters', 'ten', '--out', out]), userError(/--iters must be an integer/));
  await assert.rejects(main(['train', '--bogus', '1']), userError(/bogus/));
  await assert.rejects(main(['train', '--backend', 'quantum', '--out', out]), userError(/unknown backend 'quantum'/));
  await assert.rejects(main(['train']), userError(/--out/));
  assert.ok(!fs.existsSync(path.join(out, 'checkpoints')));
});

test('train --dry-run: gan and mlp resolve to their presets and widths', async () => {
  const logs: string[] = [];
  const orig = console.log;
  console.log = (s: string) => logs.push(s);
  try {
    assert.equal(await main(['train', '--dry-run', '--loss', 'gan', '--model', 'mlp']), 0);
  } finally {
    console.log = orig;
  }
  const t = logs.join('\n');
  assert.match(t, /lr\s+0\.0002\n/);
  assert.match(t, /beta2\s+0\.999\n/);
  assert.match(t, /nCritic\s+1\n/);
  assert.match(t, /gWidth\s+512\n/, 'the mlp default width is not marked as changed');
  assert.match(t, /criticNorm\s+"batch"/);
});

test('experiment: help, and bad input rejected in one line before anything runs', async () => {
  const logs: string[] = [];
  const orig = console.log;
  console.log = (s: string) => logs.push(s);
  try {
    assert.equal(await main(['experiment', 'claims', '--help']), 0);
    assert.equal(await main(['train', '--help']), 0);
  } finally {
    console.log = orig;
  }
  const [eh, th] = logs;
  for (const s of [
    '--losses',
    '--models',
    '--seeds',
    '--iters',
    '--estimate',
    'report.md',
    'not a\nWasserstein estimate',
    '[default: dcgan 32, mlp 512]',
  ])
    assert.ok(eh!.includes(s), s);
  assert.match(th!, /--model dcgan\|mlp/);
  assert.match(th!, /--loss wgan\|wgan-gp\|gan/);
  assert.match(th!, /not a Wasserstein estimate/);
  assert.match(th!, /from the model: dcgan 64, mlp 512/);
  const out = path.join(tmp(), 'exp');
  await assert.rejects(main(['experiment']), userError(/missing experiment name \(valid: claims\)/));
  await assert.rejects(main(['experiment', 'fairness', '--out', out]), userError(/unknown experiment 'fairness'/));
  await assert.rejects(main(['experiment', 'claims']), userError(/--out DIR is required/));
  await assert.rejects(
    main(['experiment', 'claims', '--out', out, '--losses', 'wgan,hinge']),
    userError(/--losses: unknown loss 'hinge'/),
  );
  await assert.rejects(
    main(['experiment', 'claims', '--out', out, '--seeds', 'two']),
    userError(/--seeds must be an integer/),
  );
  await assert.rejects(
    main(['experiment', 'claims', '--out', out, '--data', 'mnist']),
    userError(/no shipped classifier/),
  );
  assert.ok(!fs.existsSync(out), 'nothing written');
});

test('train --dry-run prints the resolved config with non-defaults marked', async () => {
  const logs: string[] = [];
  const orig = console.log;
  console.log = (s: string) => logs.push(s);
  try {
    assert.equal(await main(['train', '--dry-run', '--iters', '7', '--loss', 'wgan']), 0);
  } finally {
    console.log = orig;
  }
  assert.match(logs.join('\n'), /iters\s+7\s+\[default: 5000\]/);
  assert.match(logs.join('\n'), /optimizer\s+"rmsprop"/);
});

async function tinyModel(dir: string, channels: 1 | 3 = 1): Promise<string> {
  const config = resolveConfig({ size: 28, channels, nz: 4, gWidth: 2, dWidth: 2 });
  const m = buildModels('dcgan', { ...config });
  const ck = path.join(dir, 'model');
  await saveCheckpoint(ck, { ...m, manifest: { step: 0, seed: 0, config } });
  return ck;
}

test('inpaint: outputs per image, other sizes brought back, known pixels untouched', async () => {
  await testBackend();
  const d = tmp();
  const model = await tinyModel(d);
  const inp = path.join(d, 'in');
  fs.mkdirSync(inp);
  const grad = (h: number, w: number) => ({
    data: Float32Array.from({ length: h * w }, (_, i) => (i % w) / w),
    n: 1,
    height: h,
    width: w,
    channels: 1,
  });
  fs.writeFileSync(path.join(inp, 'small.png'), await encodePng(grad(28, 28)));
  fs.writeFileSync(path.join(inp, 'big.png'), await encodePng(grad(40, 60)));
  const out = path.join(d, 'out');
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
      out,
      '--iters',
      '3',
      '--restarts',
      '1',
      '--progress-every',
      '1',
    ]),
    0,
  );
  const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.images.length, 2);
  for (const name of ['small', 'big']) {
    for (const f of ['input', 'mask', 'masked', 'raw', 'composite', 'blended', 'side_by_side'])
      assert.ok(fs.existsSync(path.join(out, name, `${f}.png`)), `${name}/${f}`);
    assert.ok(fs.existsSync(path.join(out, name, 'progress.gif')));
  }
  const input = await readImage(path.join(out, 'big', 'input.png'));
  const blended = await readImage(path.join(out, 'big', 'blended.png'));
  const mask = await readImage(path.join(out, 'big', 'mask.png'));
  assert.equal(blended.width, 60);
  assert.equal(blended.height, 40);
  let holeDiff = 0;
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i]! < 0.5)
      assert.equal(blended.data[i], input.data[i]); // mask.png: white = hole
    else holeDiff += Math.abs(blended.data[i]! - input.data[i]!);
  }
  assert.ok(holeDiff > 0);
  assert.equal(summary.images.find((x: { output: string }) => x.output === 'big').resized, true);
});

test('inpaint: bad input → clear error and no partial output', async () => {
  const d = tmp();
  const model = await tinyModel(d);
  const good = path.join(d, 'good.png');
  fs.writeFileSync(
    good,
    await encodePng({ data: new Float32Array(28 * 28).fill(0.3), n: 1, height: 28, width: 28, channels: 1 }),
  );
  const corrupt = path.join(d, 'corrupt.png');
  fs.writeFileSync(corrupt, 'not a png at all');
  const out = path.join(d, 'out');
  const run = (...a: string[]) => main(['inpaint', '--model', model, '--out', out, '--iters', '1', ...a]);
  await assert.rejects(run('--input', corrupt, '--mask', 'center'), userError(/cannot decode.*corrupt\.png/));
  await assert.rejects(run('--input', path.join(d, 'missing.png'), '--mask', 'center'), userError(/does not exist/));
  await assert.rejects(run('--input', good, '--mask', 'blob'), userError(/neither a mask kind/));
  await assert.rejects(run('--input', good, '--mask', corrupt), userError(/cannot decode mask/));
  await assert.rejects(
    main(['inpaint', '--model', path.join(d, 'nomodel'), '--input', good, '--mask', 'center', '--out', out]),
    userError(/does not exist/),
  );
  await assert.rejects(
    main(['inpaint', '--model', 'no-such-model', '--input', good, '--mask', 'center', '--out', out]),
    userError(/unknown model 'no-such-model'/),
  );
  await assert.rejects(run('--input', good, '--mask', 'center', '--restarts', '0'), userError(/restarts/));
  assert.ok(!fs.existsSync(out), 'no output folder after failures');
});

test('inpaint: a mask with no hole returns the image unchanged; RGB is converted for a grey model', async () => {
  const d = tmp();
  const model = await tinyModel(d);
  const rgb = path.join(d, 'rgb.png');
  fs.writeFileSync(
    rgb,
    await encodePng({
      data: Float32Array.from({ length: 28 * 28 * 3 }, (_, i) => (i % 3) / 2),
      n: 1,
      height: 28,
      width: 28,
      channels: 3,
    }),
  );
  const full = path.join(d, 'full.png');
  // All black: no hole (white = hole).
  fs.writeFileSync(
    full,
    await encodePng({ data: new Float32Array(28 * 28).fill(0), n: 1, height: 28, width: 28, channels: 1 }),
  );
  const out = path.join(d, 'out');
  const errs: string[] = [];
  const w = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => {
    errs.push(String(s));
    return true;
  }) as typeof process.stderr.write;
  try {
    assert.equal(
      await main(['inpaint', '--model', model, '--input', rgb, '--mask', full, '--out', out, '--iters', '2']),
      0,
    );
  } finally {
    process.stderr.write = w;
  }
  assert.match(errs.join(''), /converted to the model's grey/);
  assert.match(errs.join(''), /no unknown pixel; the image is returned unchanged/);
  const a = await readImage(path.join(out, 'rgb', 'input.png')),
    b = await readImage(path.join(out, 'rgb', 'blended.png'));
  assert.deepEqual(Array.from(b.data), Array.from(a.data));
});

test('inpaint: same-named inputs get distinct folders; progress.gif ends on the final result; stray words rejected', async () => {
  await testBackend();
  const d = tmp();
  const model = await tinyModel(d);
  for (const sub of ['x', 'y']) {
    fs.mkdirSync(path.join(d, 'in', sub), { recursive: true });
    fs.writeFileSync(
      path.join(d, 'in', sub, 'a.png'),
      await encodePng({ data: new Float32Array(28 * 28).fill(0.2), n: 1, height: 28, width: 28, channels: 1 }),
    );
  }
  fs.writeFileSync(
    path.join(d, 'in', 'a_1.png'),
    await encodePng({ data: new Float32Array(28 * 28).fill(0.8), n: 1, height: 28, width: 28, channels: 1 }),
  );
  const out = path.join(d, 'out');
  assert.equal(
    await main([
      'inpaint',
      '--model',
      model,
      '--input',
      path.join(d, 'in'),
      '--mask',
      'center',
      '--out',
      out,
      '--iters',
      '5',
      '--restarts',
      '1',
      '--progress-every',
      '2',
    ]),
    0,
  );
  const s = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  const outs = s.images.map((x: { output: string }) => x.output);
  assert.equal(new Set(outs).size, 3, `outputs ${outs}`);
  // frames at iterations 0, 2, 4 and the final 5
  const { default: sharp } = await import('sharp');
  const meta = await sharp(path.join(out, outs[0], 'progress.gif'), { animated: true }).metadata();
  assert.equal(meta.pages, 4);
  await assert.rejects(main(['train', '--dry-run', 'extra']), userError(/unexpected argument 'extra'/));
});

test('inpaint: a bad flag value is one error naming the flag, before any file is read', async () => {
  const d = tmp();
  const out = path.join(d, 'out');
  const run = (...a: string[]) =>
    main([
      'inpaint',
      '--model',
      'no-such-model',
      '--input',
      path.join(d, 'none.png'),
      '--mask',
      'center',
      '--out',
      out,
      ...a,
    ]);
  await assert.rejects(run('--max-bytes', '1.5'), userError(/^--max-bytes must be an integer ≥ 1, got '1\.5'$/));
  await assert.rejects(run('--max-pixels', 'lots'), userError(/^--max-pixels must be an integer ≥ 1, got 'lots'$/));
  await assert.rejects(main(['inpaint', '--model', '', '--input', 'x']), userError(/^inpaint: --model is required$/));
  await assert.rejects(main(['inpaint', '--model', 'm']), userError(/^inpaint: --input is required$/));
  assert.ok(!fs.existsSync(out));
  fs.rmSync(d, { recursive: true, force: true });
});
