import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { schemaFields, valuesFromFlags, helpLines, kebab, flagOptions, commandFlags } from './schema_flags.js';
import { UserError } from '../util/errors.js';
import { serveCommand } from './serve.js';
import { workerCommand } from './worker.js';
import { batchCommand } from './batch.js';
import { classifierCommand } from './classifier.js';
import { calibrateCommand } from './calibrate.js';
import { maskCommand } from './mask.js';
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

test('commandFlags: typed values with defaults; one line per refusal, in the CLI wording', () => {
  const F = commandFlags(
    'demo',
    z.object({
      model: z.string().describe('the model'),
      port: z.number().int().min(0).default(8080).describe('port'),
      grace: z.number().min(0).max(60).optional().describe('seconds'),
      init: z.enum(['auto', 'random']).default('auto').describe('start'),
      host: z.array(z.string()).optional().describe('repeatable'),
      quiet: z.boolean().optional().describe('switch'),
    }),
  );
  assert.deepEqual(F.options, {
    model: { type: 'string' },
    port: { type: 'string' },
    grace: { type: 'string' },
    init: { type: 'string' },
    host: { type: 'string', multiple: true },
    quiet: { type: 'boolean' },
  });
  assert.deepEqual(F.parse({ model: 'm' }), { model: 'm', port: 8080, init: 'auto' });
  assert.deepEqual(F.parse({ model: 'm', port: '1e3', grace: '0.5', host: ['a', 'b'], quiet: true, init: 'random' }), {
    model: 'm',
    port: 1000,
    grace: 0.5,
    init: 'random',
    host: ['a', 'b'],
    quiet: true,
  });
  const refused: [Record<string, string>, RegExp][] = [
    [{}, /^demo: --model is required$/],
    [{ model: 'm', port: '-1' }, /^--port must be an integer ≥ 0, got '-1'$/],
    [{ model: 'm', port: '0x10' }, /^--port must be an integer ≥ 0, got '0x10'$/],
    [{ model: 'm', port: '1.5' }, /^--port must be an integer ≥ 0, got '1.5'$/],
    [{ model: 'm', grace: '61' }, /^--grace must be a decimal number in \[0, 60\], got '61'$/],
    [{ model: 'm', init: 'best' }, /^--init must be auto or random, got 'best'$/],
  ];
  for (const [v, re] of refused)
    assert.throws(
      () => F.parse(v),
      (e: Error) => e instanceof UserError && re.test(e.message),
    );
  assert.match(
    F.help({ values: { model: 'REF' } }),
    /^ {2}--model REF {12}the model\n {2}--port N {15}port \[default: 8080\]/,
  );
});

test('serve, worker, batch, classifier, calibrate, mask: every flag parseArgs accepts is in --help, and only those', () => {
  for (const c of [serveCommand, workerCommand, batchCommand, classifierCommand, calibrateCommand, maskCommand]) {
    const listed = new Set([...c.help.matchAll(/^ {2}--([a-z][a-z-]*)/gm)].map((m) => m[1]));
    assert.deepEqual([...listed].sort(), Object.keys(c.options).sort(), `${c.name} --help`);
  }
});
