/**
 * Input files are read only when they are regular files within the byte limit, checked with fstat
 * before a byte is read (issue #30 item 8): /dev/zero, a FIFO or a huge file as an image or a mask is
 * one error line and a non-zero exit at once, on every path that reads files for inpainting (the
 * `inpaint` and `batch` commands, `inpaintFiles`, `readImage`/`readMask`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { encodePng, readImage, readMask, readInputFile, DEFAULT_MAX_BYTES } from './image.js';
import { prepareInpaintFiles } from '../inpaint/files_node.js';
import { runBatch } from '../queue/batch.js';
import { resolveInpaintOptions } from '../inpaint/options.js';
import { UserError } from '../util/errors.js';
import { runCli } from '../testing/measure.js';
import { makeTinyModel, testImage } from '../testing/server_fixture.js';
import { testBackend } from '../testing/fixtures.js';

const userError = (re: RegExp) => (e: Error) =>
  e instanceof UserError && re.test(e.message) && !e.message.includes('\n');
let d = '';
let model = '';
let good = '';
let fifo = '';
let sparse = '';

before(async () => {
  await testBackend();
  d = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-inputs-'));
  model = await makeTinyModel(path.join(d, 'model'));
  good = path.join(d, 'good.png');
  fs.writeFileSync(good, await encodePng(testImage()));
  // Named .png so nothing refuses it by its name; nobody ever opens it for writing, so a read would hang.
  fifo = path.join(d, 'fifo.png');
  const r = spawnSync('mkfifo', [fifo]);
  assert.equal(r.status, 0, `mkfifo: ${r.stderr}`);
  // 1.5 GB declared, no block allocated: reading it would cost 1.5 GB of memory.
  sparse = path.join(d, 'huge.png');
  fs.writeFileSync(sparse, '');
  fs.truncateSync(sparse, 1_500_000_000);
});
after(() => fs.rmSync(d, { recursive: true, force: true }));

const inpaint = (...a: string[]) =>
  runCli(['inpaint', '--model', model, '--iters', '2', '--restarts', '1', '--backend', 'cpu', ...a], 120_000);

/** One error line, exit 2, and a peak memory far below what reading a 1.5 GB file would take. */
function refused(r: ReturnType<typeof runCli>, re: RegExp): void {
  assert.equal(r.status, 2, `status ${r.status}: ${r.stderr}`);
  assert.ok(!/^\s+at /m.test(r.stderr), r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, re);
  assert.ok(r.maxRssMB < 600, `peak RSS ${r.maxRssMB.toFixed(0)} MB`);
}

test('8. inpaint: /dev/zero, a FIFO or a 1.5 GB file as image or mask is one line and exit 2, nothing read', () => {
  const out = path.join(d, 'o-cli');
  refused(
    inpaint('--input', '/dev/zero', '--mask', 'center', '--out', out),
    /^wgan-inpaint: error: image '\/dev\/zero' is not a regular file \(it is a character device\)$/,
  );
  refused(
    inpaint('--input', good, '--mask', '/dev/zero', '--out', out),
    /^wgan-inpaint: error: mask '\/dev\/zero' is not a regular file \(it is a character device\)$/,
  );
  refused(
    inpaint('--input', fifo, '--mask', 'center', '--out', out),
    /^wgan-inpaint: error: image '.*fifo\.png' is not a regular file \(it is a FIFO\)$/,
  );
  refused(
    inpaint('--input', good, '--mask', fifo, '--out', out),
    /^wgan-inpaint: error: mask '.*fifo\.png' is not a regular file \(it is a FIFO\)$/,
  );
  refused(
    inpaint('--input', sparse, '--mask', 'center', '--out', out),
    /^wgan-inpaint: error: image '.*huge\.png' is 1\.5 GB, over the limit of 256 MB \(--max-bytes 256000000\)$/,
  );
  refused(
    inpaint('--input', good, '--mask', sparse, '--out', out),
    /^wgan-inpaint: error: mask '.*huge\.png' is 1\.5 GB, over the limit of 256 MB \(--max-bytes 256000000\)$/,
  );
  // The limit is the caller's.
  const size = fs.statSync(good).size;
  refused(
    inpaint('--input', good, '--mask', 'center', '--out', out, '--max-bytes', String(size - 1)),
    new RegExp(
      `image '.*good\\.png' is ${size} bytes, over the limit of ${size - 1} bytes \\(--max-bytes ${size - 1}\\)$`,
    ),
  );
  refused(
    inpaint('--input', good, '--mask', 'center', '--out', out, '--max-bytes', '0'),
    /--max-bytes must be an integer ≥ 1, got '0'/,
  );
  assert.ok(!fs.existsSync(out));
  const ok = inpaint('--input', good, '--mask', 'center', '--out', out, '--max-bytes', String(size));
  assert.equal(ok.status, 0, ok.stderr);
});

