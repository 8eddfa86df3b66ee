// Interleaved sgemm comparison: this addon's GEMM vs the system OpenBLAS (dlopen'ed, if present),
// same process, same matrices, alternating runs so both see the same machine load.
//   g++ -O3 -std=c++17 -pthread -I../src openblas_cmp.cc ../src/gemm.cc ../src/pool.cc \
//       ../src/gemm_avx2.cc -mavx2 -mfma -ldl -o /tmp/openblas_cmp && /tmp/openblas_cmp [threads]
// (gemm_avx2.cc needs -mavx2 -mfma; the rest does not use them, so compiling all with it is fine here.)
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "gemm.h"
#include "pool.h"

using SgemmFn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
using SetThreads = void (*)(int);

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  wn::set_num_threads(threads);
  const char* libs[] = {"libopenblas.so.0", "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"};
  void* h = nullptr;
  for (const char* l : libs)
    if ((h = dlopen(l, RTLD_NOW))) break;
  SgemmFn blas = h ? (SgemmFn)dlsym(h, "cblas_sgemm") : nullptr;
  if (h) {
    if (auto st = (SetThreads)dlsym(h, "openblas_set_num_threads")) st(threads);
  }
  std::printf("threads %d, openblas %s\n       n   native GFLOP/s   openblas GFLOP/s (median of 7, interleaved)\n", threads,
              blas ? "found" : "not found");
  for (int n : {512, 1024, 1536, 2048}) {
    std::vector<float> a((size_t)n * n), b((size_t)n * n), c((size_t)n * n);
    for (size_t i = 0; i < a.size(); ++i) a[i] = (float)((i * 7919) % 1000) / 1000.f, b[i] = (float)((i * 104729) % 1000) / 1000.f;
    std::vector<double> tn, to;
    auto secs = [](auto f) {
      auto t0 = std::chrono::steady_clock::now();
      f();
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    for (int r = 0; r < 8; ++r) {
      double x = secs([&] { wn::sgemm(n, n, n, a.data(), n, 1, b.data(), n, 1, c.data(), n, false); });
      if (r) tn.push_back(x);
      if (blas) {
        // CblasRowMajor = 101, CblasNoTrans = 111
        double y = secs([&] { blas(101, 111, 111, n, n, n, 1.f, a.data(), n, b.data(), n, 0.f, c.data(), n); });
        if (r) to.push_back(y);
      }
    }
    std::sort(tn.begin(), tn.end());
    std::sort(to.begin(), to.end());
    const double f = 2.0 * n * n * n / 1e9;
    std::printf("  %6d   %8.1f         %8.1f\n", n, f / tn[tn.size() / 2], to.empty() ? 0.0 : f / to[to.size() / 2]);
  }
  return 0;
}
