// The loops over one neuron's M data points that dominate gradient descent, Adam and predict() after the
// activation itself, compiled for AVX-512, for AVX2 and for the baseline target and chosen once from the
// CPU. Every variant gives the same bits: the elementwise loops are the same IEEE operations at any vector
// width (the core is compiled with -ffp-contract=off, so no variant fuses a multiply and an add), and the
// sums run in kLanes lanes whatever the register width.
#pragma once
#include <cstddef>

namespace nntk {

// Where the sums find sigma': in an array, or recovered from sigma (tanhPrimeFromValue, logisticPrimeFromValue).
enum class PrimeSource { Stored, FromTanh, FromLogistic };

// Point m of the first M - M mod kLanes points is summed in lane m mod kLanes, the rest in lane 0; the lanes
// are added in order at the end.
constexpr std::size_t kLanes = 8;

struct NeuronKernels {
  // z_m = w x_m + b (inputDim 1).
  void (*inputs)(double w, double b, const double* x, std::size_t M, double* z);
  // f_m += c sigma_m.
  void (*accumulate)(double c, const double* sigma, std::size_t M, double* f);
  // out = (sum_m v_m sigma'_m x_m, sum_m v_m sigma'_m, sum_m v_m sigma_m) in kLanes lanes; sigmaPrime is
  // read only when prime is Stored.
  void (*sums)(const double* x, const double* sigma, const double* sigmaPrime, PrimeSource prime, const double* v,
               std::size_t M, double* out);
};

// The widest variant this CPU runs.
const NeuronKernels& neuronKernels();

}  // namespace nntk