test('8. the library: readImage, readMask and inpaintFiles refuse the same files before reading them', async () => {
  assert.equal(DEFAULT_MAX_BYTES, 256_000_000);
  await assert.rejects(
    readImage('/dev/zero'),
    userError(/^image '\/dev\/zero' is not a regular file \(it is a character device\)$/),
  );
  await assert.rejects(readMask(fifo), userError(/^mask '.*fifo\.png' is not a regular file \(it is a FIFO\)$/));
  await assert.rejects(readImage(sparse), userError(/^image '.*huge\.png' is 1\.5 GB, over the limit of 256 MB/));
  await assert.rejects(
    readImage(good, { maxBytes: 10 }),
    userError(/is \d+ bytes, over the limit of 10 bytes \(--max-bytes 10\)/),
  );
  await assert.rejects(readImage(d), userError(/^cannot read image '.*': it is a folder$/));
  assert.throws(
    () => readInputFile(path.join(d, 'nope.png'), 'image'),
    userError(/^cannot read image '.*nope\.png': .*ENOENT/),
  );
  const out = path.join(d, 'o-lib');
  await assert.rejects(
    prepareInpaintFiles({ input: fifo, mask: 'center', out }),
    userError(/image '.*fifo\.png' is not a regular file/),
  );
  await assert.rejects(
    prepareInpaintFiles({ input: good, mask: '/dev/zero', out }),
    userError(/mask '\/dev\/zero' is not a regular file/),
  );
  await assert.rejects(
    prepareInpaintFiles({ input: good, mask: sparse, out }),
    userError(/mask '.*huge\.png' is 1\.5 GB, over the limit of 256 MB/),
  );
  await assert.rejects(
    prepareInpaintFiles({ input: good, mask: 'center', out, maxBytes: 5 }),
    userError(/over the limit of 5 bytes/),
  );
  assert.ok(!fs.existsSync(out));
});

test('8. batch: a FIFO or an over-limit file as the mask is one error; as an image it fails alone, named', async () => {
  const options = resolveInpaintOptions({ iters: 2, restarts: 1 });
  const out = path.join(d, 'o-batch');
  await assert.rejects(
    runBatch({ input: good, mask: fifo, out, model, options, backend: 'cpu' }),
    userError(/mask '.*fifo\.png' is not a regular file \(it is a FIFO\)/),
  );
  await assert.rejects(
    runBatch({ input: good, mask: sparse, out, model, options, backend: 'cpu' }),
    userError(/mask '.*huge\.png' is 1\.5 GB, over the limit of 256 MB/),
  );
  const r = await runBatch({ input: fifo, mask: 'center', out, model, options, backend: 'cpu' });
  assert.equal(r.failed, 1);
  assert.match(r.images[0]!.reason!, /^image '.*fifo\.png' is not a regular file \(it is a FIFO\)$/);
  const big = await runBatch({
    input: good,
    mask: 'center',
    out: path.join(d, 'o-batch2'),
    model,
    options,
    backend: 'cpu',
    maxBytes: 100,
  });
  assert.match(big.images[0]!.reason!, /is \d+ bytes, over the limit of 100 bytes \(--max-bytes 100\)$/);
  // The binary: the same lines, and batch --help names the limit.
  const cli = runCli(
    ['batch', '--model', model, '--input', good, '--mask', '/dev/zero', '--out', out, '--backend', 'cpu'],
    120_000,
  );
  refused(cli, /^wgan-inpaint: error: mask '\/dev\/zero' is not a regular file \(it is a character device\)$/);
  for (const cmd of ['inpaint', 'batch'])
    assert.match(runCli([cmd, '--help']).stdout, /--max-bytes N .*\n[\s\S]*\[default: 256000000\]/);
});
