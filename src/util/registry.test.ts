import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineRegistry } from './registry.js';
import { UserError } from './errors.js';
import { MASKS } from '../masks/masks.js';
import { MODEL_REGISTRY } from '../models/index.js';
import { LOSSES } from '../losses/index.js';

test('defineRegistry: kinds in order, get, has, frozen, one-line error listing the valid kinds', () => {
  const r = defineRegistry('colour', [
    { kind: 'red', v: 1 },
    { kind: 'blue', v: 2 },
  ]);
  assert.deepEqual([...r.kinds], ['red', 'blue']);
  assert.equal(r.get('blue').v, 2);
  assert.ok(r.has('red') && !r.has('green') && !r.has('toString'));
  assert.throws(
    () => r.get('green'),
    (e: Error) => e instanceof UserError && e.message === "unknown colour 'green' (valid: red, blue)",
  );
  assert.throws(() => r.get('toString'), UserError);
  assert.ok(Object.isFrozen(r.byKind) && Object.isFrozen(r.kinds));
  assert.throws(() => defineRegistry('colour', [{ kind: 'red' }, { kind: 'red' }]), /registered twice/);
});

test('the project registries share the shape', () => {
  for (const [r, what] of [
    [MASKS, 'mask kind'],
    [MODEL_REGISTRY, 'model'],
    [LOSSES, 'loss'],
  ] as const) {
    assert.throws(
      () => r.get('nope'),
      (e: Error) => e.message.startsWith(`unknown ${what} 'nope' (valid: `),
    );
  }
});
