/**
 * Which TF.js backends this browser can run the in-tab search on, found without loading TF.js (the
 * page's main chunk stays small): WebGPU when `navigator.gpu` gives an adapter, WebGL when a WebGL2
 * context can be made, wasm always. `auto` takes the first of them, in that order: the GPU ones keep
 * the search's tensors on the device (the search reads its losses back only every few iterations).
 */
export const BROWSER_BACKENDS = ['webgpu', 'webgl', 'wasm'] as const;
export type BrowserBackend = (typeof BROWSER_BACKENDS)[number];
export type BackendChoice = 'auto' | BrowserBackend;

export const BACKEND_LABELS: Record<BrowserBackend, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'wasm (CPU)' };

let found: Promise<BrowserBackend[]> | null = null;

/** The backends this browser has, fastest first (asked once per page). */
export function availableBackends(): Promise<BrowserBackend[]> {
  found ??= (async () => {
    const out: BrowserBackend[] = [];
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    if (gpu) {
      try {
        if (await gpu.requestAdapter()) out.push('webgpu');
      } catch {
        // no adapter: not offered
      }
    }
    try {
      if (document.createElement('canvas').getContext('webgl2')) out.push('webgl');
    } catch {
      // no WebGL2: not offered
    }
    out.push('wasm');
    return out;
  })();
  return found;
}
