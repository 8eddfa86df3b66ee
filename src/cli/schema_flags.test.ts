import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { schemaFields, valuesFromFlags, helpLines, kebab, flagOptions } from './schema_flags.js';
import { TrainConfigSchema } from '../config/config.js';
import { trainCommand, configFromFlags } from './train.js';

const S = z.object({
  gWidth: z.number().int().min(1).max(1024).default(64).describe('generator width'),
  lr: z.number().positive().nullable().default(null).describe('learning rate'),
  size: z
    .union([z.literal(28), z.literal(32)])
    .default(32)
    .describe('side'),
  loss: z.enum(['a', 'b']).default('a').describe('loss'),
  fast: z.boolean().default(false).describe('go fast'),
});

test('fields come from the schema: flag, type, bounds, default, description', () => {
  const [w, lr, size, loss, fast] = schemaFields(S);
  assert.deepEqual(w, {
    key: 'gWidth',
    flag: 'g-width',
    type: 'int',
    min: 1,
    max: 1024,
    default: 64,
    description: 'generator width',
  });
  assert.equal(lr!.type, 'number');
  assert.equal(lr!.default, null);
  assert.deepEqual(size!.choices, [28, 32]);
  assert.equal(size!.type, 'int');
  assert.deepEqual(loss!.choices, ['a', 'b']);
  assert.equal(fast!.type, 'boolean');
  assert.deepEqual(flagOptions([fast!, w!]), { fast: { type: 'boolean' }, 'g-width': { type: 'string' } });
  assert.equal(kebab('checkpointEvery'), 'checkpoint-every');
});

test('numbers must be plain decimals; the schema then checks bounds', () => {
  const f = schemaFields(S);
  assert.deepEqual(valuesFromFlags(f, { 'g-width': '16', lr: '1e-4', size: '28', loss: 'b', fast: true }), {
    gWidth: 16,
    lr: 1e-4,
    size: 28,
    loss: 'b',
    fast: true,
  });
  for (const bad of ['0x10', '1.5', '', 'abc', 'Infinity']) {
    assert.throws(() => valuesFromFlags(f, { 'g-width': bad }), /--g-width must be an integer/, bad);
  }
  assert.throws(() => valuesFromFlags(f, { lr: '1e' }), /--lr must be a number/);
});

test('help lines name each flag with its default', () => {
  const lines = helpLines(schemaFields(S)).join('\n');
  assert.match(lines, /--g-width N +generator width \[default: 64\]/);
  assert.match(lines, /--lr X +learning rate \[default: from the loss\]/);
  assert.match(lines, /--loss a\|b +loss \[default: a\]/);
});

test('train: every config key is a flag in parseArgs and in --help', () => {
  for (const f of schemaFields(TrainConfigSchema)) {
    assert.ok(trainCommand.options[f.flag], `no option --${f.flag}`);
    assert.ok(trainCommand.help.includes(`--${f.flag}`), `--help lacks --${f.flag}`);
  }
  assert.deepEqual(configFromFlags({ 'g-width': '8', 'gp-every': '4', 'd-lr': '3e-4' }), {
    gWidth: 8,
    gpEvery: 4,
    dLr: 3e-4,
  });
});
