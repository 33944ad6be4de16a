// Independent reference computations for the core tests: a portable seeded generator, random orthogonal
// matrices, LAPACK's DSYEV, small random networks and their dense curvature. Matrices are column-major.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "core/model.hpp"
#include "core/step.hpp"

namespace nntk::test {

constexpr double kEps = std::numeric_limits<double>::epsilon();

// std::mt19937_64's sequence is fixed by the standard, and the transforms below are ours, so the test
// data are the same with every standard library.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  double uniform() { return (static_cast<double>(engine_() >> 11) + 0.5) * 0x1p-53; }  // in (0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal();  // Box-Muller

 private:
  std::mt19937_64 engine_;
};

// Q from the QR factorization of a Gaussian matrix (DGEQRF, DORGQR): n x n orthogonal.
std::vector<double> randomOrthogonal(std::size_t n, Rng& rng);
// Q diag(d) Q^T, full, n x n.
std::vector<double> conjugate(const std::vector<double>& Q, const std::vector<double>& d);
// Eigenvalues (ascending) of a symmetric matrix by DSYEV, with the eigenvectors into vectors if not null.
std::vector<double> dsyevEigenvalues(std::vector<double> A, std::size_t n, std::vector<double>* vectors = nullptr);

// y = A x for an m x n matrix.
std::vector<double> multiply(const std::vector<double>& A, std::size_t m, std::size_t n, const std::vector<double>& x);
double maxAbs(const std::vector<double>& v);
double maxAbsDiff(const std::vector<double>& a, const std::vector<double>& b);
double frobenius(const std::vector<double>& v);

// "tanh", "sigmoid", ... (the order of Activation).
const char* activationName(Activation a);

// A random network with its data: W, b ~ N(0, 1), c ~ U(-1, 1); x ~ U(-2, 2), y = sin(sum x) + noise.
struct Problem {
  OwnedNet net;
  OwnedData data;
};
Problem randomProblem(std::uint64_t seed, Activation activation, std::size_t inputDim, std::size_t width,
                      std::size_t points);

// The dense reference for C + lambda I: the assembled matrix (denseCurvature plus lambda on the diagonal),
// its DSYEV spectrum and sign counts, and the gradient. Independent of both solvers' factorizations.
struct DenseReference {
  std::size_t P = 0;
  std::vector<double> A, eigenvalues, gradient;
  Inertia inertia;      // sign counts of the eigenvalues
  double radius = 0;    // max |eigenvalue|
  double smallest = 0;  // min |eigenvalue|
  double condition() const { return radius / smallest; }
};
DenseReference denseReference(const NetView& net, const DataView& data, Curvature curvature, double lambda);

// |(C + lambda I) s + g| / (|C + lambda I|_F |s| + |g|): the step's backward error in the dense system.
double stepResidual(const DenseReference& ref, const std::vector<double>& step);

}  // namespace nntk::test
