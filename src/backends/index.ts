/**
 * Backend selection for Node. `auto` picks the fastest backend that loads: native → wasm → cpu.
 * The browser picks its own backend in src/web (webgl or wasm); nothing here is imported there.
 *
 * Kinds:
 * - `native`: the project's Node-API addon (native/), registered as a TF.js backend (src/backends/native.ts).
 * - `wasm`:   TF.js's wasm backend plus the project's own Conv2DBackpropFilter / Conv2DBackpropInput
 *             kernels (src/backends/wasm_kernels.ts), without which it cannot train conv nets.
 * - `cpu`:    TF.js's pure-JS backend: correct everywhere, too slow to train (<1 GFLOP/s for conv).
 * - `tensorflow`: @tensorflow/tfjs-node, only when the user has installed it; never a dependency.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { UserError, unknownKind } from '../util/errors.js';
import { installTfjsPatches } from './tfjs_patches.js';

import { BACKEND_KINDS, type BackendKind } from './kinds.js';

export { BACKEND_KINDS, type BackendKind } from './kinds.js';

const require = createRequire(import.meta.url);

// PROD silences TF.js's console warnings, chiefly the cpu backend's banner urging tfjs-node on every
// run; our own backend choice is printed by the CLI instead.
tf.env().set('PROD', true);

type Loader = () => Promise<boolean>;

const loaders: Record<Exclude<BackendKind, 'auto'>, Loader> = {
  async native() {
    const m = await import('./native.js');
    return m.registerNativeBackend();
  },
  async wasm() {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The .wasm binaries ship inside the npm package; TF.js must be told where (it cannot guess in Node).
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    wasm.setWasmPaths(path.join(dir, 'dist') + path.sep);
    const { registerWasmKernels } = await import('./wasm_kernels.js');
    registerWasmKernels();
    // Experimental: WGAN_WASM_THREADS=N runs the multi-threaded binary (no gain measured on 2 cores).
    const threads = Number(process.env.WGAN_WASM_THREADS ?? 0);
    if (threads >= 2) (await import('./wasm_threads_node.js')).useWasmThreads(threads);
    return true;
  },
  async cpu() {
    return true; // registered by importing @tensorflow/tfjs
  },
  async tensorflow() {
    try {
      // A variable specifier keeps TypeScript from requiring the optional package's types.
      const name = '@tensorflow/tfjs-node';
      await import(name);
      return true;
    } catch {
      return false;
    }
  },
};

let active: string | undefined;

/**
 * Load and activate a backend; returns the name actually in use. Throws UserError when an explicitly
 * requested backend cannot load. `auto` never throws while `cpu` works; `onNotice` gets one line when
 * it had to fall back from native.
 */
export async function initBackend(kind: string = 'auto', onNotice: (msg: string) => void = () => {}): Promise<string> {
  if (!(BACKEND_KINDS as readonly string[]).includes(kind)) unknownKind('backend', kind, BACKEND_KINDS);
  const order: Exclude<BackendKind, 'auto'>[] =
    kind === 'auto' ? ['native', 'wasm', 'cpu'] : [kind as Exclude<BackendKind, 'auto'>];
  for (const k of order) {
    let ok = false;
    let why = '';
    try {
      ok = await loaders[k]();
      if (ok) ok = await tf.setBackend(k);
      if (ok) await tf.ready();
    } catch (e) {
      ok = false;
      why = (e as Error).message;
    }
    if (ok) {
      active = tf.getBackend();
      // Faster, mathematically identical gradients for this backend (src/backends/tfjs_patches.ts).
      installTfjsPatches(active);
      return active;
    }
    if (kind !== 'auto') {
      const hint =
        k === 'tensorflow'
          ? ' (install it with `npm install @tensorflow/tfjs-node`; it needs to download libtensorflow)'
          : k === 'native'
            ? ' (the native addon did not build or load; run `npm run build:native`)'
            : '';
      throw new UserError(`backend '${k}' could not be loaded${why ? `: ${why}` : ''}${hint}`);
    }
    if (k === 'native') onNotice(`native backend unavailable${why ? ` (${why})` : ''}; falling back to wasm`);
  }
  throw new UserError('no TF.js backend could be loaded');
}

/** The backend selected by initBackend (or TF.js's current one). */
export function activeBackend(): string {
  return active ?? tf.getBackend();
}

/**
 * The backends among `want` that load, in order; `onSkip` hears about each one that does not (its
 * reason). Used by the benchmarks and by the end-to-end tests' backend list.
 */
export async function loadableBackends(
  want: string[],
  onSkip: (backend: string, why: string) => void = () => {},
): Promise<string[]> {
  const ok: string[] = [];
  for (const b of want) {
    try {
      await initBackend(b);
      ok.push(b);
    } catch (e) {
      onSkip(b, (e as Error).message);
    }
  }
  return ok;
}
