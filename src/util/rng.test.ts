import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from './rng.js';

test('Rng is deterministic for a seed and differs across seeds', () => {
  const a = new Rng(1),
    b = new Rng(1),
    c = new Rng(2);
  const xa = [a.next(), a.next(), a.next()];
  assert.deepEqual(xa, [b.next(), b.next(), b.next()]);
  assert.notDeepEqual(xa, [c.next(), c.next(), c.next()]);
  for (const x of xa) assert.ok(x >= 0 && x < 1);
});

test('Rng.shuffle is a permutation', () => {
  const r = new Rng(7);
  const a = Array.from({ length: 50 }, (_, i) => i);
  r.shuffle(a);
  assert.deepEqual(
    [...a].sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.notDeepEqual(
    a,
    Array.from({ length: 50 }, (_, i) => i),
  );
});
