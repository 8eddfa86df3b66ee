/**
 * Issue #31.3: the README runs. Every shell command of its ```sh blocks runs, in README order, in one
 * temporary folder (so a later step sees what an earlier one made, as for a reader), with
 * `npx wgan-inpaint` → `node dist/src/cli/main.js` and long runs made short (REWRITES); its ```ts
 * block is compiled against the package (`import … from 'wgan-inpaint'`) and run. A wrong example —
 * a flag that does not exist, a folder no earlier step made, a library call with the wrong signature
 * — fails here. Commands that need a network service or hours are skipped, each named in SKIPPED with
 * why, and a shell command that is neither run nor listed there fails the test.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PACKAGE_ROOT } from './io/paths.js';

const CLI = path.join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'main.js');
const README = fs.readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');

/** Commands not run, by a part of their text (or a pattern), and why. */
const SKIPPED: [string | RegExp, string][] = [
  ['npm ci', 'installs from the registry (network); this checkout is installed'],
  ['npm test', 'the whole test suite (this test is part of it)'],
  ['npm run build:web &&', 'vite build of the page (npm test builds it; src/server/page.test.ts serves it)'],
  [
    'serve --port 8080 --run runs/fmnist',
    'a server that runs until stopped (src/server/server.test.ts and page.test.ts start one)',
  ],
  ['redis-server', 'a Redis server (a network service; src/queue/queue.test.ts runs one)'],
  ['worker --redis', 'needs Redis (src/queue/queue.test.ts)'],
  ['batch --redis', 'needs Redis (src/queue/queue.test.ts)'],
  ['serve --redis', 'needs Redis (src/queue/harden.test.ts)'],
  ['inpaint … --init random', 'elided arguments (…): a sketch of the flags, not a command'],
  [
    /experiment claims --data fashion-mnist --out runs\/claims$/,
    'the full grid: 1 h 16 min here (the --estimate line before it runs)',
  ],
];

/**
 * Long runs made short (the README's numbers are for a reader's real run): [a part of the command,
 * what to do]. Every `--iters N` becomes small (ITERS; a resume one more than the run it continues).
 */
