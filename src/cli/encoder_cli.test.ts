import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from './run.js';
import { UserError } from '../util/errors.js';
import { buildModels } from '../models/dcgan.js';
import { saveCheckpoint } from '../train/checkpoint.js';
import { resolveConfig } from '../config/config.js';
import { encodePng } from '../io/image.js';
import { INIT_DEFAULTS } from '../encoder/init.js';
import { testBackend } from '../testing/fixtures.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-enc-cli-'));
const userError = (re: RegExp) => (e: Error) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n');

/** Run the CLI with stderr/stdout captured: [exit code, text]. */
async function run(argv: string[]): Promise<[number, string]> {
  const out: string[] = [];
  const w = process.stderr.write.bind(process.stderr), log = console.log;
  process.stderr.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stderr.write;
  console.log = (s: string) => out.push(`${s}\n`);
  try {
    return [await main(argv), out.join('')];
  } finally {
    process.stderr.write = w;
    console.log = log;
  }
}

async function tinyModel(dir: string): Promise<string> {
  const config = resolveConfig({ data: 'fashion-mnist', size: 28, channels: 1, nz: 4, gWidth: 2, dWidth: 2 });
  const m = buildModels('dcgan', { ...config });
  const ck = path.join(dir, 'model');
  await saveCheckpoint(ck, { ...m, manifest: { step: 0, seed: 0, config } });
  m.generator.dispose();
  m.critic.dispose();
  return ck;
}

test('inpaint --init: encoder without one is a clear error, auto falls back with a notice, a bad kind is named', async () => {
  await testBackend();
  const d = tmp();
  const model = await tinyModel(d);
  const img = path.join(d, 'a.png');
  fs.writeFileSync(img, await encodePng({ data: new Float32Array(28 * 28).fill(0.4), n: 1, height: 28, width: 28, channels: 1 }));
  const out = path.join(d, 'out');
  const args = ['inpaint', '--model', model, '--input', img, '--mask', 'center', '--iters', '2', '--backend', 'cpu'];
  await assert.rejects(main([...args, '--out', out, '--init', 'encoder']), userError(/--init encoder: model '.*model' has no encoder \(looked in .*model\/encoder\); train one with `wgan-inpaint train-encoder/));
  await assert.rejects(main([...args, '--out', out, '--init', 'best']), userError(/--init must be one of auto, encoder, random, got 'best'/));
  await assert.rejects(main([...args, '--out', out, '--encoder', path.join(d, 'nothing')]), userError(/encoder folder .* does not exist/));
  assert.ok(!fs.existsSync(out), 'no output after errors');
  const [code, text] = await run([...args, '--out', out]);
  assert.equal(code, 0);
  assert.equal(text.split('\n').filter((l) => /^notice: start:/.test(l)).length, 1, text);
  assert.match(text, /notice: start: random z, model '.*' has no encoder at .*model\/encoder/);
  const s = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.equal(s.init, 'random');
  assert.equal(s.options.restarts, INIT_DEFAULTS.random.restarts, 'random starts keep their default restarts');
});

test('train-encoder → MODEL/encoder: dry run, training, then inpaint --init auto and eval use it', async () => {
  await testBackend();
  const d = tmp();
  const model = await tinyModel(d);
  const runDir = path.join(d, 'enc');
  const [c0, dry] = await run(['train-encoder', '--model', model, '--out', runDir, '--iters', '7', '--dry-run']);
  assert.equal(c0, 0);
  assert.match(dry, /iters\s+7\s+\[default: 3000\]/);
  assert.match(dry, /width\s+2\n/, "width defaults to the model's critic width");
  assert.ok(!fs.existsSync(runDir), 'a dry run writes nothing');
  await assert.rejects(main(['train-encoder', '--model', model]), userError(/--out RUN_DIR is required/));
  await assert.rejects(main(['train-encoder', '--model', 'no-such-model', '--out', runDir]), userError(/unknown model 'no-such-model'/));
  await assert.rejects(main(['train-encoder', '--model', model, '--out', runDir, '--recon-weight', '0', '--context-weight', '0', '--latent-weight', '0']), userError(/every loss weight is 0/));
  const [c1, log] = await run(['train-encoder', '--model', model, '--out', runDir, '--iters', '2', '--batch', '2', '--val-n', '5', '--limit', '8', '--backend', 'cpu']);
  assert.equal(c1, 0, log);
  assert.match(log, /done at step 2/);
  fs.cpSync(path.join(runDir, 'encoder'), path.join(model, 'encoder'), { recursive: true });

  const img = path.join(d, 'a.png');
  fs.writeFileSync(img, await encodePng({ data: Float32Array.from({ length: 28 * 28 }, (_, i) => (i % 28) / 28), n: 1, height: 28, width: 28, channels: 1 }));
  const out = path.join(d, 'out');
  const [c2, text] = await run(['inpaint', '--model', model, '--input', img, '--mask', 'center', '--out', out, '--iters', '3', '--backend', 'cpu']);
  assert.equal(c2, 0);
  assert.match(text, /notice: start: the encoder in .*model\/encoder/);
  const s = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.equal(s.init, 'encoder');
  assert.equal(s.options.iters, 3, 'a given --iters wins');
  assert.equal(s.options.restarts, INIT_DEFAULTS.encoder.restarts, "the encoder's default restarts");

  const ev = path.join(d, 'eval');
  const [c3] = await run(['eval', '--model', model, '--limit', '10', '--n', '2', '--iters', '2', '--encoder-iters', '1', '--masks', 'center', '--no-classifier', '--out', ev, '--backend', 'cpu']);
  assert.equal(c3, 0);
  const r = JSON.parse(fs.readFileSync(path.join(ev, 'results.json'), 'utf8'));
  for (const m of ['wgan', 'wgan-encoder-only', 'wgan-encoder', 'telea']) assert.ok(Number.isFinite(r.results.center[m].secondsPerImage), m);
  assert.match(r.encoder, /model\/encoder$/);
});
