import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig, defaultConfig } from './config.js';
import { PRESETS } from './presets.js';

test('a preset fills only the keys not given, and the resolved config records it', () => {
  const fast = PRESETS.get('fast').values;
  const c = resolveConfig({ preset: 'fast' });
  for (const [k, v] of Object.entries(fast)) assert.equal((c as Record<string, unknown>)[k], v, k);
  assert.equal(c.preset, 'fast');
  assert.notEqual(c.nCritic, defaultConfig().nCritic, 'the preset changed nothing');
  assert.equal(resolveConfig({ preset: 'fast', nCritic: 3 }).nCritic, 3, 'a given key wins over the preset');
  assert.deepEqual({ ...resolveConfig({ preset: 'paper' }), preset: null }, defaultConfig(), "'paper' is the defaults");
  // A saved config (concrete values) resolves to itself: resume never re-applies a preset.
  assert.deepEqual(resolveConfig(JSON.parse(JSON.stringify(c))), c);
  assert.throws(() => resolveConfig({ preset: 'nope' }), /preset must be .* or .*, got "nope"/);
});
