import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { crc32, zipStore } from './zip.js';

test('crc32 of the standard check string', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test("zipStore writes an archive Python's zipfile reads back byte for byte", () => {
  const files: [string, Uint8Array][] = [
    ['a-inpainted.png', Uint8Array.from([1, 2, 3, 250])],
    ['mask.png', new Uint8Array(1000).map((_, i) => i % 256)],
  ];
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-zip-'));
  const f = path.join(d, 'out.zip');
  fs.writeFileSync(f, zipStore(files));
  const py = `import zipfile,sys,json\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps({n: list(z.read(n)) for n in z.namelist()}))`;
  const got = JSON.parse(execFileSync('python3', ['-c', py, f], { encoding: 'utf8' })) as Record<string, number[]>;
  assert.deepEqual(
    Object.keys(got),
    files.map(([n]) => n),
  );
  for (const [n, b] of files) assert.deepEqual(got[n], Array.from(b));
  fs.rmSync(d, { recursive: true, force: true });
});
