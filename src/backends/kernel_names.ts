/**
 * Names of the kernels of our own that a backend may register (no TF.js counterpart). Platform-neutral;
 * shared by the code that calls them (src/backends/fused_adam.ts) and the backends that provide them.
 */

/** Fused Adam step. Inputs {value, m, v, g}; attrs {c: [β1, 1−β1, β2, 1−β2, 1−β1^t, 1−β2^t, ε, −lr]}; outputs [value', m', v']. */
export const FUSED_ADAM_KERNEL = 'WganFusedAdam';

/**
 * Layer normalisation over all of each sample's features (src/models/layers.ts LayerNorm), fused.
 * Inputs {x [N, …], gamma, beta (the features' shape)}; attrs {epsilon}; output y like x.
 */
export const LAYER_NORM_KERNEL = 'WganLayerNorm';
/** Its input gradient: inputs {x, gamma, dy}; attrs {epsilon}; output dx like x. */
export const LAYER_NORM_GRAD_X_KERNEL = 'WganLayerNormGradX';
/** Its scale gradient Σ_samples dy·x̂: inputs {x, dy}; attrs {epsilon}; output like gamma. */
export const LAYER_NORM_GRAD_GAMMA_KERNEL = 'WganLayerNormGradGamma';
/**
 * The input gradient's own gradients (the gradient penalty's second order): inputs {x, gamma, dy, u},
 * u = ∂L/∂dx; attrs {epsilon}; three outputs [∂L/∂x, ∂L/∂γ, ∂L/∂dy] (like x, like gamma, like x), from
 * one pass that computes each row's statistics once.
 */
export const LAYER_NORM_GRAD_X_GRAD_KERNEL = 'WganLayerNormGradXGrad';
