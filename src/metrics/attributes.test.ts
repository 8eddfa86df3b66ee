import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeAccuracy } from './attributes.js';

// Classes 0..3 = glasses + 2 × beard, as the faces dataset.
const ATTRS = [
  { name: 'glasses', values: ['no', 'yes'], ofClass: [0, 1, 0, 1] },
  { name: 'beard', values: ['no', 'yes'], ofClass: [0, 0, 1, 1] },
];

test('attribute accuracy counts agreement per attribute, not per class', () => {
  // true:      plain, glasses, beard, both
  // predicted: plain, both,    plain, glasses
  const r = attributeAccuracy([0, 3, 0, 1], [0, 1, 2, 3], ATTRS);
  // glasses: 0=0 ✓, 1=1 ✓, 0=0 ✓, 1=1 ✓; beard: 0=0 ✓, 1≠0 ✗, 0≠1 ✗, 0≠1 ✗
  assert.deepEqual(r, { glasses: 1, beard: 0.25 });
});

test('attribute accuracy refuses mismatched lengths and unknown classes', () => {
  assert.throws(() => attributeAccuracy([0], [0, 1], ATTRS), /1 predictions for 2 labels/);
  assert.throws(() => attributeAccuracy([7], [0], ATTRS), /class 7 or 0 has no 'glasses' value/);
});
