#include "symmetric_factor.hpp"

#include <algorithm>
#include <chrono>

#include "blas_threads.hpp"
#include "buffer.hpp"
#include "lapack_checks.hpp"

namespace nntk {
namespace {
using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }
}  // namespace

Inertia ldltInertia(const double* A, const lapack_int* ipiv, std::size_t n) {
  Inertia in;
  auto count = [&in](double v) { (v > 0 ? in.positive : v < 0 ? in.negative : in.zero) += 1; };
  for (std::size_t k = 0; k < n; ++k) {
    const double a = A[k + k * n];
    if (ipiv[k] > 0 || k + 1 == n) {
      count(a);
      continue;
    }
    const double b = A[(k + 1) + k * n], c = A[(k + 1) + (k + 1) * n];
    const double det = a * c - b * b;  // the 2x2 block's eigenvalues have product det and sum a + c
    if (det < 0) {
      in.positive += 1;
      in.negative += 1;
    } else if (det > 0) {
      count(a + c);
      count(a + c);
    } else {
      in.zero += 1;
      count(a + c);
    }
    ++k;
  }
  return in;
}

LdltFactor::LdltFactor(double* A, std::size_t n) : A_(A), n_(toLapackInt(n, "the matrix order")), ipiv_(n) {
  lapack_int info = 0;
  Buffer work(3 * n + 1);  // aligned: DSYCON's DASUM sums by alignment (buffer.hpp)
  std::vector<lapack_int> iwork(n + 1);
  const double anorm = LAPACK_dlansy("1", "L", &n_, A_, &n_, work.data());
  auto start = Clock::now();
  double query = 0;
  const lapack_int minusOne = -1;
  LAPACK_dsytrf("L", &n_, A_, &n_, ipiv_.data(), &query, &minusOne, &info);  // workspace query first
  checkArguments("DSYTRF", info);
  const lapack_int lwork = std::max<lapack_int>(workspaceLength(query), 1);
  Buffer sytrfWork(static_cast<std::size_t>(lwork));
  LAPACK_dsytrf("L", &n_, A_, &n_, ipiv_.data(), sytrfWork.data(), &lwork, &info);
  checkArguments("DSYTRF", info);
  zeroPivot_ = info > 0;
  factorSeconds_ = secondsSince(start);
  start = Clock::now();
  inertia_ = ldltInertia(A_, ipiv_.data(), n);
  inertiaSeconds_ = secondsSince(start);
  if (!zeroPivot_) {
    start = Clock::now();
    LAPACK_dsycon("L", &n_, A_, &n_, ipiv_.data(), &anorm, &rcond_, work.data(), iwork.data(), &info);
    checkArguments("DSYCON", info);
    conditionSeconds_ = secondsSince(start);
  }
}

std::vector<double> symmetricEigenvalues(std::vector<double> matrix, std::size_t n) {
  const BlasScope blas(BlasMode::Pool);  // inside another scope (the bisection) it runs in that one's mode
  const lapack_int order = toLapackInt(n, "the matrix order");
  Buffer A(n * n), w(n);  // aligned (buffer.hpp), so the bits do not depend on where the allocator put them
  std::copy(matrix.begin(), matrix.begin() + static_cast<std::ptrdiff_t>(n * n), A.data());
  double query = 0;
  lapack_int iquery = 0, info = 0;
  const lapack_int minusOne = -1;
  LAPACK_dsyevd("N", "L", &order, A.data(), &order, w.data(), &query, &minusOne, &iquery, &minusOne, &info);
  checkArguments("DSYEVD", info);
  const lapack_int lwork = std::max<lapack_int>(workspaceLength(query), 1), liwork = std::max<lapack_int>(iquery, 1);
  Buffer work(static_cast<std::size_t>(lwork));
  std::vector<lapack_int> iwork(static_cast<std::size_t>(liwork));
  LAPACK_dsyevd("N", "L", &order, A.data(), &order, w.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
  checkArguments("DSYEVD", info);
  if (info > 0) throw Failure(ErrorCode::Numerical, "DSYEVD did not converge");
  return std::vector<double>(w.data(), w.data() + n);
}

bool LdltFactor::singular() const { return zeroPivot_ || !(rcond_ >= machineEpsilon()); }

void LdltFactor::solve(double* B, std::size_t nrhs) const {
  const lapack_int m = toLapackInt(nrhs, "the right-hand sides");
  lapack_int info = 0;
  LAPACK_dsytrs("L", &n_, &m, A_, &n_, ipiv_.data(), B, &n_, &info);
  checkArguments("DSYTRS", info);
}

}  // namespace nntk
