// The losses of a fit (docs/MATH.md section 1.3): L = (1/M) sum_m l(f_m, y_m) with l square, logistic
// or Huber. Every solver reads a loss through two per-point numbers: the first derivative l'(f_m, y_m),
// which takes the place of the residual f - y (gradient J^T l' / M and the Newton residual term), and the
// second derivative l''(f_m, y_m) >= 0, which weights the rows of J in the Gauss-Newton part
// J^T diag(l'') J / M. For the square loss l' = f - y and l'' = 1, and every solver keeps today's bits.
#pragma once
#include <cstddef>

#include "names.hpp"

namespace nntk {

enum class LossKind : int { Square = 0, Logistic = 1, Huber = 2 };

template <>
struct EnumNames<LossKind> {
  static constexpr std::string_view kind = "loss";
  static constexpr NamedValue<LossKind> values[] = {
      {LossKind::Square, "square"}, {LossKind::Logistic, "logistic"}, {LossKind::Huber, "huber"}};
};

struct Loss {
  LossKind kind = LossKind::Square;
  double delta = 1.0;  // Huber's width: quadratic for |f - y| <= delta, linear beyond
  bool weighted() const { return kind != LossKind::Square; }  // l'' is not identically 1
};

struct LossValue {
  double loss = 0;      // L
  double accuracy = 0;  // logistic: the fraction of points with y f > 0; otherwise 0 (not a classification)
};

// Logistic loss: the fraction of points with y f > 0, read off l' = -y / (1 + e^(y f)) alone: |l'| < 1/2
// exactly when y f > 0 (up to |y f| below 1e-16, where e^-(y f) rounds to 1 and the point counts as wrong).
double logisticAccuracy(const double* lPrime, std::size_t M);

// On entry r holds f (M values); on exit l'(f_m, y_m). curvature, when not null, receives l''(f_m, y_m).
// Logistic labels are -1 or 1 (src/loss.ts maps {0, 1} onto them before the call).
LossValue applyLoss(const Loss& loss, const double* y, std::size_t M, double* r, double* curvature);

}  // namespace nntk
