// Direct AVX-512 convolutions for layers with few input channels (the AVX2 variant: conv_small_avx2.cc): the critic's first conv and the
// generator's last transposed conv on RGB or grey images (ci = 3 or 1, 4×4 kernels, stride 2). There
// K = kh·kw·ci is 48 or 16, and the im2col GEMM spends more time packing (a transpose of every patch
// into the 12-row panel) or scattering its 48-column col buffer than multiplying: 53–94 GFLOP/s on
// the 64-px first layer against 150–200 on every other layer (docs/BENCHMARKS.md).
//
// Here a kernel row's taps (kw·ci ≤ 12 floats, contiguous in NHWC) are read straight from a
// zero-padded copy of the input row, so nothing is packed:
//   forward          12 output pixels × 32 output channels in 24 zmm; per tap 2 filter vectors and
//                    12 broadcasts of the pixels' tap value; the taps summed in the GEMM's order
//                    (ky, kx, c), so the result is bit-identical to the im2col GEMM's;
//   backprop input   8 dy pixels × K (≤ 48) taps in 24 zmm (dy broadcast, fᵀ rows as vectors, summed
//                    over co in order, as the GEMM did), scattered at once into a zero-padded copy of
//                    the image's dx in the order col2im used (oy, ox, ky, kx): bit-identical too;
//   backprop filter  per kernel row, kw·ci (≤ 12) taps × 32 output channels in 24 zmm, summed over
//                    the pixels of a block of rows in registers; blocks' partial sums are added in
//                    block order, so the result does not depend on the thread count (it differs from
//                    the GEMM's blocked order by rounding only).
// This translation unit alone is compiled with -mavx512f; conv.cc calls it only when the AVX-512
// micro-kernel is the one in use (so WGAN_NATIVE_GEMM=avx2|generic and the tests' kernel switches
// still run the GEMM paths).
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

inline __mmask16 mask_of(int n) {
  return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1u);
}

thread_local AlignedBuf g_rows;  // padded input rows (forward, filter gradient)
thread_local AlignedBuf g_dxp;   // a padded dx image (input gradient)

// Output pixels per forward tile and per input-gradient tile.
constexpr int kTileF = 12, kTileB = 8;



}  // namespace

bool conv_small_fits(const ConvParams& p) {
  return p.dh == 1 && p.dw == 1 && p.kw * p.ci <= 12 && (long)p.kh * p.kw * p.ci <= 48 && p.kh <= 16 && p.n > 0 && p.ho > 0 &&
         p.wo > 0 && p.co > 0 && p.pl >= 0 && p.pt >= 0 && p.pl < p.kw && p.pt < p.kh;
}

void conv2d_small_avx512(const ConvParams& p, const float* x, const float* f, float* y) {
  const int R = p.kw * p.ci;  // taps of one kernel row, contiguous in a padded row
  const long len = padded_row_floats(p, kTileF);
  const long rows = (long)p.n * p.ho;
  parallel_for((int)std::min<long>(rows, 1 << 20), [&](int task) {
    const long n = task / p.ho;
    const int oy = (int)(task % p.ho);
    PaddedRows in;
    pad_rows(p, x, n, oy, len, g_rows.get((size_t)(len * p.kh)), &in);
    float* yrow = y + (n * p.ho + oy) * (long)p.wo * p.co;
    for (int ox0 = 0; ox0 < p.wo; ox0 += kTileF) {
      const int mr = std::min(kTileF, p.wo - ox0);
      for (int cb = 0; cb < p.co; cb += 32) {
        const __mmask16 m0 = mask_of(p.co - cb), m1 = mask_of(p.co - cb - 16);
        __m512 acc[kTileF][2];
#pragma GCC unroll 12
        for (int j = 0; j < kTileF; ++j) acc[j][0] = acc[j][1] = _mm512_setzero_ps();
        for (int u = 0; u < in.n; ++u) {
          const float* src = in.base[u] + (long)ox0 * p.sw * p.ci;
          const float* frow = f + (long)in.ky[u] * R * p.co + cb;
          const long step = (long)p.sw * p.ci;
          for (int t = 0; t < R; ++t, frow += p.co) {
            const __m512 b0 = _mm512_maskz_loadu_ps(m0, frow), b1 = _mm512_maskz_loadu_ps(m1, frow + 16);
#pragma GCC unroll 12
            for (int j = 0; j < kTileF; ++j) {
              const __m512 a = _mm512_set1_ps(src[j * step + t]);
              acc[j][0] = _mm512_fmadd_ps(a, b0, acc[j][0]);
              acc[j][1] = _mm512_fmadd_ps(a, b1, acc[j][1]);
            }
          }
        }
        // Constant indices only (unrolled): an accumulator indexed at run time would live in memory.
#pragma GCC unroll 12
        for (int j = 0; j < kTileF; ++j) {
          if (j >= mr) break;
          float* o = yrow + (long)(ox0 + j) * p.co + cb;
          _mm512_mask_storeu_ps(o, m0, acc[j][0]);
          _mm512_mask_storeu_ps(o + 16, m1, acc[j][1]);
        }
      }
    }
  });
}

