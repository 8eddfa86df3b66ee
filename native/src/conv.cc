#include "conv.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "gemm.h"
#if defined(__SSE2__)
#include <xmmintrin.h>
#endif
#include "pool.h"

namespace wn {
namespace {

// The input gradient's col buffer is filled and scattered (col2im) in chunks of at most this many
// floats (4 MiB, whole images): small enough to stay in cache between the GEMM and col2im (≈ 3 %
// faster in a training step than 32 MiB chunks), large enough that re-packing the filter per chunk
// is negligible.
constexpr long kChunkFloats = 1L << 20;

thread_local AlignedBuf g_col;  // per calling thread (Node worker threads may each use the addon)

inline long kdim(const ConvParams& p) { return (long)p.kh * p.kw * p.ci; }

bool is_pointwise(const ConvParams& p) {
  return p.kh == 1 && p.kw == 1 && p.sh == 1 && p.sw == 1 && p.pt == 0 && p.pl == 0 && p.ho == p.h && p.wo == p.w;
}

// Scatter-add col rows [m0,m1) (whole images only) back into dx; images are disjoint, so threads
// split them without races.
void col2im(const ConvParams& p, const float* col, long m0, long m1, float* dx) {
  const long K = kdim(p);
  const long hw = (long)p.ho * p.wo;
  const long n0 = m0 / hw, n1 = m1 / hw;
  auto image = [&](long n) {
    for (int oy = 0; oy < p.ho; ++oy)
      for (int ox = 0; ox < p.wo; ++ox) {
        const float* src = col + ((n * hw + (long)oy * p.wo + ox) - m0) * K;
        for (int ky = 0; ky < p.kh; ++ky) {
          const int iy = oy * p.sh - p.pt + ky * p.dh;
          if (iy < 0 || iy >= p.h) {
            src += (long)p.kw * p.ci;
            continue;
          }
          for (int kx = 0; kx < p.kw; ++kx, src += p.ci) {
            const int ix = ox * p.sw - p.pl + kx * p.dw;
            if (ix < 0 || ix >= p.w) continue;
            float* d = dx + ((n * p.h + iy) * p.w + ix) * p.ci;
            for (int c = 0; c < p.ci; ++c) d[c] += src[c];
          }
        }
      }
  };
  const long nimg = n1 - n0;
  parallel_for((int)std::min<long>(nimg, 1 << 20), [&](int i) { image(n0 + i); });
}

// The im2col matrix col[M × K] (row m = output pixel (n, oy, ox), column k = tap (ky, kx) × input
// channel c, k = (ky·kw + kx)·ci + c) as a GEMM A operand, packed straight from x: A = col.
struct Im2colRows final : APacker {
  const ConvParams& p;
  const float* x;
  Im2colRows(const ConvParams& p_, const float* x_) : p(p_), x(x_) {}
  void pack(int i0, int mc, int k0, int kc, int MR, float* dst) const override {
    if (p.ci < 16)
      pack_rows(i0, mc, k0, kc, MR, dst);
    else if (MR == kMR512)
      pack_t<kMR512>(i0, mc, k0, kc, dst);
    else
      pack_t<kMR>(i0, mc, k0, kc, dst);
  }
  // Row by row, each row as runs of in-image taps (a kernel row of a 3-channel image is one
  // 12-float run): fewer, longer copies when ci is small; the panel is written with stride MR.
  void pack_rows(int i0, int mc, int k0, int kc, int MR, float* dst) const {
    const long hw = (long)p.ho * p.wo;
    for (int q = 0; q < mc; q += MR) {
      const int mr = std::min(MR, mc - q);
      for (int r = 0; r < MR; ++r) {
        float* d = dst + r;  // column r of the panel: element k at d[k·MR]
        if (r >= mr) {
          for (int k = 0; k < kc; ++k) d[(long)k * MR] = 0.f;
          continue;
        }
        const long m = i0 + q + r;
        const long n = m / hw, rem = m % hw;
        const int oy = (int)(rem / p.wo), ox = (int)(rem % p.wo);
        int k = k0, tap = k0 / p.ci, c = k0 % p.ci;
        const int kend = k0 + kc;
        while (k < kend) {
          // One segment: the rest of a kernel row that lies outside the image (zeros), one tap
          // outside it, or — without dilation — the run of taps inside it, which is contiguous in x
          // (kw·ci floats for an interior pixel: 12 instead of 4 runs of 3 for a 3-channel image).
          const int ky = tap / p.kw, kx = tap % p.kw;
          const int iy = oy * p.sh - p.pt + ky * p.dh, ix = ox * p.sw - p.pl + kx * p.dw;
          int ntap = 1;
          bool zero = false;
          if (iy < 0 || iy >= p.h) {
            zero = true;
            ntap = p.kw - kx;
          } else if (ix < 0 || ix >= p.w) {
            zero = true;
          } else if (p.dw == 1) {
            ntap = std::min(p.kw - kx, p.w - ix);
          }
          const int len = std::min(ntap * p.ci - c, kend - k);
          float* dk = d + (long)(k - k0) * MR;
          if (zero) {
            for (int j = 0; j < len; ++j) dk[(long)j * MR] = 0.f;
          } else {
            const float* src = x + ((n * p.h + iy) * p.w + ix) * (long)p.ci + c;
            for (int j = 0; j < len; ++j) dk[(long)j * MR] = src[j];
          }
          k += len;
          tap += (c + len) / p.ci;
          c = (c + len) % p.ci;
        }
      }
      dst += (long)kc * MR;
    }
  }

