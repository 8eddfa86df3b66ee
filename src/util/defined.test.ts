import { test } from 'node:test';
import assert from 'node:assert/strict';
import { definedKeys } from './defined.js';

test('definedKeys drops only undefined values and keeps the key order', () => {
  const signal: AbortSignal | undefined = undefined;
  const r = definedKeys({ a: 1, b: undefined, c: 0, d: '', e: false, f: null, signal });
  assert.deepEqual(r, { a: 1, c: 0, d: '', e: false, f: null });
  assert.deepEqual(Object.keys(r), ['a', 'c', 'd', 'e', 'f']);
  assert.ok(!('b' in r) && !('signal' in r));
  const o = { x: undefined, y: 2 };
  definedKeys(o);
  assert.ok('x' in o, 'the argument is not changed');
});

test('definedKeys result fits optional properties under exactOptionalPropertyTypes', () => {
  interface Opts {
    limit?: number;
    name: string;
  }
  const limit = [3, undefined][1];
  // Compiles only because `limit` becomes `limit?: number` (not `number | undefined`).
  const o: Opts = { name: 'n', ...definedKeys({ limit }) };
  assert.deepEqual(o, { name: 'n' });
  const p: Opts = { name: 'n', ...definedKeys({ limit: 5 as number | undefined }) };
  assert.equal(p.limit, 5);
});
