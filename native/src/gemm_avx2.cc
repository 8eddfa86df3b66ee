// The AVX2+FMA 6×16 micro-kernel. This translation unit alone is compiled with -mavx2 -mfma; sgemm
// calls it only when __builtin_cpu_supports says the CPU has both, so the addon still loads elsewhere.
#include <immintrin.h>

#include "gemm.h"

namespace wn {

void ukernel_avx2(int kc, const float* a, const float* b, float* c, long ldc, int mr, int nr, bool accumulate) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();

#define WN_STEP(o)                                            \
  {                                                           \
    const __m256 b0 = _mm256_load_ps(b + (o) * 16);           \
    const __m256 b1 = _mm256_load_ps(b + (o) * 16 + 8);       \
    __m256 av = _mm256_broadcast_ss(a + (o) * 6 + 0);         \
    c00 = _mm256_fmadd_ps(av, b0, c00);                       \
    c01 = _mm256_fmadd_ps(av, b1, c01);                       \
    av = _mm256_broadcast_ss(a + (o) * 6 + 1);                \
    c10 = _mm256_fmadd_ps(av, b0, c10);                       \
    c11 = _mm256_fmadd_ps(av, b1, c11);                       \
    av = _mm256_broadcast_ss(a + (o) * 6 + 2);                \
    c20 = _mm256_fmadd_ps(av, b0, c20);                       \
    c21 = _mm256_fmadd_ps(av, b1, c21);                       \
    av = _mm256_broadcast_ss(a + (o) * 6 + 3);                \
    c30 = _mm256_fmadd_ps(av, b0, c30);                       \
    c31 = _mm256_fmadd_ps(av, b1, c31);                       \
    av = _mm256_broadcast_ss(a + (o) * 6 + 4);                \
    c40 = _mm256_fmadd_ps(av, b0, c40);                       \
    c41 = _mm256_fmadd_ps(av, b1, c41);                       \
    av = _mm256_broadcast_ss(a + (o) * 6 + 5);                \
    c50 = _mm256_fmadd_ps(av, b0, c50);                       \
    c51 = _mm256_fmadd_ps(av, b1, c51);                       \
  }

  int k = 0;
  for (; k + 4 <= kc; k += 4) {
    _mm_prefetch(reinterpret_cast<const char*>(a + 6 * 8), _MM_HINT_T0);
    WN_STEP(0)
    WN_STEP(1)
    WN_STEP(2)
    WN_STEP(3)
    a += 24;
    b += 64;
  }
  for (; k < kc; ++k) {
    WN_STEP(0)
    a += 6;
    b += 16;
  }
#undef WN_STEP

  if (mr == 6 && nr == 16) {
    float* r = c;
#define WN_ROW(x0, x1)                                                          \
  if (accumulate) {                                                             \
    x0 = _mm256_add_ps(x0, _mm256_loadu_ps(r));                                 \
    x1 = _mm256_add_ps(x1, _mm256_loadu_ps(r + 8));                             \
  }                                                                             \
  _mm256_storeu_ps(r, x0);                                                      \
  _mm256_storeu_ps(r + 8, x1);                                                  \
  r += ldc;
    WN_ROW(c00, c01)
    WN_ROW(c10, c11)
    WN_ROW(c20, c21)
    WN_ROW(c30, c31)
    WN_ROW(c40, c41)
    WN_ROW(c50, c51)
#undef WN_ROW
    return;
  }
  alignas(32) float t[6][16];
  _mm256_store_ps(t[0], c00);
  _mm256_store_ps(t[0] + 8, c01);
  _mm256_store_ps(t[1], c10);
  _mm256_store_ps(t[1] + 8, c11);
  _mm256_store_ps(t[2], c20);
  _mm256_store_ps(t[2] + 8, c21);
  _mm256_store_ps(t[3], c30);
  _mm256_store_ps(t[3] + 8, c31);
  _mm256_store_ps(t[4], c40);
  _mm256_store_ps(t[4] + 8, c41);
  _mm256_store_ps(t[5], c50);
  _mm256_store_ps(t[5] + 8, c51);
  store_tile(t, c, ldc, mr, nr, accumulate);
}

}  // namespace wn
