#include "symmetric_eigen.hpp"

#include <lapack.h>

#include <algorithm>
#include <cmath>

#include "blas_threads.hpp"
#include "failure.hpp"
#include "lapack_checks.hpp"

namespace nntk {

SymmetricEigenResult symmetricEigen(const double* A, std::size_t n) {
  const BlasScope blas(BlasMode::Pool);
  const lapack_int order = toLapackInt(n, "the matrix order");
  toLapackInt(2 * n * n + 6 * n + 1, "DSYEVD's workspace for this matrix order");  // 1 + 6n + 2n^2 doubles
  // Column-major lower triangle of (A + A^T) / 2; DSYEVD overwrites it with the eigenvectors.
  std::vector<double> Z(n * n, 0.0);
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t i = j; i < n; ++i) Z[i + j * n] = i == j ? A[i * n + i] : 0.5 * (A[i * n + j] + A[j * n + i]);

  SymmetricEigenResult out;
  out.values.resize(n);
  double query = 0;
  lapack_int iquery = 0, info = 0;
  const lapack_int minusOne = -1;
  LAPACK_dsyevd("V", "L", &order, Z.data(), &order, out.values.data(), &query, &minusOne, &iquery, &minusOne, &info);
  checkArguments("DSYEVD", info);
  const lapack_int lwork = std::max<lapack_int>(workspaceLength(query), 1), liwork = std::max<lapack_int>(iquery, 1);
  std::vector<double> work(static_cast<std::size_t>(lwork));
  std::vector<lapack_int> iwork(static_cast<std::size_t>(liwork));
  LAPACK_dsyevd("V", "L", &order, Z.data(), &order, out.values.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
  checkArguments("DSYEVD", info);
  if (info > 0)
    throw Failure(ErrorCode::Numerical, "DSYEVD did not converge on the " + std::to_string(n) + " x " + std::to_string(n) +
                                     " matrix; check it for entries of wildly different magnitudes");

  // Column k of Z is eigenvector k; transpose to row-major, fixing the sign.
  out.vectors.resize(n * n);
  for (std::size_t k = 0; k < n; ++k) {
    const double* v = Z.data() + k * n;
    std::size_t largest = 0;
    for (std::size_t a = 1; a < n; ++a)
      if (std::fabs(v[a]) > std::fabs(v[largest])) largest = a;
    const double sign = v[largest] < 0 ? -1.0 : 1.0;
    for (std::size_t a = 0; a < n; ++a) out.vectors[a * n + k] = sign * v[a];
  }
  return out;
}

}  // namespace nntk