void conv2d_backprop_input_small_avx512(const ConvParams& p, const float* dy, const float* f, float* dx) {
  const int R = p.kw * p.ci, K = p.kh * R;
  // fᵀ: row co holds the K taps (ky, kx, c), zero-padded to 48 (3 vectors).
  const std::vector<float> ft = filter_t48(p, f);
  const __mmask16 mk0 = mask_of(K), mk1 = mask_of(K - 16), mk2 = mask_of(K - 32), mr_ = mask_of(R);
  const long prow = PaddedImage(p).prow;
  auto rows = []() -> AlignedBuf& { return g_dxp; };
  input_gradient<kTileB>(p, dy, dx, rows, [&](float* img, const float* drow, int ox0, int mr) {
    alignas(64) float tile[kTileB][48];
    __m512 acc[kTileB][3];
    const float* dj[kTileB];
    for (int j = 0; j < kTileB; ++j) dj[j] = drow + (long)(ox0 + std::min(j, mr - 1)) * p.co;
    // Over co in the GEMM's K blocks (kKC): each block's sum starts at 0 and is added to the
    // previous blocks' (acc + C, as its micro-kernel accumulates), so the sums round alike.
    for (int c0 = 0; c0 < p.co; c0 += kKC) {
#pragma GCC unroll 8
      for (int j = 0; j < kTileB; ++j) acc[j][0] = acc[j][1] = acc[j][2] = _mm512_setzero_ps();
      for (int c = c0; c < std::min(p.co, c0 + kKC); ++c) {
        const float* fr = ft.data() + (size_t)c * 48;
        const __m512 b0 = _mm512_loadu_ps(fr), b1 = _mm512_loadu_ps(fr + 16), b2 = _mm512_loadu_ps(fr + 32);
#pragma GCC unroll 8
        for (int j = 0; j < kTileB; ++j) {
          const __m512 a = _mm512_set1_ps(dj[j][c]);
          acc[j][0] = _mm512_fmadd_ps(a, b0, acc[j][0]);
          acc[j][1] = _mm512_fmadd_ps(a, b1, acc[j][1]);
          acc[j][2] = _mm512_fmadd_ps(a, b2, acc[j][2]);
        }
      }
      // Constant indices only (unrolled): an accumulator indexed at run time would live in memory.
#pragma GCC unroll 8
      for (int j = 0; j < kTileB; ++j) {
        if (j >= mr) break;
#pragma GCC unroll 3
        for (int v = 0; v < 3; ++v) {
          const __mmask16 m = v == 0 ? mk0 : v == 1 ? mk1 : mk2;
          float* t = tile[j] + 16 * v;
          _mm512_mask_storeu_ps(t, m, c0 == 0 ? acc[j][v] : _mm512_add_ps(acc[j][v], _mm512_maskz_loadu_ps(m, t)));
        }
      }
    }
    // col2im's order: pixel by pixel, kernel row by kernel row (its kw·ci taps at once).
    for (int j = 0; j < mr; ++j) {
      const long col = (long)(ox0 + j) * p.sw * p.ci;
      for (int ky = 0; ky < p.kh; ++ky) {
        float* d = img + (long)ky * prow + col;
        _mm512_mask_storeu_ps(
            d, mr_, _mm512_add_ps(_mm512_maskz_loadu_ps(mr_, d), _mm512_maskz_loadu_ps(mr_, tile[j] + ky * R)));
      }
    }
  });
}

void conv2d_backprop_filter_small_avx512(const ConvParams& p, const float* x, const float* dy, float* df) {
  const int R = p.kw * p.ci;
  const long step = (long)p.sw * p.ci;
  auto rows = []() -> AlignedBuf& { return g_rows; };
  filter_gradient(p, x, dy, df, rows, [&](const float* buf, const float* drow, float* dfk) {
    for (int cb = 0; cb < p.co; cb += 32) {
      const __mmask16 m0 = mask_of(p.co - cb), m1 = mask_of(p.co - cb - 16);
      float* o = dfk + cb;
      __m512 acc[12][2];
#pragma GCC unroll 12
      for (int t = 0; t < 12; ++t) {
        acc[t][0] = t < R ? _mm512_maskz_loadu_ps(m0, o + (long)t * p.co) : _mm512_setzero_ps();
        acc[t][1] = t < R ? _mm512_maskz_loadu_ps(m1, o + (long)t * p.co + 16) : _mm512_setzero_ps();
      }
      for (int ox = 0; ox < p.wo; ++ox) {
        const float* src = buf + ox * step;
        const float* d = drow + (long)ox * p.co + cb;
        const __m512 d0 = _mm512_maskz_loadu_ps(m0, d), d1 = _mm512_maskz_loadu_ps(m1, d + 16);
#pragma GCC unroll 12
        for (int t = 0; t < 12; ++t)
          if (t < R) {
            const __m512 a = _mm512_set1_ps(src[t]);
            acc[t][0] = _mm512_fmadd_ps(a, d0, acc[t][0]);
            acc[t][1] = _mm512_fmadd_ps(a, d1, acc[t][1]);
          }
      }
#pragma GCC unroll 12
      for (int t = 0; t < 12; ++t)
        if (t < R) {
          _mm512_mask_storeu_ps(o + (long)t * p.co, m0, acc[t][0]);
          _mm512_mask_storeu_ps(o + (long)t * p.co + 16, m1, acc[t][1]);
        }
    }
  });
}

}  // namespace wn
