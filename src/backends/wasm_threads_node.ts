/**
 * Node only: the experimental multi-threaded wasm binary (kept apart from wasm_kernels.ts, which the
 * browser bundle imports and which must stay free of Node modules).
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BACKEND = 'wasm';

/**
 * Experimental (env WGAN_WASM_THREADS=N, or call before tf.setBackend('wasm')): run the wasm backend on
 * the multi-threaded SIMD binary with N XNNPACK threads. TF.js turns threads off in Node because its
 * loader hands Emscripten blob: URLs, which worker_threads cannot load; here the pthread worker script
 * is written to a temporary file and the main script is given by path. Returns false (and changes
 * nothing) once the wasm backend is initialized. Measured on the shared 2-core machine: no speedup
 * (see bench/kernels.ts); it may pay off on an idle machine with ≥ 4 cores.
 */
export function useWasmThreads(threads: number): boolean {
  if (tf.findBackend(BACKEND)) return false;
  const require = createRequire(import.meta.url);
  const pkg = require('@tensorflow/tfjs-backend-wasm') as {
    BackendWasm: new (module: unknown) => tf.KernelBackend;
    setThreadsCount(n: number): void;
  };
  const root = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const out = path.join(root, 'wasm-out');
  const mainJs = path.join(out, 'tfjs-backend-wasm-threaded-simd.js');
  tf.removeBackend(BACKEND);
  tf.registerBackend(
    BACKEND,
    async () => {
      const factory = require(mainJs) as (config: object) => Promise<EmscriptenModule>;
      // The shipped "worker.js" is a module exporting the worker's source; un-escape \n as TF.js does.
      const { wasmWorkerContents } = require(path.join(out, 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
        wasmWorkerContents: string;
      };
      const version = (require('@tensorflow/tfjs-backend-wasm/package.json') as { version: string }).version;
      const workerJs = path.join(os.tmpdir(), `wgan-inpaint-tfjs-wasm-${version}-worker.cjs`);
      const tmp = `${workerJs}.${process.pid}`;
      writeFileSync(tmp, wasmWorkerContents.replace(/\n/g, '\\n'));
      renameSync(tmp, workerJs); // atomic: concurrent processes never see a half-written file
      // The C++ side caps its pool at (logical cores / 2) (it assumes hyper-threading), read once at
      // instantiation through os.cpus() in Node: report 2·threads while it instantiates.
      const cpus = os.cpus;
      os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => cpus()[i % cpus().length]!);
      let mod: EmscriptenModule;
      try {
        mod = await factory({
          locateFile: (p: string) =>
            p.endsWith('.worker.js') ? workerJs : p.endsWith('.wasm') ? path.join(root, 'dist', p) : path.join(out, p),
          mainScriptUrlOrBlob: mainJs,
        });
      } finally {
        os.cpus = cpus;
      }
      mod.tfjs = {
        init: mod.cwrap('init', null, []),
        initWithThreadsCount: mod.cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: mod.cwrap('get_threads_count', 'number', []),
        registerTensor: mod.cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: mod.cwrap('dispose_data', null, ['number']),
        dispose: mod.cwrap('dispose', null, []),
      };
      pkg.setThreadsCount(threads);
      const backend = new pkg.BackendWasm(mod); // creates the XNNPACK thread pool
      // The pool's workers stay busy-waiting on shared memory and would keep Node alive forever.
      for (const w of [...(mod.PThread?.runningWorkers ?? []), ...(mod.PThread?.unusedWorkers ?? [])]) w.unref();
      return backend;
    },
    2,
  );
  return true;
}

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => unknown;
  tfjs?: Record<string, (...a: number[]) => unknown>;
  PThread?: { runningWorkers: { unref(): void }[]; unusedWorkers: { unref(): void }[] };
}
