import { test } from 'node:test';
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
import { INIT_DEFAULTS } from '../encoder/init.js';
import { testBackend } from '../testing/fixtures.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-enc-cli-'));
const userError = (re: RegExp) => (e: Error) =>
  e instanceof UserError && re.test(e.message) && !e.message.includes('\n');

/** Run the CLI with stderr/stdout captured: [exit code, text]. */
async function run(argv: string[]): Promise<[number, string]> {
  const out: string[] = [];
  const w = process.stderr.write.bind(process.stderr),
    log = console.log;
  process.stderr.write = ((s: string) => {
    out.push(String(s));
    return true;
  }) as typeof process.stderr.write;
  console.log = (s: string) => out.push(`${s}\n`);
  try {
    return [await main(argv), out.join('')];
  } finally {
    process.stderr.write = w;
    console.log = log;
  }
}

async function tinyModel(dir: string, seed = 0): Promise<string> {
  const config = resolveConfig({ data: 'fashion-mnist', size: 28, channels: 1, nz: 4, gWidth: 2, dWidth: 2, seed });
  const m = buildModels('dcgan', { ...config });
  const ck = path.join(dir, 'model');
  await saveCheckpoint(ck, { ...m, manifest: { step: 0, seed: 0, config } });
  disposeModel(m);
  return ck;
}

