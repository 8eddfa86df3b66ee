// A small persistent thread pool: parallel_for runs fn(0..n-1) on all cores (the caller's thread
// takes part), returning when every task is done. Tasks are handed out dynamically, so a core that
// another process is using simply does fewer of them.
#pragma once
#include <functional>

namespace wn {

int num_threads();
void set_num_threads(int n);
// Seconds spent in threaded jobs, of which waiting for workers; times threading was paused.
void pool_stats(double* work, double* wait, long* switches);  // 1 = run everything on the caller's thread
void parallel_for(int ntasks, const std::function<void(int)>& fn);

// Split [0, n) into about `parts` contiguous chunks (for memory-bound loops). Runs serially below
// `min_per_task` elements per task, where waking a worker costs more than it saves.
void parallel_range(long n, long min_per_task, const std::function<void(long, long)>& fn);

}  // namespace wn
