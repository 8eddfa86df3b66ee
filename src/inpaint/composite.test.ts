import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composite, applyMask } from './composite.js';
import type { ImageBatch, Mask } from '../types.js';
import { UserError } from '../util/errors.js';

const batch = (n: number, h: number, w: number, c: number, values: number[]): ImageBatch => {
  assert.equal(values.length, n * h * w * c);
  return { data: Float32Array.from(values), n, height: h, width: w, channels: c };
};
const mask = (h: number, w: number, values: number[]): Mask => ({
  data: Float32Array.from(values),
  height: h,
  width: w,
});

test('composite takes known pixels from y and hole pixels from g (shared mask, 2 channels)', () => {
  // 1 image, 1x3, 2 channels; middle pixel is the hole.
  const y = batch(1, 1, 3, 2, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
  const g = batch(1, 1, 3, 2, [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]);
  const out = composite(y, g, mask(1, 3, [1, 0, 1]));
  assert.deepEqual([...out.data], [0.1, 0.2, 0.7, 0.6, 0.5, 0.6].map(Math.fround));
  assert.equal(out.n, 1);
  assert.equal(out.channels, 2);
});

test('composite uses one mask per image when given a list', () => {
  const y = batch(2, 1, 2, 1, [0, 0, 0, 0]);
  const g = batch(2, 1, 2, 1, [1, 1, 1, 1]);
  const out = composite(y, g, [mask(1, 2, [0, 1]), mask(1, 2, [1, 0])]);
  assert.deepEqual([...out.data], [1, 0, 0, 1]);
});

test('composite with a soft mask blends linearly', () => {
  const out = composite(batch(1, 1, 1, 1, [0.2]), batch(1, 1, 1, 1, [1]), mask(1, 1, [0.25]));
  assert.ok(Math.abs(out.data[0]! - (0.25 * 0.2 + 0.75 * 1)) < 1e-7);
});

test('composite: shape and mask-count mismatches → UserError', () => {
  const y = batch(1, 1, 2, 1, [0, 0]);
  assert.throws(() => composite(y, batch(1, 2, 1, 1, [0, 0]), mask(1, 2, [1, 1])), UserError);
  assert.throws(() => composite(y, y, mask(2, 1, [1, 1])), UserError);
  assert.throws(() => composite(y, y, [mask(1, 2, [1, 1]), mask(1, 2, [1, 1])]), UserError);
});

test('applyMask fills holes with the flat grey (default 0.5) and leaves known pixels', () => {
  const y = batch(1, 2, 2, 3, [0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3, 0.9, 0.9, 0.9]);
  const m = mask(2, 2, [1, 0, 0, 1]);
  const out = applyMask(y, m);
  assert.deepEqual([...out.data], [0.1, 0.1, 0.1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.9, 0.9, 0.9].map(Math.fround));
  assert.deepEqual([...applyMask(y, m, 0).data].slice(3, 9), [0, 0, 0, 0, 0, 0]);
  // The input is not modified.
  assert.equal(y.data[3], Math.fround(0.2));
});

test("applyMask 'checker' draws 4-px squares of 0.4 / 0.6 in the hole", () => {
  const h = 1,
    w = 10;
  const y = batch(1, h, w, 1, new Array(10).fill(1));
  const out = applyMask(y, mask(h, w, new Array(10).fill(0)), 'checker');
  assert.deepEqual([...out.data], [0.4, 0.4, 0.4, 0.4, 0.6, 0.6, 0.6, 0.6, 0.4, 0.4].map(Math.fround));
  // Second row of squares starts with the other colour.
  const tall = applyMask(batch(1, 5, 1, 1, [1, 1, 1, 1, 1]), mask(5, 1, [0, 0, 0, 0, 0]), 'checker');
  assert.deepEqual([...tall.data], [0.4, 0.4, 0.4, 0.4, 0.6].map(Math.fround));
});
