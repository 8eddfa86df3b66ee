// NHWC 2-D convolutions as GEMMs over im2col patches. x [n,h,w,ci], filter [kh,kw,ci,co] (= a K×co
// matrix with K = kh·kw·ci), y [n,ho,wo,co] (= an M×co matrix with M = n·ho·wo).
#pragma once
#include <cstdint>

namespace wn {

struct ConvParams {
  int n, h, w, ci;     // input
  int kh, kw, co;      // filter
  int ho, wo;          // output
  int sh, sw;          // strides
  int pt, pl;          // top/left padding (bottom/right follow from the output size)
  int dh, dw;          // dilations
};

// f_token: the filter's packed-B cache token (gemm.h; 0 = none).
void conv2d(const ConvParams& p, const float* x, const float* f, float* y, uint64_t f_token = 0);
// dx from dy and the filter (also the forward pass of a transposed convolution).
void conv2d_backprop_input(const ConvParams& p, const float* dy, const float* f, float* dx, uint64_t f_token = 0);
// dfilter from x and dy.
void conv2d_backprop_filter(const ConvParams& p, const float* x, const float* dy, float* df);

// Direct kernels for few input channels (conv_small_avx512.cc, conv_small_avx2.cc): whether a layer
// fits them (kw·ci ≤ 12, kh·kw·ci ≤ 48, no dilation), and the kernels. conv2d* above use the variant
// of the GEMM micro-kernel in use (AVX-512 or AVX2; the portable kernel keeps the GEMM paths) when
// conv_small_enabled() (WGAN_NATIVE_SMALLCONV=0 turns them off).
bool conv_small_fits(const ConvParams& p);
bool conv_small_enabled();
void conv_small_enable(bool on);
#if defined(__x86_64__)
void conv2d_small_avx512(const ConvParams& p, const float* x, const float* f, float* y);
void conv2d_backprop_input_small_avx512(const ConvParams& p, const float* dy, const float* f, float* dx);
void conv2d_backprop_filter_small_avx512(const ConvParams& p, const float* x, const float* dy, float* df);
void conv2d_small_avx2(const ConvParams& p, const float* x, const float* f, float* y);
void conv2d_backprop_input_small_avx2(const ConvParams& p, const float* dy, const float* f, float* dx);
void conv2d_backprop_filter_small_avx2(const ConvParams& p, const float* x, const float* dy, float* df);
#endif

// Depthwise would go here; TF.js's cpu kernels serve it for now.

}  // namespace wn
