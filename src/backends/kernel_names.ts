/**
 * Names of the kernels of our own that a backend may register (no TF.js counterpart). Platform-neutral;
 * shared by the code that calls them (src/backends/fused_adam.ts) and the backends that provide them.
 */

/** Fused Adam step. Inputs {value, m, v, g}; attrs {c: [β1, 1−β1, β2, 1−β2, 1−β1^t, 1−β2^t, ε, −lr]}; outputs [value', m', v']. */
export const FUSED_ADAM_KERNEL = 'WganFusedAdam';
