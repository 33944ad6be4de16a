#include "loss.hpp"

#include <cmath>

namespace nntk {

double logisticAccuracy(const double* lPrime, std::size_t M) {
  std::size_t correct = 0;
  for (std::size_t m = 0; m < M; ++m) correct += std::fabs(lPrime[m]) < 0.5 ? 1 : 0;
  return static_cast<double>(correct) / static_cast<double>(M);
}

// docs/MATH.md section 1.3.
LossValue applyLoss(const Loss& loss, const double* y, std::size_t M, double* r, double* curvature) {
  LossValue out;
  double sum = 0.0;
  const double Md = static_cast<double>(M);
  switch (loss.kind) {
    case LossKind::Square:
      // l = (f - y)^2 / 2, l' = f - y, l'' = 1.
      for (std::size_t m = 0; m < M; ++m) {
        r[m] -= y[m];
        sum += r[m] * r[m];
      }
      if (curvature)
        for (std::size_t m = 0; m < M; ++m) curvature[m] = 1.0;
      out.loss = sum / (2.0 * Md);
      return out;
    case LossKind::Logistic: {
      // l = log(1 + e^-t) with t = y f; l' = -y / (1 + e^t); l'' = e^-|t| / (1 + e^-|t|)^2, all without overflow.
      for (std::size_t m = 0; m < M; ++m) {
        const double t = y[m] * r[m];
        const double e = std::exp(-std::fabs(t));  // in (0, 1]
        sum += (t > 0 ? 0.0 : -t) + std::log1p(e);
        const double sigmoidMinusT = t > 0 ? e / (1.0 + e) : 1.0 / (1.0 + e);  // 1 / (1 + e^t)
        if (curvature) curvature[m] = e / ((1.0 + e) * (1.0 + e));
        r[m] = -y[m] * sigmoidMinusT;
      }
      out.loss = sum / Md;
      out.accuracy = logisticAccuracy(r, M);
      return out;
    }
    case LossKind::Huber: {
      // l = u^2 / 2 for |u| <= delta, delta (|u| - delta / 2) beyond (u = f - y); l' = clamp(u), l'' = [|u| <= delta].
      const double d = loss.delta;
      for (std::size_t m = 0; m < M; ++m) {
        const double u = r[m] - y[m];
        const bool inner = std::fabs(u) <= d;
        sum += inner ? 0.5 * u * u : d * (std::fabs(u) - 0.5 * d);
        r[m] = inner ? u : std::copysign(d, u);
        if (curvature) curvature[m] = inner ? 1.0 : 0.0;
      }
      out.loss = sum / Md;
      return out;
    }
  }
  return out;
}

}  // namespace nntk
