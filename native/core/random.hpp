// Counter-based random numbers for the paper's initialization (docs/MATH.md section 1).
//
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): every
// value is a pure function of (seed, stream, index), so a network is the same on every run,
// platform and thread count, and widening a network keeps its first neurons unchanged.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

namespace nntk {

// Streams used by the initialization; each parameter family draws from its own.
enum class Stream : std::uint32_t { Weights = 1, Biases = 2, OutputWeights = 3, SpectrumProbes = 4 };

std::array<std::uint32_t, 4> philox4x32(std::array<std::uint32_t, 4> counter, std::array<std::uint32_t, 2> key);

// Uniform on the open interval (0, 1) with 53 random bits.
double uniformAt(std::uint64_t seed, Stream stream, std::uint64_t index);
// Standard normal by the Box-Muller transform of the two uniforms drawn at this index.
double normalAt(std::uint64_t seed, Stream stream, std::uint64_t index);

// The paper's initialization: w_i ~ N(0, I_d), b_i ~ N(0, 1), c_i ~ U(-1, 1), all independent.
void initializeParameters(std::uint64_t seed, std::size_t width, std::size_t inputDim, double* W, double* b,
                          double* c);

}  // namespace nntk
