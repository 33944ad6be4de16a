#include "neuron_kernels.hpp"

#include <cstring>

// The vector-typed helpers below are always inlined into the kernels compiled for a target that has the
// vector's registers, so no such value crosses a call boundary and GCC's ABI note does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace nntk {
namespace {

// Vectors of 2, 4 and 8 doubles (GCC/Clang vector extension); the kernels use the widest the target has.
typedef double V2 __attribute__((vector_size(2 * sizeof(double))));
typedef double V4 __attribute__((vector_size(4 * sizeof(double))));
typedef double V8 __attribute__((vector_size(8 * sizeof(double))));

template <class V>
[[gnu::always_inline]] inline V load(const double* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class V, PrimeSource P>
[[gnu::always_inline]] inline V primeAt(const V& sigma, const double* sigmaPrime, std::size_t m) {
  if constexpr (P == PrimeSource::Stored) return load<V>(sigmaPrime + m);
  if constexpr (P == PrimeSource::FromTanh) return 1.0 - sigma * sigma;    // tanhPrimeFromValue
  if constexpr (P == PrimeSource::FromLogistic) return sigma * (1.0 - sigma);  // logisticPrimeFromValue
}

[[gnu::always_inline]] inline void inputsLoop(double w, double b, const double* x, std::size_t M, double* z) {
  for (std::size_t m = 0; m < M; ++m) z[m] = w * x[m] + b;
}

[[gnu::always_inline]] inline void accumulateLoop(double c, const double* sigma, std::size_t M, double* f) {
  for (std::size_t m = 0; m < M; ++m) f[m] += c * sigma[m];
}

// kLanes lanes held in kLanes / (doubles per V) vectors of type V.
template <class V, PrimeSource P>
[[gnu::always_inline]] inline void sumsLoop(const double* x, const double* s0, const double* s1, const double* v,
                                            std::size_t M, double* out) {
  constexpr std::size_t width = sizeof(V) / sizeof(double), vectors = kLanes / width;
  V laneW[vectors] = {}, laneB[vectors] = {}, laneC[vectors] = {};
  std::size_t m = 0;
  for (; m + kLanes <= M; m += kLanes) {
    for (std::size_t k = 0; k < vectors; ++k) {
      const std::size_t p = m + k * width;
      const V sm = load<V>(s0 + p), vm = load<V>(v + p), t = vm * primeAt<V, P>(sm, s1, p);
      laneW[k] += t * load<V>(x + p);
      laneB[k] += t;
      laneC[k] += vm * sm;
    }
  }
  double sumW[kLanes], sumB[kLanes], sumC[kLanes];
  std::memcpy(sumW, laneW, sizeof sumW);
  std::memcpy(sumB, laneB, sizeof sumB);
  std::memcpy(sumC, laneC, sizeof sumC);
  for (; m < M; ++m) {
    const double t = v[m] * primeAt<double, P>(s0[m], s1, m);
    sumW[0] += t * x[m];
    sumB[0] += t;
    sumC[0] += v[m] * s0[m];
  }
  for (std::size_t l = 1; l < kLanes; ++l) {
    sumW[0] += sumW[l];
    sumB[0] += sumB[l];
    sumC[0] += sumC[l];
  }
  out[0] = sumW[0];
  out[1] = sumB[0];
  out[2] = sumC[0];
}

template <class V>
[[gnu::always_inline]] inline void sumsFor(const double* x, const double* s0, const double* s1, PrimeSource prime,
                                           const double* v, std::size_t M, double* out) {
  switch (prime) {
    case PrimeSource::Stored: return sumsLoop<V, PrimeSource::Stored>(x, s0, s1, v, M, out);
    case PrimeSource::FromTanh: return sumsLoop<V, PrimeSource::FromTanh>(x, s0, s1, v, M, out);
    case PrimeSource::FromLogistic: return sumsLoop<V, PrimeSource::FromLogistic>(x, s0, s1, v, M, out);
  }
}

// One set of kernels compiled for TARGET with vectors of type V.
#define NNTK_NEURON_KERNELS(NAME, TARGET, V)                                                                  \
  TARGET void NAME##Inputs(double w, double b, const double* x, std::size_t M, double* z) {                  \
    inputsLoop(w, b, x, M, z);                                                                              \
  }                                                                                                         \
  TARGET void NAME##Accumulate(double c, const double* sigma, std::size_t M, double* f) {                    \
    accumulateLoop(c, sigma, M, f);                                                                         \
  }                                                                                                         \
  TARGET void NAME##Sums(const double* x, const double* s0, const double* s1, PrimeSource prime, const double* v, \
                         std::size_t M, double* out) {                                                      \
    sumsFor<V>(x, s0, s1, prime, v, M, out);                                                                \
  }                                                                                                         \
  constexpr NeuronKernels NAME##Kernels{NAME##Inputs, NAME##Accumulate, NAME##Sums};

NNTK_NEURON_KERNELS(baseline, , V2)
#if defined(__x86_64__)
NNTK_NEURON_KERNELS(avx2, __attribute__((target("avx2"))), V4)
NNTK_NEURON_KERNELS(avx512, __attribute__((target("avx512f,prefer-vector-width=512"))), V8)
#endif

const NeuronKernels& widestKernels() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f")) return avx512Kernels;
  if (__builtin_cpu_supports("avx2")) return avx2Kernels;
#endif
  return baselineKernels;
}

}  // namespace

const NeuronKernels& neuronKernels() {
  static const NeuronKernels& kernels = widestKernels();  // immutable after init
  return kernels;
}

}  // namespace nntk
