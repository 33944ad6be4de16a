#include "reference.hpp"

#include <lapack.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "core/dense_solver.hpp"

namespace nntk::test {
namespace {

void requireInfo(const char* routine, lapack_int info) {
  if (info != 0) throw std::runtime_error(std::string(routine) + " returned info " + std::to_string(info));
}

}  // namespace

double Rng::normal() {
  const double u = uniform(), v = uniform();
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
}

std::vector<double> randomOrthogonal(std::size_t n, Rng& rng) {
  std::vector<double> Q(n * n), tau(n);
  for (double& v : Q) v = rng.normal();
  const auto order = static_cast<lapack_int>(n);
  lapack_int info = 0;
  const lapack_int lwork = 64 * order;
  std::vector<double> work(static_cast<std::size_t>(lwork));
  LAPACK_dgeqrf(&order, &order, Q.data(), &order, tau.data(), work.data(), &lwork, &info);
  requireInfo("DGEQRF", info);
  LAPACK_dorgqr(&order, &order, &order, Q.data(), &order, tau.data(), work.data(), &lwork, &info);
  requireInfo("DORGQR", info);
  return Q;
}

std::vector<double> conjugate(const std::vector<double>& Q, const std::vector<double>& d) {
  const std::size_t n = d.size();
  std::vector<double> A(n * n, 0.0);
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t i = 0; i < n; ++i) {
      double sum = 0;
      for (std::size_t k = 0; k < n; ++k) sum += Q[i + k * n] * d[k] * Q[j + k * n];
      A[i + j * n] = sum;
    }
  for (std::size_t j = 0; j < n; ++j)  // exactly symmetric
    for (std::size_t i = j + 1; i < n; ++i) A[j + i * n] = A[i + j * n];
  return A;
}

std::vector<double> dsyevEigenvalues(std::vector<double> A, std::size_t n, std::vector<double>* vectors) {
  const auto order = static_cast<lapack_int>(n);
  std::vector<double> w(n);
  lapack_int info = 0;
  const lapack_int lwork = std::max<lapack_int>(1, 66 * order);
  std::vector<double> work(static_cast<std::size_t>(lwork));
  LAPACK_dsyev(vectors ? "V" : "N", "L", &order, A.data(), &order, w.data(), work.data(), &lwork, &info);
  requireInfo("DSYEV", info);
  if (vectors) *vectors = std::move(A);
  return w;
}

std::vector<double> multiply(const std::vector<double>& A, std::size_t m, std::size_t n, const std::vector<double>& x) {
  std::vector<double> y(m, 0.0);
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t i = 0; i < m; ++i) y[i] += A[i + j * m] * x[j];
  return y;
}

double maxAbs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

double maxAbsDiff(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return std::numeric_limits<double>::infinity();
  double m = 0;
  for (std::size_t k = 0; k < a.size(); ++k) m = std::max(m, std::fabs(a[k] - b[k]));
  return m;
}

double frobenius(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

const char* activationName(Activation a) {
  static const char* const names[] = {"tanh", "sigmoid", "softplus", "sin", "erf", "gelu", "silu"};
  return names[static_cast<int>(a)];
}

Problem randomProblem(std::uint64_t seed, Activation activation, std::size_t inputDim, std::size_t width,
                      std::size_t points) {
  Rng rng(seed);
  Problem p;
  p.net.width = width;
  p.net.inputDim = inputDim;
  p.net.beta = 0.52;
  p.net.activation = activation;
  p.net.W.resize(width * inputDim);
  p.net.b.resize(width);
  p.net.c.resize(width);
  for (double& v : p.net.W) v = rng.normal();
  for (double& v : p.net.b) v = rng.normal();
  for (double& v : p.net.c) v = rng.uniform(-1.0, 1.0);
  p.data.size = points;
  p.data.inputDim = inputDim;
  p.data.x.resize(points * inputDim);
  p.data.y.resize(points);
  for (double& v : p.data.x) v = rng.uniform(-2.0, 2.0);
  for (std::size_t m = 0; m < points; ++m) {
    double s = 0;
    for (std::size_t a = 0; a < inputDim; ++a) s += p.data.x[m * inputDim + a];
    p.data.y[m] = std::sin(s) + 0.1 * rng.normal();
  }
  return p;
}

DenseReference denseReference(const NetView& net, const DataView& data, Curvature curvature, double lambda) {
  DenseReference ref;
  const std::size_t P = net.parameterCount();
  ref.P = P;
  ref.A.resize(P * P);
  denseCurvature(net, data, curvature, ref.A.data());
  for (std::size_t k = 0; k < P; ++k) ref.A[k + k * P] += lambda;
  ref.eigenvalues = dsyevEigenvalues(ref.A, P);
  ref.smallest = std::numeric_limits<double>::infinity();
  for (double v : ref.eigenvalues) {
    (v > 0 ? ref.inertia.positive : v < 0 ? ref.inertia.negative : ref.inertia.zero) += 1;
    ref.radius = std::max(ref.radius, std::fabs(v));
    ref.smallest = std::min(ref.smallest, std::fabs(v));
  }
  std::vector<double> r(data.size);
  residual(net, data, r.data());
  ref.gradient.resize(P);
  nntk::gradient(net, data, r.data(), ref.gradient.data());
  return ref;
}

double stepResidual(const DenseReference& ref, const std::vector<double>& step) {
  std::vector<double> res = multiply(ref.A, ref.P, ref.P, step);
  for (std::size_t k = 0; k < ref.P; ++k) res[k] += ref.gradient[k];
  return frobenius(res) / (frobenius(ref.A) * frobenius(step) + frobenius(ref.gradient));
}

}  // namespace nntk::test
