// The AVX-512F 12×32 micro-kernel: 24 zmm accumulators (12 rows × 2 vectors of 16 floats), two B
// vectors per k and 12 broadcasts of A, so each k step issues 24 FMAs against 14 loads — enough to
// keep both FMA ports busy. This translation unit alone is compiled with -mavx512f -mfma; sgemm
// calls it only when __builtin_cpu_supports("avx512f") says so. Edge tiles (nr < 32) use masked
// loads/stores, rows beyond mr are simply not stored.
#include <immintrin.h>

#include "gemm.h"

namespace wn {

namespace {
constexpr int MR = kMR512, NR = kNR512;
static_assert(MR == 12 && NR == 32, "the kernel body below is written for 12x32");
}  // namespace

void ukernel_avx512(int kc, const float* a, const float* b, float* c, long ldc, int mr, int nr, bool accumulate) {
  __m512 acc[MR][2];
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
    acc[i][0] = _mm512_setzero_ps();
    acc[i][1] = _mm512_setzero_ps();
  }
  for (int k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * NR), _MM_HINT_T0);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m512 av = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
    }
    a += MR;
    b += NR;
  }
  // Masks for the two 16-float halves of an nr-wide row.
  const __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1u);
  const __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : (nr <= 16 ? (__mmask16)0 : (__mmask16)((1u << (nr - 16)) - 1u));
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
    if (i >= mr) break;
    float* r = c + (long)i * ldc;
    __m512 x0 = acc[i][0], x1 = acc[i][1];
    if (accumulate) {
      x0 = _mm512_add_ps(x0, _mm512_maskz_loadu_ps(m0, r));
      x1 = _mm512_add_ps(x1, _mm512_maskz_loadu_ps(m1, r + 16));
    }
    _mm512_mask_storeu_ps(r, m0, x0);
    _mm512_mask_storeu_ps(r + 16, m1, x1);
  }
}

}  // namespace wn
