#include "simd_math.hpp"

#include <cmath>

#if defined(__x86_64__) && defined(__GLIBC__) && !defined(NNTK_NO_LIBMVEC)
#include <immintrin.h>
extern "C" __m256d _ZGVdN4v_tanh(__m256d);  // glibc libmvec, AVX2 variant (glibc >= 2.35)
extern "C" __m512d _ZGVeN8v_tanh(__m512d);  // glibc libmvec, AVX-512 variant (glibc >= 2.35)
#define NNTK_HAVE_LIBMVEC 1
#endif

namespace nntk {
namespace {

// tanhNeuron's extra work around the tanh: z = w x + b on the way in, f += c tanh(z) on the way out.
struct Affine {
  double w, b, c;
  double* f;
};

#ifdef NNTK_HAVE_LIBMVEC
// affine() is always inlined into the functions compiled for its vector's target, so no vector value
// crosses a call boundary and GCC's ABI note does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

// z = w x + b, or z itself when x is null: the same operations as neuronInputs' (no fused multiply-add).
template <class V>
[[gnu::always_inline]] inline V affine(V z, V w, V b, bool scaled) {
  return scaled ? w * z + b : z;
}

// 8 lanes a call; the last n mod 8 values go through the same routine with the other lanes masked off,
// so every value gets the same function wherever it sits in the array.
__attribute__((target("avx512f"))) void tanhAvx512(const double* z, double* out, std::size_t n, const Affine* a) {
  const bool scaled = a != nullptr;
  const __m512d w = _mm512_set1_pd(scaled ? a->w : 0.0), b = _mm512_set1_pd(scaled ? a->b : 0.0);
  const __m512d c = _mm512_set1_pd(scaled ? a->c : 0.0);
  std::size_t k = 0;
  for (; k + 8 <= n; k += 8) {
    const __m512d t = _ZGVeN8v_tanh(affine(_mm512_loadu_pd(z + k), w, b, scaled));
    _mm512_storeu_pd(out + k, t);
    if (scaled) _mm512_storeu_pd(a->f + k, _mm512_loadu_pd(a->f + k) + c * t);
  }
  if (k < n) {
    const __mmask8 tail = static_cast<__mmask8>((1u << (n - k)) - 1);
    const __m512d t = _ZGVeN8v_tanh(affine(_mm512_maskz_loadu_pd(tail, z + k), w, b, scaled));
    _mm512_mask_storeu_pd(out + k, tail, t);
    if (scaled) _mm512_mask_storeu_pd(a->f + k, tail, _mm512_maskz_loadu_pd(tail, a->f + k) + c * t);
  }
}

__attribute__((target("avx2"))) void tanhAvx2(const double* z, double* out, std::size_t n, const Affine* a) {
  const bool scaled = a != nullptr;
  const __m256d w = _mm256_set1_pd(scaled ? a->w : 0.0), b = _mm256_set1_pd(scaled ? a->b : 0.0);
  const __m256d c = _mm256_set1_pd(scaled ? a->c : 0.0);
  std::size_t k = 0;
  for (; k + 4 <= n; k += 4) {
    const __m256d t = _ZGVdN4v_tanh(affine(_mm256_loadu_pd(z + k), w, b, scaled));
    _mm256_storeu_pd(out + k, t);
    if (scaled) _mm256_storeu_pd(a->f + k, _mm256_loadu_pd(a->f + k) + c * t);
  }
  for (; k < n; ++k) {
    out[k] = std::tanh(scaled ? a->w * z[k] + a->b : z[k]);
    if (scaled) a->f[k] += a->c * out[k];
  }
}

enum class VectorIsa { None, Avx2, Avx512 };

VectorIsa vectorIsa() {
  static const VectorIsa isa = __builtin_cpu_supports("avx512f")                                     ? VectorIsa::Avx512
                               : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? VectorIsa::Avx2
                                                                                                   : VectorIsa::None;
  return isa;  // immutable after init
}
#endif

void tanhAll(const double* z, double* out, std::size_t n, const Affine* a) {
#ifdef NNTK_HAVE_LIBMVEC
  switch (vectorIsa()) {
    case VectorIsa::Avx512: return tanhAvx512(z, out, n, a);
    case VectorIsa::Avx2: return tanhAvx2(z, out, n, a);
    case VectorIsa::None: break;
  }
#endif
  for (std::size_t k = 0; k < n; ++k) {
    out[k] = std::tanh(a ? a->w * z[k] + a->b : z[k]);
    if (a) a->f[k] += a->c * out[k];
  }
}

}  // namespace

void tanhArray(const double* z, double* out, std::size_t n) { tanhAll(z, out, n, nullptr); }

void tanhNeuron(double w, double b, double c, const double* x, std::size_t n, double* sigma, double* f) {
  const Affine a{w, b, c, f};
  tanhAll(x, sigma, n, &a);
}

}  // namespace nntk
