// The direct small-channel convolutions of conv_small_avx512.cc for AVX2/FMA machines (16 ymm
// registers, so smaller tiles): forward 6 output pixels × 16 output channels, input gradient
// 2 dy pixels × 48 taps, filter gradient 6 taps × 16 output channels. The same order of sums as the
// AVX2 GEMM micro-kernel (6×16, FMA per k in order), so forward and input gradient are bit-identical
// to the GEMM paths run with the AVX2 kernel; the filter gradient differs by rounding only and does
// not depend on the thread count. This translation unit alone is compiled with -mavx2 -mfma.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "conv.h"
#include "conv_small.h"
#include "gemm.h"
#include "pool.h"

namespace wn {
namespace {

// Lane mask of the first n of 8 floats (for maskload/maskstore).
inline __m256i lanes(int n) {
  n = std::max(0, std::min(8, n));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Loads and stores of 8 floats of which the first n are wanted: plain when all 8 are (VMASKMOVPS
// stores are slow on AMD cores), masked otherwise.
inline __m256 load_n(const float* p, int n, __m256i m) { return n >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m); }
inline void store_n(float* p, int n, __m256i m, __m256 v) {
  if (n >= 8)
    _mm256_storeu_ps(p, v);
  else
    _mm256_maskstore_ps(p, m, v);
}

thread_local AlignedBuf g_rows2;
thread_local AlignedBuf g_dxp2;

constexpr int kTileF = 6, kTileB = 2, kTapsW = 6;



}  // namespace

void conv2d_small_avx2(const ConvParams& p, const float* x, const float* f, float* y) {
  const int R = p.kw * p.ci;
  const long len = padded_row_floats(p, kTileF);
  const long rows = (long)p.n * p.ho;
  parallel_for((int)std::min<long>(rows, 1 << 20), [&](int task) {
    const long n = task / p.ho;
    const int oy = (int)(task % p.ho);
    PaddedRows in;
    pad_rows(p, x, n, oy, len, g_rows2.get((size_t)(len * p.kh)), &in);
    float* yrow = y + (n * p.ho + oy) * (long)p.wo * p.co;
    const long step = (long)p.sw * p.ci;
    for (int ox0 = 0; ox0 < p.wo; ox0 += kTileF) {
      const int mr = std::min(kTileF, p.wo - ox0);
      for (int cb = 0; cb < p.co; cb += 16) {
        const int nc = p.co - cb;
        const __m256i m0 = lanes(nc), m1 = lanes(nc - 8);
        __m256 acc[kTileF][2];
#pragma GCC unroll 6
        for (int j = 0; j < kTileF; ++j) acc[j][0] = acc[j][1] = _mm256_setzero_ps();
        for (int u = 0; u < in.n; ++u) {
          const float* src = in.base[u] + (long)ox0 * step;
          const float* frow = f + (long)in.ky[u] * R * p.co + cb;
          for (int t = 0; t < R; ++t, frow += p.co) {
            const __m256 b0 = load_n(frow, nc, m0), b1 = load_n(frow + 8, nc - 8, m1);
#pragma GCC unroll 6
            for (int j = 0; j < kTileF; ++j) {
              const __m256 a = _mm256_broadcast_ss(src + j * step + t);
              acc[j][0] = _mm256_fmadd_ps(a, b0, acc[j][0]);
              acc[j][1] = _mm256_fmadd_ps(a, b1, acc[j][1]);
            }
          }
        }
#pragma GCC unroll 6
        for (int j = 0; j < kTileF; ++j) {
          if (j >= mr) break;
          float* o = yrow + (long)(ox0 + j) * p.co + cb;
          store_n(o, nc, m0, acc[j][0]);
          if (nc > 8) store_n(o + 8, nc - 8, m1, acc[j][1]);
        }
      }
    }
  });
}

void conv2d_backprop_input_small_avx2(const ConvParams& p, const float* dy, const float* f, float* dx) {
  const int R = p.kw * p.ci;
  const std::vector<float> ft = filter_t48(p, f);
  const __m256i r0 = lanes(R), r1 = lanes(R - 8);
  const long prow = PaddedImage(p).prow;
  auto rows = []() -> AlignedBuf& { return g_dxp2; };
  input_gradient<kTileB>(p, dy, dx, rows, [&](float* img, const float* drow, int ox0, int mr) {
    alignas(32) float tile[kTileB][48];
    const float* dj[kTileB];
    for (int j = 0; j < kTileB; ++j) dj[j] = drow + (long)(ox0 + std::min(j, mr - 1)) * p.co;
    __m256 acc[kTileB][6];
    for (int c0 = 0; c0 < p.co; c0 += kKC) {
#pragma GCC unroll 2
      for (int j = 0; j < kTileB; ++j)
#pragma GCC unroll 6
        for (int v = 0; v < 6; ++v) acc[j][v] = _mm256_setzero_ps();
      for (int c = c0; c < std::min(p.co, c0 + kKC); ++c) {
        const float* fr = ft.data() + (size_t)c * 48;
        __m256 b[6];
#pragma GCC unroll 6
        for (int v = 0; v < 6; ++v) b[v] = _mm256_loadu_ps(fr + 8 * v);
#pragma GCC unroll 2
        for (int j = 0; j < kTileB; ++j) {
          const __m256 a = _mm256_broadcast_ss(dj[j] + c);
#pragma GCC unroll 6
          for (int v = 0; v < 6; ++v) acc[j][v] = _mm256_fmadd_ps(a, b[v], acc[j][v]);
        }
      }
      // All 48 lanes are stored (taps past K are 0·dy = 0 and never scattered).
#pragma GCC unroll 2
      for (int j = 0; j < kTileB; ++j) {
        if (j >= mr) break;
#pragma GCC unroll 6
        for (int v = 0; v < 6; ++v) {
          float* t = tile[j] + 8 * v;
          _mm256_store_ps(t, c0 == 0 ? acc[j][v] : _mm256_add_ps(acc[j][v], _mm256_load_ps(t)));
        }
      }
    }
    for (int j = 0; j < mr; ++j) {
      const long col = (long)(ox0 + j) * p.sw * p.ci;
      for (int ky = 0; ky < p.kh; ++ky) {
        float* d = img + (long)ky * prow + col;
        const float* s = tile[j] + ky * R;
        store_n(d, R, r0, _mm256_add_ps(load_n(d, R, r0), load_n(s, R, r0)));
        if (R == 12)  // the common 4×3 kernel row: 8 + 4 floats, no masks
          _mm_storeu_ps(d + 8, _mm_add_ps(_mm_loadu_ps(d + 8), _mm_loadu_ps(s + 8)));
        else if (R > 8)
          store_n(d + 8, R - 8, r1, _mm256_add_ps(load_n(d + 8, R - 8, r1), load_n(s + 8, R - 8, r1)));
      }
    }
  });
}

void conv2d_backprop_filter_small_avx2(const ConvParams& p, const float* x, const float* dy, float* df) {
  const int R = p.kw * p.ci;
  const long step = (long)p.sw * p.ci;
  auto rows = []() -> AlignedBuf& { return g_rows2; };
  filter_gradient(p, x, dy, df, rows, [&](const float* buf, const float* drow, float* dfk) {
    for (int t0 = 0; t0 < R; t0 += kTapsW) {
      const int nt = std::min(kTapsW, R - t0);
      for (int cb = 0; cb < p.co; cb += 16) {
        const int nc = p.co - cb;
        const __m256i m0 = lanes(nc), m1 = lanes(nc - 8);
        float* o = dfk + (long)t0 * p.co + cb;
        __m256 acc[kTapsW][2];
#pragma GCC unroll 6
        for (int t = 0; t < kTapsW; ++t) {
          acc[t][0] = t < nt ? load_n(o + (long)t * p.co, nc, m0) : _mm256_setzero_ps();
          acc[t][1] = t < nt ? load_n(o + (long)t * p.co + 8, nc - 8, m1) : _mm256_setzero_ps();
        }
        for (int ox = 0; ox < p.wo; ++ox) {
          const float* src = buf + ox * step + t0;
          const float* d = drow + (long)ox * p.co + cb;
          const __m256 d0 = load_n(d, nc, m0), d1 = load_n(d + 8, nc - 8, m1);
#pragma GCC unroll 6
          for (int t = 0; t < kTapsW; ++t)
            if (t < nt) {
              const __m256 a = _mm256_broadcast_ss(src + t);
              acc[t][0] = _mm256_fmadd_ps(a, d0, acc[t][0]);
              acc[t][1] = _mm256_fmadd_ps(a, d1, acc[t][1]);
            }
        }
#pragma GCC unroll 6
        for (int t = 0; t < kTapsW; ++t)
          if (t < nt) {
            store_n(o + (long)t * p.co, nc, m0, acc[t][0]);
            if (nc > 8) store_n(o + (long)t * p.co + 8, nc - 8, m1, acc[t][1]);
          }
      }
    }
  });
}

}  // namespace wn
