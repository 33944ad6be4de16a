// The exact regularized Newton / Gauss-Newton system at any width, without a P x P matrix
// (docs/MATH.md section 4). With Bd = blockdiag(D_i + lambda I) and g = J^T r / M, Woodbury gives
//   (Bd + J^T J / M)^-1 g = Bd^-1 J^T (M I + G)^-1 r,   G = J Bd^-1 J^T  (M x M),
// so a step is one streamed pass to build G, an M x M solve, and one streamed pass to apply
// Bd^-1 J^T: O(M^2 P) time and O(M^2 + M q) working memory. Each block is diagonalised (D_i + lambda I =
// Q_i diag(theta_i) Q_i^T) so G = K+ K+^T - K- K-^T with K = J Q |theta|^-1/2 split by sign (BLAS-3).
//
// Near-singular blocks (documented fallback): an eigenvalue theta of a block that lost more than
// eight digits to cancellation against the block's own scale would make 1/theta swamp G. It is moved
// to a safe value theta' and the difference is put back exactly as a rank-one term, so
//   C + lambda I - mu I = Bd' + U S U^T,  U = [J^T, W],  S = diag(I / M, -sigma),  sigma = theta' - theta,
// and the capacitance matrix grows from M I + G to (M + k) x (M + k) for k such directions. The step, the
// Haynsworth inertia and the kernels below all use this generalized form; k = 0 in ordinary cases.
//
// The threshold is 1e-4 of the block's scale: above it, 1/theta costs the Woodbury formulas less than 3e-13
// of the step and the NNTK (MATH.md section 4; measurements in docs/notes/structured-deflation.md).
#pragma once
#include <cstddef>
#include <limits>
#include <vector>

#include "buffer.hpp"
#include "cross_kernels.hpp"
#include "model.hpp"
#include "step.hpp"

namespace nntk {

class LdltFactor;

struct ExtremalSpectrum {
  Inertia inertia;  // of C + lambda I
  double minEigenvalue = 0, maxEigenvalue = 0;
  int bisectionSteps = 0;
};

struct StructuredOptions {
  // Keep J Q (M x P) between sweeps, for the many sweeps of eigenvalue bisection; only if it fits in
  // min(cacheBudgetBytes, memoryLimitBytes).
  bool cacheTransformed = false;
  double cacheBudgetBytes = 1024.0 * 1024.0 * 1024.0;
  // The caller's cap on every buffer (StepRequest::memoryLimitBytes): the optional caches (J Q, the
  // stored blocks) are kept only within it, and E_TOO_LARGE is raised before allocating when the
  // vectors and the capacitance matrices the system cannot do without exceed it.
  double memoryLimitBytes = 4.0 * 1024 * 1024 * 1024;
};

// The options of a request: its memory cap, and the J Q cache when extremal eigenvalues are asked for.
StructuredOptions structuredOptions(const StepRequest& request);

// One structured step (J Q is cached for the bisection when extremal eigenvalues are asked for and it fits).
StepOutcome structuredStep(const NetView& net, const DataView& data, const StepRequest& request);

class StructuredSystem {
 public:
  StructuredSystem(const NetView& net, const DataView& data, Curvature curvature, double lambda,
                   const StructuredOptions& options = {});

  double loss() const { return loss_; }
  const StepTimings& timings() const { return timings_; }
  // Inertia of C + lambda I (Haynsworth: MATH.md section 4).
  Inertia inertia() const { return inertiaOf(capacitance0_, nullptr, true); }
  // step = -(C + lambda I)^-1 grad L, with inertia and, for Spectrum::Extremal, the extremal eigenvalues.
  StepOutcome step(Spectrum spectrum);
  // Both extremes of C + lambda I by Haynsworth bisection (100-200 sweeps; curvatureSpectrum's 'bisection').
  ExtremalSpectrum extremal();
  // The same by the secular equations of curvature_spectrum.hpp (about 7 passes): the step's monitoring.
  ExtremalSpectrum extremalBySecular();
  // NNTK = J (C + lambda I)^-1 J^T / M = I - M [C_cap^-1]_11  (M x M, MATH.md section 5).
  void nntkGram(double* out);
  // The NNTK between test points and the training points, and its test diagonal (cross_kernels.hpp).
  CrossKernel crossKernel(const DataView& test);
  std::size_t deflatedDirections() const { return capacitance0_.flagged.size(); }

  struct Flagged {
    std::size_t neuron = 0, index = 0;
    double gap = 0, shifted = 0;   // theta - mu before and after the move
    std::vector<double> column;    // J_i Q_i e_index (M values)
  };
  struct Capacitance {
    Buffer C;                      // (M + k) x (M + k), lower triangle, column-major
    Inertia blocks;                // of Bd' - mu I
    std::vector<Flagged> flagged;  // sorted by neuron
    std::size_t order = 0;         // M + k
  };

 private:
  struct Scratch;
  // deflate: move near-singular block eigenvalues into the capacitance (the step and the kernels);
  // without it (bisection, which only counts signs) an exactly zero gap is nudged instead.
  Capacitance sweep(double mu, bool initial, bool deflate);
  // strict: inconsistent counts are an error; otherwise they are clamped (bisection at degenerate shifts).
  Inertia inertiaOf(const Capacitance& cap, const Inertia* fromFactor, bool strict) const;
  bool gaussNewtonClosedForm(ExtremalSpectrum& out) const;
  std::size_t threads() const;
  const double* prepareNeuron(Scratch& s, std::size_t i, bool second) const;

  NetView net_;
  DataView data_;
  Curvature curvature_;
  double lambda_;
  std::size_t M_, q_, N_;
  std::size_t threads_;  // fixed at construction, so every sweep of this system splits the neurons alike
  bool storeBlocks_ = false, cacheJQ_ = false, trackNorm_ = false;
  double memoryLimitBytes_ = 0;  // StructuredOptions::memoryLimitBytes
  Buffer r_, gradient_;    // l' (the residual f - y for the square loss) and J^T l' / M
  Buffer rootCurvature_;   // l''^1/2 per point, for losses other than the square one (else empty)
  std::vector<double> unweightedGradient_;  // D [G; Y^T] l' from the initial sweep (weighted losses)
  double loss_ = 0, jacobianNorm2_ = 0;
  Buffer theta_, Q_, JQ_;  // block eigenvalues (N q), eigenvectors (N q^2, if stored), J Q (M x P, if cached)
  Capacitance capacitance0_;
  StepTimings timings_;
};

}  // namespace nntk
