#include "pool.h"

#include <algorithm>
#include <cstdlib>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define WN_PAUSE() _mm_pause()
#else
#define WN_PAUSE() std::this_thread::yield()
#endif

namespace wn {
namespace {

thread_local bool t_in_task = false;  // nested parallel_for runs serially instead of deadlocking

// Job state packed in one 64-bit word so a worker can never claim a task of a job other than the
// one it read: generation (20 bits) | task count (22 bits) | next task (22 bits).
constexpr int kNextBits = 22, kCountBits = 22;
constexpr uint64_t kField = (1ull << 22) - 1;
inline uint64_t pack(uint64_t gen, uint64_t count, uint64_t next) {
  return (gen << (kNextBits + kCountBits)) | (count << kNextBits) | next;
}
inline uint64_t gen_of(uint64_t s) { return s >> (kNextBits + kCountBits); }
inline uint64_t count_of(uint64_t s) { return (s >> kNextBits) & kField; }
inline uint64_t next_of(uint64_t s) { return s & kField; }

using Clock = std::chrono::steady_clock;

// When another process takes a core, a worker can be descheduled while holding a task and the
// caller waits a whole scheduler slice (several ms) for it: two threads then run slower than one.
// This watches the share of time the caller spends waiting on workers and, when it is large, runs
// jobs on the caller's thread alone for a while (doubling the pause, up to 2 s, while it persists).
struct Contention {
  double work = 0, wait = 0;  // seconds in the current window
  Clock::time_point serial_until{};
  double backoff = 0.05;
  double total_work = 0, total_wait = 0;  // statistics since start (seconds)
  long serial_switches = 0;
  bool serial_now() const { return Clock::now() < serial_until; }
  void record(Clock::time_point t0, Clock::time_point t1, Clock::time_point t2) {
    const double wk = std::chrono::duration<double>(t2 - t0).count(), wt = std::chrono::duration<double>(t2 - t1).count();
    work += wk;
    wait += wt;
    total_work += wk;
    total_wait += wt;
    if (work < 0.02) return;  // evaluate every 20 ms of threaded jobs
    if (wait > 0.3 * work) {
      serial_until = t2 + std::chrono::microseconds((long)(backoff * 1e6));
      ++serial_switches;
      backoff = std::min(2.0, backoff * 2);
    } else {
      backoff = 0.05;
    }
    work = wait = 0;
  }
};

struct Pool {
  Contention contention;
  std::vector<std::thread> workers;
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<uint64_t> state{0};
  std::atomic<int> completed{0};
  const std::function<void(int)>* fn = nullptr;
  uint64_t gen = 0;
  std::atomic<bool> stop{false};
  std::mutex caller_mu;  // one calling thread at a time; others (Node worker threads) run serially

  int spin_limit = 20000;  // pauses (~5-40 ns each) a worker spins before sleeping

  explicit Pool(int n) {
    if (const char* e = std::getenv("WGAN_NATIVE_SPIN")) spin_limit = std::atoi(e);
    for (int i = 0; i < n - 1; ++i) workers.emplace_back([this] { loop(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(mu);
      stop = true;
      gen = (gen + 1) & ((1ull << 20) - 1);
      state.store(pack(gen, 0, 0));
    }
    cv.notify_all();
    for (auto& t : workers) t.join();
  }

  // Claim and run tasks of job generation g until none is left. A successful claim means the job is
  // still running (its caller waits for every claimed task), so `fn` is valid.
  void run_tasks(uint64_t g) {
    uint64_t s = state.load(std::memory_order_acquire);
    for (;;) {
      if (gen_of(s) != g || next_of(s) >= count_of(s)) return;
      if (state.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
        (*fn)((int)next_of(s));
        completed.fetch_add(1, std::memory_order_acq_rel);
        s = state.load(std::memory_order_acquire);
      }
    }
  }

  void loop() {
    uint64_t seen = gen_of(state.load());
    for (;;) {
      // Spin briefly (training issues kernels back to back), then sleep.
      uint64_t g = gen_of(state.load(std::memory_order_acquire));
      for (int spin = 0; g == seen && spin < spin_limit; ++spin) {
        WN_PAUSE();
        g = gen_of(state.load(std::memory_order_acquire));
      }
      if (g == seen) {
        std::unique_lock<std::mutex> lk(mu);
        cv.wait(lk, [&] { return gen_of(state.load(std::memory_order_acquire)) != seen || stop; });
        g = gen_of(state.load(std::memory_order_acquire));
      }
      seen = g;
      if (stop) return;
      t_in_task = true;
      run_tasks(g);
      t_in_task = false;
    }
  }

  void parallel_for(int n, const std::function<void(int)>& f) {
    fn = &f;
    completed.store(0, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lk(mu);
      gen = (gen + 1) & ((1ull << 20) - 1);
      state.store(pack(gen, (uint64_t)n, 0), std::memory_order_release);
    }
    cv.notify_all();
    const auto t0 = Clock::now();
    run_tasks(gen);
    const auto t1 = Clock::now();
    // Only tasks someone claimed remain; a worker that wakes late finds none and touches nothing.
    while (completed.load(std::memory_order_acquire) != n) WN_PAUSE();
    contention.record(t0, t1, Clock::now());
  }
};

int g_threads = 0;
Pool* g_pool = nullptr;
std::mutex g_pool_mu;

Pool* pool() {
  if (!g_pool) {
    std::lock_guard<std::mutex> lk(g_pool_mu);
    if (!g_pool) {
      if (g_threads <= 0) {
        unsigned hc = std::thread::hardware_concurrency();
        g_threads = hc == 0 ? 1 : (int)hc;
        if (g_threads > 64) g_threads = 64;
      }
      g_pool = new Pool(g_threads);  // never freed: lives as long as the process
    }
  }
  return g_pool;
}

}  // namespace

void pool_stats(double* work, double* wait, long* switches) {
  Pool* p = pool();
  *work = p->contention.total_work;
  *wait = p->contention.total_wait;
  *switches = p->contention.serial_switches;
}

int num_threads() { return (int)pool()->workers.size() + 1; }

void set_num_threads(int n) {
  std::lock_guard<std::mutex> lk(g_pool_mu);
  if (n < 1) n = 1;
  if (g_pool && (int)g_pool->workers.size() + 1 == n) return;
  delete g_pool;
  g_pool = nullptr;
  g_threads = n;
}

void parallel_for(int ntasks, const std::function<void(int)>& fn) {
  if (ntasks <= 0) return;
  Pool* p = pool();
  if (ntasks == 1 || p->workers.empty() || t_in_task || ntasks > (int)kField || p->contention.serial_now()) {
    for (int i = 0; i < ntasks; ++i) fn(i);
    return;
  }
  std::unique_lock<std::mutex> lk(p->caller_mu, std::try_to_lock);
  if (!lk.owns_lock()) {
    for (int i = 0; i < ntasks; ++i) fn(i);
    return;
  }
  t_in_task = true;
  p->parallel_for(ntasks, fn);
  t_in_task = false;
}

void parallel_range(long n, long min_per_task, const std::function<void(long, long)>& fn) {
  if (n <= 0) return;
  int nt = num_threads();
  long parts = n / (min_per_task > 0 ? min_per_task : 1);
  if (parts > 8L * nt) parts = 8L * nt;
  if (parts <= 1) {
    fn(0, n);
    return;
  }
  const long chunk = (n + parts - 1) / parts;
  parallel_for((int)parts, [&](int t) {
    long b = (long)t * chunk, e = b + chunk < n ? b + chunk : n;
    if (b < e) fn(b, e);
  });
}

}  // namespace wn
