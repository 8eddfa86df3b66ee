// Node-API entry points (plain C API: no node-addon-api dependency). Every function is synchronous:
// JS allocates the output Float32Array, the addon fills it (using the thread pool inside).
// Arguments are validated for type and size here, so a wrong call throws a JS error, never crashes.
#include <node_api.h>
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "conv.h"
#include "gemm.h"
#include "ops.h"
#include "pool.h"

namespace {

struct Args {
  napi_env env;
  size_t argc = 12;
  napi_value argv[12];
  bool ok = true;
  Args(napi_env e, napi_callback_info info) : env(e) { napi_get_cb_info(e, info, &argc, argv, nullptr, nullptr); }

  void fail(const std::string& msg) {
    if (ok) napi_throw_error(env, "ERR_WGAN_NATIVE", msg.c_str());
    ok = false;
  }
  // A Float32Array argument; `len` receives its element count.
  float* f32(size_t i, size_t* len) {
    if (!ok) return nullptr;
    if (i >= argc) {
      fail("missing argument " + std::to_string(i));
      return nullptr;
    }
    bool is_ta = false;
    napi_is_typedarray(env, argv[i], &is_ta);
    if (!is_ta) {
      fail("argument " + std::to_string(i) + " must be a Float32Array");
      return nullptr;
    }
    napi_typedarray_type t;
    size_t n = 0;
    void* data = nullptr;
    napi_get_typedarray_info(env, argv[i], &t, &n, &data, nullptr, nullptr);
    if (t != napi_float32_array) {
      fail("argument " + std::to_string(i) + " must be a Float32Array");
      return nullptr;
    }
    *len = n;
    return static_cast<float*>(data);
  }
  // An Int32Array argument (shapes and parameters).
  std::vector<int64_t> ints(size_t i) {
    std::vector<int64_t> out;
    if (!ok) return out;
    bool is_ta = false;
    if (i < argc) napi_is_typedarray(env, argv[i], &is_ta);
    if (!is_ta) {
      fail("argument " + std::to_string(i) + " must be an Int32Array");
      return out;
    }
    napi_typedarray_type t;
    size_t n = 0;
    void* data = nullptr;
    napi_get_typedarray_info(env, argv[i], &t, &n, &data, nullptr, nullptr);
    if (t != napi_int32_array) {
      fail("argument " + std::to_string(i) + " must be an Int32Array");
      return out;
    }
    const int32_t* p = static_cast<const int32_t*>(data);
    out.assign(p, p + n);
    return out;
  }
  double num(size_t i) {
    double v = 0;
    if (!ok) return v;
    if (i >= argc || napi_get_value_double(env, argv[i], &v) != napi_ok) fail("argument " + std::to_string(i) + " must be a number");
    return v;
  }
  void need(bool cond, const std::string& what) {
    if (!cond) fail(what);
  }
};

// A packed-B cache token (gemm.h): a non-negative integer number; 0 = none.
uint64_t token_arg(Args& a, size_t i) {
  const double v = a.num(i);
  a.need(v >= 0 && v < 9007199254740992.0 && v == (double)(uint64_t)v, "token must be a non-negative integer");
  return a.ok ? (uint64_t)v : 0;
}

napi_value undef(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// gemm(a, b, c, [batch, M, N, K, transA, transB, batchStrideA, batchStrideB, accumulate])
// C[b] (M×N) = op(A[b]) · op(B[b]); op(A) is M×K; batch strides in elements (0 = broadcast).
napi_value Gemm(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t na = 0, nb = 0, nc = 0;
  float* A = a.f32(0, &na);
  float* B = a.f32(1, &nb);
  float* C = a.f32(2, &nc);
  auto d = a.ints(3);
  if (!a.ok) return nullptr;
  a.need(d.size() == 9, "gemm: params must have 9 entries");
  if (!a.ok) return nullptr;
  const int64_t batch = d[0], M = d[1], N = d[2], K = d[3];
  const bool ta = d[4] != 0, tb = d[5] != 0;
  const int64_t sa = d[6], sb = d[7];
  const bool acc = d[8] != 0;
  a.need(batch >= 0 && M >= 0 && N >= 0 && K >= 0 && sa >= 0 && sb >= 0, "gemm: negative size");
  a.need(batch == 0 || ((uint64_t)((batch - 1) * sa + M * K) <= na && (uint64_t)((batch - 1) * sb + K * N) <= nb &&
                        (uint64_t)(batch * M * N) <= nc),
         "gemm: array too small for the given sizes");
  if (!a.ok) return nullptr;
  const long rsa = ta ? 1 : K, csa = ta ? M : 1;
  const long rsb = tb ? 1 : N, csb = tb ? K : 1;
  // Optional 5th argument: B's packed-B cache token (one B for every batch entry only).
  const uint64_t token = a.argc > 4 && (batch == 1 || sb == 0) ? token_arg(a, 4) : 0;
  if (!a.ok) return nullptr;
  for (int64_t i = 0; i < batch; ++i)
    wn::sgemm((int)M, (int)N, (int)K, A + i * sa, rsa, csa, B + i * sb, rsb, csb, C + i * M * N, N, acc, token);
  return undef(env);
}

bool conv_params(Args& a, size_t i, wn::ConvParams* p) {
  auto v = a.ints(i);
  if (!a.ok) return false;
  if (v.size() != 15) {
    a.fail("conv: params must have 15 entries");
    return false;
  }
  int* f = &p->n;
  for (int k = 0; k < 15; ++k) f[k] = (int)v[k];
  if (p->n < 0 || p->h < 1 || p->w < 1 || p->ci < 1 || p->kh < 1 || p->kw < 1 || p->co < 1 || p->ho < 0 || p->wo < 0 ||
      p->sh < 1 || p->sw < 1 || p->dh < 1 || p->dw < 1) {
    a.fail("conv: invalid params");
    return false;
  }
  return true;
}

size_t xsize(const wn::ConvParams& p) { return (size_t)p.n * p.h * p.w * p.ci; }
size_t ysize(const wn::ConvParams& p) { return (size_t)p.n * p.ho * p.wo * p.co; }
size_t fsize(const wn::ConvParams& p) { return (size_t)p.kh * p.kw * p.ci * p.co; }

// conv2d(x, filter, y, params), params = [n,h,w,ci, kh,kw,co, ho,wo, sh,sw, pt,pl, dh,dw]
napi_value Conv2D(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n0, n1, n2;
  float* x = a.f32(0, &n0);
  float* f = a.f32(1, &n1);
  float* y = a.f32(2, &n2);
  wn::ConvParams p;
  if (!a.ok || !conv_params(a, 3, &p)) return nullptr;
  a.need(n0 >= xsize(p) && n1 >= fsize(p) && n2 >= ysize(p), "conv2d: array too small");
  const uint64_t token = a.argc > 4 ? token_arg(a, 4) : 0;
  if (a.ok) wn::conv2d(p, x, f, y, token);
  return undef(env);
}

// conv2dBackpropInput(dy, filter, dx, params)
napi_value Conv2DBackpropInput(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n0, n1, n2;
  float* dy = a.f32(0, &n0);
  float* f = a.f32(1, &n1);
  float* dx = a.f32(2, &n2);
  wn::ConvParams p;
  if (!a.ok || !conv_params(a, 3, &p)) return nullptr;
  a.need(n0 >= ysize(p) && n1 >= fsize(p) && n2 >= xsize(p), "conv2dBackpropInput: array too small");
  const uint64_t token = a.argc > 4 ? token_arg(a, 4) : 0;
  if (a.ok) wn::conv2d_backprop_input(p, dy, f, dx, token);
  return undef(env);
}

// conv2dBackpropFilter(x, dy, dfilter, params)
napi_value Conv2DBackpropFilter(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n0, n1, n2;
  float* x = a.f32(0, &n0);
  float* dy = a.f32(1, &n1);
  float* df = a.f32(2, &n2);
  wn::ConvParams p;
  if (!a.ok || !conv_params(a, 3, &p)) return nullptr;
  a.need(n0 >= xsize(p) && n1 >= ysize(p) && n2 >= fsize(p), "conv2dBackpropFilter: array too small");
  if (a.ok) wn::conv2d_backprop_filter(p, x, dy, df);
  return undef(env);
}

// unary(op, x, y, alpha)
napi_value Unary(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int op = (int)a.num(0);
  size_t nx, ny;
  float* x = a.f32(1, &nx);
  float* y = a.f32(2, &ny);
  const double alpha = a.num(3);
  if (!a.ok) return nullptr;
  a.need(ny >= nx, "unary: output too small");
  a.need(op >= 0 && op < wn::kUnaryCount, "unary: unknown op");
  if (a.ok) wn::unary(op, x, y, (long)nx, (float)alpha);
  return undef(env);
}

// binary(op, a, b, out, shapeA, shapeB, shapeOut): numpy broadcasting, shapes of equal rank.
napi_value Binary(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int op = (int)a.num(0);
  size_t na, nb, no;
  float* A = a.f32(1, &na);
  float* B = a.f32(2, &nb);
  float* O = a.f32(3, &no);
  auto sa = a.ints(4), sb = a.ints(5), so = a.ints(6);
  if (!a.ok) return nullptr;
  a.need(op >= 0 && op < wn::kBinaryCount, "binary: unknown op");
  a.need(sa.size() == so.size() && sb.size() == so.size() && so.size() <= 16, "binary: ranks differ or > 16");
  if (!a.ok) return nullptr;
  size_t pa = 1, pb = 1, po = 1;
  for (size_t i = 0; i < so.size(); ++i) {
    a.need((sa[i] == so[i] || sa[i] == 1) && (sb[i] == so[i] || sb[i] == 1), "binary: shapes do not broadcast");
    pa *= sa[i];
    pb *= sb[i];
    po *= so[i];
  }
  a.need(pa <= na && pb <= nb && po <= no, "binary: array too small");
  if (a.ok) wn::binary(op, A, sa, B, sb, O, so);
  return undef(env);
}

// reduce(op, x, y, shape, reduceMask): y has the kept dims' elements in order.
napi_value Reduce(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int op = (int)a.num(0);
  size_t nx, ny;
  float* x = a.f32(1, &nx);
  float* y = a.f32(2, &ny);
  auto shape = a.ints(3), mask = a.ints(4);
  if (!a.ok) return nullptr;
  a.need(op >= 0 && op < wn::kReduceCount, "reduce: unknown op");
  a.need(shape.size() == mask.size() && shape.size() <= 8, "reduce: bad shape");
  if (!a.ok) return nullptr;
  size_t px = 1, py = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    px *= shape[i];
    if (!mask[i]) py *= shape[i];
  }
  a.need(px <= nx && py <= ny, "reduce: array too small");
  if (a.ok) wn::reduce(op, x, shape, mask, y);
  return undef(env);
}

// transpose(x, y, shape, perm)
napi_value Transpose(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t nx, ny;
  float* x = a.f32(0, &nx);
  float* y = a.f32(1, &ny);
  auto shape = a.ints(2), perm = a.ints(3);
  if (!a.ok) return nullptr;
  a.need(shape.size() == perm.size() && shape.size() <= 8, "transpose: bad shape");
  if (!a.ok) return nullptr;
  size_t px = 1;
  std::vector<bool> seen(shape.size(), false);
  for (size_t i = 0; i < shape.size(); ++i) {
    px *= shape[i];
    a.need(perm[i] >= 0 && perm[i] < (int64_t)shape.size() && !seen[perm[i]], "transpose: bad perm");
    if (!a.ok) return nullptr;
    seen[perm[i]] = true;
  }
  a.need(px <= nx && px <= ny, "transpose: array too small");
  if (a.ok) wn::transpose(x, shape, perm, y);
  return undef(env);
}

// channelAffine(x, y, scale, shift, C, act, alpha): y = act(x·scale[c] + shift[c]) over the last dim
// C (scale or shift may have length 1 = broadcast, or 0 = absent).
napi_value ChannelAffine(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t nx, ny, ns, nt;
  float* x = a.f32(0, &nx);
  float* y = a.f32(1, &ny);
  float* s = a.f32(2, &ns);
  float* t = a.f32(3, &nt);
  const long C = (long)a.num(4);
  const int act = (int)a.num(5);
  const double alpha = a.num(6);
  if (!a.ok) return nullptr;
  a.need(C >= 1 && nx % C == 0 && ny >= nx, "channelAffine: bad sizes");
  a.need((ns == 0 || ns == 1 || (long)ns == C) && (nt == 0 || nt == 1 || (long)nt == C), "channelAffine: bad scale/shift");
  a.need(act >= 0 && act < wn::kUnaryCount, "channelAffine: unknown activation");
  if (a.ok) wn::channel_affine(x, y, (long)nx, C, ns ? s : nullptr, (long)ns, nt ? t : nullptr, (long)nt, act, (float)alpha);
  return undef(env);
}

// addN(out, [arrays...])
napi_value AddN(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t no;
  float* out = a.f32(0, &no);
  if (!a.ok) return nullptr;
  bool is_arr = false;
  napi_is_array(env, a.argv[1], &is_arr);
  a.need(a.argc >= 2 && is_arr, "addN: second argument must be an array");
  if (!a.ok) return nullptr;
  uint32_t len = 0;
  napi_get_array_length(env, a.argv[1], &len);
  std::vector<const float*> srcs;
  for (uint32_t i = 0; i < len; ++i) {
    napi_value el;
    napi_get_element(env, a.argv[1], i, &el);
    bool is_ta = false;
    napi_is_typedarray(env, el, &is_ta);
    napi_typedarray_type t;
    size_t n = 0;
    void* data = nullptr;
    if (is_ta) napi_get_typedarray_info(env, el, &t, &n, &data, nullptr, nullptr);
    a.need(is_ta && t == napi_float32_array && n >= no, "addN: inputs must be Float32Arrays of the output's size");
    if (!a.ok) return nullptr;
    srcs.push_back(static_cast<const float*>(data));
  }
  wn::add_n(srcs, out, (long)no);
  return undef(env);
}

// adam(value, m, v, g, newValue, newM, newV, consts[8]): see wn::adam.
napi_value Adam(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n[8];
  float* p[8];
  for (int i = 0; i < 8; ++i) p[i] = a.f32(i, &n[i]);
  if (!a.ok) return nullptr;
  for (int i = 1; i < 7; ++i) a.need(n[i] >= n[0], "adam: arrays must all have the value's size");
  a.need(n[7] >= 8, "adam: 8 constants expected");
  if (!a.ok) return nullptr;
  wn::adam(p[0], p[1], p[2], p[3], p[4], p[5], p[6], (long)n[0], p[7]);
  return undef(env);
}

// copyBox(src, dst, [r, srcShape(r), srcBegin(r), dstShape(r), dstBegin(r), size(r)]): the box of
// extent `size` at srcBegin in src to dstBegin in dst, row-major (src/backends/box_copy.ts is the same
// in JS). Trailing dims the box spans whole in both arrays merge into one memcpy run.
napi_value CopyBox(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t ns = 0, nd = 0;
  const float* src = a.f32(0, &ns);
  float* dst = a.f32(1, &nd);
  const std::vector<int64_t> p = a.ints(2);
  if (!a.ok) return nullptr;
  const int64_t r = p.empty() ? -1 : p[0];
  a.need(r >= 1 && r <= 8 && (int64_t)p.size() >= 1 + 5 * r, "copyBox: [r, 5·r ints] expected, 1 ≤ r ≤ 8");
  if (!a.ok) return nullptr;
  const int64_t *ss = &p[1], *sb = &p[1 + r], *ds = &p[1 + 2 * r], *db = &p[1 + 3 * r], *sz = &p[1 + 4 * r];
  int64_t nsrc = 1, ndst = 1, empty = 0;
  for (int64_t d = 0; d < r; ++d) {
    a.need(sz[d] >= 0 && sb[d] >= 0 && db[d] >= 0 && sb[d] + sz[d] <= ss[d] && db[d] + sz[d] <= ds[d],
           "copyBox: the box is outside an array");
    nsrc *= ss[d], ndst *= ds[d], empty |= sz[d] == 0;
  }
  a.need((size_t)nsrc <= ns && (size_t)ndst <= nd, "copyBox: arrays too small");
  if (!a.ok || empty) return a.ok ? undef(env) : nullptr;
  int64_t k = r - 1, run = sz[r - 1];
  while (k > 0 && sz[k] == ss[k] && sz[k] == ds[k]) run *= sz[--k];
  int64_t sst[8], dst_st[8];
  sst[r - 1] = dst_st[r - 1] = 1;
  for (int64_t d = r - 2; d >= 0; --d) sst[d] = sst[d + 1] * ss[d + 1], dst_st[d] = dst_st[d + 1] * ds[d + 1];
  int64_t so = 0, dof = 0, outer = 1, idx[8] = {};
  for (int64_t d = 0; d <= k; ++d) so += sb[d] * sst[d], dof += db[d] * dst_st[d];
  for (int64_t d = 0; d < k; ++d) outer *= sz[d];
  for (int64_t o = 0; o < outer; ++o) {
    std::memcpy(dst + dof, src + so, (size_t)run * sizeof(float));
    for (int64_t d = k - 1; d >= 0; --d) {
      so += sst[d], dof += dst_st[d];
      if (++idx[d] < sz[d]) break;
      so -= sz[d] * sst[d], dof -= sz[d] * dst_st[d], idx[d] = 0;
    }
  }
  return undef(env);
}

// The layer-norm entry points' arguments: `count` Float32Arrays, then the Int32Array [N, F] and eps.
// `kind[i]` says what array i must hold at least: 'x' N·F values (rows of x, dy, y, dx), 'f' F values
// (gamma, beta, dgamma); 'X' and 'F' the same for an output that may be empty (length 0: not wanted,
// p[i] = nullptr). `ok` is false (and a JS error thrown) when anything is missing or too small.
struct LayerNormArgs {
  Args a;
  float* p[8] = {};
  long N = 0, F = 0;
  float eps = 0;
  bool ok = false;
  LayerNormArgs(napi_env env, napi_callback_info info, const char* name, const char* kind) : a(env, info) {
    const size_t count = std::strlen(kind);
    size_t n[8] = {};
    for (size_t i = 0; i < count; ++i) p[i] = a.f32(i, &n[i]);
    const std::vector<int64_t> shape = a.ints(count);
    const double e = a.num(count + 1);
    if (!a.ok) return;
    a.need(shape.size() >= 2 && shape[0] >= 0 && shape[1] > 0, std::string(name) + ": shape [N, F] expected");
    if (!a.ok) return;
    N = (long)shape[0], F = (long)shape[1], eps = (float)e;
    for (size_t i = 0; i < count; ++i) {
      const bool optional = kind[i] == 'X' || kind[i] == 'F';
      if (optional && n[i] == 0) {
        p[i] = nullptr;
        continue;
      }
      a.need(n[i] >= (size_t)(kind[i] == 'x' || kind[i] == 'X' ? N * F : F), std::string(name) + ": arrays too small");
    }
    ok = a.ok;
  }
};

// layerNorm(x, gamma, beta, y, [N, F], eps)
napi_value LayerNorm(napi_env env, napi_callback_info info) {
  LayerNormArgs l(env, info, "layerNorm", "xffx");
  if (!l.ok) return nullptr;
  wn::layer_norm(l.p[0], l.p[1], l.p[2], l.p[3], l.N, l.F, l.eps);
  return undef(env);
}

// layerNormGradX(x, gamma, dy, dx, [N, F], eps)
napi_value LayerNormGradX(napi_env env, napi_callback_info info) {
  LayerNormArgs l(env, info, "layerNormGradX", "xfxx");
  if (!l.ok) return nullptr;
  wn::layer_norm_grad_x(l.p[0], l.p[1], l.p[2], l.p[3], l.N, l.F, l.eps);
  return undef(env);
}

// layerNormGradGamma(x, dy, dgamma, [N, F], eps)
napi_value LayerNormGradGamma(napi_env env, napi_callback_info info) {
  LayerNormArgs l(env, info, "layerNormGradGamma", "xxf");
  if (!l.ok) return nullptr;
  wn::layer_norm_grad_gamma(l.p[0], l.p[1], l.p[2], l.N, l.F, l.eps);
  return undef(env);
}

// layerNormGradXGrad(x, gamma, dy, u, ddx, ddy, dgamma, [N, F], eps): outputs of length 0 are not computed
napi_value LayerNormGradXGrad(napi_env env, napi_callback_info info) {
  LayerNormArgs l(env, info, "layerNormGradXGrad", "xfxxXXF");
  if (!l.ok) return nullptr;
  wn::layer_norm_grad_x_grad(l.p[0], l.p[1], l.p[2], l.p[3], l.p[4], l.p[5], l.p[6], l.N, l.F, l.eps);
  return undef(env);
}

napi_value Info(napi_env env, napi_callback_info info) {
  napi_value o, k, t;
  napi_create_object(env, &o);
  const char* name = wn::gemm_kernel_name();
  napi_create_string_utf8(env, name, std::strlen(name), &k);
  napi_create_int32(env, wn::num_threads(), &t);
  napi_set_named_property(env, o, "kernel", k);
  napi_set_named_property(env, o, "threads", t);
  double work, wait;
  long sw;
  wn::pool_stats(&work, &wait, &sw);
  napi_value v;
  napi_create_double(env, work, &v);
  napi_set_named_property(env, o, "poolSeconds", v);
  napi_create_double(env, wait, &v);
  napi_set_named_property(env, o, "poolWaitSeconds", v);
  napi_create_double(env, (double)sw, &v);
  napi_set_named_property(env, o, "poolPauses", v);
  return o;
}

// setThreads(n): 1 runs everything on the JS thread.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const double n = a.num(0);
  if (a.ok) wn::set_num_threads((int)n);
  return undef(env);
}

