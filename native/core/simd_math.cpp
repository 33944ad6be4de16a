#include "simd_math.hpp"

#include <cmath>
#include <cstring>

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

// One value without vector help: tanh(w z + b) (or tanh(z) without a), and f += c tanh.
void tanhScalar(const double* z, double* out, std::size_t k, const Affine* a) {
  out[k] = std::tanh(a ? a->w * z[k] + a->b : z[k]);
  if (a) a->f[k] += a->c * out[k];
}

#ifdef NNTK_HAVE_LIBMVEC
// tanhLanes is always inlined into the functions compiled for its vector's target, so no vector value
// crosses a call boundary and GCC's ABI note does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

// The whole vectors of [0, n) through libmvec's routine Tanh for vectors V; returns where they end. The
// affine map and the accumulation are the same multiplies and adds as the scalar ones (no fused
// multiply-add), lane by lane.
template <class V, V (*Tanh)(V)>
[[gnu::always_inline]] inline std::size_t tanhLanes(const double* z, double* out, std::size_t n, const Affine* a) {
  constexpr std::size_t width = sizeof(V) / sizeof(double);
  const auto load = [](const double* p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  std::size_t k = 0;
  for (; k + width <= n; k += width) {
    const V t = Tanh(a ? a->w * load(z + k) + a->b : load(z + k));
    std::memcpy(out + k, &t, sizeof t);
    if (a) {
      const V f = load(a->f + k) + a->c * t;
      std::memcpy(a->f + k, &f, sizeof f);
    }
  }
  return k;
}

// The last n mod 8 values go through the same routine with the other lanes masked off, so every value
// gets the same function wherever it sits in the array.
__attribute__((target("avx512f"))) void tanhAvx512(const double* z, double* out, std::size_t n, const Affine* a) {
  const std::size_t k = tanhLanes<__m512d, _ZGVeN8v_tanh>(z, out, n, a);
  if (k == n) return;
  const __mmask8 tail = static_cast<__mmask8>((1u << (n - k)) - 1);
  const __m512d zk = _mm512_maskz_loadu_pd(tail, z + k);
  const __m512d t = _ZGVeN8v_tanh(a ? a->w * zk + a->b : zk);
  _mm512_mask_storeu_pd(out + k, tail, t);
  if (a) _mm512_mask_storeu_pd(a->f + k, tail, _mm512_maskz_loadu_pd(tail, a->f + k) + a->c * t);
}

__attribute__((target("avx2"))) void tanhAvx2(const double* z, double* out, std::size_t n, const Affine* a) {
  for (std::size_t k = tanhLanes<__m256d, _ZGVdN4v_tanh>(z, out, n, a); k < n; ++k) tanhScalar(z, out, k, a);
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
  for (std::size_t k = 0; k < n; ++k) tanhScalar(z, out, k, a);
}

}  // namespace

void tanhArray(const double* z, double* out, std::size_t n) { tanhAll(z, out, n, nullptr); }

void tanhNeuron(double w, double b, double c, const double* x, std::size_t n, double* sigma, double* f) {
  const Affine a{w, b, c, f};
  tanhAll(x, sigma, n, &a);
}

}  // namespace nntk
