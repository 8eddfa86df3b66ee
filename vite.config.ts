/**
 * Builds the web page (src/web) into web-dist/, which `wgan-inpaint serve` serves. `npm run build:web`.
 * The TF.js wasm binaries are copied into web-dist/tfjs-wasm/ so browser-side inpainting finds them
 * (src/web/compute.ts points setWasmPaths there). For `vite dev`, the API is proxied to a running
 * `wgan-inpaint serve` on port 8080.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const WASM_DIR = path.join(here, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** Emit the wasm binaries as build assets under fixed names (no hash: TF.js asks for these names). */
function tfjsWasm(): Plugin {
  return {
    name: 'wgan-inpaint:tfjs-wasm',
    generateBundle() {
      for (const f of WASM_FILES)
        this.emitFile({ type: 'asset', fileName: `tfjs-wasm/${f}`, source: fs.readFileSync(path.join(WASM_DIR, f)) });
    },
  };
}

// Cross-origin isolation (SharedArrayBuffer → wasm threads), as the real server sends it.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const api = 'http://127.0.0.1:8080';

export default defineConfig({
  root: path.join(here, 'src', 'web'),
  base: './',
  publicDir: false,
  plugins: [tfjsWasm()],
  build: {
    outDir: path.join(here, 'web-dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    reportCompressedSize: false,
  },
  server: {
    headers: isolation,
    proxy: { '/api': api, '/models': api, '/run': api, '/healthz': api },
    fs: { allow: [here] },
  },
  preview: { headers: isolation },
});