// forceGeneric(on): use the portable micro-kernel even where AVX2/AVX-512 is available (tests).
napi_value ForceGeneric(napi_env env, napi_callback_info info) {
  Args a(env, info);
  bool on = false;
  if (a.argc >= 1) napi_get_value_bool(env, a.argv[0], &on);
  wn::gemm_force_generic(on);
  return undef(env);
}

// setKernel(name): "avx512" | "avx2" | "generic" | "" (best available). Returns false, changing
// nothing, when this CPU cannot run the named kernel (benchmarks, tests).
napi_value SetKernel(napi_env env, napi_callback_info info) {
  Args a(env, info);
  char name[16] = {0};
  size_t len = 0;
  bool ok = false;
  if (a.argc >= 1 && napi_get_value_string_utf8(env, a.argv[0], name, sizeof(name), &len) == napi_ok)
    ok = wn::gemm_set_kernel(name);
  napi_value r;
  napi_get_boolean(env, ok, &r);
  return r;
}

// smallConv(on?): turn the direct small-channel convolutions (conv_small_avx512.cc) on or off;
// returns whether they were on (tests and benchmarks compare them with the GEMM paths).
napi_value SmallConv(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const bool was = wn::conv_small_enabled();
  bool on = was;
  if (a.argc >= 1) napi_get_value_bool(env, a.argv[0], &on);
  wn::conv_small_enable(on);
  napi_value r;
  napi_get_boolean(env, was, &r);
  return r;
}

