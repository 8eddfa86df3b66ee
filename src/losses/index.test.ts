import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOSSES, LOSS_KINDS } from './index.js';
import { resolveConfig, TrainConfigSchema } from '../config/config.js';
import { UserError } from '../util/errors.js';

test('loss registry: every kind resolves to its preset, and the config enum is the registry', () => {
  assert.deepEqual([...LOSS_KINDS], [...LOSSES.kinds]);
  for (const k of LOSSES.kinds) {
    const l = LOSSES.get(k);
    const c = resolveConfig({ loss: k });
    assert.equal(c.optimizer, l.preset.optimizer);
    assert.equal(c.lr, l.preset.lr);
    assert.equal(c.dLr, l.preset.lr, 'dLr defaults to lr');
    assert.equal(c.nCritic, l.preset.nCritic);
    assert.equal(c.criticNorm, l.criticNorms[0]);
    assert.ok(l.criticForwards(c) > 0);
  }
  assert.throws(
    () => LOSSES.get('hinge'),
    (e: Error) => e instanceof UserError && /unknown loss 'hinge' \(valid: wgan, wgan-gp, gan\)/.test(e.message),
  );
  assert.equal(TrainConfigSchema.safeParse({ loss: 'hinge' }).success, false);
});

test('a critic normalisation the loss does not allow is refused with its reason', () => {
  assert.throws(
    () => resolveConfig({ loss: 'wgan-gp', criticNorm: 'batch' }),
    /criticNorm batch cannot be used with wgan-gp.*per sample.*use layer or none/,
  );
  assert.equal(resolveConfig({ loss: 'wgan', criticNorm: 'layer' }).criticNorm, 'layer');
});

test('lazy penalty costs fewer critic forwards per step', () => {
  const gp = LOSSES.get('wgan-gp');
  assert.ok(gp.criticForwards({ gpEvery: 4 }) < gp.criticForwards({ gpEvery: 1 }));
  assert.equal(LOSSES.get('wgan').criticForwards({ gpEvery: 1 }), LOSSES.get('wgan').criticForwards({ gpEvery: 4 }));
});
