import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from './run.js';
import { readMask } from '../io/image.js';
import { UserError } from '../util/errors.js';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-mask-cli-'));
}

/** Run the CLI with console.log captured (tests print nothing). */
async function run(
  t: { mock: { method: (o: object, m: string, f: (...a: unknown[]) => void) => unknown } },
  argv: string[],
): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  t.mock.method(console, 'log', (...a: unknown[]) => {
    lines.push(a.join(' '));
  });
  const code = await main(argv);
  return { code, out: lines.join('\n') };
}

test('mask --kind center writes a PNG whose hole is the central square', async (t) => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'center.png');
    const { code, out } = await run(t, ['mask', '--kind', 'center', '--size', '8', '--out', file]);
    assert.equal(code, 0);
    assert.match(out, /hole fraction 0\.2500/);
    const m = await readMask(file);
    assert.equal(m.height, 8);
    assert.equal(m.width, 8);
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++)
        assert.equal(m.data[y * 8 + x], y >= 2 && y < 6 && x >= 2 && x < 6 ? 0 : 1, `(${y},${x})`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('mask --invert, --height/--width and --ratio', async (t) => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'sub', 'left.png');
    const { code, out } = await run(t, [
      'mask',
      '--kind',
      'left',
      '--height',
      '3',
      '--width',
      '4',
      '--invert',
      '--out',
      file,
    ]);
    assert.equal(code, 0);
    assert.match(out, /hole fraction 0\.5000/);
    const m = await readMask(file);
    // left = left half missing; inverted → right half missing.
    assert.deepEqual([...m.data], [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]);
    const file2 = path.join(dir, 'c.png');
    await run(t, ['mask', '--kind', 'center', '--size', '16', '--ratio', '0.5625', '--out', file2]);
    const m2 = await readMask(file2);
    assert.equal(m2.data.filter((v) => v === 0).length, 144);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('mask --seed: same seed same PNG, other seed another', async (t) => {
  const dir = tempDir();
  try {
    const files = ['a', 'b', 'c'].map((n) => path.join(dir, `${n}.png`));
    await run(t, ['mask', '--kind', 'strokes', '--size', '32', '--seed', '3', '--out', files[0]!]);
    await run(t, ['mask', '--kind', 'strokes', '--size', '32', '--seed', '3', '--out', files[1]!]);
    await run(t, ['mask', '--kind', 'strokes', '--size', '32', '--seed', '4', '--out', files[2]!]);
    const [a, b, c] = await Promise.all(files.map((f) => readMask(f)));
    assert.deepEqual(a!.data, b!.data);
    assert.notDeepEqual(a!.data, c!.data);
    const holes = a!.data.filter((v) => v === 0).length / a!.data.length;
    assert.ok(holes > 0.2 && holes < 0.32, `strokes hole fraction ${holes}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('mask --help lists every kind and the defaults', async (t) => {
  const { code, out } = await run(t, ['mask', '--help']);
  assert.equal(code, 0);
  for (const k of ['center', 'random', 'left', 'right', 'top', 'bottom', 'half', 'pattern', 'grid', 'rects', 'strokes'])
    assert.match(out, new RegExp(`\\b${k}\\b`));
  assert.match(out, /default: 0\.25/);
  assert.match(out, /default: 0\.8/);
  assert.match(out, /default: 4/);
});

test('bad input → UserError with one line', async (t) => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'x.png');
    const bad: [string[], RegExp][] = [
      [['mask', '--kind', 'blob', '--size', '8', '--out', file], /unknown mask kind 'blob'.*center/],
      [
        ['mask', '--kind', 'center', '--size', '0', '--out', file],
        /^--size must be an integer in \[1, 4096\], got '0'$/,
      ],
      [
        ['mask', '--kind', 'center', '--size', '4097', '--out', file],
        /^--size must be an integer in \[1, 4096\], got '4097'$/,
      ],
      [['mask', '--kind', 'center', '--size', '2.5', '--out', file], /--size/],
      [['mask', '--kind', 'center', '--size', 'abc', '--out', file], /--size/],
      [['mask', '--kind', 'center', '--size', '8'], /--out/],
      [['mask', '--size', '8', '--out', file], /--kind is required/],
      [['mask', '--kind', 'center', '--ratio', '2', '--out', file], /ratio/],
      [['mask', '--kind', 'center', '--seed', 'x', '--out', file], /--seed/],
      [['mask', '--kind', 'center', '--seed', '-1', '--out', file], /^--seed must be an integer ≥ 0, got '-1'$/],
      [['mask', '--kind', 'center', '--bogus', '--out', file], /bogus/],
    ];
    for (const [argv, re] of bad) {
      await assert.rejects(
        run(t, argv),
        (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'),
        argv.join(' '),
      );
    }
    assert.equal(fs.existsSync(file), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
