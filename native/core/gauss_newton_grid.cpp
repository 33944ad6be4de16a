#include "gauss_newton_grid.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "blas_threads.hpp"
#include "buffer.hpp"
#include "failure.hpp"
#include "parallel.hpp"
#include "signed_gram.hpp"
#include "tanh_taylor.hpp"

namespace nntk {
namespace {

constexpr std::size_t kMaxBlock = 256;                  // neurons per block, when a block's Jacobian fits kBlockBytes
constexpr double kBlockBytes = 64.0 * 1024.0 * 1024.0;  // a block's J_block^T (q n x M) per thread, at most
constexpr double kKeepBytes = 512.0 * 1024.0 * 1024.0;  // keep sigma, sigma' between the passes up to this size

// Neurons per block: a function of the sizes only, so the sums over blocks do not depend on the threads.
std::size_t blockNeurons(std::size_t q, std::size_t M) {
  const double fit = std::floor(kBlockBytes / (8.0 * static_cast<double>(q) * static_cast<double>(std::max<std::size_t>(M, 1))));
  return fit < static_cast<double>(kMaxBlock) ? std::max<std::size_t>(static_cast<std::size_t>(fit), 1) : kMaxBlock;
}

// What pass 2 needs to step one block of neurons (see applySteps).
struct BlockContext {
  const NetView& net;
  const DataView& data;
  const double* xMax;         // max_m |x_mj| per input coordinate
  std::size_t C;              // steps (coefficient vectors)
  bool taylor;                // tanh: use its Taylor series where the update is small
  TaylorDegrees degrees;
};

struct BlockScratch {
  Buffer delta, stepped, direct, coef;
  std::vector<int> K;
  std::vector<double> cNew;
  BlockScratch(std::size_t block, std::size_t M, std::size_t q, std::size_t C)
      : delta(block * q * C), stepped(C * M), direct(C * M), coef((kMaxTaylorDegree + 1) * M), K(C), cNew(C) {}
};

// f[m] += cNew * sum_(k <= K) coef[k * M + m] delta[m]^k for m < M by Horner. The AVX2 version keeps 16
// accumulators in four registers (independent FMA chains); both versions round identically (fused FMA).
[[gnu::always_inline]] inline void hornerScalar(const double* coef, std::size_t M, int K, const double* delta, double cNew,
                                                double* f, std::size_t from = 0) {
  for (std::size_t m = from; m < M; ++m) {
    double acc = coef[static_cast<std::size_t>(K) * M + m];
    for (int k = K - 1; k >= 0; --k) acc = std::fma(acc, delta[m], coef[static_cast<std::size_t>(k) * M + m]);
    f[m] = std::fma(cNew, acc, f[m]);
  }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void hornerAvx2(const double* coef, std::size_t M, int K,
                                                                          const double* delta, double cNew, double* f) {
  const __m256d scale = _mm256_set1_pd(cNew);
  std::size_t m = 0;
  for (; m + 16 <= M; m += 16) {
    const double* top = coef + static_cast<std::size_t>(K) * M + m;
    __m256d a0 = _mm256_loadu_pd(top), a1 = _mm256_loadu_pd(top + 4), a2 = _mm256_loadu_pd(top + 8),
            a3 = _mm256_loadu_pd(top + 12);
    const __m256d d0 = _mm256_loadu_pd(delta + m), d1 = _mm256_loadu_pd(delta + m + 4),
                  d2 = _mm256_loadu_pd(delta + m + 8), d3 = _mm256_loadu_pd(delta + m + 12);
    for (int k = K - 1; k >= 0; --k) {
      const double* ak = coef + static_cast<std::size_t>(k) * M + m;
      a0 = _mm256_fmadd_pd(a0, d0, _mm256_loadu_pd(ak));
      a1 = _mm256_fmadd_pd(a1, d1, _mm256_loadu_pd(ak + 4));
      a2 = _mm256_fmadd_pd(a2, d2, _mm256_loadu_pd(ak + 8));
      a3 = _mm256_fmadd_pd(a3, d3, _mm256_loadu_pd(ak + 12));
    }
    _mm256_storeu_pd(f + m, _mm256_fmadd_pd(scale, a0, _mm256_loadu_pd(f + m)));
    _mm256_storeu_pd(f + m + 4, _mm256_fmadd_pd(scale, a1, _mm256_loadu_pd(f + m + 4)));
    _mm256_storeu_pd(f + m + 8, _mm256_fmadd_pd(scale, a2, _mm256_loadu_pd(f + m + 8)));
    _mm256_storeu_pd(f + m + 12, _mm256_fmadd_pd(scale, a3, _mm256_loadu_pd(f + m + 12)));
  }
  for (; m + 4 <= M; m += 4) {
    __m256d a = _mm256_loadu_pd(coef + static_cast<std::size_t>(K) * M + m);
    const __m256d dm = _mm256_loadu_pd(delta + m);
    for (int k = K - 1; k >= 0; --k) a = _mm256_fmadd_pd(a, dm, _mm256_loadu_pd(coef + static_cast<std::size_t>(k) * M + m));
    _mm256_storeu_pd(f + m, _mm256_fmadd_pd(scale, a, _mm256_loadu_pd(f + m)));
  }
  hornerScalar(coef, M, K, delta, cNew, f, m);
}
#endif

// For the n neurons from `first`, given their steps D (q n x C: parameter a of neuron i under step c at
// D[(i q + a) C + c]) and sigma at theta_0 (S0, n x M): adds each stepped neuron's outputs
// (c_i + dc_i) sigma(z_im + delta_im), delta_im = dw_i . x_m + db_i, into f (C x M), and its squared update
// norm into norm2 (per step) and maxNorm2. Written once, compiled for AVX2 + FMA and for the baseline.
template <bool Avx2>
[[gnu::always_inline]] inline void stepBlock(const BlockContext& ctx, std::size_t first, std::size_t n, const double* S0,
                                             BlockScratch& w, double* f, double* norm2, double* maxNorm2) {
  const std::size_t M = ctx.data.size, d = ctx.net.inputDim, q = d + 2, C = ctx.C;
  const double* x = ctx.data.x;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t neuron = first + i;
    const double* D = w.delta.data() + i * q * C;
    int degree = -1;
    std::size_t directCount = 0;
    for (std::size_t c = 0; c < C; ++c) {
      double n2 = 0, rho = std::fabs(D[d * C + c]);
      for (std::size_t a = 0; a < q; ++a) n2 += D[a * C + c] * D[a * C + c];
      for (std::size_t j = 0; j < d; ++j) rho += std::fabs(D[j * C + c]) * ctx.xMax[j];
      norm2[c] += n2;
      maxNorm2[c] = std::max(maxNorm2[c], n2);
      w.cNew[c] = ctx.net.c[neuron] + D[(d + 1) * C + c];
      double* dc = w.stepped.data() + c * M;
      const double db = D[d * C + c];
      if (d == 1) {
        const double dw = D[c];
        for (std::size_t m = 0; m < M; ++m) dc[m] = std::fma(dw, x[m], db);
      } else {
        for (std::size_t m = 0; m < M; ++m) dc[m] = db;
        for (std::size_t j = 0; j < d; ++j) {
          const double dw = D[j * C + c];
          for (std::size_t m = 0; m < M; ++m) dc[m] = std::fma(dw, x[m * d + j], dc[m]);
        }
      }
      w.K[c] = ctx.taylor ? ctx.degrees.degree(rho) : -1;
      degree = std::max(degree, w.K[c]);
      directCount += w.K[c] < 0;
    }
    if (degree >= 0) {
      // f_c += cNew_c sum_k a_k delta^k by Horner, for the steps the series covers.
      tanhTaylorCoefficients(S0 + i * M, M, degree, w.coef.data());
      for (std::size_t c = 0; c < C; ++c) {
        if (w.K[c] < 0) continue;
        const double* dc = w.stepped.data() + c * M;
        double* fc = f + c * M;
#if defined(__x86_64__)
        if constexpr (Avx2) {
          hornerAvx2(w.coef.data(), M, w.K[c], dc, w.cNew[c], fc);
          continue;
        }
#endif
        hornerScalar(w.coef.data(), M, w.K[c], dc, w.cNew[c], fc);
      }
    }
    if (directCount == 0) continue;
    // The other steps directly: sigma(z + delta) at every point, in one vectorized activation call.
    const double* wi = ctx.net.W + neuron * d;
    std::size_t slot = 0;
    for (std::size_t c = 0; c < C; ++c) {
      if (w.K[c] >= 0) continue;
      double* zc = w.direct.data() + slot++ * M;
      const double* dc = w.stepped.data() + c * M;
      if (d == 1) {
        const double w0 = wi[0], b0 = ctx.net.b[neuron];
        for (std::size_t m = 0; m < M; ++m) zc[m] = std::fma(w0, x[m], b0) + dc[m];
        continue;
      }
      for (std::size_t m = 0; m < M; ++m) {
        double z = ctx.net.b[neuron];
        for (std::size_t j = 0; j < d; ++j) z += wi[j] * x[m * d + j];
        zc[m] = z + dc[m];
      }
    }
    evaluateActivation(ctx.net.activation, w.direct.data(), directCount * M, w.direct.data(), nullptr, nullptr);
    slot = 0;
    for (std::size_t c = 0; c < C; ++c) {
      if (w.K[c] >= 0) continue;
      const double* sc = w.direct.data() + slot++ * M;
      double* fc = f + c * M;
      for (std::size_t m = 0; m < M; ++m) fc[m] = std::fma(w.cNew[c], sc[m], fc[m]);
    }
  }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void stepBlockAvx2(const BlockContext& ctx, std::size_t first, std::size_t n,
                                                        const double* S0, BlockScratch& w, double* f, double* norm2,
                                                        double* maxNorm2) {
  stepBlock<true>(ctx, first, n, S0, w, f, norm2, maxNorm2);
}
#endif

void stepBlockBest(const BlockContext& ctx, std::size_t first, std::size_t n, const double* S0, BlockScratch& w, double* f,
                   double* norm2, double* maxNorm2, bool avx2) {
#if defined(__x86_64__)
  if (avx2) return stepBlockAvx2(ctx, first, n, S0, w, f, norm2, maxNorm2);
#endif
  (void)avx2;
  stepBlock<false>(ctx, first, n, S0, w, f, norm2, maxNorm2);
}

bool cpuHasAvx2Fma() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

}  // namespace

GaussNewtonGrid::GaussNewtonGrid(const NetView& net, const DataView& data) : net_(net), data_(data) {
  const std::size_t M = data.size, q = net.blockSize(), N = net.width, block = blockNeurons(q, M);
  const std::size_t blocks = (N + block - 1) / block;
  const bool keep = 16.0 * static_cast<double>(N) * static_cast<double>(M) <= kKeepBytes;
  if (keep) {
    s0_ = Buffer(N * M);
    s1_ = Buffer(N * M);
  }
  // Fixed slots of whole blocks, one G each, added in slot order: the NTK does not depend on the threads.
  const std::size_t slots = gramSlots(blocks, M, 1);
  const std::size_t T = std::min(slots, workerCount(N, M));
  std::vector<SignedGram> grams;
  for (std::size_t t = 0; t < T; ++t) grams.emplace_back(M, gramChunkColumns(M, block * q));  // one block's columns
  Buffer partial(blocks * M);
  partial.fill(0.0);
  const double s = net.scale();
  const std::size_t d = net.inputDim;
  // Every block is evaluated on its own (blockValues), and slots hold whole blocks: one thread's scratch
  // serves the blocks of several slots.
  std::vector<Buffer> z, s0, s1;
  for (std::size_t t = 0; t < T; ++t) {
    z.emplace_back(block * M);
    s0.emplace_back(block * M);
    s1.emplace_back(block * M);
  }
  const Buffer G = streamNeurons(blocks, M, slots, grams, [&](std::size_t k, std::size_t t, std::size_t) {  // items: blocks
    const std::size_t first = k * block, n = std::min(block, N - first);
    double* S0 = keep ? s0_.data() + first * M : s0[t].data();
    double* S1 = keep ? s1_.data() + first * M : s1[t].data();
    blockValues(first, n, z[t].data(), S0, S1);
    double* f = partial.data() + k * M;
    for (std::size_t i = 0; i < n; ++i) {
      const double ci = net.c[first + i], sc = s * ci;
      const double* a0 = S0 + i * M;
      const double* a1 = S1 + i * M;
      for (std::size_t m = 0; m < M; ++m) f[m] += ci * a0[m];
      // J's columns for this neuron (docs/MATH.md section 2): w_j, b, c, of the trainable groups (section 1.2).
      const TrainableGroups& tg = net.trainable;
      if (!tg.all()) {
        if (tg.b) {
          double* colB = grams[t].nextColumn(true);
          for (std::size_t m = 0; m < M; ++m) colB[m] = sc * a1[m];
        }
        if (tg.c) {
          double* colC = grams[t].nextColumn(true);
          for (std::size_t m = 0; m < M; ++m) colC[m] = s * a0[m];
        }
        for (std::size_t j = 0; tg.W && j < d; ++j) {
          double* col = grams[t].nextColumn(true);
          for (std::size_t m = 0; m < M; ++m) col[m] = (sc * a1[m]) * data.x[m * d + j];
        }
        continue;
      }
      double* colB = grams[t].nextColumn(true);
      for (std::size_t m = 0; m < M; ++m) colB[m] = sc * a1[m];
      double* colC = grams[t].nextColumn(true);
      for (std::size_t m = 0; m < M; ++m) colC[m] = s * a0[m];
      for (std::size_t j = 0; j < d; ++j) {
        double* col = grams[t].nextColumn(true);
        for (std::size_t m = 0; m < M; ++m) col[m] = colB[m] * data.x[m * d + j];
      }
    }
  });
  f0_.assign(M, 0.0);
  for (std::size_t k = 0; k < blocks; ++k)
    for (std::size_t m = 0; m < M; ++m) f0_[m] += partial[k * M + m];
  for (double& v : f0_) v *= s;
  requireFinite(f0_.data(), M, "output");
  ntk_.assign(M * M, 0.0);
  const double invM = 1.0 / static_cast<double>(M);
  for (std::size_t b = 0; b < M; ++b)
    for (std::size_t a = b; a < M; ++a) ntk_[a * M + b] = ntk_[b * M + a] = G[a + b * M] * invM;  // B = J J^T / M (section 5)
  requireFinite(ntk_.data(), ntk_.size(), "NTK Gram matrix");
}

void GaussNewtonGrid::blockValues(std::size_t first, std::size_t n, double* z, double* s0, double* s1) const {
  const std::size_t M = data_.size, d = net_.inputDim;
  for (std::size_t i = 0; i < n; ++i) {
    const double* w = net_.W + (first + i) * d;
    const double b = net_.b[first + i];
    double* zi = z + i * M;
    for (std::size_t m = 0; m < M; ++m) {
      double sum = b;
      for (std::size_t j = 0; j < d; ++j) sum += w[j] * data_.x[m * d + j];
      zi[m] = sum;
    }
  }
  evaluateActivation(net_.activation, z, n * M, s0, s1, nullptr);
}

void GaussNewtonGrid::applySteps(const std::vector<double>& A, std::size_t C, std::vector<double>& f1,
                                 std::vector<double>& maxUpdate, std::vector<double>& stepNorm) const {
  // Every parameter's row of J_block^T, q = d + 2 per neuron; a frozen group's rows are zero (docs/MATH.md
  // section 1.2), so its change is 0 and stepBlock reads the full layout.
  const std::size_t M = data_.size, q = net_.fullBlockSize(), d = net_.inputDim, N = net_.width, block = blockNeurons(q, M);
  const std::size_t blocks = (N + block - 1) / block;
  const bool keep = s0_.size() > 0;
  const TrainableGroups& tg = net_.trainable;
  std::vector<double> xMax(d, 0.0);
  for (std::size_t m = 0; m < M; ++m)
    for (std::size_t j = 0; j < d; ++j) xMax[j] = std::max(xMax[j], std::fabs(data_.x[m * d + j]));
  const BlockContext ctx{net_, data_, xMax.data(), C, net_.activation == Activation::Tanh, TaylorDegrees()};
  const bool avx2 = cpuHasAvx2Fma();
  const std::size_t T = std::min(blocks, workerCount(N, M * C));
  Buffer partial(blocks * C * M), blockNorm(blocks * C);
  std::vector<std::vector<double>> threadMax(T, std::vector<double>(C, 0.0));
  const double s = net_.scale();
  {
    const BlasScope blas(BlasMode::SingleThreaded);  // each worker thread runs its own DGEMM calls
    parallelFor(blocks, T, [&](std::size_t begin, std::size_t end, std::size_t t) {
      Buffer z(block * M), s0(block * M), s1(block * M), Jt(block * q * M);
      BlockScratch scratch(block, M, q, C);
      for (std::size_t k = begin; k < end; ++k) {
        const std::size_t first = k * block, n = std::min(block, N - first);
        const double* S0 = keep ? s0_.data() + first * M : s0.data();
        const double* S1 = keep ? s1_.data() + first * M : s1.data();
        if (!keep) blockValues(first, n, z.data(), s0.data(), s1.data());
        // J_block^T (q n x M, row-major): row i q + a holds parameter a of neuron i at every point.
        for (std::size_t i = 0; i < n; ++i) {
          const double sc = s * net_.c[first + i];
          double* rows = Jt.data() + i * q * M;
          for (std::size_t m = 0; m < M; ++m) {
            rows[d * M + m] = sc * S1[i * M + m];
            rows[(d + 1) * M + m] = s * S0[i * M + m];
          }
          for (std::size_t j = 0; j < d; ++j)
            for (std::size_t m = 0; m < M; ++m) rows[j * M + m] = tg.W ? rows[d * M + m] * data_.x[m * d + j] : 0.0;
          if (!tg.b) std::fill(rows + d * M, rows + (d + 1) * M, 0.0);
          if (!tg.c) std::fill(rows + (d + 1) * M, rows + (d + 2) * M, 0.0);
        }
        // Every step of the block at once: Delta = J_block^T A (q n x C).
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(n * q), static_cast<int>(C),
                    static_cast<int>(M), 1.0, Jt.data(), static_cast<int>(M), A.data(), static_cast<int>(C), 0.0,
                    scratch.delta.data(), static_cast<int>(C));
        double* f = partial.data() + k * C * M;
        double* norm2 = blockNorm.data() + k * C;
        std::fill(f, f + C * M, 0.0);
        std::fill(norm2, norm2 + C, 0.0);
        stepBlockBest(ctx, first, n, S0, scratch, f, norm2, threadMax[t].data(), avx2);
      }
    });
  }
  f1.assign(C * M, 0.0);
  for (std::size_t k = 0; k < blocks; ++k)
    for (std::size_t j = 0; j < C * M; ++j) f1[j] += partial[k * C * M + j];
  for (double& x : f1) x *= s;
  maxUpdate.assign(C, 0.0);
  stepNorm.assign(C, 0.0);
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t c = 0; c < C; ++c) maxUpdate[c] = std::max(maxUpdate[c], threadMax[t][c]);
  for (std::size_t k = 0; k < blocks; ++k)
    for (std::size_t c = 0; c < C; ++c) stepNorm[c] += blockNorm[k * C + c];
  for (double& x : maxUpdate) x = std::sqrt(x);
  for (double& x : stepNorm) x = std::sqrt(x);
}

}  // namespace nntk