test('inpaint --init: encoder without one is a clear error, auto falls back with a notice, a bad kind is named', async () => {
  await testBackend();
  const d = tmp();
  const model = await tinyModel(d);
  const img = path.join(d, 'a.png');
  fs.writeFileSync(
    img,
    await encodePng({ data: new Float32Array(28 * 28).fill(0.4), n: 1, height: 28, width: 28, channels: 1 }),
  );
  const out = path.join(d, 'out');
  const args = ['inpaint', '--model', model, '--input', img, '--mask', 'center', '--iters', '2', '--backend', 'cpu'];
  await assert.rejects(
    main([...args, '--out', out, '--init', 'encoder']),
    userError(
      /--init encoder: model '.*model' has no encoder \(looked in .*model\/encoder\); train one with `wgan-inpaint train-encoder/,
    ),
  );
  await assert.rejects(
    main([...args, '--out', out, '--init', 'best']),
    userError(/--init must be auto or encoder or random, got "best"/),
  );
  await assert.rejects(
    main([...args, '--out', out, '--encoder', path.join(d, 'nothing')]),
    userError(/encoder folder .* does not exist/),
  );
  assert.ok(!fs.existsSync(out), 'no output after errors');
  const [code, text] = await run([...args, '--out', out]);
  assert.equal(code, 0);
  assert.equal(text.split('\n').filter((l) => /^notice: start:/.test(l)).length, 1, text);
  assert.match(text, /notice: start: random z, model '.*' has no encoder at .*model\/encoder/);
  const s = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.equal(s.start, 'random');
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
  await assert.rejects(
    main(['train-encoder', '--model', 'no-such-model', '--out', runDir]),
    userError(/unknown model 'no-such-model'/),
  );
  await assert.rejects(
    main([
      'train-encoder',
      '--model',
      model,
      '--out',
      runDir,
      '--recon-weight',
      '0',
      '--context-weight',
      '0',
      '--latent-weight',
      '0',
    ]),
    userError(/every loss weight is 0/),
  );
  const [c1, log] = await run([
    'train-encoder',
    '--model',
    model,
    '--out',
    runDir,
    '--iters',
    '2',
    '--batch',
    '2',
    '--val-n',
    '5',
    '--limit',
    '8',
    '--backend',
    'cpu',
    '--install',
  ]);
  assert.equal(c1, 0, log);
  assert.match(log, /done at step 2/);
  assert.match(log, /installed .*enc\/encoder → .*model\/encoder/);
  assert.deepEqual(
    fs.readdirSync(path.join(model, 'encoder')).sort(),
    ['manifest.json', 'model.json', 'weights.bin'],
    'installed without optimizer state',
  );
  const man = JSON.parse(fs.readFileSync(path.join(model, 'encoder', 'manifest.json'), 'utf8'));
  assert.match(man.command, /^wgan-inpaint train-encoder --model /);
  assert.match(man.generator.digest, /^sha256:/);

  const img = path.join(d, 'a.png');
  fs.writeFileSync(
    img,
    await encodePng({
      data: Float32Array.from({ length: 28 * 28 }, (_, i) => (i % 28) / 28),
      n: 1,
      height: 28,
      width: 28,
      channels: 1,
    }),
  );
  const out = path.join(d, 'out');
  const [c2, text] = await run([
    'inpaint',
    '--model',
    model,
    '--input',
    img,
    '--mask',
    'center',
    '--out',
    out,
    '--iters',
    '3',
    '--backend',
    'cpu',
  ]);
  assert.equal(c2, 0);
  assert.match(text, /notice: start: the encoder in .*model\/encoder/);
  const s = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.equal(s.start, 'encoder');
  assert.equal(s.options.iters, 3, 'a given --iters wins');
  assert.equal(s.options.restarts, INIT_DEFAULTS.encoder.restarts, "the encoder's default restarts");

  const ev = path.join(d, 'eval');
  const [c3] = await run([
    'eval',
    '--model',
    model,
    '--limit',
    '10',
    '--n',
    '2',
    '--iters',
    '2',
    '--encoder-iters',
    '1',
    '--masks',
    'center',
    '--no-classifier',
    '--out',
    ev,
    '--backend',
    'cpu',
  ]);
  assert.equal(c3, 0);
  const r = JSON.parse(fs.readFileSync(path.join(ev, 'results.json'), 'utf8'));
  for (const m of ['wgan', 'wgan-encoder-only', 'wgan-encoder', 'telea'])
    assert.ok(Number.isFinite(r.results.center[m].secondsPerImage), m);
  assert.match(r.encoder, /model\/encoder$/);
  // `all` with an encoder: the default search first, every other method paired with it.
  assert.equal(Object.keys(r.results.center)[0], 'wgan-encoder');
  assert.equal(r.results.center.wgan.paired.reference, 'wgan-encoder');
});

test('an encoder for another generator: --encoder and --init encoder refuse it, auto falls back with a notice saying why', async () => {
  await testBackend();
  const d = tmp();
  const a = await tinyModel(path.join(d, 'a'));
  const runDir = path.join(d, 'enc');
  const [c1, log] = await run([
    'train-encoder',
    '--model',
    a,
    '--out',
    runDir,
    '--iters',
    '1',
    '--batch',
    '2',
    '--val-n',
    '2',
    '--limit',
    '4',
    '--backend',
    'cpu',
  ]);
  assert.equal(c1, 0, log);
  // Another generator of the same shape (other seed) with that encoder in its folder.
  const b = await tinyModel(path.join(d, 'b'), 7);
  fs.cpSync(path.join(runDir, 'encoder'), path.join(b, 'encoder'), { recursive: true });
  const img = path.join(d, 'x.png');
  fs.writeFileSync(
    img,
    await encodePng({ data: new Float32Array(28 * 28).fill(0.4), n: 1, height: 28, width: 28, channels: 1 }),
  );
  const args = [
    'inpaint',
    '--model',
    b,
    '--input',
    img,
    '--mask',
    'center',
    '--iters',
    '1',
    '--restarts',
    '1',
    '--backend',
    'cpu',
  ];
  const stale =
    /encoder '.*' was trained for another generator \(digest [0-9a-f]{12}….*\) than model '.*b\/model' \(digest [0-9a-f]{12}…\)/;
  await assert.rejects(main([...args, '--out', path.join(d, 'o1'), '--init', 'encoder']), userError(stale));
  await assert.rejects(main([...args, '--out', path.join(d, 'o2'), '--encoder', runDir]), userError(stale));
  await assert.rejects(
    main([
      'eval',
      '--model',
      b,
      '--encoder',
      runDir,
      '--n',
      '1',
      '--limit',
      '4',
      '--methods',
      'wgan-encoder-only',
      '--masks',
      'center',
      '--no-classifier',
      '--out',
      path.join(d, 'ev'),
      '--backend',
      'cpu',
    ]),
    userError(stale),
  );
  const [c2, text] = await run([...args, '--out', path.join(d, 'o3')]);
  assert.equal(c2, 0, text);
  assert.match(
    text,
    /notice: start: random z .*the model's encoder is not used: encoder .* was trained for another generator/,
  );
});
