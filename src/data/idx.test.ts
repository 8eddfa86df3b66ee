import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIdx } from './idx.js';
import { UserError } from '../util/errors.js';

test('parseIdx reads a hand-built ubyte image file (2 images of 2×3)', () => {
  const bytes = new Uint8Array([
    0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255,
  ]);
  const r = parseIdx(bytes);
  assert.deepEqual(r.dims, [2, 2, 3]);
  assert.ok(r.data instanceof Uint8Array);
  assert.deepEqual([...r.data], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255]);
});

test('parseIdx reads big-endian int32 and float32', () => {
  const i32 = new Uint8Array([0, 0, 0x0c, 1, 0, 0, 0, 2, 0x00, 0x00, 0x01, 0x02, 0xff, 0xff, 0xff, 0xfe]);
  const a = parseIdx(i32);
  assert.deepEqual(a.dims, [2]);
  assert.deepEqual([...a.data], [258, -2]);
  // 1.5f = 0x3FC00000
  const f32 = new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0, 0]);
  assert.deepEqual([...parseIdx(f32).data], [1.5]);
});

test('parseIdx rejects bad magic, unknown types and truncated data', () => {
  assert.throws(() => parseIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0])), UserError);
  assert.throws(() => parseIdx(new Uint8Array([0, 0, 0x42, 1, 0, 0, 0, 0])), /unknown IDX data type/);
  assert.throws(() => parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 5, 1, 2])), /truncated/);
  assert.throws(() => parseIdx(new Uint8Array([0, 0, 8, 2, 0, 0])), /truncated IDX header/);
});
