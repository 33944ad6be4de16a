// The Figure 1-2 experiment (docs/MATH.md section 6): from one network, one exact regularized step for
// each target and each lambda, with what the figures plot: the loss after the step, the largest
// per-neuron update and the finite-width NNTK. Several targets share the inputs x (Figures 1 and 2 use
// the same 16 points), so everything that depends only on the network and x is computed once.
// Gauss-Newton: native/core/gauss_newton_grid.hpp. Newton: the structured system of section 4 per
// (target, lambda), since its blocks D_i depend on the residual, reused for the step and the NNTK.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "model.hpp"
#include "step.hpp"

namespace nntk {

struct OneStepPoint {
  double lambda = 0;
  double lossAfter = 0;         // L(theta_0 + step) = |f_1 - y|^2 / 2M
  double maxNeuronUpdate = 0;   // max_i |(dw_i, db_i, dc_i)| (Lemma 9, section 5)
  double stepNorm = 0;
  Inertia inertia;              // of C + lambda I
  std::vector<double> nntk;     // J (C + lambda I)^-1 J^T / M, M x M row-major
  std::optional<Factorization> solver;  // absent where the system was singular
  std::string errorCode, error; // set when this system is singular; the other fields are then 0
};

struct OneStepTarget {
  double loss = 0;              // L(theta_0) for this target
  std::vector<OneStepPoint> points;  // one per lambda
};

struct OneStepGrid {
  std::vector<double> f0;       // f(x_m; theta_0), M values
  std::vector<double> ntk;      // B = J J^T / M (Gauss-Newton only; empty for Newton)
  std::vector<OneStepTarget> targets;
};

// data.x are the inputs (data.y is ignored); targets holds one M-vector of outputs y per target.
OneStepGrid oneStepGrid(const NetView& net, const DataView& data, const std::vector<std::vector<double>>& targets,
                        Curvature curvature, const std::vector<double>& lambdas);

}  // namespace nntk
