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

// Floats per padded input row: every tap of every (possibly ragged) tile lands inside it.
inline long padded_row_floats(const ConvParams& p, int tile) {
  const long tiles = (p.wo + tile - 1) / tile;
  return ((tiles * tile - 1) * (long)p.sw + p.kw) * p.ci + 16;
}

// Row iy of image n, zero-padded: element (ix, c) at dst[(ix + pl)·ci + c] for ix in [−pl, …).
inline void pad_row(const ConvParams& p, const float* x, long n, int iy, long len, float* dst) {
  std::memset(dst, 0, sizeof(float) * (size_t)len);
  const long off = (long)p.pl * p.ci;
  const long avail = std::min<long>((long)p.w * p.ci, len - off);
  if (avail > 0) std::memcpy(dst + off, x + ((n * p.h + iy) * (long)p.w) * p.ci, sizeof(float) * (size_t)avail);
}

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
    float* buf = g_rows.get((size_t)(len * p.kh));
    const float* base[16];
    int nky = 0, kys[16];
    for (int ky = 0; ky < p.kh; ++ky) {
      const int iy = oy * p.sh - p.pt + ky;
      if (iy < 0 || iy >= p.h) continue;  // the GEMM multiplied zeros here: adding 0 changes nothing
      pad_row(p, x, n, iy, len, buf + (long)nky * len);
      base[nky] = buf + (long)nky * len;
      kys[nky++] = ky;
    }
    float* yrow = y + (n * p.ho + oy) * (long)p.wo * p.co;
    for (int ox0 = 0; ox0 < p.wo; ox0 += kTileF) {
      const int mr = std::min(kTileF, p.wo - ox0);
      for (int cb = 0; cb < p.co; cb += 32) {
        const __mmask16 m0 = mask_of(p.co - cb), m1 = mask_of(p.co - cb - 16);
        __m512 acc[kTileF][2];
#pragma GCC unroll 12
        for (int j = 0; j < kTileF; ++j) acc[j][0] = acc[j][1] = _mm512_setzero_ps();
        for (int u = 0; u < nky; ++u) {
          const float* src = base[u] + (long)ox0 * p.sw * p.ci;
          const float* frow = f + (long)kys[u] * R * p.co + cb;
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
  std::vector<float> ft((size_t)p.co * 48, 0.f);
  for (int k = 0; k < K; ++k)
    for (int c = 0; c < p.co; ++c) ft[(size_t)c * 48 + k] = f[(long)k * p.co + c];
  const __mmask16 mk0 = mask_of(K), mk1 = mask_of(K - 16), mk2 = mask_of(K - 32), mr_ = mask_of(R);
  // The padded image: rows −pt … (ho−1)·sh − pt + kh − 1, columns −pl … likewise (every tap inside).
  const long ph = (long)(p.ho - 1) * p.sh + p.kh, pw = (long)(p.wo - 1) * p.sw + p.kw;
  const long prow = pw * p.ci + 16;  // + room for a 16-float masked access at a row's end
  const long hw = (long)p.h * p.w * p.ci;
  // Whole images per task: images are disjoint, so threads never write the same dx.
  parallel_for((int)std::min<long>(p.n, 1 << 20), [&](int n) {
    float* img = g_dxp.get((size_t)(ph * prow));
    std::memset(img, 0, sizeof(float) * (size_t)(ph * prow));
    alignas(64) float tile[kTileB][48];
    for (int oy = 0; oy < p.ho; ++oy) {
      const float* drow = dy + (((long)n * p.ho + oy) * p.wo) * p.co;
      for (int ox0 = 0; ox0 < p.wo; ox0 += kTileB) {
        const int mr = std::min(kTileB, p.wo - ox0);
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
            float* d = img + ((long)oy * p.sh + ky) * prow + col;
            _mm512_mask_storeu_ps(
                d, mr_, _mm512_add_ps(_mm512_maskz_loadu_ps(mr_, d), _mm512_maskz_loadu_ps(mr_, tile[j] + ky * R)));
          }
        }
      }
    }
    // The image's rows and columns inside [0, h) × [0, w) (padding outside is dropped, as col2im did).
    float* out = dx + (long)n * hw;
    for (int iy = 0; iy < p.h; ++iy) {
      const long py = (long)iy + p.pt;
      float* o = out + (long)iy * p.w * p.ci;
      if (py >= ph) {
        std::memset(o, 0, sizeof(float) * (size_t)p.w * p.ci);
        continue;
      }
      const long avail = std::max<long>(0, std::min<long>(p.w, pw - p.pl));
      std::memcpy(o, img + py * prow + (long)p.pl * p.ci, sizeof(float) * (size_t)(avail * p.ci));
      if (avail < p.w) std::memset(o + avail * p.ci, 0, sizeof(float) * (size_t)((p.w - avail) * p.ci));
    }
  });
}

void conv2d_backprop_filter_small_avx512(const ConvParams& p, const float* x, const float* dy, float* df) {
  const int R = p.kw * p.ci;
  const long K = (long)p.kh * R;
  const long len = padded_row_floats(p, 1);
  const long rows = (long)p.n * p.ho;
  // Blocks of output rows, each summed into its own partial df; the partials are added in block order.
  const long per = std::max<long>(1, 4096 / std::max(1, p.wo));
  const long nblocks = (rows + per - 1) / per;
  std::vector<float> part((size_t)(nblocks * K * p.co));
  parallel_for((int)std::min<long>(nblocks, 1 << 20), [&](int b) {
    float* acc_out = part.data() + (size_t)b * K * p.co;
    std::memset(acc_out, 0, sizeof(float) * (size_t)(K * p.co));
    float* buf = g_rows.get((size_t)len);
    for (long r = b * per; r < std::min(rows, (b + 1) * per); ++r) {
      const long n = r / p.ho;
      const int oy = (int)(r % p.ho);
      const float* drow = dy + r * p.wo * p.co;
      for (int ky = 0; ky < p.kh; ++ky) {
        const int iy = oy * p.sh - p.pt + ky;
        if (iy < 0 || iy >= p.h) continue;
        pad_row(p, x, n, iy, len, buf);
        for (int cb = 0; cb < p.co; cb += 32) {
          const __mmask16 m0 = mask_of(p.co - cb), m1 = mask_of(p.co - cb - 16);
          float* o = acc_out + (long)ky * R * p.co + cb;
          __m512 acc[12][2];
#pragma GCC unroll 12
          for (int t = 0; t < 12; ++t) {
            acc[t][0] = t < R ? _mm512_maskz_loadu_ps(m0, o + (long)t * p.co) : _mm512_setzero_ps();
            acc[t][1] = t < R ? _mm512_maskz_loadu_ps(m1, o + (long)t * p.co + 16) : _mm512_setzero_ps();
          }
          const long step = (long)p.sw * p.ci;
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
      }
    }
  });
  std::memcpy(df, part.data(), sizeof(float) * (size_t)(K * p.co));
  for (long b = 1; b < nblocks; ++b) {
    const float* s = part.data() + (size_t)b * K * p.co;
    for (long i = 0; i < K * p.co; ++i) df[i] += s[i];
  }
}

}  // namespace wn