  // Tap by tap: the MR rows' source pixels for the tap (or none, outside the image), then the tap's
  // channels with the MR rows innermost, so the panel is written contiguously.
  template <int MR>
  void pack_t(int i0, int mc, int k0, int kc, float* dst) const {
    const long hw = (long)p.ho * p.wo;
    alignas(64) static const float zeros[1] = {0.f};
    for (int q = 0; q < mc; q += MR) {
      const int mr = std::min(MR, mc - q);
      long n[MR];
      int oy[MR], ox[MR];
      for (int r = 0; r < MR; ++r) {
        const long m = i0 + q + std::min(r, mr - 1);
        n[r] = m / hw;
        const long rem = m % hw;
        oy[r] = (int)(rem / p.wo);
        ox[r] = (int)(rem % p.wo);
      }
      int k = k0, tap = k0 / p.ci, c = k0 % p.ci;
      const int kend = k0 + kc;
      float* d = dst;
      while (k < kend) {
        const int ky = tap / p.kw, kx = tap % p.kw;
        const int len = std::min(p.ci - c, kend - k);
        const float* src[MR];
        long step[MR];  // 1 for a real pixel, 0 for the zero
        for (int r = 0; r < MR; ++r) {
          const int iy = oy[r] * p.sh - p.pt + ky * p.dh, ix = ox[r] * p.sw - p.pl + kx * p.dw;
          const bool in = r < mr && iy >= 0 && iy < p.h && ix >= 0 && ix < p.w;
          src[r] = in ? x + ((n[r] * p.h + iy) * p.w + ix) * (long)p.ci + c : zeros;
          step[r] = in ? 1 : 0;
        }
        int j = 0;
#if defined(__SSE2__)
        // All MR source pixels inside the image (most panels): the tap's MR × len block is transposed
        // 4 × 4 at a time in SSE registers instead of gathered float by float (cachegrind: the
        // gather cost ~4 instructions per float, a third of the AVX-512 micro-kernel's count).
        bool inside = true;
        for (int r = 0; r < MR; ++r) inside = inside && step[r] == 1;
        if (inside)
          for (; j + 4 <= len; j += 4, d += 4 * MR) {
            int r = 0;
            for (; r + 4 <= MR; r += 4) {
              __m128 a0 = _mm_loadu_ps(src[r] + j), a1 = _mm_loadu_ps(src[r + 1] + j);
              __m128 a2 = _mm_loadu_ps(src[r + 2] + j), a3 = _mm_loadu_ps(src[r + 3] + j);
              _MM_TRANSPOSE4_PS(a0, a1, a2, a3);
              _mm_storeu_ps(d + r, a0);
              _mm_storeu_ps(d + MR + r, a1);
              _mm_storeu_ps(d + 2 * MR + r, a2);
              _mm_storeu_ps(d + 3 * MR + r, a3);
            }
            for (; r < MR; ++r)
              for (int t = 0; t < 4; ++t) d[t * MR + r] = src[r][j + t];
          }
#endif
        for (; j < len; ++j, d += MR)
          for (int r = 0; r < MR; ++r) d[r] = src[r][j * step[r]];
        k += len;
        c = 0;
        ++tap;
      }
      dst += (long)kc * MR;
    }
  }
};

// Its transpose colᵀ[K × M] (for the filter gradient colᵀ·dy), packed straight from x. A panel's
// rows are consecutive k, i.e. runs of consecutive channels of one tap: for each output pixel m
// every run is one contiguous copy from x.
struct Im2colCols final : APacker {
  const ConvParams& p;
  const float* x;
  Im2colCols(const ConvParams& p_, const float* x_) : p(p_), x(x_) {}
  void pack(int i0, int mc, int k0, int kc, int MR, float* dst) const override {
    if (MR == kMR512) return pack_t<kMR512>(i0, mc, k0, kc, dst);
    if (MR == kMR) return pack_t<kMR>(i0, mc, k0, kc, dst);
    pack_t<0>(i0, mc, k0, kc, dst, MR);
  }

