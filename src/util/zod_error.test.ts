import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { formatZodError, asFlag } from './zod_error.js';
import { schemaFields } from './schema_fields.js';

const S = z
  .object({
    restarts: z.number().int().max(64, { message: 'must be ≤ 64' }).default(4).describe('restarts'),
    blend: z.enum(['poisson', 'none']).default('poisson'),
    step: z.number().min(0),
    nested: z.object({ k: z.number() }).strict().optional(),
  })
  .strict();

const fail = (input: unknown) => {
  const r = S.safeParse(input);
  assert.equal(r.success, false);
  return r.error!;
};

test('one clause per issue: bounds with the value, enums listed, missing and unknown keys named', () => {
  const input = { restarts: 1000, blend: 'soft', bogus: 1, nested: { k: 1, x: 2 } };
  const msg = formatZodError(fail(input), { input });
  assert.match(msg, /restarts must be ≤ 64, got 1000/);
  assert.match(msg, /blend must be poisson or none, got "soft"/);
  assert.match(msg, /step is required/);
  assert.match(msg, /unknown option\(s\) 'bogus'/);
  assert.match(msg, /nested: unknown option\(s\) 'nested\.x'/);
  assert.equal(msg.split('; ').length, 5, msg);
});

test('names as flags, JSON wording, a custom missing clause; no value quoted without the input', () => {
  const e = fail({ gWidth: 1, restarts: 100 });
  assert.match(formatZodError(e, asFlag), /--restarts must be ≤ 64(;|$)/);
  assert.doesNotMatch(formatZodError(e, asFlag), /got/);
  const json = formatZodError(e, { unknown: 'key', missing: (p) => `${p.join('.')} is missing` });
  assert.match(json, /unknown key\(s\) 'gWidth'/);
  assert.match(json, /step is missing/);
  assert.match(
    formatZodError(fail({ step: 'x' }), { input: { step: 'x' } }),
    /^step: Expected number, received string, got "x"$/,
  );
  assert.match(formatZodError(fail({ step: -1 })), /^step: Number must be greater than or equal to 0$/);
});

test('schemaFields reads type, bounds, default, choices and description off the schema', () => {
  const [r, b, s] = schemaFields(S);
  assert.deepEqual(r, {
    key: 'restarts',
    flag: '--restarts'.slice(2),
    type: 'int',
    max: 64,
    default: 4,
    description: 'restarts',
  });
  assert.deepEqual(b!.choices, ['poisson', 'none']);
  assert.equal(s!.min, 0);
  assert.equal(s!.default, undefined);
});
