import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  resolveInpaintOptions,
  DEFAULT_INPAINT,
  INPAINT_BOUNDS,
  INPAINT_OPTION_FIELDS,
  InpaintOptionsSchema,
} from './options.js';
import { UserError } from '../util/errors.js';

const userError = (re: RegExp) => (e: Error) =>
  e instanceof UserError && re.test(e.message) && !e.message.includes('\n');

test('every option has an upper bound; out-of-range values are one clear error naming the option', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ restarts: 1e9 }, /restarts must be ≤ 64, got 1000000000/],
    [{ restarts: 100000 }, /restarts must be ≤ 64/],
    [{ restarts: 0 }, /restarts must be ≥ 1, got 0/],
    [{ iters: 1e7 }, /iters must be ≤ 100000/],
    [{ iters: 2.5 }, /iters must be an integer, got 2\.5/],
    [{ lambda: 1e308 }, /lambda must be ≤ 1000, got 1e\+308/],
    [{ lambda: -1 }, /lambda must be ≥ 0/],
    [{ lambda: Infinity }, /lambda must be ≤ 1000/],
    [{ lr: 0 }, /lr must be > 0/],
    [{ lr: 1e300 }, /lr must be ≤ 1/],
    [{ window: 100001 }, /window must be ≤ 255/],
    [{ window: 4 }, /window must be odd, got 4/],
    [{ seed: -1 }, /seed must be ≥ 0/],
    [{ seed: 2 ** 40 }, /seed must be ≤ 2147483647/],
    [{ progressEvery: 1e9 }, /progressEvery must be ≤ 100000/],
    [{ blend: 'soft' }, /blend must be poisson or none, got "soft"/],
    [{ iters: NaN }, /iters/],
    [{ speed: 1 }, /unknown option\(s\) 'speed'/],
  ];
  for (const [o, re] of bad) assert.throws(() => resolveInpaintOptions(o as never), userError(re), JSON.stringify(o));
  // A label names the option as the caller's users know it (the CLI: as a flag).
  assert.throws(
    () => resolveInpaintOptions({ progressEvery: -1 }, (k) => `--${k}`),
    userError(/^inpaint: --progressEvery must be ≥ 0, got -1$/),
  );
  // The bounds themselves are accepted.
  const edge = resolveInpaintOptions({
    iters: INPAINT_BOUNDS.iters,
    restarts: INPAINT_BOUNDS.restarts,
    lambda: INPAINT_BOUNDS.lambda,
    lr: INPAINT_BOUNDS.lr,
    window: INPAINT_BOUNDS.window,
  });
  assert.equal(edge.restarts, 64);
});

test('defaults come from the schema; undefined keeps the default; fields describe every option', () => {
  assert.deepEqual(
    { ...DEFAULT_INPAINT },
    {
      iters: 1000,
      restarts: 4,
      lambda: 0.03,
      lr: 0.01,
      seed: 0,
      window: 7,
      contextFloor: 0.05,
      blend: 'poisson',
      progressEvery: 0,
      readEvery: 1,
      init: 'auto',
      initMix: 0.1,
      refine: 'z',
      refineIters: 100,
      refineDepth: 1,
      refineFeatures: 0,
    },
  );
  assert.deepEqual(resolveInpaintOptions({ iters: undefined, restarts: 2 } as never), {
    ...DEFAULT_INPAINT,
    restarts: 2,
  });
  assert.deepEqual(
    INPAINT_OPTION_FIELDS.map((f) => f.key),
    Object.keys(InpaintOptionsSchema.shape),
  );
  const r = INPAINT_OPTION_FIELDS.find((f) => f.key === 'restarts')!;
  assert.deepEqual([r.flag, r.type, r.min, r.max, r.default], ['restarts', 'int', 1, 64, 4]);
  assert.equal(INPAINT_OPTION_FIELDS.find((f) => f.key === 'progressEvery')!.flag, 'progress-every');
  assert.deepEqual(INPAINT_OPTION_FIELDS.find((f) => f.key === 'blend')!.choices, ['poisson', 'none']);
  for (const f of INPAINT_OPTION_FIELDS) assert.ok(f.description.length > 5, f.key);
});
