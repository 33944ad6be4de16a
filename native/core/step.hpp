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
  std::string solver;        // e.g. "dense-cholesky", "dense-ldlt"
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
