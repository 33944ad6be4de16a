// C + lambda I at any width as an operator, in the rotated coordinates of its neuron blocks
// (docs/MATH.md section 4, "Spectra"): with D_i + lambda I = Q_i diag(theta_i) Q_i^T and K = J Q (M x P),
//   Q^T (C + lambda I) Q = Lambda + K^T K / M,   Lambda = diag(theta),
// a diagonal plus a positive semidefinite term of rank <= M. Direction j = i q + a is neuron i's a-th block
// eigenvector; its column k_j = J_i Q_i e_a holds M values. Every product streams over the neurons (one
// neuron's derivatives at a time); only theta (P values) and the q x q rotations (P q values, Newton) are
// kept, never a P x P matrix nor the M x P Jacobian.
#pragma once
#include <cstddef>
#include <functional>
#include <vector>

#include "buffer.hpp"
#include "model.hpp"
#include "step.hpp"

namespace nntk {

class CurvatureOperator {
 public:
  CurvatureOperator(const NetView& net, const DataView& data, Curvature curvature, double lambda, double memoryLimitBytes);

  std::size_t dimension() const { return P_; }  // P
  std::size_t points() const { return M_; }     // M
  std::size_t blockSize() const { return q_; }
  Curvature curvature() const { return curvature_; }
  double lambda() const { return lambda_; }
  double loss() const { return loss_; }
  // The block eigenvalues theta_j of Bd = blockdiag(D_i + lambda I), direction j = i q + a.
  const std::vector<double>& theta() const { return theta_; }
  // Sums over the directions, collected by the constructor's pass: |J|_F^2 = sum_j |k_j|^2 and sum_j theta_j |k_j|^2.
  double jacobianNorm2() const { return jacobianNorm2_; }
  double weightedNorm2() const { return weightedNorm2_; }

  // sum_j w_j k_j k_j^T over the directions with w_j = weight(j, theta_j) != 0 (M x M, lower triangle, column-major):
  // one streamed pass, folded by DSYRK (signed_gram.hpp).
  Buffer weightedGram(const std::function<double(std::size_t, double)>& weight) const;
  // The columns k_j of the listed directions: M x count, column-major.
  std::vector<double> columns(const std::vector<std::size_t>& directions) const;
  // out_j = coefficient(j, theta_j) * (k_j . z) for every direction (P values, rotated coordinates).
  void projectRows(const double* z, const std::function<double(std::size_t, double)>& coefficient, double* out) const;
  // Rotated coordinates to parameters and back: v_i = Q_i u_i, u_i = Q_i^T v_i (in place allowed).
  void toParameters(const double* rotated, double* params) const;
  void toRotated(const double* params, double* rotated) const;
  // u = J v (M values) for v in parameter coordinates.
  void jacobianTimes(const double* v, double* u) const;
  // out = (C + lambda I) v in parameter coordinates: two streamed passes (u = J v, then J^T u / M + Bd v).
  void apply(const double* v, double* out) const;

 private:
  void evaluateColumns(NeuronValues& values, std::size_t neuron, double* J, double* K) const;

  NetView net_;
  DataView data_;
  Curvature curvature_;
  double lambda_;
  std::size_t M_, q_, N_, P_, threads_;
  std::vector<double> r_, theta_, Q_;  // l' (M), block eigenvalues (P), rotations (N q^2, Newton only)
  std::vector<double> root_;           // l''^1/2 (M) for a loss other than the square one, else empty: K = diag(root) J Q
  double loss_ = 0, jacobianNorm2_ = 0, weightedNorm2_ = 0;
};

}  // namespace nntk