// releasePacked(token): drop the packed copies made under this token. packedBytes(): the cache's size.
napi_value ReleasePacked(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const uint64_t token = token_arg(a, 0);
  if (a.ok) wn::release_packed(token);
  return undef(env);
}

napi_value PackedBytes(napi_env env, napi_callback_info) {
  napi_value r;
  napi_create_double(env, (double)wn::packed_cache_bytes(), &r);
  return r;
}

// tuneMalloc(): keep tensor-sized blocks (up to 32 MiB) on glibc's heap instead of fresh mmap()s.
// Every TF.js kernel allocates its output Float32Array; with mmap each 4 MiB output costs ~1000 page
// faults (≈1 ms, twice the op itself). Heap blocks are reused after GC frees the old arrays.
// Process-wide, so only called when the native backend is registered. Returns whether it applied.
napi_value TuneMalloc(napi_env env, napi_callback_info info) {
  bool ok = false;
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
  ok = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
  ok = mallopt(M_TRIM_THRESHOLD, 256 << 20) == 1 && ok;
#endif
  napi_value r;
  napi_get_boolean(env, ok, &r);
  return r;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2d", nullptr, Conv2D, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropInput", nullptr, Conv2DBackpropInput, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropFilter", nullptr, Conv2DBackpropFilter, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"transpose", nullptr, Transpose, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"channelAffine", nullptr, ChannelAffine, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addN", nullptr, AddN, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"copyBox", nullptr, CopyBox, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adam", nullptr, Adam, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layerNorm", nullptr, LayerNorm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layerNormGradX", nullptr, LayerNormGradX, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layerNormGradGamma", nullptr, LayerNormGradGamma, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layerNormGradXGrad", nullptr, LayerNormGradXGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tuneMalloc", nullptr, TuneMalloc, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"releasePacked", nullptr, ReleasePacked, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"packedBytes", nullptr, PackedBytes, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"forceGeneric", nullptr, ForceGeneric, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setKernel", nullptr, SetKernel, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"smallConv", nullptr, SmallConv, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
