// Reference rates measured in the same process as the solvers, for benchmarks that report
// "fraction of the BLAS peak" rather than raw seconds.
#pragma once
#include <cstddef>

namespace nntk {

// Best GFLOP/s of an n x n x n DGEMM over `repeats` runs (2 n^3 flops each).
double dgemmRate(std::size_t n, int repeats);
// Best GFLOP/s of an n x n DSYRK with inner dimension k (n^2 k flops each).
double dsyrkRate(std::size_t n, std::size_t k, int repeats);
// Best tanh evaluations per second of tanhArray on n values spread over (-3, 3) (one thread, `repeats`
// timed passes of `passes` calls each): the activation's share of a first-order iteration at n = N M.
double tanhRate(std::size_t n, int passes, int repeats);

}  // namespace nntk
