// What a regularized Newton / Gauss-Newton step is asked for and what it reports
// (docs/MATH.md section 3). Shared by the dense solver, the structured one and the primal Gauss-Newton one.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "names.hpp"

namespace nntk {

enum class Curvature : int { Newton = 0, GaussNewton = 1 };
enum class Spectrum : int { None = 0, Inertia = 1, Extremal = 2, Full = 3 };

struct Inertia {
  std::size_t positive = 0, negative = 0, zero = 0;
};

enum class SolverKind : int { Dense = 0, Structured = 1, Primal = 2 };

template <>
struct EnumNames<Curvature> {
  static constexpr std::string_view kind = "curvature";
  static constexpr NamedValue<Curvature> values[] = {{Curvature::Newton, "newton"}, {Curvature::GaussNewton, "gauss-newton"}};
};
template <>
struct EnumNames<Spectrum> {
  static constexpr std::string_view kind = "spectrum";
  static constexpr NamedValue<Spectrum> values[] = {
      {Spectrum::None, "none"}, {Spectrum::Inertia, "inertia"}, {Spectrum::Extremal, "extremal"}, {Spectrum::Full, "full"}};
};
template <>
struct EnumNames<SolverKind> {
  static constexpr std::string_view kind = "solver";
  static constexpr NamedValue<SolverKind> values[] = {
      {SolverKind::Dense, "dense"}, {SolverKind::Structured, "structured"}, {SolverKind::Primal, "primal"}};
};

// Which factorization a step ran (StepReport.solver in TypeScript): the dense Cholesky or, when that finds an
// indefinite matrix, LDL^T (docs/MATH.md section 3); the structured Woodbury solve, deflated when the
// capacitance has zero blocks; the primal Gauss-Newton QR (pivoted at lambda = 0), whose seminormal variants
// re-solve with R^T R when the QR residual is too large (MATH.md 4.1); and the one-step grid's Gauss-Newton
// kernel Cholesky.
enum class Factorization : int {
  DenseCholesky,
  DenseLdlt,
  StructuredWoodbury,
  StructuredWoodburyDeflated,
  PrimalQr,
  PrimalQrPivoted,
  PrimalQrSeminormal,
  PrimalQrPivotedSeminormal,
  GaussNewtonKernelCholesky,
};
template <>
struct EnumNames<Factorization> {
  static constexpr std::string_view kind = "factorization";
  static constexpr NamedValue<Factorization> values[] = {
      {Factorization::DenseCholesky, "dense-cholesky"},
      {Factorization::DenseLdlt, "dense-ldlt"},
      {Factorization::StructuredWoodbury, "structured-woodbury"},
      {Factorization::StructuredWoodburyDeflated, "structured-woodbury-deflated"},
      {Factorization::PrimalQr, "primal-qr"},
      {Factorization::PrimalQrPivoted, "primal-qr-pivoted"},
      {Factorization::PrimalQrSeminormal, "primal-qr-seminormal"},
      {Factorization::PrimalQrPivotedSeminormal, "primal-qr-pivoted-seminormal"},
      {Factorization::GaussNewtonKernelCholesky, "gauss-newton-kernel-cholesky"},
  };
};

struct StepRequest {
  Curvature curvature = Curvature::Newton;
  double lambda = 0.0;  // absolute regularization: C + lambda I
  Spectrum spectrum = Spectrum::Inertia;
  // Cap on every large buffer the request allocates (dense matrices, structured caches and scratch).
  double memoryLimitBytes = 4.0 * 1024 * 1024 * 1024;
};

// Seconds spent in each phase, so callers can see where a step's time went.
struct StepTimings {
  double evaluation = 0, assembly = 0, factorization = 0, inertia = 0, condition = 0, solve = 0, spectrum = 0;
};

struct StepOutcome {
  std::vector<double> step;  // -(C + lambda I)^-1 grad L, neuron-major
  Factorization solver = Factorization::DenseCholesky;
  Inertia inertia;           // of C + lambda I
  bool hasExtremal = false;
  double minEigenvalue = 0, maxEigenvalue = 0;
  std::vector<double> eigenvalues;  // ascending, Spectrum::Full only
  double loss = 0, gradientNorm = 0, stepNorm = 0;
  double gradientDotStep = 0;      // grad L . step (negative for a descent direction)
  double reciprocalCondition = 0;  // LAPACK's 1-norm estimate for the factored system
  StepTimings timings;
};

}  // namespace nntk
