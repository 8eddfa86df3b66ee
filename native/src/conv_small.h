// What the direct small-channel convolutions (conv_small_avx512.cc, conv_small_avx2.cc) share: the
// padded input rows the forward and filter-gradient kernels read, the padded dx image the input
// gradient scatters into, the row blocks of the filter gradient. Internal linkage throughout: the two
// files are compiled with different -m flags, and an inline function the linker merged across them
// could run AVX-512 code on an AVX2-only CPU.
#pragma once
#include <algorithm>
#include <cstring>
#include <vector>

#include "conv.h"
#include "gemm.h"
#include "pool.h"

namespace wn {
namespace {

// Floats per padded input row: every tap of every (possibly ragged) `tile`-pixel tile lands inside it,
// plus room for a 16-float vector access at its end.
inline long padded_row_floats(const ConvParams& p, int tile) {
  const long tiles = (p.wo + tile - 1) / tile;
  return ((tiles * tile - 1) * (long)p.sw + p.kw) * p.ci + 16;
}

// Row iy of image n, zero-padded: element (ix, c) at dst[(ix + pl)·ci + c] for ix ≥ −pl. A kernel row's
// taps for output column ox are then the kw·ci floats from dst + ox·sw·ci on.
inline void pad_row(const ConvParams& p, const float* x, long n, int iy, long len, float* dst) {
  std::memset(dst, 0, sizeof(float) * (size_t)len);
  const long off = (long)p.pl * p.ci;
  const long avail = std::min<long>((long)p.w * p.ci, len - off);
  if (avail > 0) std::memcpy(dst + off, x + ((n * p.h + iy) * (long)p.w) * p.ci, sizeof(float) * (size_t)avail);
}

// The padded input rows output row oy of image n reads (kernel rows inside the image only: the GEMM
// multiplied zeros for the others, and adding 0 changes nothing), in `buf` (kh rows of `len` floats).
struct PaddedRows {
  const float* base[16];
  int ky[16];
  int n = 0;
};
inline void pad_rows(const ConvParams& p, const float* x, long n, int oy, long len, float* buf, PaddedRows* r) {
  r->n = 0;
  for (int ky = 0; ky < p.kh; ++ky) {
    const int iy = oy * p.sh - p.pt + ky;
    if (iy < 0 || iy >= p.h) continue;
    float* row = buf + (long)r->n * len;
    pad_row(p, x, n, iy, len, row);
    r->base[r->n] = row;
    r->ky[r->n++] = ky;
  }
}

// fᵀ for the input gradient: row co holds the K ≤ 48 taps (ky, kx, c), zero-padded to 48.
inline std::vector<float> filter_t48(const ConvParams& p, const float* f) {
  const int K = p.kh * p.kw * p.ci;
  std::vector<float> ft((size_t)p.co * 48, 0.f);
  for (int k = 0; k < K; ++k)
    for (int c = 0; c < p.co; ++c) ft[(size_t)c * 48 + k] = f[(long)k * p.co + c];
  return ft;
}

// The padded dx image of the input gradient: rows −pt … (ho−1)·sh − pt + kh − 1, columns likewise, so
// every tap lands inside; a row is `prow` floats (+ room for a 16-float vector access).
struct PaddedImage {
  long ph, pw, prow;
  explicit PaddedImage(const ConvParams& p)
      : ph((long)(p.ho - 1) * p.sh + p.kh), pw((long)(p.wo - 1) * p.sw + p.kw), prow(pw * p.ci + 16) {}
  long floats() const { return ph * prow; }
  // Its part inside [0, h) × [0, w) into dx image `out` (padding outside is dropped, as col2im did).
  void copy_out(const ConvParams& p, const float* img, float* out) const {
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
  }
};

// The filter gradient's blocks of output rows (about 4096 pixels each), each summed into its own
// partial df; the partials are added in block order, so the result does not depend on the threads.
struct RowBlocks {
  long rows, per, count;
  explicit RowBlocks(const ConvParams& p)
      : rows((long)p.n * p.ho), per(std::max<long>(1, 4096 / std::max(1, p.wo))), count((rows + per - 1) / per) {}
  long end(long b) const { return std::min(rows, (b + 1) * per); }
  static void sum(const std::vector<float>& part, long count, long size, float* df) {
    std::memcpy(df, part.data(), sizeof(float) * (size_t)size);
    for (long b = 1; b < count; ++b) {
      const float* s = part.data() + (size_t)(b * size);
      for (long i = 0; i < size; ++i) df[i] += s[i];
    }
  }
};

// The input gradient's driver: per image (images are disjoint, so threads never write the same dx) a
// zeroed padded dx image (this thread's `img()`), and per output row oy and tile of up to TILE dy
// pixels from ox0 `tile_fn(row, drow, ox0, mr)`, which adds the tile's taps into the padded image from
// row = its row oy·sh on (drow = dy's row oy, mr = pixels in the tile); then the inside copied out.
template <int TILE, class TileFn>
void input_gradient(const ConvParams& p, const float* dy, float* dx, AlignedBuf& (*img)(), const TileFn& tile_fn) {
  const PaddedImage g(p);
  const long hw = (long)p.h * p.w * p.ci;
  parallel_for((int)std::min<long>(p.n, 1 << 20), [&](int n) {
    float* im = img().get((size_t)g.floats());
    std::memset(im, 0, sizeof(float) * (size_t)g.floats());
    for (int oy = 0; oy < p.ho; ++oy) {
      const float* drow = dy + (((long)n * p.ho + oy) * p.wo) * p.co;
      for (int ox0 = 0; ox0 < p.wo; ox0 += TILE)
        tile_fn(im + (long)oy * p.sh * g.prow, drow, ox0, std::min(TILE, p.wo - ox0));
    }
    g.copy_out(p, im, dx + (long)n * hw);
  });
}

// The filter gradient's driver: per block of output rows, per kernel row inside the image, the padded
// input row (in `rows`, this thread's) and `kernel_row(buf, drow, df_ky)`, which adds that kernel row's
// part, Σ over the row's pixels of taps × dy, into df_ky = the block's partial df at row ky·kw·ci.
template <class KernelRow>
void filter_gradient(const ConvParams& p, const float* x, const float* dy, float* df, AlignedBuf& (*rows)(),
                     const KernelRow& kernel_row) {
  const long K = (long)p.kh * p.kw * p.ci;
  const long len = padded_row_floats(p, 1);
  const RowBlocks blocks(p);
  std::vector<float> part((size_t)(blocks.count * K * p.co));
  parallel_for((int)std::min<long>(blocks.count, 1 << 20), [&](int b) {
    float* acc_out = part.data() + (size_t)b * K * p.co;
    std::memset(acc_out, 0, sizeof(float) * (size_t)(K * p.co));
    float* buf = rows().get((size_t)len);
    for (long r = b * blocks.per; r < blocks.end(b); ++r) {
      const long n = r / p.ho;
      const int oy = (int)(r % p.ho);
      for (int ky = 0; ky < p.kh; ++ky) {
        const int iy = oy * p.sh - p.pt + ky;
        if (iy < 0 || iy >= p.h) continue;
        pad_row(p, x, n, iy, len, buf);
        kernel_row(buf, dy + r * p.wo * p.co, acc_out + (long)ky * p.kw * p.ci * p.co);
      }
    }
  });
  RowBlocks::sum(part, blocks.count, K * p.co, df);
}

}  // namespace
}  // namespace wn
