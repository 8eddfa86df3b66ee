#include "conv.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "pool.h"

namespace wn {
namespace {

// im2col rows are processed in chunks of at most this many floats (32 MiB), bounding scratch memory.
constexpr long kChunkFloats = 8L << 20;

struct Scratch {
  float* p = nullptr;
  size_t n = 0;
  float* get(size_t want) {
    if (want > n) {
      std::free(p);
      n = want;
      p = static_cast<float*>(std::aligned_alloc(64, ((want * sizeof(float) + 63) / 64) * 64));
    }
    return p;
  }
};
thread_local Scratch g_col;  // per calling thread (Node worker threads may each use the addon)

inline long kdim(const ConvParams& p) { return (long)p.kh * p.kw * p.ci; }

bool is_pointwise(const ConvParams& p) {
  return p.kh == 1 && p.kw == 1 && p.sh == 1 && p.sw == 1 && p.pt == 0 && p.pl == 0 && p.ho == p.h && p.wo == p.w;
}

// Patches of output rows [m0, m1) into col [(m1-m0) × K].
void im2col(const ConvParams& p, const float* x, long m0, long m1, float* col) {
  const long K = kdim(p);
  const long hw = (long)p.ho * p.wo;
  parallel_range(m1 - m0, 256, [&](long b, long e) {
    for (long r = b; r < e; ++r) {
      const long m = m0 + r;
      const long n = m / hw, rem = m % hw;
      const int oy = (int)(rem / p.wo), ox = (int)(rem % p.wo);
      float* dst = col + r * K;
      for (int ky = 0; ky < p.kh; ++ky) {
        const int iy = oy * p.sh - p.pt + ky * p.dh;
        for (int kx = 0; kx < p.kw; ++kx) {
          const int ix = ox * p.sw - p.pl + kx * p.dw;
          if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w)
            std::memset(dst, 0, sizeof(float) * p.ci);
          else
            std::memcpy(dst, x + ((n * p.h + iy) * p.w + ix) * p.ci, sizeof(float) * p.ci);
          dst += p.ci;
        }
      }
    }
  });
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

// Rows per chunk: whole images, at most kChunkFloats of im2col scratch (at least one image).
long chunk_rows(const ConvParams& p) {
  const long hw = (long)p.ho * p.wo;
  long imgs = kChunkFloats / std::max<long>(1, hw * kdim(p));
  imgs = std::max<long>(1, std::min<long>(imgs, p.n));
  return imgs * hw;
}

}  // namespace

void conv2d(const ConvParams& p, const float* x, const float* f, float* y) {
  const long K = kdim(p);
  const long M = (long)p.n * p.ho * p.wo;
  if (is_pointwise(p)) {
    sgemm((int)M, p.co, (int)K, x, K, 1, f, p.co, 1, y, p.co, false);
    return;
  }
  const long rows = chunk_rows(p);
  float* col = g_col.get((size_t)(rows * K));
  for (long m0 = 0; m0 < M; m0 += rows) {
    const long m1 = std::min(M, m0 + rows);
    im2col(p, x, m0, m1, col);
    sgemm((int)(m1 - m0), p.co, (int)K, col, K, 1, f, p.co, 1, y + m0 * p.co, p.co, false);
  }
}

void conv2d_backprop_input(const ConvParams& p, const float* dy, const float* f, float* dx) {
  const long K = kdim(p);
  const long M = (long)p.n * p.ho * p.wo;
  // col[M×K] = dy[M×co] · fᵀ  (f is K×co row-major, so fᵀ(c,k) = f[k*co + c]).
  if (is_pointwise(p)) {
    sgemm((int)M, (int)K, p.co, dy, p.co, 1, f, 1, p.co, dx, K, false);
    return;
  }
  std::memset(dx, 0, sizeof(float) * (size_t)p.n * p.h * p.w * p.ci);
  const long rows = chunk_rows(p);
  float* col = g_col.get((size_t)(rows * K));
  for (long m0 = 0; m0 < M; m0 += rows) {
    const long m1 = std::min(M, m0 + rows);
    sgemm((int)(m1 - m0), (int)K, p.co, dy + m0 * p.co, p.co, 1, f, 1, p.co, col, K, false);
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
  const long rows = chunk_rows(p);
  float* col = g_col.get((size_t)(rows * K));
  for (long m0 = 0; m0 < M; m0 += rows) {
    const long m1 = std::min(M, m0 + rows);
    im2col(p, x, m0, m1, col);
    sgemm((int)K, p.co, (int)(m1 - m0), col, 1, K, dy + m0 * p.co, p.co, 1, df, p.co, m0 > 0);
  }
}

}  // namespace wn
