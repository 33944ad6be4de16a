#include "curvature_spectrum.hpp"

#include <cblas.h>
#include <lapack.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "blas_threads.hpp"
#include "curvature_operator.hpp"
#include "failure.hpp"
#include "lanczos.hpp"
#include "lapack_checks.hpp"
#include "norms.hpp"
#include "symmetric_eigen.hpp"
#include "symmetric_factor.hpp"

namespace nntk {
namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();
constexpr int kMaxEvaluations = 60;

// Row-major full n x n from a column-major lower triangle, times scale.
std::vector<double> fullFromLower(const double* L, std::size_t n, double scale) {
  std::vector<double> A(n * n);
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t i = j; i < n; ++i) A[i * n + j] = A[j * n + i] = scale * L[i + j * n];
  return A;
}

double norm(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

// One evaluation of a secular function at the shift mu: the small matrix's eigen-decomposition, and what the
// eigenvectors need (the Cholesky factor of M I + G_R and L^-1 K_S for the lower end).
struct Evaluation {
  double mu = 0;
  SymmetricEigenResult eig;
  std::vector<double> L, X;
};

class SpectrumSolver {
 public:
  SpectrumSolver(const CurvatureOperator& op, const SpectrumRequest& request, SpectrumResult& out)
      : op_(op), request_(request), out_(out), M_(op.points()), P_(op.dimension()), theta_(op.theta()) {
    const auto [lowest, highest] = std::minmax_element(theta_.begin(), theta_.end());
    thetaMin_ = *lowest;
    thetaMax_ = *highest;
    lift_ = op.jacobianNorm2() / static_cast<double>(M_);
    scale_ = std::max({std::fabs(thetaMin_), std::fabs(thetaMax_) + lift_, 1e-300});
    tolerance_ = 1e-12 * scale_;  // four digits below the 1e-8 of the spectral radius asked of the extremes
  }

  double scale() const { return scale_; }
  double thetaMin() const { return thetaMin_; }
  double thetaMax() const { return thetaMax_; }
  double lift() const { return lift_; }

  // Inertia of C + lambda I - mu I by Haynsworth (MATH.md section 4): one weighted pass with 1 / (theta - mu)
  // and an LDL^T of M I + G. An exact zero gap is moved by one ulp of the scale (a count, not a solve).
  Inertia inertiaAt(double mu) {
    Inertia blocks;
    for (double t : theta_) (t - mu > 0 || t - mu == 0 ? blocks.positive : blocks.negative) += 1;
    const double nudge = kEps * scale_;
    const Buffer G = op_.weightedGram([&](std::size_t, double t) {
      const double gap = t - mu;
      return 1.0 / (gap == 0.0 ? nudge : gap);
    });
    ++out_.passes;
    std::vector<double> C(M_ * M_);
    for (std::size_t b = 0; b < M_; ++b)
      for (std::size_t a = b; a < M_; ++a) C[a + b * M_] = G[a + b * M_] + (a == b ? static_cast<double>(M_) : 0.0);
    requireFinite(C.data(), C.size(), "capacitance matrix");
    const Inertia c = LdltFactor(C.data(), M_).inertia();
    const long long total = static_cast<long long>(P_ - c.zero);
    const long long pos = std::clamp(static_cast<long long>(blocks.positive + c.negative), 0LL, total);
    return {static_cast<std::size_t>(pos), static_cast<std::size_t>(total - pos), c.zero};
  }

  // Everything at once when P is small: the rotated matrix Lambda + K^T K / M itself.
  void dense(bool lowerEnd = true, bool upperEnd = true) {
    out_.method = "dense-rotated";
    std::vector<std::size_t> all(P_);
    std::iota(all.begin(), all.end(), std::size_t{0});
    const std::vector<double> K = op_.columns(all);
    std::vector<double> T(P_ * P_, 0.0);
    cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, static_cast<int>(P_), static_cast<int>(M_), 1.0 / static_cast<double>(M_),
                K.data(), static_cast<int>(M_), 0.0, T.data(), static_cast<int>(P_));
    for (std::size_t j = 0; j < P_; ++j) T[j + j * P_] += theta_[j];
    const SymmetricEigenResult e = symmetricEigen(fullFromLower(T.data(), P_, 1.0).data(), P_);
    for (std::size_t l = 0; lowerEnd && l < std::min(request_.smallest, P_); ++l) {
      out_.smallest.push_back(e.values[l]);
      if (request_.eigenvectors) {
        std::vector<double> u = column(e, P_, l);
        out_.smallestVectors.push_back(finishVector(u));
      }
    }
    for (std::size_t l = 0; upperEnd && l < std::min(request_.largest, P_); ++l) {
      out_.largest.push_back(e.values[P_ - 1 - l]);
      if (request_.eigenvectors) {
        std::vector<double> u = column(e, P_, P_ - 1 - l);
        out_.largestVectors.push_back(finishVector(u));
      }
    }
  }

  // Gauss-Newton: Lambda = lambda I, so the eigenvalues are lambda + eig(J J^T / M) and, when P > M, lambda
  // itself P - M more times (MATH.md section 4).
  void gaussNewton() {
    out_.method = "gauss-newton-closed-form";
    const double lambda = op_.lambda();
    const Buffer G = op_.weightedGram([](std::size_t, double) { return 1.0; });
    ++out_.passes;
    const SymmetricEigenResult e = symmetricEigen(fullFromLower(G.data(), M_, 1.0 / static_cast<double>(M_)).data(), M_);
    // All eigenvalues as (value, source): source k < M is e's k-th vector, M means the null space of J.
    std::vector<std::pair<double, std::size_t>> values;
    const std::size_t lifted = std::min(M_, P_);
    for (std::size_t k = M_ - lifted; k < M_; ++k) values.emplace_back(lambda + std::max(0.0, e.values[k]), k);
    const std::size_t nullity = P_ > M_ ? P_ - M_ : 0;
    const std::size_t keepNull = std::min(nullity, std::max(request_.smallest, request_.largest));
    for (std::size_t k = 0; k < keepNull; ++k) values.emplace_back(lambda, M_);
    std::stable_sort(values.begin(), values.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::vector<double>> nullVectors;
    // J^T y / |J^T y| loses about sqrt(w_max / w) of its digits; below 1e-10 w_max the direction is numerically in
    // the null space of J (its eigenvalue is lambda to 1e-10 of the radius) and is taken from there instead.
    const double wmax = std::max(e.values.back(), 0.0);
    auto vectorOf = [&](std::size_t source) {
      if (source < M_ && e.values[source] > 1e-10 * wmax) {
        std::vector<double> y(M_);
        for (std::size_t a = 0; a < M_; ++a) y[a] = e.vectors[a * M_ + source];
        std::vector<double> u(P_);
        op_.projectRows(y.data(), [](std::size_t, double) { return 1.0; }, u.data());
        const double n = norm(u);
        for (double& v : u) v /= n;
        return u;
      }
      nullVectors.push_back(nullSpaceVector(e, nullVectors));
      return nullVectors.back();
    };
    // keepNull >= k copies of the null-space eigenvalue suffice for the k smallest and the k largest.
    for (std::size_t l = 0; l < std::min(request_.smallest, P_); ++l) {
      const auto& v = values[l];
      out_.smallest.push_back(v.first);
      if (request_.eigenvectors) out_.smallestVectors.push_back(vectorOf(v.second));
    }
    nullVectors.clear();
    for (std::size_t l = 0; l < std::min(request_.largest, P_); ++l) {
      const auto& v = values[values.size() - 1 - std::min(l, values.size() - 1)];
      out_.largest.push_back(v.first);
      if (request_.eigenvectors) out_.largestVectors.push_back(vectorOf(v.second));
    }
  }

  // The ell-th smallest eigenvalues (MATH.md section 4, "Spectra"). S = the s smallest block directions, R the
  // rest; for mu below min theta_R the Schur complement onto S gives mu in spec(C + lambda I) iff mu in spec T(mu),
  //   T(mu) = Lambda_S + K_S^T (M I + G_R(mu))^-1 K_S,   G_R(mu) = sum_{j in R} k_j k_j^T / (theta_j - mu),
  // and h(mu) = lambda_ell(T(mu)) - mu decreases strictly, with its root in [theta_(1), theta_(M + ell)].
  // Returns false when the block eigenvalues tie all the way to the top (no R set): the caller falls back.
  bool lower() {
    const std::size_t k = std::min(request_.smallest, P_);
    std::size_t s = std::min(P_, 2 * M_ + k + 32);
    sortSmallest(s + 1);
    while (s < P_ && theta_[order_[s]] - theta_[order_[s - 1]] <= 1e-12 * scale_) {
      ++s;
      sortSmallest(s + 1);
    }
    if (s >= P_) return false;
    S_.assign(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(s));
    inS_.assign(P_, 0);
    for (std::size_t j : S_) inS_[j] = 1;
    KS_ = op_.columns(S_);
    const double thetaR = theta_[order_[s]];
    const double ceiling = thetaR - 4.0 * kEps * scale_;
    std::vector<Evaluation> evals;
    for (std::size_t l = 0; l < k; ++l) {
      const double upper = std::min(ceiling, M_ + l < s ? theta_[order_[M_ + l]] : ceiling);
      if (evals.empty()) evals.push_back(evaluateLower(thetaMin_));
      const auto h = [&](const Evaluation& e) { return e.eig.values[l] - e.mu; };
      const Evaluation& e = solve(evals, h, thetaMin_, upper, [&](double mu) { return evaluateLower(mu); });
      out_.smallest.push_back(e.eig.values[l]);
      if (request_.eigenvectors) out_.smallestVectors.push_back(lowerVector(e, l));
    }
    return true;
  }

  // The k smallest by bisection on counts (no eigenvectors): the fallback of lower() at large P.
  void lowerByBisection() {
    for (std::size_t l = 0; l < std::min(request_.smallest, P_); ++l) {
      out_.smallest.push_back(bisect(static_cast<double>(l) + 0.5));
      if (request_.eigenvectors) out_.smallestVectors.emplace_back();
    }
  }

  // The ell-th largest above max theta: mu > theta_max is an eigenvalue iff 1 in spec H(mu),
  //   H(mu) = K (mu - Lambda)^-1 K^T / M   (positive weights; lambda_ell(H) decreases in mu),
  // so f(mu) = (mu - c) (lambda_ell(H(mu)) - 1) has its root in (theta_max, theta_max + lambda_ell(J J^T / M)]. Its
  // fixed-point step mu <- c + (mu - c) lambda_ell(H(mu)) contracts by about sum_j p_j (c - theta_j) / (mu - theta_j);
  // c = the |k_j|^2-weighted mean of theta makes that nearly zero (the secant then needs two or three passes).
  void upper() {
    const std::size_t k = std::min(request_.largest, P_);
    const double thetaTop = thetaMax();
    const double center = std::min(thetaTop, op_.jacobianNorm2() > 0 ? op_.weightedNorm2() / op_.jacobianNorm2() : thetaTop);
    std::vector<Evaluation> evals;
    const Evaluation atInfinity = evaluateUpper(std::numeric_limits<double>::infinity());
    for (std::size_t l = 0; l < k; ++l) {
      const std::size_t index = M_ - 1 - std::min(l, M_ - 1);
      const double lifted = std::max(0.0, atInfinity.eig.values[index]);
      if (l >= M_ || lifted <= tolerance_) {
        // Not lifted above every block eigenvalue: count instead.
        out_.largest.push_back(bisect(static_cast<double>(P_ - l) - 0.5));
        if (request_.eigenvectors) out_.largestVectors.emplace_back();
        continue;
      }
      if (evals.empty()) evals.push_back(evaluateUpper(std::max(center + lifted, thetaTop + 0.5 * lifted)));
      const auto f = [&](const Evaluation& e) { return (e.mu - center) * (e.eig.values[index] - 1.0); };
      const Evaluation& e = solve(evals, f, thetaTop, thetaTop + lifted, [&](double mu) { return evaluateUpper(mu); });
      const double mu = e.mu + f(e);
      if (mu - thetaTop <= 16.0 * tolerance_) {
        out_.largest.push_back(bisect(static_cast<double>(P_ - l) - 0.5));
        if (request_.eigenvectors) out_.largestVectors.emplace_back();
        continue;
      }
      out_.largest.push_back(mu);
      if (request_.eigenvectors) out_.largestVectors.push_back(upperVector(e, index, mu));
    }
  }

 private:
  // order_ = the n smallest directions by theta, ascending (a partial sort: O(P) for n << P); doubled as needed.
  void sortSmallest(std::size_t n) {
    n = std::min(n, P_);
    if (order_.size() >= n) return;
    n = std::min(P_, std::max(n, 2 * order_.size()));
    std::vector<std::size_t> all(P_);
    std::iota(all.begin(), all.end(), std::size_t{0});
    const auto less = [&](std::size_t a, std::size_t b) { return theta_[a] < theta_[b] || (theta_[a] == theta_[b] && a < b); };
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), less);
    all.resize(n);
    order_ = std::move(all);
  }

  static std::vector<double> column(const SymmetricEigenResult& e, std::size_t n, std::size_t k) {
    std::vector<double> v(n);
    for (std::size_t a = 0; a < n; ++a) v[a] = e.vectors[a * n + k];
    return v;
  }

  // A unit vector orthogonal to the row space of J and to `others` (Gauss-Newton, where Q = I): e_p minus its
  // projection J^T (J J^T)^+ J e_p, the projection repeated (iterative refinement: J J^T can be ill-conditioned).
  std::vector<double> nullSpaceVector(const SymmetricEigenResult& e, const std::vector<std::vector<double>>& others) {
    const double wmax = std::max(e.values.back(), 0.0);
    std::vector<double> Ju(M_), z(M_), back(P_);
    for (std::size_t p = others.size(); p < P_; ++p) {
      std::vector<double> u(P_, 0.0);
      u[p] = 1.0;
      for (int pass = 0; pass < 3; ++pass) {
        op_.jacobianTimes(u.data(), Ju.data());
        // z = (J J^T)^+ J u = V diag(1 / (M w)) V^T J u over the numerically nonzero w of J J^T / M.
        std::fill(z.begin(), z.end(), 0.0);
        for (std::size_t c = 0; c < M_; ++c) {
          if (!(e.values[c] > 1e-13 * wmax)) continue;
          double proj = 0;
          for (std::size_t a = 0; a < M_; ++a) proj += e.vectors[a * M_ + c] * Ju[a];
          for (std::size_t a = 0; a < M_; ++a) z[a] += e.vectors[a * M_ + c] * proj / (static_cast<double>(M_) * e.values[c]);
        }
        op_.projectRows(z.data(), [](std::size_t, double) { return 1.0; }, back.data());
        for (std::size_t q = 0; q < P_; ++q) u[q] -= back[q];
        for (const auto& o : others) {
          double c = 0;
          for (std::size_t q = 0; q < P_; ++q) c += u[q] * o[q];
          for (std::size_t q = 0; q < P_; ++q) u[q] -= c * o[q];
        }
      }
      const double n = norm(u);
      if (n > 1e-8) {
        for (double& v : u) v /= n;
        return u;
      }
    }
    return std::vector<double>(P_, 0.0);
  }

  Evaluation evaluateLower(double mu) {
    Evaluation e;
    e.mu = mu;
    const Buffer G = op_.weightedGram([&](std::size_t j, double t) { return inS_[j] ? 0.0 : 1.0 / (t - mu); });
    ++out_.passes;
    const std::size_t s = S_.size();
    e.L.assign(M_ * M_, 0.0);
    for (std::size_t b = 0; b < M_; ++b)
      for (std::size_t a = b; a < M_; ++a) e.L[a + b * M_] = G[a + b * M_] + (a == b ? static_cast<double>(M_) : 0.0);
    requireFinite(e.L.data(), e.L.size(), "secular matrix");
    const BlasScope blas(BlasMode::Pool);
    const lapack_int n = toLapackInt(M_, "the data points");
    lapack_int info = 0;
    LAPACK_dpotrf("L", &n, e.L.data(), &n, &info);
    checkArguments("DPOTRF", info);
    if (info > 0) throw Failure(ErrorCode::Numerical, "M I + G_R lost positive definiteness to rounding; use solver 'dense' for the spectrum");
    e.X = KS_;
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, static_cast<int>(M_), static_cast<int>(s), 1.0,
                e.L.data(), static_cast<int>(M_), e.X.data(), static_cast<int>(M_));
    std::vector<double> T(s * s, 0.0);
    cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, static_cast<int>(s), static_cast<int>(M_), 1.0, e.X.data(),
                static_cast<int>(M_), 0.0, T.data(), static_cast<int>(s));
    for (std::size_t a = 0; a < s; ++a) T[a + a * s] += theta_[S_[a]];
    e.eig = symmetricEigen(fullFromLower(T.data(), s, 1.0).data(), s);
    return e;
  }

  // H(mu) = K (mu - Lambda)^-1 K^T / M, or J J^T / M for mu = infinity (where the eigenvalues are those of the limit
  // (mu - c) H(mu) as mu grows).
  Evaluation evaluateUpper(double mu) {
    Evaluation e;
    e.mu = mu;
    const bool infinite = std::isinf(mu);
    const Buffer G = op_.weightedGram([&](std::size_t, double t) { return infinite ? 1.0 : 1.0 / (mu - t); });
    ++out_.passes;
    e.eig = symmetricEigen(fullFromLower(G.data(), M_, 1.0 / static_cast<double>(M_)).data(), M_);
    return e;
  }

  // A safeguarded secant on a decreasing function f of mu (through its evaluations) in the bracket [lo, hi]:
  // returns the evaluation at which |f| fell below the tolerance (or the step did).
  template <typename F, typename Evaluate>
  const Evaluation& solve(std::vector<Evaluation>& evals, F f, double lo, double hi, Evaluate evaluate) {
    for (int round = 0; round < kMaxEvaluations; ++round) {
      double a = lo, b = hi;
      std::size_t best = 0;
      for (std::size_t i = 0; i < evals.size(); ++i) {
        const double v = f(evals[i]);
        if (v >= 0) a = std::max(a, evals[i].mu);
        else b = std::min(b, evals[i].mu);
        if (std::fabs(v) < std::fabs(f(evals[best]))) best = i;
      }
      const double fb = f(evals[best]);
      if (std::fabs(fb) <= tolerance_) return evals[best];
      // The two evaluations nearest the root (by |f|) for the secant; otherwise one fixed-point step, slope -1.
      double x = evals[best].mu + fb;
      std::size_t second = evals.size();
      for (std::size_t i = 0; i < evals.size(); ++i)
        if (i != best && (second == evals.size() || std::fabs(f(evals[i])) < std::fabs(f(evals[second])))) second = i;
      if (second < evals.size()) {
        const double f2 = f(evals[second]);
        if (f2 != fb) x = evals[best].mu - fb * (evals[best].mu - evals[second].mu) / (fb - f2);
      }
      if (!(x > a && x < b)) x = 0.5 * (a + b);
      if (std::fabs(x - evals[best].mu) <= 0.25 * tolerance_ || b - a <= 2.0 * tolerance_) return evals[best];
      evals.push_back(evaluate(x));
    }
    throw Failure(ErrorCode::Numerical, "the secular iteration for an extremal eigenvalue did not converge; use solver 'dense'");
  }

  // Eigenvector of the lower end: u_S = x, u_R = -(Lambda_R - mu)^-1 K_R^T (M I + G_R)^-1 K_S x (rotated coordinates).
  std::vector<double> lowerVector(const Evaluation& e, std::size_t l) {
    const std::size_t s = S_.size();
    const double mu = e.eig.values[l];
    std::vector<double> x(s), z(M_, 0.0);
    for (std::size_t a = 0; a < s; ++a) x[a] = e.eig.vectors[a * s + l];
    // z = L^-T (L^-1 K_S) x
    for (std::size_t a = 0; a < s; ++a)
      for (std::size_t m = 0; m < M_; ++m) z[m] += e.X[a * M_ + m] * x[a];
    cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, static_cast<int>(M_), e.L.data(), static_cast<int>(M_), z.data(), 1);
    std::vector<double> u(P_);
    op_.projectRows(z.data(), [&](std::size_t j, double t) { return inS_[j] ? 0.0 : -1.0 / (t - mu); }, u.data());
    for (std::size_t a = 0; a < s; ++a) u[S_[a]] = x[a];
    return finishVector(u);
  }

  // Eigenvector of the upper end: u = (mu - Lambda)^-1 K^T y with H(mu) y = y.
  std::vector<double> upperVector(const Evaluation& e, std::size_t index, double mu) {
    std::vector<double> y(M_), u(P_);
    for (std::size_t a = 0; a < M_; ++a) y[a] = e.eig.vectors[a * M_ + index];
    op_.projectRows(y.data(), [&](std::size_t, double t) { return 1.0 / (mu - t); }, u.data());
    return finishVector(u);
  }

  std::vector<double> finishVector(std::vector<double>& rotated) {
    const double n = norm(rotated);
    for (double& v : rotated) v /= n;
    std::vector<double> params(P_);
    op_.toParameters(rotated.data(), params.data());
    return params;
  }

  // Smallest mu with at least `target` eigenvalues below it, by bisection on Haynsworth counts (the fallback).
  double bisect(double target) {
    double lo = thetaMin() - 8.0 * kEps * scale_, hi = thetaMax() + lift_ + 8.0 * kEps * scale_;
    for (int iter = 0; iter < 200 && hi - lo > 4.0 * kEps * scale_; ++iter) {
      const double mid = 0.5 * (lo + hi);
      if (mid <= lo || mid >= hi) break;
      const Inertia in = inertiaAt(mid);
      (static_cast<double>(in.negative) + 0.5 * static_cast<double>(in.zero) >= target ? hi : lo) = mid;
    }
    return 0.5 * (lo + hi);
  }

  const CurvatureOperator& op_;
  const SpectrumRequest& request_;
  SpectrumResult& out_;
  std::size_t M_, P_;
  const std::vector<double>& theta_;
  std::vector<std::size_t> order_, S_;
  std::vector<char> inS_;
  std::vector<double> KS_;
  double lift_ = 0, scale_ = 1, tolerance_ = 0, thetaMin_ = 0, thetaMax_ = 0;
};

}  // namespace

