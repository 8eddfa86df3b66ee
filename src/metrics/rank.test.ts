import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ranks, pearson, spearman } from './rank.js';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('ranks: 1-based, ties get the mean of the ranks they span', () => {
  assert.deepEqual(ranks([30, 10, 20]), [3, 1, 2]);
  assert.deepEqual(ranks([10, 20, 20, 30]), [1, 2.5, 2.5, 4]);
  assert.deepEqual(ranks([5, 5, 5]), [2, 2, 2]);
  assert.deepEqual(ranks([]), []);
});

test('spearman on hand-made series: monotone ±1, non-linear monotone still 1 (Pearson is not)', () => {
  close(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  close(spearman([1, 2, 3, 4], [9, 7, 4, 1]), -1);
  const x = [1, 2, 3, 4, 5],
    cube = x.map((v) => v ** 3);
  close(spearman(x, cube), 1);
  assert.ok(pearson(x, cube) < 0.99);
});

test('spearman with ties (hand-computed: ranks y = [1, 2, 3.5, 5, 3.5], ρ = 8/√95)', () => {
  close(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 8 / Math.sqrt(95));
  // scipy.stats.spearmanr([1,2,3,4,5],[5,6,7,8,7]) = 0.8207826816681233
  close(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 0.8207826816681233, 1e-12);
  // ties in both: x ranks [1.5, 1.5, 3, 4], y ranks [1, 2.5, 2.5, 4]
  const rx = [1.5, 1.5, 3, 4],
    ry = [1, 2.5, 2.5, 4];
  close(spearman([2, 2, 5, 9], [0, 3, 3, 8]), pearson(rx, ry));
  close(pearson(rx, ry), 3.75 / 4.5, 1e-12); // Σdxdy 3.75, Σdx² = Σdy² = 4.5
});

test('spearman: non-finite pairs are left out; undefined (NaN) for a constant or too short series', () => {
  close(spearman([1, NaN, 2, 3, Infinity], [1, 5, 2, 3, 0]), 1);
  assert.ok(Number.isNaN(spearman([1, 2, 3], [4, 4, 4])));
  assert.ok(Number.isNaN(spearman([1], [2])));
  assert.throws(() => spearman([1, 2], [1]), /lengths 2 and 1/);
});
