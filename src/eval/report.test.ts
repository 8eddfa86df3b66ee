import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { mergeReports } from './report.js';

const read = (name: string) =>
  JSON.parse(fs.readFileSync(`docs/results/full/${name}/results.json`, 'utf8')) as Record<string, any>;

test('mergeReports: one-mask reports of a model become one, keyed by mask kind', () => {
  const [c, h, s] = ['center', 'half', 'strokes'].map((m) => read(`emoji-all-lambda0-${m}`));
  const m = [h, s].reduce<unknown>((a, b) => mergeReports(a, b), c) as Record<string, any>;
  assert.deepEqual(Object.keys(m.results), ['center', 'half', 'strokes']);
  assert.deepEqual(m.results.half, h!.results.half, 'a mask kind keeps its figures untouched');
  assert.deepEqual(m.options.masks, ['center', 'half', 'strokes']);
  assert.deepEqual(m.grids, { ...c!.grids, ...h!.grids, ...s!.grids });
  assert.deepEqual(Object.keys(m.semantic.maskedAccuracy), ['center', 'half', 'strokes']);
  assert.equal(m.n, c!.n, 'equal values stay');
  assert.deepEqual(m.model, c!.model);
  assert.ok(Math.abs(m.seconds - (c!.seconds + h!.seconds + s!.seconds)) < 1e-6, 'seconds add up');
  assert.deepEqual(m.command, [c!.command, h!.command, s!.command], 'differing values: the list, in order');
  assert.equal(m.searches.length, c!.searches.length + h!.searches.length + s!.searches.length);
});