const ITERS = 2;
const REWRITES: [string, (cmd: string) => string][] = [
  ['', (c) => c.replace(/--iters \d+/, `--iters ${ITERS}`)],
  // The searches too (from the encoder: 100 iterations by default).
  ['main.js inpaint ', (c) => (c.includes('--iters') ? c : `${c} --iters ${ITERS}`)],
  ['main.js batch ', (c) => (c.includes('--iters') ? c : `${c} --iters ${ITERS}`)],
  ['--resume', (c) => c.replace(/--iters \d+/, `--iters ${ITERS + 2}`)],
  ['demo', (c) => `${c} --iters ${ITERS}`],
  // A new training run: small networks, batches and data (a resume keeps the run's saved config).
  ['main.js train --data', (c) => `${c} --batch 8 --g-width 8 --d-width 8 --limit 256`],
  // Installing would replace the shipped model's own encoder in models/ (a symlink to the package's).
  ['train-encoder', (c) => `${c.replace(' --install', '')} --limit 256`],
  ['classifier train', (c) => `${c} --epochs 1 --limit 256 --test-limit 64 --width 4 --features 16`],
  ['eval ', (c) => `${c.replace(/--n \d+/, '')} --n 2 --limit 64 --fd-n 16 --iters ${ITERS}`],
  ['experiment claims', (c) => `${c} --limit 256 --seeds 1 --batch 8 --g-width 8 --models dcgan`],
];

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-readme-'));
  // What a reader has around: the package's models/ (the README's paths are relative to the
  // checkout), a folder of their own images (~/my-images: a home folder here) and photos/.
  fs.symlinkSync(path.join(PACKAGE_ROOT, 'models'), path.join(tmp, 'models'));
  const samples = ['emoji', 'fashion-mnist'].flatMap((m) =>
    fs
      .readdirSync(path.join(PACKAGE_ROOT, 'models', m, 'samples'))
      .map((f) => path.join(PACKAGE_ROOT, 'models', m, 'samples', f)),
  );
  for (const dir of ['home/my-images', 'photos']) {
    fs.mkdirSync(path.join(tmp, dir), { recursive: true });
    samples.forEach((f, i) => {
      fs.copyFileSync(f, path.join(tmp, dir, `${i}-${path.basename(f)}`));
    });
  }
  // `import … from 'wgan-inpaint'` resolves to this package (its package.json `exports`).
  fs.mkdirSync(path.join(tmp, 'node_modules'));
  fs.symlinkSync(PACKAGE_ROOT, path.join(tmp, 'node_modules', 'wgan-inpaint'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The code blocks of a language, in order. */
function blocks(lang: string): string[] {
  return [...README.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!);
}

/** The commands of the sh blocks: comment lines and trailing comments dropped, `a && b` split. */
function commands(): string[] {
  return blocks('sh')
    .flatMap((b) => b.split('\n'))
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter(Boolean)
    .flatMap((l) => l.split(/\s+&&\s+/).map((c, i, all) => (all.length > 1 && i < all.length - 1 ? `${c} &&` : c)));
}

const matches = (cmd: string, part: string | RegExp) =>
  typeof part === 'string' ? `${cmd} `.includes(part) : part.test(cmd);
const skipReason = (cmd: string) => SKIPPED.find(([part]) => matches(cmd, part))?.[1];

function run(cmd: string): { status: number | null; out: string } {
  const r = spawnSync('sh', ['-c', cmd], {
    cwd: tmp,
    env: { ...process.env, HOME: path.join(tmp, 'home') },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}`.slice(-3000) };
}

test("the README's shell commands run (short), in order, in a fresh folder; the skipped ones are listed with why", {
  timeout: 600_000,
}, (t) => {
  const all = commands();
  assert.ok(all.length >= 20, `${all.length} commands found in the README`);
  const ran: string[] = [];
  for (const raw of all) {
    const cmd = raw.replace(/ &&$/, '');
    if (skipReason(raw)) continue;
    assert.match(cmd, /^npx wgan-inpaint /, `a README command that is neither run nor listed in SKIPPED: ${cmd}`);
    let c = cmd.replace(/^npx wgan-inpaint /, `node ${CLI} `);
    for (const [part, f] of REWRITES) if (c.includes(part)) c = f(c);
    const t0 = Date.now();
    const r = run(c);
    t.diagnostic(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${c.replace(CLI, 'wgan-inpaint')}`);
    assert.equal(r.status, 0, `README command failed: ${cmd}\n(ran: ${c})\n${r.out}`);
    ran.push(cmd);
  }
  // Every listed skip still matches a README command (a stale entry would hide nothing).
  for (const [part] of SKIPPED)
    assert.ok(
      all.some((c) => matches(c, part)),
      `SKIPPED entry '${part}' matches no README command`,
    );
  assert.ok(ran.length >= 15, `ran ${ran.length} commands`);
});

test("the README's library example compiles against the package and runs", { timeout: 600_000 }, () => {
  const [ts] = blocks('ts');
  assert.ok(ts, 'a ```ts block');
  // Short, as the shell commands: training and the random-start search of the example.
  const code = ts.replace(/iters: \d+/g, `iters: ${ITERS}`);
  fs.writeFileSync(path.join(tmp, 'example.ts'), code);
  fs.writeFileSync(
    path.join(tmp, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: true,
        types: [],
        outDir: 'example-dist',
      },
      files: ['example.ts'],
    }),
  );
  fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  const tsc = path.join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const c = run(`node ${tsc} -p tsconfig.json`);
  assert.equal(c.status, 0, `the README's library example does not compile:\n${c.out}`);
  const r = run('node example-dist/example.js');
  assert.equal(r.status, 0, `the README's library example fails:\n${r.out}`);
  assert.match(r.out, /start: the encoder in/);
  assert.match(r.out, /converted to the model's grey/);
  assert.ok(fs.existsSync(path.join(tmp, 'lib-out', '00-test-0', 'blended.png')));
});
