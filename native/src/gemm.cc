#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "pool.h"

namespace wn {
namespace {

// Blocking (floats): an A block MC×KC (≤ 144 KiB) stays in L2, a B micro-panel KC×NR (16 KiB for the
// 6×16 kernels, 32 KiB for AVX-512's 12×32) in L1;
// B is packed once per call (K × up to NC columns) and shared by all threads. (kKC is in gemm.h.)
constexpr int kMC = 144;
constexpr int kNC = 4096;

bool g_force_generic = false;
const char* g_named = nullptr;  // gemm_set_kernel / WGAN_NATIVE_GEMM; nullptr = best available

enum class Kind { kGeneric, kAvx2, kAvx512 };

bool cpu_has(Kind k) {
#if defined(__x86_64__)
  if (k == Kind::kAvx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (k == Kind::kAvx512) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#endif
  return k == Kind::kGeneric;
}

bool parse(const char* name, Kind* k) {
  if (!std::strcmp(name, "avx512")) *k = Kind::kAvx512;
  else if (!std::strcmp(name, "avx2")) *k = Kind::kAvx2;
  else if (!std::strcmp(name, "generic")) *k = Kind::kGeneric;
  else return false;
  return true;
}

Kind pick_kind() {
  if (g_force_generic) return Kind::kGeneric;
  static const char* env = std::getenv("WGAN_NATIVE_GEMM");
  Kind k;
  if (g_named && parse(g_named, &k) && cpu_has(k)) return k;
  if (!g_named && env && *env && parse(env, &k) && cpu_has(k)) return k;
  if (cpu_has(Kind::kAvx512)) return Kind::kAvx512;
  if (cpu_has(Kind::kAvx2)) return Kind::kAvx2;
  return Kind::kGeneric;
}

// Pack rows [0,mc) × cols [0,kc) of A into MR-row panels: panel p holds, for each k, MR floats.
template <int kMR>
void pack_a(int mc, int kc, const float* a, long rsa, long csa, float* dst) {
  for (int p = 0; p < mc; p += kMR) {
    const int mr = std::min(kMR, mc - p);
    const float* ap = a + (long)p * rsa;
    if (csa == 1 && mr == kMR) {
      // Rows contiguous along k: read each row forwards, write with stride MR (the panel is in L1).
      for (int r = 0; r < kMR; ++r) {
        const float* row = ap + (long)r * rsa;
        float* d = dst + r;
        for (int k = 0; k < kc; ++k) d[(long)k * kMR] = row[k];
      }
      dst += (long)kc * kMR;
    } else if (rsa == 1) {
      for (int k = 0; k < kc; ++k) {
        const float* col = ap + (long)k * csa;
        int r = 0;
        for (; r < mr; ++r) dst[r] = col[r];
        for (; r < kMR; ++r) dst[r] = 0.f;
        dst += kMR;
      }
    } else {
      for (int k = 0; k < kc; ++k) {
        int r = 0;
        for (; r < mr; ++r) dst[r] = ap[(long)r * rsa + (long)k * csa];
        for (; r < kMR; ++r) dst[r] = 0.f;
        dst += kMR;
      }
    }
  }
}

// Pack NR-column panels [q0,q1) of the kc×nc block of B; panel q holds, for each k, NR floats.
template <int kNR>
void pack_b(int kc, int nc, int q0, int q1, const float* b, long rsb, long csb, float* dst) {
  if (csb == 1 && q1 * kNR <= nc) {
    // Row-major B, full panels: walk B's rows once, in order (each row feeds every panel), so a
    // B that is not in cache (a conv filter, 2 MiB at 4×4×128×256) streams from memory instead of
    // being read once per panel with a row-sized stride.
    for (int k = 0; k < kc; ++k) {
      const float* row = b + (long)k * rsb + (long)q0 * kNR;
      for (int q = q0; q < q1; ++q, row += kNR) std::memcpy(dst + ((long)q * kc + k) * kNR, row, kNR * sizeof(float));
    }
    return;
  }
  for (int q = q0; q < q1; ++q) {
    const int j = q * kNR;
    const int nr = std::min(kNR, nc - j);
    float* d = dst + (long)q * kc * kNR;
    const float* bp = b + (long)j * csb;
    if (csb == 1) {
      if (nr == kNR) {
        for (int k = 0; k < kc; ++k) std::memcpy(d + k * kNR, bp + (long)k * rsb, kNR * sizeof(float));
      } else {
        for (int k = 0; k < kc; ++k) {
          const float* row = bp + (long)k * rsb;
          int c = 0;
          for (; c < nr; ++c) d[k * kNR + c] = row[c];
          for (; c < kNR; ++c) d[k * kNR + c] = 0.f;
        }
      }
    } else {
      // Column-contiguous (transposed) B: read each column along k, write strided.
      for (int c = 0; c < kNR; ++c) {
        if (c < nr) {
          const float* col = bp + (long)c * csb;
          if (rsb == 1)
            for (int k = 0; k < kc; ++k) d[k * kNR + c] = col[k];
          else
            for (int k = 0; k < kc; ++k) d[k * kNR + c] = col[(long)k * rsb];
        } else {
          for (int k = 0; k < kc; ++k) d[k * kNR + c] = 0.f;
        }
      }
    }
  }
}

}  // namespace

void ukernel_generic(int kc, const float* __restrict a, const float* __restrict b, float* c, long ldc, int mr, int nr,
                     bool accumulate) {
  // Two passes of 6×8 so the accumulators fit 16 128-bit registers (SSE2 / NEON auto-vectorised);
  // the packed panels are in L1, so reading them twice is cheap.
  float t[kMR][kNR];
  for (int half = 0; half < kNR; half += 8) {
    float acc[kMR][8];
    for (int i = 0; i < kMR; ++i)
      for (int j = 0; j < 8; ++j) acc[i][j] = 0.f;
    const float* ap = a;
    const float* bp = b + half;
    for (int k = 0; k < kc; ++k) {
      for (int i = 0; i < kMR; ++i) {
        const float ai = ap[i];
        for (int j = 0; j < 8; ++j) acc[i][j] += ai * bp[j];
      }
      ap += kMR;
      bp += kNR;
    }
    for (int i = 0; i < kMR; ++i)
      for (int j = 0; j < 8; ++j) t[i][half + j] = acc[i][j];
  }
  store_tile(t, c, ldc, mr, nr, accumulate);
}

const char* gemm_kernel_name() {
  switch (pick_kind()) {
    case Kind::kAvx512: return "avx512";
    case Kind::kAvx2: return "avx2";
    default: return "generic";
  }
}

bool gemm_set_kernel(const char* name) {
  if (!name || !*name) {
    g_named = nullptr;
    return true;
  }
  Kind k;
  if (!parse(name, &k) || !cpu_has(k)) return false;
  static const char* const names[] = {"generic", "avx2", "avx512"};
  g_named = names[(int)k];
  return true;
}

bool gemm_force_generic(bool on) {
  bool prev = g_force_generic;
  g_force_generic = on;
  return prev;
}

namespace {

// The packed-B cache (sgemm's b_token). A search runs G and the critic with fixed weights hundreds
// of times at batch 1, where packing a filter (K × co, up to 512 KiB, transposed for the input
// gradient) costs as much as the product itself; training reuses each step's weights in several
// passes. Entries live until the token is released (the tensor disposed); beyond the budget
// (WGAN_NATIVE_PACK_MB, default 256) B is packed per call as before.
struct PackedB {
  long rsb, csb;
  int K, N, nr;
  float* p = nullptr;
  size_t floats = 0;
  ~PackedB() { std::free(p); }
};
std::mutex g_pack_mu;
std::unordered_map<uint64_t, std::vector<std::shared_ptr<PackedB>>> g_packs;
size_t g_pack_bytes = 0;
size_t pack_budget() {
  static const size_t b = [] {
    const char* e = std::getenv("WGAN_NATIVE_PACK_MB");
    return (size_t)(e ? std::atol(e) : 256) << 20;
  }();
  return b;
}

std::shared_ptr<PackedB> pack_find(uint64_t token, long rsb, long csb, int K, int N, int nr) {
  std::lock_guard<std::mutex> lk(g_pack_mu);
  auto it = g_packs.find(token);
  if (it == g_packs.end()) return nullptr;
  for (auto& e : it->second)
    if (e->rsb == rsb && e->csb == csb && e->K == K && e->N == N && e->nr == nr) return e;
  return nullptr;
}

// A new, unfilled entry, or nullptr beyond the budget.
std::shared_ptr<PackedB> pack_new(long rsb, long csb, int K, int N, int nr, size_t floats) {
  {
    std::lock_guard<std::mutex> lk(g_pack_mu);
    if (g_pack_bytes + floats * sizeof(float) > pack_budget()) return nullptr;
  }
  auto e = std::make_shared<PackedB>();
  e->rsb = rsb;
  e->csb = csb;
  e->K = K;
  e->N = N;
  e->nr = nr;
  e->floats = floats;
  e->p = static_cast<float*>(std::aligned_alloc(64, ((floats * sizeof(float) + 63) / 64) * 64));
  if (!e->p) return nullptr;
  return e;
}

void pack_insert(uint64_t token, const std::shared_ptr<PackedB>& e) {
  std::lock_guard<std::mutex> lk(g_pack_mu);
  g_packs[token].push_back(e);
  g_pack_bytes += e->floats * sizeof(float);
}

}  // namespace

void release_packed(uint64_t token) {
  std::lock_guard<std::mutex> lk(g_pack_mu);
  auto it = g_packs.find(token);
  if (it == g_packs.end()) return;
  for (auto& e : it->second) g_pack_bytes -= e->floats * sizeof(float);
  g_packs.erase(it);  // an entry a running GEMM still holds is freed when that GEMM drops it
}

size_t packed_cache_bytes() {
  std::lock_guard<std::mutex> lk(g_pack_mu);
  return g_pack_bytes;
}

namespace {

// A given as a strided array.
struct StridedA final : APacker {
  const float* a;
  long rsa, csa;
  StridedA(const float* a_, long rsa_, long csa_) : a(a_), rsa(rsa_), csa(csa_) {}
  void pack(int i0, int mc, int k0, int kc, int mr_panel, float* dst) const override {
    const float* src = a + (long)i0 * rsa + (long)k0 * csa;
    if (mr_panel == kMR512)
      pack_a<kMR512>(mc, kc, src, rsa, csa, dst);
    else
      pack_a<kMR>(mc, kc, src, rsa, csa, dst);
  }
};

// Columns [k_begin, k_end) of A times rows [k_begin, k_end) of B.
void sgemm_range(int M, int N, int k_begin, int k_end, const APacker& a, const float* b, long rsb, long csb, float* c,
                 long ldc, bool accumulate, bool allow_threads, uint64_t b_token = 0);
template <int kMR, int kNR>
void sgemm_blocked(UKernel uk, int M, int N, int k_begin, int k_end, const APacker& a, const float* b, long rsb,
                   long csb, float* c, long ldc, bool accumulate, bool allow_threads, uint64_t b_token);
}  // namespace

void sgemm(int M, int N, int K, const float* a, long rsa, long csa, const float* b, long rsb, long csb, float* c,
           long ldc, bool accumulate, uint64_t b_token) {
  if (M > 0 && N == 1 && K > 0 && rsa == 1 && csa != 1) {
    // Aᵀ·b with A stored row-major (a dense layer's weight gradient xᵀ·dy for one output): sum the
    // rows of A scaled by b — contiguous, vectorisable — instead of strided dot products.
    parallel_range(M, 4096, [&](long i0, long i1) {
      std::vector<double> acc((size_t)(i1 - i0), 0.0);
      for (long k = 0; k < K; ++k) {
        const float* ak = a + k * csa + i0;
        const double bk = b[k * rsb];
        for (long i = 0; i < i1 - i0; ++i) acc[(size_t)i] += ak[i] * bk;
      }
      for (long i = i0; i < i1; ++i) {
        float* ci = c + i * ldc;
        ci[0] = accumulate ? ci[0] + (float)acc[(size_t)(i - i0)] : (float)acc[(size_t)(i - i0)];
      }
    });
    return;
  }
  if (M > 0 && N > 0 && K > 0 && (N == 1 || K == 1)) {
    // Matrix-vector products and outer products (a dense layer with one output, its gradients):
    // packing would copy more than the product computes, and a 32-wide tile would be 1/32 used.
    parallel_range(M, std::max(1L, 32768L / ((long)N * K)), [&](long i0, long i1) {
      for (long i = i0; i < i1; ++i) {
        const float* ai = a + i * rsa;
        float* ci = c + i * ldc;
        if (N == 1) {
          double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};  // 8 independent partial sums: vectorisable
          long k = 0;
          if (csa == 1 && rsb == 1)
            for (; k + 8 <= K; k += 8)
              for (int u = 0; u < 8; ++u) s[u] += (double)ai[k + u] * b[k + u];
          double t = 0;
          for (; k < K; ++k) t += (double)ai[k * csa] * b[k * rsb];
          for (int u = 0; u < 8; ++u) t += s[u];
          ci[0] = accumulate ? ci[0] + (float)t : (float)t;
        } else {  // K == 1: row i of C = a(i) · row 0 of B
          const float av = ai[0];
          if (accumulate)
            for (long j = 0; j < N; ++j) ci[j] += av * b[j * csb];
          else
            for (long j = 0; j < N; ++j) ci[j] = av * b[j * csb];
        }
      }
    });
    return;
  }
  sgemm_packed(M, N, K, StridedA(a, rsa, csa), b, rsb, csb, c, ldc, accumulate, b_token);
}

void sgemm_packed(int M, int N, int K, const APacker& a, const float* b, long rsb, long csb, float* c, long ldc,
                  bool accumulate, uint64_t b_token) {
  const int nt = num_threads();
  // A small C with a long reduction (e.g. the filter gradient of a conv with few channels: 48×64 with
  // K = 16384) gives each (M,N) task too little work per KC step; split K across the threads instead,
  // each summing into its own C, then add.
  // The same when K is much longer than M (the filter gradient of any 4×4 conv: K = pixels): each
  // thread then streams its half of the image once instead of once per row block.
  if (nt > 1 && K >= 2048 && ((long)M * N <= 64L * 1024 || K >= 2L * M) && 2.0 * M * N * K >= 4e6) {
    const int parts = nt;
    static thread_local AlignedBuf partbuf;
    float* part = partbuf.get((size_t)(parts - 1) * M * N);
    parallel_for(parts, [&](int t) {
      // Split at KC multiples so each part's K blocks line up with an unsplit run's.
      const int k0 = (int)((long)K * t / parts) / kKC * kKC;
      const int k1 = t + 1 == parts ? K : (int)((long)K * (t + 1) / parts) / kKC * kKC;
      if (t == 0)
        sgemm_range(M, N, k0, k1, a, b, rsb, csb, c, ldc, accumulate, false);
      else
        sgemm_range(M, N, k0, k1, a, b, rsb, csb, part + (size_t)(t - 1) * M * N, N, false, false);
    });
    parallel_range(M, std::max(1, 16384 / std::max(1, N)), [&](long i0, long i1) {
      for (int t = 1; t < parts; ++t) {
        const float* p = part + (size_t)(t - 1) * M * N;
        for (long i = i0; i < i1; ++i)
          for (int j = 0; j < N; ++j) c[i * ldc + j] += p[i * N + j];
      }
    });
    return;
  }
  // (The K-split above packs per part and call: its parts' K ranges are not a whole B.)
  sgemm_range(M, N, 0, K, a, b, rsb, csb, c, ldc, accumulate, true, b_token);
}

namespace {
void sgemm_range(int M, int N, int k_begin, int k_end, const APacker& a, const float* b, long rsb, long csb, float* c,
                 long ldc, bool accumulate, bool allow_threads, uint64_t b_token) {
  if (M <= 0 || N <= 0) return;
  if (k_end <= k_begin) {
    if (!accumulate)
      for (int i = 0; i < M; ++i) std::memset(c + (long)i * ldc, 0, sizeof(float) * N);
    return;
  }
  switch (pick_kind()) {
#if defined(__x86_64__)
    case Kind::kAvx512:
      return sgemm_blocked<kMR512, kNR512>(ukernel_avx512, M, N, k_begin, k_end, a, b, rsb, csb, c, ldc, accumulate,
                                           allow_threads, b_token);
    case Kind::kAvx2:
      return sgemm_blocked<kMR, kNR>(ukernel_avx2, M, N, k_begin, k_end, a, b, rsb, csb, c, ldc, accumulate,
                                     allow_threads, b_token);
#endif
    default:
      return sgemm_blocked<kMR, kNR>(ukernel_generic, M, N, k_begin, k_end, a, b, rsb, csb, c, ldc, accumulate,
                                     allow_threads, b_token);
  }
}

template <int kMR, int kNR>
void sgemm_blocked(UKernel uk, int M, int N, int k_begin, int k_end, const APacker& a, const float* b, long rsb,
                   long csb, float* c, long ldc, bool accumulate, bool allow_threads, uint64_t b_token) {
  const int K = k_end - k_begin;
  b += (long)k_begin * rsb;
  const int nt = num_threads();
  const double flops = 2.0 * M * N * K;
  const bool threaded = allow_threads && nt > 1 && flops >= 2e6;

  // Tasks are (A row block × N range) pairs handed out dynamically, about 8 per thread, so a core
  // that another process takes away simply does fewer; a task runs the whole K loop, so each GEMM
  // synchronises only twice (after packing B, at the end).
  int mc = kMC;
  if (threaded) {
    int per = (M + 8 * nt - 1) / (8 * nt);
    per = (per + kMR - 1) / kMR * kMR;
    mc = std::max(4 * kMR, std::min(kMC, per));
  }
  const int mblocks = (M + mc - 1) / mc;

  // Packed B for all of K and an NC-wide column range: the calling thread's buffer, shared with the
  // workers during this call.
  static thread_local AlignedBuf bbuf;
  const int nc_max = std::min(N, kNC);
  const long npad_max = (long)(nc_max + kNR - 1) / kNR * kNR;
  // A whole B of one column block (N ≤ NC) can come from, or go to, the packed-B cache.
  std::shared_ptr<PackedB> cached;
  bool packed = false;
  if (b_token != 0 && k_begin == 0 && N <= kNC) {
    cached = pack_find(b_token, rsb, csb, K, N, kNR);
    packed = cached != nullptr;
    if (!cached) cached = pack_new(rsb, csb, K, N, kNR, (size_t)npad_max * K);
  }
  float* bp = cached ? cached->p : bbuf.get((size_t)npad_max * K);

  for (int jc = 0; jc < N; jc += kNC) {
    const int nc = std::min(kNC, N - jc);
    const int npanels = (nc + kNR - 1) / kNR;
    const long npad = (long)npanels * kNR;
    const int kblocks = (K + kKC - 1) / kKC;
    // Block p of K (rows pc..pc+kc) starts at bp + pc*npad; its panel q at + q*kc*NR.
    auto pack_block = [&](int p, int q0, int q1) {
      const int pc = p * kKC, kc = std::min(kKC, K - pc);
      pack_b<kNR>(kc, nc, q0, q1, b + (long)pc * rsb + (long)jc * csb, rsb, csb, bp + (long)pc * npad);
    };
    if (packed) {
      // already in the cache
    } else if (threaded && (long)K * nc >= 65536) {
      const int qsplit = std::max(1, std::min(npanels, (4 * nt + kblocks - 1) / kblocks));
      const int qper = (npanels + qsplit - 1) / qsplit;
      parallel_for(kblocks * qsplit, [&](int t) {
        const int p = t / qsplit, q0 = (t % qsplit) * qper, q1 = std::min(npanels, q0 + qper);
        if (q0 < q1) pack_block(p, q0, q1);
      });
    } else {
      for (int p = 0; p < kblocks; ++p) pack_block(p, 0, npanels);
    }
    if (cached && !packed) pack_insert(b_token, cached);

    int nsplit = 1;
    if (threaded && mblocks < 4 * nt) nsplit = std::min(npanels, (4 * nt + mblocks - 1) / mblocks);
    const int panels_per_split = (npanels + nsplit - 1) / nsplit;
    // Task t over the K blocks starting in [p0, p1).
    auto task = [&](int t, int p0, int p1) {
      static thread_local AlignedBuf abuf;
      const int ib = t / nsplit, js = t % nsplit;
      const int ic = ib * mc;
      const int mcc = std::min(mc, M - ic);
      const int q0 = js * panels_per_split, q1 = std::min(npanels, q0 + panels_per_split);
      if (q0 >= q1) return;
      float* ap = abuf.get((size_t)((mc + kMR - 1) / kMR) * kMR * kKC);
      for (int pc = p0; pc < p1; pc += kKC) {
        const int kc = std::min(kKC, K - pc);
        const bool acc = accumulate || pc > 0;
        a.pack(ic, mcc, k_begin + pc, kc, kMR, ap);
        const float* bblk = bp + (long)pc * npad;
        for (int q = q0; q < q1; ++q) {
          const int j = q * kNR;
          const int nr = std::min(kNR, nc - j);
          const float* bq = bblk + (long)q * kc * kNR;
          for (int i = 0; i < mcc; i += kMR) {
            const int mr = std::min(kMR, mcc - i);
            uk(kc, ap + (long)i * kc, bq, c + (long)(ic + i) * ldc + jc + j, ldc, mr, nr, acc);
          }
        }
      }
    };
    const int ntasks = mblocks * nsplit;
    if (threaded) {
      parallel_for(ntasks, [&](int t) { task(t, 0, K); });
    } else {
      // One thread: K blocks outermost, so the A data one K block reads (for an implicit im2col, a
      // band of the image) is read once from memory and then from cache by every row block.
      for (int pc = 0; pc < K; pc += kKC)
        for (int t = 0; t < ntasks; ++t) task(t, pc, pc + 1);
    }
  }
}
}  // namespace

}  // namespace wn
