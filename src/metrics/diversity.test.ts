import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classHistogram,
  modesCovered,
  klToUniform,
  meanPairwiseDistance,
  isCollapsed,
  isExploding,
  medianAbs,
  COLLAPSE_RATIO,
  MODE_MIN_SHARE_OF_UNIFORM,
} from './diversity.js';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('class histogram, modes covered and KL to uniform on a hand-made batch of known labels', () => {
  // 40 labels over 10 classes: class 0 × 20, class 1 × 10, classes 2–5 × 2, classes 6 and 7 × 1, 8 and 9 never.
  const labels = [...Array(20).fill(0), ...Array(10).fill(1), 2, 2, 3, 3, 4, 4, 5, 5, 6, 7];
  const h = classHistogram(labels, 10);
  assert.deepEqual(h, [0.5, 0.25, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0, 0]);
  // Covered: share ≥ 0.25 × 1/10 = 2.5 % → classes 0–7 (6 and 7 sit exactly on the line).
  assert.equal(MODE_MIN_SHARE_OF_UNIFORM, 0.25);
  assert.equal(modesCovered(h), 8);
  assert.equal(modesCovered(h, 0.05), 6);
  // KL = Σ p ln(10 p)
  const want = 0.5 * Math.log(5) + 0.25 * Math.log(2.5) + 4 * 0.05 * Math.log(0.5) + 2 * 0.025 * Math.log(0.25);
  close(klToUniform(h), want);
  // The two ends: uniform → 0 and 10 modes; one class → ln 10 and 1 mode.
  const uni = classHistogram(
    Array.from({ length: 30 }, (_, i) => i % 10),
    10,
  );
  close(klToUniform(uni), 0);
  assert.equal(modesCovered(uni), 10);
  const one = classHistogram(Array(7).fill(3), 10);
  close(klToUniform(one), Math.log(10));
  assert.equal(modesCovered(one), 1);
  assert.throws(() => classHistogram([0, 10], 10), /label 10 outside \[0, 10\)/);
  assert.deepEqual(classHistogram([], 3), [0, 0, 0]);
});

test('mean pairwise RMS distance (hand-computed) and the collapse rule', () => {
  // Three 2-vectors: d(a,b) = sqrt((1+0)/2), d(a,c) = sqrt((0+1)/2), d(b,c) = sqrt((1+1)/2) = 1.
  const d = meanPairwiseDistance([0, 0, 1, 0, 0, 1], 3, 2);
  close(d, (2 * Math.sqrt(0.5) + 1) / 3);
  close(meanPairwiseDistance([0.3, 0.3, 0.3, 0.3], 2, 2), 0);
  assert.throws(() => meanPairwiseDistance([1, 2], 1, 2), /at least 2/);
  assert.throws(() => meanPairwiseDistance([1, 2, 3], 2, 2), /not 2×2/);
  assert.equal(COLLAPSE_RATIO, 0.25);
  assert.equal(isCollapsed(0.09, 0.4), true);
  assert.equal(isCollapsed(0.11, 0.4), false);
});

test('exploding values: beyond 100 × max(1, median |earlier|), after 10 earlier values; non-finite always', () => {
  const calm = [0.5, -0.4, 0.6, 0.55, 0.3, 0.7, 0.5, 0.45, 0.6, 0.52];
  close(medianAbs(calm), 0.51);
  assert.equal(isExploding(calm, 99), false, 'floor of 1: 100 × 1');
  assert.equal(isExploding(calm, -101), true);
  const big = calm.map((v) => v * 40); // median 20.4 → limit 2040
  assert.equal(isExploding(big, 2000), false);
  assert.equal(isExploding(big, 2100), true);
  assert.equal(isExploding(calm.slice(0, 9), 1e6), false, 'too little history');
  assert.equal(isExploding([], NaN), true);
  assert.equal(isExploding([], -Infinity), true);
});
