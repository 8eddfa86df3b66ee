import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchSampler } from './sampler.js';

const take = (s: BatchSampler, k: number) => Array.from({ length: k }, () => [...s.next()]);

test('same seed gives the same sequence, another seed a different one', () => {
  assert.deepEqual(take(new BatchSampler(50, 8, 3), 20), take(new BatchSampler(50, 8, 3), 20));
  assert.notDeepEqual(take(new BatchSampler(50, 8, 3), 20), take(new BatchSampler(50, 8, 4), 20));
});

test('every image appears exactly once per epoch, also when batches straddle epochs', () => {
  const n = 23,
    batch = 5;
  const s = new BatchSampler(n, batch, 1);
  const stream = take(s, 3 * n).flat(); // 3·23 batches of 5 = 15 epochs exactly
  assert.equal(stream.length, 15 * n);
  for (let e = 0; e < 15; e++) {
    const ep = stream.slice(e * n, (e + 1) * n).sort((a, b) => a - b);
    assert.deepEqual(
      ep,
      Array.from({ length: n }, (_, i) => i),
      `epoch ${e}`,
    );
  }
  assert.equal(s.epoch, 15);
  // Different epochs are shuffled differently.
  assert.notDeepEqual(stream.slice(0, n), stream.slice(n, 2 * n));
});

test('resuming from a mid-epoch JSON state continues identically', () => {
  const a = new BatchSampler(37, 6, 99);
  take(a, 11); // 66 indices: epoch 1, pos 29
  const st = JSON.parse(JSON.stringify(a.state()));
  assert.equal(st.epoch, 1);
  assert.equal(st.pos, 29);
  const b = BatchSampler.fromState(37, 6, st);
  assert.deepEqual(take(b, 30), take(a, 30));
});

test('fromState rejects a state made for another dataset size', () => {
  const st = new BatchSampler(10, 2, 1).state();
  assert.throws(() => BatchSampler.fromState(11, 2, st), /10/);
  assert.throws(() => new BatchSampler(0, 2, 1), /positive/);
});