  // MRC = the panel height at compile time (0: MR at run time). A whole panel that is one run inside
  // the image — most panels, when ci ≥ MR — is then a fixed-size copy the compiler turns into a few
  // vector moves; the general loop cost ~19 instructions per float, about the micro-kernel's own
  // count for this shape (cachegrind, [64,32,32,32]→64), so packing was half the filter gradient.
  template <int MRC>
  void pack_t(int i0, int mc, int k0, int kc, float* dst, int mr_rt = MRC) const {
    const int MR = MRC ? MRC : mr_rt;
    const long hw = (long)p.ho * p.wo;
    // Panel rows [r, r+len) = from channel c of the tap at offset (dy, dx) on, spanning ntap taps
    // of one kernel row (ntap > 1 only without dilation: then they are contiguous in x).
    struct Run {
      int r, len, dy, dx, c, ntap;
    } runs[32];
    for (int q = 0; q < mc; q += MR) {
      const int mr = std::min(MR, mc - q);
      int nruns = 0;
      for (int r = 0; r < mr;) {
        const int kk = i0 + q + r, tap = kk / p.ci, c = kk % p.ci;
        const int kx = tap % p.kw;
        const int len = std::min((p.dw == 1 ? p.kw - kx : 1) * p.ci - c, mr - r);
        runs[nruns++] = {r, len, (tap / p.kw) * p.dh - p.pt, kx * p.dw - p.pl, c, (c + len - 1) / p.ci + 1};
        r += len;
      }
      long n = k0 / hw;
      long rem = k0 % hw;
      int oy = (int)(rem / p.wo), ox = (int)(rem % p.wo);
      // Pixel by pixel along one output row at a time (seg pixels: same image and row), so each run's
      // source row and its top/bottom check are worked out once per row, not per pixel.
      float* d = dst;
      for (int k = 0; k < kc;) {
        const int seg = std::min(kc - k, p.wo - ox);
        for (int u = 0; u < nruns; ++u) {
          const Run& R = runs[u];
          const int iy = oy * p.sh + R.dy;
          float* du = d + R.r;
          if (iy < 0 || iy >= p.h) {
            for (int j = 0; j < seg; ++j, du += MR)
              for (int t = 0; t < R.len; ++t) du[t] = 0.f;
            continue;
          }
          const float* row = x + (n * p.h + iy) * (long)p.w * p.ci;
          const int span = (R.ntap - 1) * p.dw;
          for (int j = 0; j < seg; ++j, du += MR) {
            const int ix = (ox + j) * p.sw + R.dx;
            if (ix >= 0 && ix + span < p.w) {
              const float* src = row + (long)ix * p.ci + R.c;
              if (MRC > 0 && R.len == MRC)
                std::memcpy(du, src, sizeof(float) * MRC);  // R.r = 0: the whole panel
              else
                for (int t = 0; t < R.len; ++t) du[t] = src[t];
            } else {  // the run crosses the image's left or right edge: tap by tap
              for (int t = 0; t < R.len; ++t) {
                const int tp = (R.c + t) / p.ci, cc = (R.c + t) % p.ci, xx = ix + tp * p.dw;
                du[t] = (xx >= 0 && xx < p.w) ? row[(long)xx * p.ci + cc] : 0.f;
              }
            }
          }
        }
        if (mr < MR)
          for (int j = 0; j < seg; ++j)
            for (int r = mr; r < MR; ++r) d[(long)j * MR + r] = 0.f;
        d += (long)seg * MR;
        k += seg;
        ox += seg;
        if (ox == p.wo) {
          ox = 0;
          if (++oy == p.ho) {
            oy = 0;
            ++n;
          }
        }
      }
      dst += (long)kc * MR;
    }
  }
};

#if defined(__x86_64__)
bool g_small = [] {
  const char* e = std::getenv("WGAN_NATIVE_SMALLCONV");
  return !(e && e[0] == '0');
}();
// The direct small-channel kernels of the micro-kernel in use: 2 = AVX-512, 1 = AVX2, 0 = none (the
// portable kernel keeps the GEMM paths, so forceGeneric still tests them).
int use_small(const ConvParams& p) {
  if (!g_small || !conv_small_fits(p)) return 0;
  const char* k = gemm_kernel_name();
  return std::strcmp(k, "avx512") == 0 ? 2 : std::strcmp(k, "avx2") == 0 ? 1 : 0;
}
#else
bool g_small = false;
int use_small(const ConvParams&) { return 0; }
#endif

// Rows per chunk: whole images, at most kChunkFloats of im2col scratch (at least one image).
long chunk_rows(const ConvParams& p) {
  const long hw = (long)p.ho * p.wo;
  long imgs = kChunkFloats / std::max<long>(1, hw * kdim(p));
  imgs = std::max<long>(1, std::min<long>(imgs, p.n));
  return imgs * hw;
}

}  // namespace

bool conv_small_enabled() { return g_small; }
void conv_small_enable(bool on) { g_small = on; }

void conv2d(const ConvParams& p, const float* x, const float* f, float* y, uint64_t f_token) {
  const long K = kdim(p);
  const long M = (long)p.n * p.ho * p.wo;
#if defined(__x86_64__)
  if (const int v = use_small(p)) return v == 2 ? conv2d_small_avx512(p, x, f, y) : conv2d_small_avx2(p, x, f, y);
#endif
  if (is_pointwise(p)) {
    sgemm((int)M, p.co, (int)K, x, K, 1, f, p.co, 1, y, p.co, false, f_token);
    return;
  }
  sgemm_packed((int)M, p.co, (int)K, Im2colRows(p, x), f, p.co, 1, y, p.co, false, f_token);
}

void conv2d_backprop_input(const ConvParams& p, const float* dy, const float* f, float* dx, uint64_t f_token) {
  const long K = kdim(p);
  const long M = (long)p.n * p.ho * p.wo;
  // col[M×K] = dy[M×co] · fᵀ  (f is K×co row-major, so fᵀ(c,k) = f[k*co + c]).
  if (is_pointwise(p)) {
    sgemm((int)M, (int)K, p.co, dy, p.co, 1, f, 1, p.co, dx, K, false, f_token);
    return;
  }
#if defined(__x86_64__)
  if (const int v = use_small(p))
    return v == 2 ? conv2d_backprop_input_small_avx512(p, dy, f, dx) : conv2d_backprop_input_small_avx2(p, dy, f, dx);
#endif
  std::memset(dx, 0, sizeof(float) * (size_t)p.n * p.h * p.w * p.ci);
  const long rows = chunk_rows(p);
  float* col = g_col.get((size_t)(rows * K));
  for (long m0 = 0; m0 < M; m0 += rows) {
    const long m1 = std::min(M, m0 + rows);
    sgemm((int)(m1 - m0), (int)K, p.co, dy + m0 * p.co, p.co, 1, f, 1, p.co, col, K, false, f_token);
    col2im(p, col, m0, m1, dx);
  }
}

void conv2d_backprop_filter(const ConvParams& p, const float* x, const float* dy, float* df) {
  const long K = kdim(p);
  const long M = (long)p.n * p.ho * p.wo;
  // df[K×co] = colᵀ · dy, summed over chunks of rows.
  if (M == 0) {
    std::memset(df, 0, sizeof(float) * (size_t)K * p.co);
    return;
  }
  if (is_pointwise(p)) {
    sgemm((int)K, p.co, (int)M, x, 1, K, dy, p.co, 1, df, p.co, false);
    return;
  }
#if defined(__x86_64__)
  if (const int v = use_small(p))
    return v == 2 ? conv2d_backprop_filter_small_avx512(p, x, dy, df) : conv2d_backprop_filter_small_avx2(p, x, dy, df);
#endif
  sgemm_packed((int)K, p.co, (int)M, Im2colCols(p, x), dy, p.co, 1, df, p.co, false);
}

}  // namespace wn
