// Single-precision GEMM on strided operands: C = A·B (or C += A·B).
// A(i,k) = a[i*rsa + k*csa] (M×K), B(k,j) = b[k*rsb + j*csb] (K×N), C(i,j) = c[i*ldc + j] (M×N).
// Transposes are expressed by swapping strides, so one driver serves MatMul, BatchMatMul and the
// im2col-based convolutions. Cache-blocked (BLIS loop order), packed, threaded over the pool.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace wn {

// A growable 64-byte-aligned float buffer (scratch memory kept per thread, reused across calls).
struct AlignedBuf {
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
  ~AlignedBuf() { std::free(p); }
};

constexpr int kMR = 6;   // micro-tile rows of the AVX2 and portable kernels: 6×16 floats = 12 AVX2 accumulators
constexpr int kNR = 16;  // their micro-tile columns
// K block of the GEMM: a product over K > kKC is summed block by block (each block from 0, then
// added to C), which the direct convolutions (conv_small_avx512.cc) repeat to round alike.
constexpr int kKC = 256;
constexpr int kMR512 = 12;  // the AVX-512 kernel: 12×32 floats = 24 zmm accumulators
constexpr int kNR512 = 32;

// Writes (or adds) the top-left mr×nr of a 6×16 tile t into C: the ragged edge of the 6×16 kernels.
inline void store_tile(const float (*t)[kNR], float* c, long ldc, int mr, int nr, bool accumulate) {
  for (int i = 0; i < mr; ++i) {
    float* ci = c + (long)i * ldc;
    if (accumulate)
      for (int j = 0; j < nr; ++j) ci[j] += t[i][j];
    else
      for (int j = 0; j < nr; ++j) ci[j] = t[i][j];
  }
}

// Micro-kernel: C[mr×nr] (= or +=) Apanel[kc×MR]ᵀ · Bpanel[kc×NR]; the panels are zero-padded.
using UKernel = void (*)(int kc, const float* a, const float* b, float* c, long ldc, int mr, int nr, bool accumulate);

void ukernel_generic(int kc, const float* a, const float* b, float* c, long ldc, int mr, int nr, bool accumulate);
#if defined(__x86_64__)
void ukernel_avx2(int kc, const float* a, const float* b, float* c, long ldc, int mr, int nr, bool accumulate);
void ukernel_avx512(int kc, const float* a, const float* b, float* c, long ldc, int mr, int nr, bool accumulate);
#endif

// `b_token` ≠ 0 names B's contents (the caller promises they do not change while the token lives;
// the JS side gives one token per tensor, released when the tensor is disposed): B is then packed
// once and the packed panels kept (packed-B cache, release_packed) — the same bytes the packing of
// every call would write, so results are bit-identical. 0 = pack per call, as always.
void sgemm(int M, int N, int K, const float* a, long rsa, long csa, const float* b, long rsb, long csb,
           float* c, long ldc, bool accumulate, uint64_t b_token = 0);

// Drops every packed copy of B made under `token`; packed_cache_bytes() = bytes the cache holds.
void release_packed(uint64_t token);
size_t packed_cache_bytes();

// The A operand as a packer instead of a strided array: pack() writes rows [i0, i0+mc) × columns
// [k0, k0+kc) of A as MR-row panels (panel p at dst + p·kc·MR holds, for each k, MR floats; rows
// past mc are zero). Lets a convolution feed its im2col matrix to the GEMM straight from the image,
// without writing and re-reading the matrix (16 MiB for a 64×16×16×64 input and a 4×4 kernel).
// pack() is called concurrently from several threads: it must not modify shared state.
struct APacker {
  virtual void pack(int i0, int mc, int k0, int kc, int mr_panel, float* dst) const = 0;
  virtual ~APacker() = default;
};

// C = A·B (or +=) with A given by a packer.
void sgemm_packed(int M, int N, int K, const APacker& a, const float* b, long rsb, long csb, float* c, long ldc,
                  bool accumulate, uint64_t b_token = 0);

// "avx512", "avx2" or "generic": which micro-kernel sgemm uses (the best the CPU has, or the one
// WGAN_NATIVE_GEMM names if the CPU has it).
const char* gemm_kernel_name();
// Force the portable kernel (tests, comparisons). Returns the previous choice.
bool gemm_force_generic(bool on);
// Use a named kernel ("avx512" | "avx2" | "generic"; "" = the best available). False (and no
// change) when this CPU cannot run it.
bool gemm_set_kernel(const char* name);

}  // namespace wn
