/** Placeholder: the project's own wasm kernels are registered here (see issue 2). */
export function registerWasmKernels(): void {}
