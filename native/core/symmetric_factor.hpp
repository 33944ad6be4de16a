// Bunch-Kaufman LDL^T of a symmetric indefinite matrix (LAPACK DSYTRF, with its workspace query), with
// the inertia read off D and LAPACK's condition estimate (docs/MATH.md section 4).
#pragma once
#include <lapack.h>

#include <cstddef>
#include <vector>

#include "step.hpp"

namespace nntk {

class LdltFactor {
 public:
  // Factors the lower triangle of A (n x n, column-major, leading dimension n) in place; A must outlive this.
  LdltFactor(double* A, std::size_t n);

  const Inertia& inertia() const { return inertia_; }
  // Seconds in DSYTRF, in reading the inertia off D, and in DSYCON.
  double factorSeconds() const { return factorSeconds_; }
  double inertiaSeconds() const { return inertiaSeconds_; }
  double conditionSeconds() const { return conditionSeconds_; }
  double reciprocalCondition() const { return rcond_; }
  // An exactly zero pivot, or a reciprocal condition below machine epsilon.
  bool singular() const;
  // Overwrites B (n x nrhs, column-major) with A^-1 B.
  void solve(double* B, std::size_t nrhs) const;

 private:
  double* A_;
  lapack_int n_;
  std::vector<lapack_int> ipiv_;
  Inertia inertia_;
  double rcond_ = 0;
  bool zeroPivot_ = false;
  double factorSeconds_ = 0, inertiaSeconds_ = 0, conditionSeconds_ = 0;
};

// Eigenvalues (ascending) of a symmetric n x n matrix given by its lower triangle (column-major), by DSYEVD.
std::vector<double> symmetricEigenvalues(std::vector<double> A, std::size_t n);

// Inertia of D from DSYTRF('L'): a positive ipiv(k) marks a 1x1 block, a negative pair ipiv(k) = ipiv(k+1)
// a 2x2 block. By Sylvester's law of inertia the signs of D's eigenvalues are those of A.
Inertia ldltInertia(const double* A, const lapack_int* ipiv, std::size_t n);

}  // namespace nntk
