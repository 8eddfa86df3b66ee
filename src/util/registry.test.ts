import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineRegistry, type KindOf } from './registry.js';
import { UserError } from './errors.js';
import { MASKS, type MaskKindName } from '../masks/masks.js';
import { MODEL_REGISTRY, type ModelKindName } from '../models/index.js';
import { LOSSES, type LossKind } from '../losses/index.js';
import { PRESETS, type PresetKind } from '../config/presets.js';
import { VAL_MASK_KINDS } from '../encoder/loop.js';

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

test('kinds are literal unions: a kind outside its registry does not compile, and each union is the registry', () => {
  // Each line below fails to compile (tsc, the first step of npm test) if its type widens to string.
  // @ts-expect-error 'hinge' is no loss
  const loss: LossKind = 'hinge';
  // @ts-expect-error 'circle' is no mask kind
  const mask: MaskKindName = 'circle';
  // @ts-expect-error 'resnet' is no model family
  const model: ModelKindName = 'resnet';
  // @ts-expect-error 'slow' is no preset
  const preset: PresetKind = 'slow';
  assert.ok(!LOSSES.has(loss) && !MASKS.has(mask) && !MODEL_REGISTRY.has(model) && !PRESETS.has(preset));
  const colours = defineRegistry('colour', [{ kind: 'red' }, { kind: 'blue' }] as const);
  const c: KindOf<typeof colours> = 'blue';
  assert.equal(colours.get(c).kind, 'blue');
  // The lists the code holds are kinds of their registry (checked by the compiler, and here at run time).
  for (const k of VAL_MASK_KINDS) assert.ok(MASKS.has(k), k);
  const losses: readonly LossKind[] = LOSSES.kinds;
  assert.deepEqual([...losses], ['wgan', 'wgan-gp', 'gan']);
});
