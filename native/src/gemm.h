// Single-precision GEMM on strided operands: C = A·B (or C += A·B).
// A(i,k) = a[i*rsa + k*csa] (M×K), B(k,j) = b[k*rsb + j*csb] (K×N), C(i,j) = c[i*ldc + j] (M×N).
// Transposes are expressed by swapping strides, so one driver serves MatMul, BatchMatMul and the
// im2col-based convolutions. Cache-blocked (BLIS loop order), packed, threaded over the pool.
#pragma once
#include <cstddef>

namespace wn {

constexpr int kMR = 6;   // micro-tile rows: 6×16 floats = 12 AVX2 accumulators
constexpr int kNR = 16;  // micro-tile columns

// Micro-kernel: C[mr×nr] (= or +=) Apanel[kc×MR]ᵀ · Bpanel[kc×NR]; the panels are zero-padded.
using UKernel = void (*)(int kc, const float* a, const float* b, float* c, long ldc, int mr, int nr, bool accumulate);

void ukernel_generic(int kc, const float* a, const float* b, float* c, long ldc, int mr, int nr, bool accumulate);
#if defined(__x86_64__)
void ukernel_avx2(int kc, const float* a, const float* b, float* c, long ldc, int mr, int nr, bool accumulate);
#endif

void sgemm(int M, int N, int K, const float* a, long rsa, long csa, const float* b, long rsb, long csb,
           float* c, long ldc, bool accumulate);

// "avx2" or "generic": which micro-kernel sgemm uses (chosen once from the CPU's features).
const char* gemm_kernel_name();
// Force the portable kernel (tests, comparisons). Returns the previous choice.
bool gemm_force_generic(bool on);

}  // namespace wn
