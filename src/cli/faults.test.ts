/**
 * Small CLI faults found by trying the tool as a new user (issue #15, item 6): typos get a "did you
 * mean", parse errors are in our words, printed folders have no double slash, `serve --run DIR`
 * serves the run's model, `serve --encoder` misuse is one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main, closest, editDistance } from './run.js';
import { UserError } from '../util/errors.js';
import { shownDir } from '../io/paths.js';
import { makeTinyModel } from '../testing/server_fixture.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'main.js');
const userError = (re: RegExp) => (e: Error) =>
  e instanceof UserError && re.test(e.message) && !e.message.includes('\n');

test('a mistyped flag or command gets "did you mean"; parse errors are one line in our words', async () => {
  await assert.rejects(
    main(['inpaint', '--itres', '3']),
    userError(/^inpaint: unknown option --itres; did you mean --iters\?/),
  );
  await assert.rejects(main(['train', '--g-widht', '3']), userError(/did you mean --g-width\?/));
  await assert.rejects(main(['inpaint', '--zzzzzz']), userError(/^inpaint: unknown option --zzzzzz \(see --help\)$/));
  await assert.rejects(main(['inpiant']), userError(/unknown command 'inpiant'; did you mean 'inpaint'\?/));
  await assert.rejects(main(['inpaint', '--iters']), userError(/^inpaint: --iters needs a value$/));
  await assert.rejects(main(['train', '--dry-run=3']), userError(/^train: --dry-run is a switch and takes no value$/));
  const r = spawnSync(process.execPath, [CLI, 'inpaint', '--itres', '3'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('edit distance counts a swap of neighbours as one edit; closest() only suggests near misses', () => {
  assert.equal(editDistance('itres', 'iters'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(closest('prot', ['port', 'host', 'model']), 'port');
  assert.equal(closest('xyz', ['port', 'host']), undefined);
});

test('folders print with one slash whatever was typed', () => {
  assert.equal(shownDir('out'), 'out/');
  assert.equal(shownDir('out/'), 'out/');
  assert.equal(shownDir('a/b//'), 'a/b/');
  assert.equal(shownDir('/'), '/');
});

test("serve --run DIR alone serves the run's newest checkpoint as a model", async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-serve-run-'));
  const run = path.join(tmp, 'myrun');
  await makeTinyModel(path.join(run, 'checkpoints', 'iter-0000001'));
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--port', '0', '--run', run, '--backend', 'cpu', '--max-running', '1'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '',
        err = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b;
        const m = /serving on (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.stderr.on('data', (b: Buffer) => (err += b));
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    const models = (await (await fetch(`${url}/api/models`)).json()) as
      | { models?: { name: string }[] }
      | { name: string }[];
    const names = (Array.isArray(models) ? models : (models.models ?? [])).map((m) => m.name);
    assert.equal(names[0], 'myrun', JSON.stringify(models));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('serve --encoder with several models, or a folder without an encoder: one error line, exit 2', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-serve-enc-'));
  try {
    const a = await makeTinyModel(path.join(tmp, 'a'));
    const b = await makeTinyModel(path.join(tmp, 'b'));
    for (const [args, re] of [
      [
        ['--model', a, '--model', b, '--encoder', a],
        /^wgan-inpaint: error: serve: --encoder is for one model, but 2 would be served/,
      ],
      [['--model', a, '--encoder', b], /^wgan-inpaint: error: '.*b\/manifest.json' is not an encoder manifest/],
    ] as const) {
      const r = spawnSync(process.execPath, [CLI, 'serve', '--port', '0', '--backend', 'cpu', ...args], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, re);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
