import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig, formatConfig } from './config.js';
import { UserError } from '../util/errors.js';

test('defaults fill in the loss preset', () => {
  const gp = resolveConfig({});
  assert.equal(gp.loss, 'wgan-gp');
  assert.equal(gp.optimizer, 'adam');
  assert.equal(gp.lr, 1e-4);
  assert.equal(gp.beta1, 0.5);
  assert.equal(gp.beta2, 0.9);
  assert.equal(gp.gpLambda, 10);
  assert.equal(gp.criticNorm, 'layer');
  const w = resolveConfig({ loss: 'wgan' });
  assert.equal(w.optimizer, 'rmsprop');
  assert.equal(w.lr, 5e-5);
  assert.equal(w.clip, 0.01);
  assert.equal(w.criticNorm, 'batch');
});

test('explicit values override the preset', () => {
  const c = resolveConfig({ loss: 'wgan', lr: 1e-3, nCritic: 2 });
  assert.equal(c.lr, 1e-3);
  assert.equal(c.nCritic, 2);
});

test('unknown keys and wrong types are rejected with a clear message', () => {
  assert.throws(
    () => resolveConfig({ bogus: 1 }),
    (e: Error) => e instanceof UserError && /unknown option.*'bogus'/.test(e.message),
  );
  assert.throws(
    () => resolveConfig({ size: 48 }),
    (e: Error) => e instanceof UserError && /size/.test(e.message),
  );
  assert.throws(
    () => resolveConfig({ iters: -1 }),
    (e: Error) => e instanceof UserError && /iters/.test(e.message),
  );
  assert.throws(
    () => resolveConfig({ loss: 'hinge' }),
    (e: Error) => e instanceof UserError && /loss/.test(e.message),
  );
});

test('formatConfig marks non-defaults', () => {
  const s = formatConfig(resolveConfig({ iters: 7 }));
  assert.match(s, /iters\s+7\s+\[default: 5000\]/);
  assert.doesNotMatch(s, /batch.*\[default/);
});
