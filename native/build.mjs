// Builds the native addon (native/build/Release/wgan_native.node). Run by `npm run build:native` and
// by `prepare` (so `npm ci` builds it). A failure prints ONE notice line and exits 0: the project then
// runs on the wasm backend. The compiler output goes to native/build/build.log.
//
// node-gyp is found in npm's own install (npm sets npm_config_node_gyp for scripts) and pointed at
// the local Node headers with --nodedir, so nothing is downloaded. Without node-gyp (or with
// WGAN_NATIVE_BUILD=g++), g++ is called directly with the same flags.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const buildDir = path.join(here, 'build');
const logFile = path.join(buildDir, 'build.log');
const strict = process.argv.includes('--strict'); // exit 1 on failure (for developers)
fs.mkdirSync(buildDir, { recursive: true });
const log = [];

function run(cmd, args, cwd = here) {
  log.push(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  log.push(r.stdout ?? '', r.stderr ?? '', r.error ? String(r.error) : '');
  return r.status === 0;
}

/** A directory holding include/node/node_api.h: the Node install prefix (e.g. /usr for /usr/bin/node). */
function nodeDir() {
  const candidates = [path.resolve(path.dirname(process.execPath), '..'), '/usr', '/usr/local'];
  return candidates.find((d) => fs.existsSync(path.join(d, 'include', 'node', 'node_api.h')));
}

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.resolve(
      path.dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/share/nodejs/node-gyp/bin/node-gyp.js',
  ];
  return candidates.find((c) => c?.endsWith('.js') && fs.existsSync(c));
}

function buildWithGyp(dir) {
  const gyp = findNodeGyp();
  if (!gyp) {
    log.push('node-gyp not found');
    return false;
  }
  // configure + build (not rebuild, which deletes build/ first): a failed rebuild keeps the previous
  // addon, and processes already using it are not disturbed mid-build.
  return (
    run(process.execPath, [gyp, 'configure', `--nodedir=${dir}`]) &&
    run(process.execPath, [gyp, 'build', `--nodedir=${dir}`, '--jobs=2'])
  );
}

function buildWithGxx(dir) {
  const out = path.join(buildDir, 'Release');
  fs.mkdirSync(out, { recursive: true });
  const inc = ['-I', path.join(dir, 'include', 'node')];
  const common = [
    '-O3',
    '-std=c++17',
    '-fPIC',
    '-fno-trapping-math',
    '-pthread',
    '-DNAPI_VERSION=8',
    '-DNODE_GYP_MODULE_NAME=wgan_native',
    ...inc,
  ];
  const objs = [];
  const srcs = ['addon', 'pool', 'gemm', 'conv', 'ops'];
  if (process.arch === 'x64') srcs.push('gemm_avx2', 'gemm_avx512', 'conv_small_avx2', 'conv_small_avx512');
  for (const s of srcs) {
    const obj = path.join(out, `${s}.o`);
    const extra = s.endsWith('_avx2') ? ['-mavx2', '-mfma'] : s.endsWith('_avx512') ? ['-mavx512f', '-mfma'] : [];
    if (!run('g++', [...common, ...extra, '-c', path.join(here, 'src', `${s}.cc`), '-o', obj])) return false;
    objs.push(obj);
  }
  const tmp = path.join(out, `wgan_native.node.${process.pid}.tmp`);
  if (!run('g++', ['-shared', '-pthread', '-o', tmp, ...objs])) return false;
  fs.renameSync(tmp, path.join(out, 'wgan_native.node')); // atomic: a running process keeps its copy
  return true;
}

const dir = nodeDir();
let ok = false;
if (!dir) log.push('Node headers (include/node/node_api.h) not found');
else if (process.env.WGAN_NATIVE_BUILD === 'g++') ok = buildWithGxx(dir);
else ok = buildWithGyp(dir) || buildWithGxx(dir);
fs.mkdirSync(buildDir, { recursive: true });
fs.writeFileSync(logFile, log.join('\n'));
if (ok) {
  console.log('wgan-inpaint: native backend built (native/build/Release/wgan_native.node)');
} else {
  console.log(
    `wgan-inpaint: notice: native backend not built (see native/build/build.log); the wasm backend will be used`,
  );
  if (strict) process.exit(1);
}
