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

// Depthwise would go here; TF.js's cpu kernels serve it for now.

}  // namespace wn