SpectrumResult curvatureSpectrum(const NetView& net, const DataView& data, const SpectrumRequest& request) {
  const CurvatureOperator op(net, data, request.curvature, request.lambda, request.memoryLimitBytes);
  SpectrumResult out;
  SpectrumSolver solver(op, request, out);
  const std::size_t P = op.dimension(), M = op.points();

  // Exact trace and Frobenius norm (MATH.md section 4, "Spectra").
  for (double t : op.theta()) out.trace += t;
  out.trace += op.jacobianNorm2() / static_cast<double>(M);
  if (request.frobenius) {
    double blocks = 0;
    for (double t : op.theta()) blocks += t * t;
    const Buffer B = op.weightedGram([](std::size_t, double) { return 1.0; });
    ++out.passes;
    double gram = 0;
    for (std::size_t b = 0; b < M; ++b)
      for (std::size_t a = b; a < M; ++a) gram += (a == b ? 1.0 : 2.0) * B[a + b * M] * B[a + b * M];
    const double Md = static_cast<double>(M);
    out.frobeniusNorm = std::sqrt(std::max(0.0, blocks + 2.0 * op.weightedNorm2() / Md + gram / (Md * Md)));
    out.hasFrobenius = true;
  }

  if (request.smallest > 0 || request.largest > 0) {
    const std::size_t small = 2 * M + std::max(request.smallest, request.largest) + 32;
    if (request.curvature == Curvature::GaussNewton) {
      solver.gaussNewton();
    } else if (P <= small) {
      solver.dense();
    } else {
      out.method = "secular";
      if (request.smallest > 0 && !solver.lower()) {
        if (P <= 4096) solver.dense(true, false);
        else solver.lowerByBisection();
        out.method = "secular";
      }
      if (request.largest > 0) solver.upper();
    }
    auto residuals = [&](const std::vector<double>& values, const std::vector<std::vector<double>>& vectors, std::vector<double>& res) {
      std::vector<double> w(P);
      for (std::size_t l = 0; l < vectors.size(); ++l) {
        if (vectors[l].empty()) {
          res.push_back(-1.0);  // no vector: that eigenvalue came from counting
          continue;
        }
        op.apply(vectors[l].data(), w.data());
        out.products += 1;
        for (std::size_t p = 0; p < P; ++p) w[p] -= values[l] * vectors[l][p];
        res.push_back(euclideanNorm(w));  // scaled: lambda near the overflow threshold must not square to Infinity
      }
    };
    residuals(out.smallest, out.smallestVectors, out.smallestResiduals);
    residuals(out.largest, out.largestVectors, out.largestResiduals);
  }

  if (request.inertia) {
    const double tol = 64.0 * kEps * solver.scale();
    if (!out.smallest.empty() && out.smallest.front() > tol) out.inertia = {P, 0, 0};
    else if (!out.largest.empty() && out.largest.front() < -tol) out.inertia = {0, P, 0};
    else out.inertia = solver.inertiaAt(0.0);
    out.hasInertia = true;
  }

  // Exact histogram: eigenvalue counts below each edge (one Haynsworth pass per edge).
  out.edges = request.edges;
  if (out.edges.empty() && request.bins > 0) {
    const double lo = out.smallest.empty() ? solver.thetaMin() : out.smallest.front();
    const double hi = out.largest.empty() ? solver.thetaMax() + solver.lift() : out.largest.front();
    const double pad = 1e-9 * solver.scale() + 1e-6 * (hi - lo);
    for (std::size_t b = 0; b <= request.bins; ++b)
      out.edges.push_back((lo - pad) + (hi - lo + 2.0 * pad) * static_cast<double>(b) / static_cast<double>(request.bins));
  }
  if (!out.edges.empty()) {
    std::vector<double> below;
    for (double e : out.edges) below.push_back(static_cast<double>(solver.inertiaAt(e).negative));
    for (std::size_t b = 0; b + 1 < below.size(); ++b) out.counts.push_back(below[b + 1] - below[b]);
  }

  if (request.probes > 0) {
    const bool reorthogonalize = 8.0 * static_cast<double>(request.lanczosSteps) * static_cast<double>(P) <=
                                 std::min(512.0 * 1048576.0, request.memoryLimitBytes / 4.0);
    const QuadratureRule rule = lanczosQuadrature([&](const double* v, double* w) { op.apply(v, w); }, P, request.probes,
                                                  request.lanczosSteps, request.seed, reorthogonalize);
    out.products += rule.products;
    out.densityNodes = rule.nodes;
    out.densityWeights = rule.weights;
    if (!out.edges.empty()) {
      out.densityCounts.assign(out.edges.size() - 1, 0.0);
      for (std::size_t j = 0; j < rule.nodes.size(); ++j) {
        const auto it = std::upper_bound(out.edges.begin(), out.edges.end(), rule.nodes[j]);
        if (it == out.edges.begin() || it == out.edges.end()) continue;
        out.densityCounts[static_cast<std::size_t>(it - out.edges.begin()) - 1] += rule.weights[j];
      }
    }
  }
  return out;
}

}  // namespace nntk
