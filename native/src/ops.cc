#include "ops.h"

#include <algorithm>
#include <array>
#include <utility>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "pool.h"

namespace wn {
namespace {

// Elements per task below which a loop stays on one thread (waking a worker costs ~microseconds).
constexpr long kGrain = 1 << 15;

template <int OP>
inline float un(float x, float alpha) {
  if constexpr (OP == kLinear) return x;
  if constexpr (OP == kRelu) return x < 0.f ? 0.f : x;
  if constexpr (OP == kRelu6) return x < 0.f ? 0.f : (x > 6.f ? 6.f : x);
  if constexpr (OP == kLeakyRelu) return x < 0.f ? alpha * x : x;
  if constexpr (OP == kSigmoid) return 1.f / (1.f + std::exp(-x));
  if constexpr (OP == kTanh) {
    // expm1-based (≈5x faster than tanhf, ~1 ulp); |x| ≤ 9 already rounds to ±1 in float.
    const float c = x > 9.f ? 9.f : (x < -9.f ? -9.f : x);
    const float e = std::expm1(2.f * c);
    return x != x ? x : e / (e + 2.f);
  }
  if constexpr (OP == kAbs) return std::fabs(x);
  if constexpr (OP == kNeg) return -x;
  if constexpr (OP == kExp) return std::exp(x);
  if constexpr (OP == kLog) return std::log(x);
  if constexpr (OP == kSqrt) return std::sqrt(x);
  if constexpr (OP == kRsqrt) return 1.f / std::sqrt(x);
  if constexpr (OP == kSquare) return x * x;
  if constexpr (OP == kSign) return x > 0.f ? 1.f : (x < 0.f ? -1.f : (x == 0.f ? 0.f : x));
  if constexpr (OP == kStep) return x > 0.f ? 1.f : (x != x ? x : alpha);
  if constexpr (OP == kReciprocal) return 1.f / x;
  if constexpr (OP == kElu) return x >= 0.f ? x : std::expm1(x);
  if constexpr (OP == kSoftplus) {
    // TF's stable form: x large → x, x very negative → exp(x).
    const float thr = -15.942385f;  // log(FLT_EPSILON) + 2
    if (x > -thr) return x;
    if (x < thr) return std::exp(x);
    return std::log1p(std::exp(x));
  }
  if constexpr (OP == kLog1p) return std::log1p(x);
  return x;
}

// exp(x) for x ≤ 0 (down to −18, as tanh needs), branch-free so the loop below vectorises:
// 2^n · p(r), n = round(x·log2 e), r = x − n·ln 2 (two-part ln 2), p the degree-6 Taylor/minimax
// polynomial (Cephes expf; relative error < 2e-7 on this range).
inline float exp_neg(float x) {
  // Round to nearest by adding and subtracting 1.5·2^23 (vectorises on plain SSE2, unlike nearbyint).
  const float n = (x * 1.44269504088896341f + 12582912.f) - 12582912.f;
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.f;
  // Scale by 2^n through the exponent bits (n ≥ −27 here, so the result stays normal).
  int32_t bits;
  std::memcpy(&bits, &p, 4);
  bits += (int32_t)n << 23;
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

// tanh, vectorisable: for |x| ≥ 0.05, (1 − e)/(1 + e) with e = exp(−2|x|) (|x| ≥ 9 rounds to ±1);
// below, the odd Taylor series to x⁷ (error < 1e-13 relative). ≈ 1e-7 relative error overall; NaN in,
// NaN out. ≈ 20× faster than the libm-based scalar form above (the generator's output layer).
// Vectorised because the addon is built with -fno-trapping-math (GCC otherwise will not compute
// both sides of the select, since the division might trap).
void tanh_range(const float* x, float* y, long n) {
  for (long i = 0; i < n; ++i) {
    const float v = x[i];
    const float av = std::fabs(v);
    const float a = av < 9.f ? av : 9.f;  // (NaN → 9; restored below)
    const float e = exp_neg(-2.f * a);
    const float big = (1.f - e) / (1.f + e);
    const float a2 = a * a;
    const float small = a * (1.f + a2 * (-1.f / 3.f + a2 * (2.f / 15.f + a2 * (-17.f / 315.f))));
    const float t = a < 0.05f ? small : big;
    y[i] = v != v ? v : std::copysign(t, v);
  }
}

template <int OP>
void unary_range(const float* x, float* y, long n, float alpha) {
  if constexpr (OP == kTanh) {
    tanh_range(x, y, n);
    return;
  }
  for (long i = 0; i < n; ++i) y[i] = un<OP>(x[i], alpha);
}

using UnaryFn = void (*)(const float*, float*, long, float);
template <int... OPS>
constexpr auto make_unary_table(std::integer_sequence<int, OPS...>) {
  return std::array<UnaryFn, sizeof...(OPS)>{unary_range<OPS>...};
}

template <int OP>
inline float bi(float a, float b) {
  if constexpr (OP == kAdd) return a + b;
  if constexpr (OP == kSub) return a - b;
  if constexpr (OP == kMul) return a * b;
  if constexpr (OP == kDiv) return a / b;
  if constexpr (OP == kSqDiff) return (a - b) * (a - b);
  if constexpr (OP == kMax) return (a != a || b != b) ? NAN : (a > b ? a : b);
  if constexpr (OP == kMin) return (a != a || b != b) ? NAN : (a < b ? a : b);
  if constexpr (OP == kPow) return std::pow(a, b);
  return a;  // kFirst
}

// Inner loop: a/b advance by 0 or 1 per element.
template <int OP>
void binary_run(const float* a, long as, const float* b, long bs, float* o, long n) {
  if (as && bs)
    for (long i = 0; i < n; ++i) o[i] = bi<OP>(a[i], b[i]);
  else if (as) {
    const float bv = *b;
    for (long i = 0; i < n; ++i) o[i] = bi<OP>(a[i], bv);
  } else if (bs) {
    const float av = *a;
    for (long i = 0; i < n; ++i) o[i] = bi<OP>(av, b[i]);
  } else {
    const float v = bi<OP>(*a, *b);
    for (long i = 0; i < n; ++i) o[i] = v;
  }
}

using BinaryRun = void (*)(const float*, long, const float*, long, float*, long);
template <int... OPS>
constexpr auto make_binary_table(std::integer_sequence<int, OPS...>) {
  return std::array<BinaryRun, sizeof...(OPS)>{binary_run<OPS>...};
}

// Collapsed broadcast geometry: dims (outermost first) with element strides of a and b (0 = broadcast).
struct Geo {
  int rank = 0;
  long dim[16], sa[16], sb[16];
};

Geo collapse(const std::vector<int64_t>& sa, const std::vector<int64_t>& sb, const std::vector<int64_t>& so) {
  // Drop size-1 output dims, then merge neighbours with the same broadcast pattern.
  long d[16], ba[16], bb[16];  // ba/bb: 1 = operand spans this dim, 0 = broadcast
  int r = 0;
  for (size_t i = 0; i < so.size(); ++i) {
    if (so[i] == 1) continue;
    d[r] = so[i];
    ba[r] = sa[i] != 1;
    bb[r] = sb[i] != 1;
    ++r;
  }
  long md[16], ma[16], mb[16];
  int m = 0;
  for (int i = 0; i < r; ++i) {
    if (m > 0 && ma[m - 1] == ba[i] && mb[m - 1] == bb[i]) {
      md[m - 1] *= d[i];
    } else {
      md[m] = d[i];
      ma[m] = ba[i];
      mb[m] = bb[i];
      ++m;
    }
  }
  Geo g;
  g.rank = m;
  long stra = 1, strb = 1;
  for (int i = m - 1; i >= 0; --i) {
    g.dim[i] = md[i];
    g.sa[i] = ma[i] ? stra : 0;
    g.sb[i] = mb[i] ? strb : 0;
    if (ma[i]) stra *= md[i];
    if (mb[i]) strb *= md[i];
  }
  return g;
}

}  // namespace

void unary(int op, const float* x, float* y, long n, float alpha) {
  static constexpr auto table = make_unary_table(std::make_integer_sequence<int, kUnaryCount>{});
  const UnaryFn f = table[op];
  // Transcendentals cost ~10-20 ns per element, so they are worth threading earlier.
  const long grain = (op == kTanh || op == kSigmoid || op == kExp || op == kLog || op == kElu || op == kSoftplus ||
                      op == kLog1p)
                         ? 4096
                         : kGrain;
  parallel_range(n, grain, [&](long b, long e) { f(x + b, y + b, e - b, alpha); });
}

void binary(int op, const float* a, const std::vector<int64_t>& sa, const float* b, const std::vector<int64_t>& sb,
            float* out, const std::vector<int64_t>& so) {
  static constexpr auto table = make_binary_table(std::make_integer_sequence<int, kBinaryCount>{});
  const BinaryRun run = table[op];
  for (int64_t d : so)
    if (d == 0) return;  // empty output
  Geo g = collapse(sa, sb, so);
  if (g.rank == 0) {
    run(a, 0, b, 0, out, 1);
    return;
  }
  const int r = g.rank;
  const long inner = g.dim[r - 1];
  const long ia = g.sa[r - 1] ? 1 : 0, ib = g.sb[r - 1] ? 1 : 0;
  long outer = 1;
  for (int i = 0; i < r - 1; ++i) outer *= g.dim[i];
  const long elem_grain = op == kPow ? 4096 : kGrain;
  if (outer < 2L * num_threads() && inner >= 2 * elem_grain) {
    // Few long rows — typically no broadcast at all (every dim collapses into one) or a scalar
    // operand: split the rows themselves, or the op would run on one thread.
    const long cpo = std::min<long>(64, inner / elem_grain);  // chunks per row
    parallel_range(outer * cpo, 1, [&](long t0, long t1) {
      for (long t = t0; t < t1; ++t) {
        const long o = t / cpo, part = t % cpo;
        long rem = o, offa = 0, offb = 0;
        for (int i = r - 2; i >= 0; --i) {
          const long idx = rem % g.dim[i];
          rem /= g.dim[i];
          offa += idx * g.sa[i];
          offb += idx * g.sb[i];
        }
        const long b0 = inner * part / cpo, b1 = inner * (part + 1) / cpo;
        run(a + offa + ia * b0, ia, b + offb + ib * b0, ib, out + o * inner + b0, b1 - b0);
      }
    });
    return;
  }
  const long grain = std::max<long>(1, elem_grain / inner);
  parallel_range(outer, grain, [&](long o0, long o1) {
    // Odometer over the outer dims, started at o0.
    long idx[16] = {0};
    long rem = o0, offa = 0, offb = 0;
    for (int i = r - 2; i >= 0; --i) {
      idx[i] = rem % g.dim[i];
      rem /= g.dim[i];
      offa += idx[i] * g.sa[i];
      offb += idx[i] * g.sb[i];
    }
    for (long o = o0; o < o1; ++o) {
      run(a + offa, ia, b + offb, ib, out + o * inner, inner);
      for (int i = r - 2; i >= 0; --i) {
        offa += g.sa[i];
        offb += g.sb[i];
        if (++idx[i] < g.dim[i]) break;
        offa -= g.sa[i] * g.dim[i];
        offb -= g.sb[i] * g.dim[i];
        idx[i] = 0;
      }
    }
  });
}

void reduce(int op, const float* x, const std::vector<int64_t>& shape, const std::vector<int64_t>& mask, float* y) {
  // Collapse: drop size-1 dims, merge neighbours that are both reduced or both kept.
  long d[8];
  bool red[8];
  int r = 0;
  long total = 1, outn = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    total *= shape[i];
    if (!mask[i]) outn *= shape[i];
    if (shape[i] == 1) continue;
    const bool rd = mask[i] != 0;
    if (r > 0 && red[r - 1] == rd)
      d[r - 1] *= shape[i];
    else {
      d[r] = shape[i];
      red[r] = rd;
      ++r;
    }
  }
  const long count = outn > 0 ? total / outn : 0;  // elements reduced into each output
  const bool is_sum = op == kSum || op == kMean;
  const float init = op == kMax_ ? -INFINITY : (op == kMin_ ? INFINITY : 0.f);
  if (total == 0) {
    for (long i = 0; i < outn; ++i) y[i] = op == kMean ? NAN : init;
    return;
  }
  auto finish = [&](double v) { return (float)(op == kMean ? v / (double)count : v); };
  auto combine = [&](double acc, float v) -> double {
    if (is_sum) return acc + v;
    if (v != v || acc != acc) return NAN;
    return op == kMax_ ? (v > acc ? v : acc) : (v < acc ? v : acc);
  };
  if (r == 0 || (r == 1 && !red[0])) {  // nothing reduced
    for (long i = 0; i < outn; ++i) y[i] = finish(x[i]);
    return;
  }
  if (r == 1 || (r == 2 && !red[0])) {
    // [K, R]: each output reduces one contiguous row of R.
    const long K = r == 1 ? 1 : d[0], R = r == 1 ? d[0] : d[1];
    if (K < 2L * num_threads() && R >= 4 * kGrain) {
      // Few long rows (e.g. a sum of everything): partial results over chunks of each row, in
      // parallel, then combined — otherwise one thread does it all.
      const long cpo = std::min<long>(64, R / kGrain);
      std::vector<double> part((size_t)(K * cpo));
      parallel_range(K * cpo, 1, [&](long t0, long t1) {
        for (long t = t0; t < t1; ++t) {
          const long k = t / cpo, c = t % cpo;
          const float* row = x + k * R;
          const long i0 = R * c / cpo, i1 = R * (c + 1) / cpo;
          double acc = is_sum ? 0.0 : (double)row[i0];
          if (is_sum) {
            double s8[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            long i = i0;
            for (; i + 8 <= i1; i += 8)
              for (int j = 0; j < 8; ++j) s8[j] += row[i + j];
            for (; i < i1; ++i) acc += row[i];
            for (int j = 0; j < 8; ++j) acc += s8[j];
          } else {
            for (long i = i0; i < i1; ++i) acc = combine(acc, row[i]);
          }
          part[(size_t)t] = acc;
        }
      });
      for (long k = 0; k < K; ++k) {
        double v = part[(size_t)(k * cpo)];
        for (long c = 1; c < cpo; ++c) v = is_sum ? v + part[(size_t)(k * cpo + c)] : combine(v, (float)part[(size_t)(k * cpo + c)]);
        y[k] = finish(v);
      }
      return;
    }
    parallel_range(K, std::max<long>(1, kGrain / R), [&](long k0, long k1) {
      for (long k = k0; k < k1; ++k) {
        const float* row = x + k * R;
        if (is_sum) {
          // 8 partial sums in double: accurate and vectorisable.
          double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
          long i = 0;
          for (; i + 8 <= R; i += 8)
            for (int j = 0; j < 8; ++j) s[j] += row[i + j];
          double t = 0;
          for (; i < R; ++i) t += row[i];
          for (int j = 0; j < 8; ++j) t += s[j];
          y[k] = finish(t);
        } else {
          double acc = init;
          for (long i = 0; i < R; ++i) acc = combine(acc, row[i]);
          y[k] = (float)acc;
        }
      }
    });
    return;
  }
  // General case: odometer over all collapsed dims; rows of the innermost dim are either reduced
  // (one accumulator) or kept (a vector of accumulators). Accumulate in double, one buffer per task
  // over the leading dim so threads never share accumulators.
  long ostride[8];
  {
    long s = 1;
    for (int i = r - 1; i >= 0; --i) {
      ostride[i] = red[i] ? 0 : s;
      if (!red[i]) s *= d[i];
    }
  }
  const long inner = d[r - 1];
  const bool inner_red = red[r - 1];
  long outer = 1;
  for (int i = 0; i < r - 1; ++i) outer *= d[i];
  const int nt = num_threads();
  const int parts = (total >= 4 * kGrain && outer >= nt) ? nt : 1;
  std::vector<std::vector<double>> acc(parts, std::vector<double>(outn, (double)init));
  parallel_for(parts, [&](int t) {
    const long o0 = outer * t / parts, o1 = outer * (t + 1) / parts;
    double* A = acc[t].data();
    long idx[8] = {0};
    long rem = o0, off = 0;
    for (int i = r - 2; i >= 0; --i) {
      idx[i] = rem % d[i];
      rem /= d[i];
      off += idx[i] * ostride[i];
    }
    for (long o = o0; o < o1; ++o) {
      const float* row = x + o * inner;
      if (inner_red) {
        double s = A[off];
        if (is_sum)
          for (long i = 0; i < inner; ++i) s += row[i];
        else
          for (long i = 0; i < inner; ++i) s = combine(s, row[i]);
        A[off] = s;
      } else {
        double* dst = A + off;
        if (is_sum)
          for (long i = 0; i < inner; ++i) dst[i] += row[i];
        else
          for (long i = 0; i < inner; ++i) dst[i] = combine(dst[i], row[i]);
      }
      for (int i = r - 2; i >= 0; --i) {
        off += ostride[i];
        if (++idx[i] < d[i]) break;
        off -= ostride[i] * d[i];
        idx[i] = 0;
      }
    }
  });
  for (long i = 0; i < outn; ++i) {
    double v = acc[0][i];
    for (int t = 1; t < parts; ++t) v = is_sum ? v + acc[t][i] : combine(v, (float)acc[t][i]);
    y[i] = finish(v);
  }
}

void transpose(const float* x, const std::vector<int64_t>& shape, const std::vector<int64_t>& perm, float* y) {
  const int r = (int)shape.size();
  long istride[8], od[8], os[8];
  long s = 1;
  for (int i = r - 1; i >= 0; --i) {
    istride[i] = s;
    s *= shape[i];
  }
  const long total = s;
  for (int i = 0; i < r; ++i) {
    od[i] = shape[perm[i]];
    os[i] = istride[perm[i]];  // input stride of output dim i
  }
  if (r == 0) {
    if (total) y[0] = x[0];
    return;
  }
  const long inner = od[r - 1], is = os[r - 1];
  const long outer = inner ? total / inner : 0;
  parallel_range(outer, std::max<long>(1, kGrain / std::max<long>(1, inner)), [&](long o0, long o1) {
    long idx[8] = {0};
    long rem = o0, off = 0;
    for (int i = r - 2; i >= 0; --i) {
      idx[i] = rem % od[i];
      rem /= od[i];
      off += idx[i] * os[i];
    }
    for (long o = o0; o < o1; ++o) {
      float* dst = y + o * inner;
      const float* src = x + off;
      for (long i = 0; i < inner; ++i) dst[i] = src[i * is];
      for (int i = r - 2; i >= 0; --i) {
        off += os[i];
        if (++idx[i] < od[i]) break;
        off -= os[i] * od[i];
        idx[i] = 0;
      }
    }
  });
}

namespace {
template <int ACT>
void affine_rows(const float* x, float* y, long r0, long r1, long C, const float* s, long ns, const float* t, long nt,
                 float alpha) {
  for (long r = r0; r < r1; ++r) {
    const float* xr = x + r * C;
    float* yr = y + r * C;
    for (long c = 0; c < C; ++c) {
      const float sc = s ? s[ns == 1 ? 0 : c] : 1.f;
      const float sh = t ? t[nt == 1 ? 0 : c] : 0.f;
      yr[c] = un<ACT>(xr[c] * sc + sh, alpha);
    }
  }
}
using AffineFn = void (*)(const float*, float*, long, long, long, const float*, long, const float*, long, float);
template <int... OPS>
constexpr auto make_affine_table(std::integer_sequence<int, OPS...>) {
  return std::array<AffineFn, sizeof...(OPS)>{affine_rows<OPS>...};
}
}  // namespace

void channel_affine(const float* x, float* y, long n, long C, const float* scale, long ns, const float* shift, long nt,
                    int act, float alpha) {
  static constexpr auto table = make_affine_table(std::make_integer_sequence<int, kUnaryCount>{});
  const AffineFn f = table[act];
  const long rows = n / C;
  parallel_range(rows, std::max<long>(1, kGrain / C),
                 [&](long r0, long r1) { f(x, y, r0, r1, C, scale, ns, shift, nt, alpha); });
}

void add_n(const std::vector<const float*>& srcs, float* out, long n) {
  parallel_range(n, kGrain, [&](long b, long e) {
    if (srcs.empty()) {
      std::memset(out + b, 0, sizeof(float) * (e - b));
      return;
    }
    const float* s0 = srcs[0];
    for (long i = b; i < e; ++i) out[i] = s0[i];
    for (size_t k = 1; k < srcs.size(); ++k) {
      const float* sk = srcs[k];
      for (long i = b; i < e; ++i) out[i] += sk[i];
    }
  });
}

void adam(const float* value, const float* m, const float* v, const float* g, float* new_value, float* new_m,
          float* new_v, long n, const float* c) {
  const float b1 = c[0], omb1 = c[1], b2 = c[2], omb2 = c[3], oma1 = c[4], oma2 = c[5], eps = c[6], neglr = c[7];
  parallel_range(n, kGrain, [&](long b, long e) {
    for (long i = b; i < e; ++i) {
      const float gi = g[i];
      const float m1 = m[i] * b1 + gi * omb1;
      const float v1 = v[i] * b2 + (gi * gi) * omb2;
      new_m[i] = m1;
      new_v[i] = v1;
      new_value[i] = (m1 / oma1) / (std::sqrt(v1 / oma2) + eps) * neglr + value[i];
    }
  });
}

namespace {
// Row sums in double over kLanes interleaved lanes (element f goes to lane f mod kLanes), the lanes
// then added in order: independent chains the compiler can vectorise, where one running double sum
// waits a full add latency per element; the order is fixed, so results stay deterministic.
constexpr long kLanes = 8;

// Σ_f term(f) over [0, F), `term` returning a double.
template <typename Term>
inline double lane_sum(long F, Term term) {
  double acc[kLanes] = {};
  long f = 0;
  for (; f + kLanes <= F; f += kLanes)
    for (long j = 0; j < kLanes; ++j) acc[j] += term(f + j);
  for (long j = 0; f < F; ++f, ++j) acc[j] += term(f);
  double s = 0;
  for (long j = 0; j < kLanes; ++j) s += acc[j];
  return s;
}

// K sums Σ_f t_k(f) in one pass over the row, `terms(f, t)` writing the K doubles t_k(f): the same lanes
// and order as K lane_sum calls (so the same bits), reading the row once instead of K times.
template <int K, typename Terms>
inline void lane_sums(long F, Terms terms, double* out) {
  double acc[K][kLanes] = {};
  double t[K];
  long f = 0;
  for (; f + kLanes <= F; f += kLanes)
    for (long j = 0; j < kLanes; ++j) {
      terms(f + j, t);
      for (int k = 0; k < K; ++k) acc[k][j] += t[k];
    }
  for (long j = 0; f < F; ++f, ++j) {
    terms(f, t);
    for (int k = 0; k < K; ++k) acc[k][j] += t[k];
  }
  for (int k = 0; k < K; ++k) {
    double s = 0;
    for (long j = 0; j < kLanes; ++j) s += acc[k][j];
    out[k] = s;
  }
}

// A row's mean and 1/√(σ² + ε), in double.
inline void row_stats(const float* x, long F, float eps, double* mu, double* r) {
  const double m = lane_sum(F, [&](long f) { return (double)x[f]; }) / (double)F;
  const double q = lane_sum(F, [&](long f) {
    const double d = x[f] - m;
    return d * d;
  });
  *mu = m;
  *r = 1.0 / std::sqrt(q / (double)F + (double)eps);
}
}  // namespace

void layer_norm(const float* x, const float* gamma, const float* beta, float* y, long N, long F, float eps) {
  parallel_for((int)N, [&](int n) {
    const float* xr = x + (long)n * F;
    float* yr = y + (long)n * F;
    double mu, r;
    row_stats(xr, F, eps, &mu, &r);
    const float m = (float)mu, rf = (float)r;
    for (long f = 0; f < F; ++f) yr[f] = (xr[f] - m) * rf * gamma[f] + beta[f];
  });
}

void layer_norm_grad_x(const float* x, const float* gamma, const float* dy, float* dx, long N, long F, float eps) {
  parallel_for((int)N, [&](int n) {
    const float* xr = x + (long)n * F;
    const float* dr = dy + (long)n * F;
    float* o = dx + (long)n * F;
    double mu, r;
    row_stats(xr, F, eps, &mu, &r);
    const float m = (float)mu, rf = (float)r;
    double s[2];  // Σ g, Σ g·x̂ with g = dy·γ
    lane_sums<2>(
        F,
        [&](long f, double* t) {
          t[0] = (double)(dr[f] * gamma[f]);
          t[1] = t[0] * ((xr[f] - m) * rf);
        },
        s);
    const float mg = (float)(s[0] / (double)F), mgx = (float)(s[1] / (double)F);
    for (long f = 0; f < F; ++f) {
      const float g = dr[f] * gamma[f], xh = (xr[f] - m) * rf;
      o[f] = rf * (g - mg - xh * mgx);
    }
  });
}

void layer_norm_grad_gamma(const float* x, const float* dy, float* dgamma, long N, long F, float eps) {
  std::vector<float> mus((size_t)N), rs((size_t)N);
  parallel_for((int)N, [&](int n) {
    double mu, r;
    row_stats(x + (long)n * F, F, eps, &mu, &r);
    mus[(size_t)n] = (float)mu;
    rs[(size_t)n] = (float)r;
  });
  // Per feature over the rows in order, the features split across threads.
  parallel_range(F, 4096, [&](long b, long e) {
    for (long f = b; f < e; ++f) dgamma[f] = 0.f;
    for (long n = 0; n < N; ++n) {
      const float* xr = x + n * F;
      const float* dr = dy + n * F;
      const float m = mus[(size_t)n], rf = rs[(size_t)n];
      for (long f = b; f < e; ++f) dgamma[f] += dr[f] * ((xr[f] - m) * rf);
    }
  });
}

void layer_norm_grad_x_grad(const float* x, const float* gamma, const float* dy, const float* u, float* ddx,
                            float* ddy, float* dgamma, long N, long F, float eps) {
  // q = ∂L/∂g per element (g = dy·γ), kept for ddy and dγ: in ddy when it is wanted, else scratch.
  std::vector<float> scratch;
  float* q = ddy;
  if (!q && dgamma) {
    scratch.resize((size_t)(N * F));
    q = scratch.data();
  }
  parallel_for((int)N, [&](int n) {
    const float* xr = x + (long)n * F;
    const float* dr = dy + (long)n * F;
    const float* ur = u + (long)n * F;
    double mu, r;
    row_stats(xr, F, eps, &mu, &r);
    const float m = (float)mu, rf = (float)r;
    // Row means, in double: ḡ, s = mean(g·xc), ū, B = mean(u·xc), mean(u·g).
    double s[5];  // Σ g, Σ g·xc, Σ u, Σ u·xc, Σ u·g with g = dy·γ, xc = x − μ
    lane_sums<5>(
        F,
        [&](long f, double* t) {
          const double g = (double)(dr[f] * gamma[f]), xc = (double)(xr[f] - m), uf = (double)ur[f];
          t[0] = g;
          t[1] = g * xc;
          t[2] = uf;
          t[3] = uf * xc;
          t[4] = uf * g;
        },
        s);
    const double sg = s[0], sgx = s[1], su = s[2], sux = s[3], sug = s[4];
    const double iF = 1.0 / (double)F;
    const double mg = sg * iF, s_ = sgx * iF, mu_u = su * iF, B = sux * iF, A = sug * iF - mu_u * mg;
    const double r3 = (double)rf * rf * rf;
    const float c_xc = (float)(-r3 * (A - 3.0 * rf * rf * s_ * B)), c_u = (float)(-r3 * s_), c_a = (float)(-r3 * B);
    const float fu = (float)mu_u, fg = (float)mg, fB = (float)B;
    if (ddx) {
      float* o = ddx + (long)n * F;
      for (long f = 0; f < F; ++f) {
        const float d = xr[f] - m, a = dr[f] * gamma[f] - fg;
        o[f] = c_xc * d + c_u * (ur[f] - fu) + c_a * a;
      }
    }
    if (q) {
      float* o = q + (long)n * F;
      const float r3f = (float)r3;
      for (long f = 0; f < F; ++f) o[f] = rf * (ur[f] - fu) - r3f * (xr[f] - m) * fB;
    }
  });
  if (!q) return;
  // dγ = Σ_rows dy·q, rows in order (deterministic); then ddy = γ·q in place.
  parallel_range(F, 4096, [&](long b, long e) {
    if (dgamma)
      for (long f = b; f < e; ++f) dgamma[f] = 0.f;
    for (long n = 0; n < N; ++n) {
      const float* dr = dy + n * F;
      float* qr = q + n * F;
      if (dgamma)
        for (long f = b; f < e; ++f) dgamma[f] += dr[f] * qr[f];
      if (ddy)
        for (long f = b; f < e; ++f) qr[f] *= gamma[f];
    }
  });
}

}  // namespace wn
