// Memory-bound kernels: elementwise unary/binary (numpy broadcasting), reductions, transpose, the
// per-channel affine map used by batch-norm and fused bias+activation, and AddN.
// The op numbering is shared with src/backends/native.ts (UNARY/BINARY/REDUCE tables there).
#pragma once
#include <cstdint>
#include <vector>

namespace wn {

enum Unary {
  kLinear = 0, kRelu, kRelu6, kLeakyRelu, kSigmoid, kTanh, kAbs, kNeg, kExp, kLog, kSqrt, kRsqrt, kSquare,
  kSign, kStep, kReciprocal, kElu, kSoftplus, kLog1p, kUnaryCount
};
enum Binary { kAdd = 0, kSub, kMul, kDiv, kSqDiff, kMax, kMin, kPow, kFirst, kBinaryCount };  // kFirst: copy a (Tile)
enum Reduce { kSum = 0, kMean, kMax_, kMin_, kReduceCount };

void unary(int op, const float* x, float* y, long n, float alpha);
void binary(int op, const float* a, const std::vector<int64_t>& sa, const float* b, const std::vector<int64_t>& sb,
            float* out, const std::vector<int64_t>& so);
void reduce(int op, const float* x, const std::vector<int64_t>& shape, const std::vector<int64_t>& mask, float* y);
void transpose(const float* x, const std::vector<int64_t>& shape, const std::vector<int64_t>& perm, float* y);
void channel_affine(const float* x, float* y, long n, long C, const float* scale, long ns, const float* shift, long nt,
                    int act, float alpha);
void add_n(const std::vector<const float*>& srcs, float* out, long n);
// One Adam step, elementwise, in TF.js's operation order (so results are bit-identical to
// tf.train.adam): c = [β1, 1−β1, β2, 1−β2, 1−β1^t, 1−β2^t, ε, −lr].
void adam(const float* value, const float* m, const float* v, const float* g, float* new_value, float* new_m,
          float* new_v, long n, const float* c);

// Layer normalisation over each of the N rows of x [N, F] (a sample's H·W·C features), with a per-feature
// scale γ and shift β [F]: y = (x − μ)·r·γ + β, r = 1/√(σ² + ε), μ and σ² the row's mean and (biased)
// variance, accumulated in double. Its gradients from dy, the statistics recomputed from x:
// layer_norm_grad_x: dx = r·(g − mean(g) − x̂·mean(g·x̂)) per row, g = dy·γ, x̂ = (x − μ)·r;
// layer_norm_grad_gamma: dγ = Σ_rows dy·x̂ (rows summed in order: deterministic). (dβ = Σ_rows dy.)
void layer_norm(const float* x, const float* gamma, const float* beta, float* y, long N, long F, float eps);
void layer_norm_grad_x(const float* x, const float* gamma, const float* dy, float* dx, long N, long F, float eps);
void layer_norm_grad_gamma(const float* x, const float* dy, float* dgamma, long N, long F, float eps);
// The second order: layer_norm_grad_x's own gradients from u = ∂L/∂dx (the gradient penalty
// differentiates the critic's input gradient once more). Per row, xc = x − μ, g = dy·γ, a = g − mean(g),
// s = mean(g·xc), A = mean(u·a), B = mean(u·xc):
//   ∂L/∂x  = −r³·xc·(A − 3r²·s·B) − r³·s·(u − mean(u)) − r³·B·a
//   ∂L/∂dy = γ·q,  ∂L/∂γ = Σ_rows dy·q,  q = ∂L/∂g = r·(u − mean(u)) − r³·xc·B.
// Any of ddx, ddy, dgamma may be null (not computed).
void layer_norm_grad_x_grad(const float* x, const float* gamma, const float* dy, const float* u, float* ddx,
                            float* ddy, float* dgamma, long N, long F, float eps);

}  // namespace wn
