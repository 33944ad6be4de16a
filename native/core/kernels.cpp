#include "kernels.hpp"

#include <algorithm>
#include <cmath>

#include "failure.hpp"
#include "signed_gram.hpp"
#include "structured_system.hpp"

namespace nntk {

Gram ntkGram(const NetView& net, const DataView& data) {
  const std::size_t M = data.size, q = net.blockSize(), N = net.width;
  constexpr std::size_t perTask = 1024;      // neurons between two DSYRK folds, when their columns fit the chunk budget
  constexpr std::size_t minPerSlot = 256;    // neurons per slot at least, so a slot's folds stay BLAS-3 sized
  const std::size_t slots = gramSlots(N, M, minPerSlot);
  const std::size_t T = std::max<std::size_t>(1, std::min(workerCount(N, M), slots));
  const std::size_t perSlot = (N + slots - 1) / slots;  // the most neurons one slot holds
  const std::size_t columns = gramChunkColumns(M, std::min(perTask, perSlot) * q);
  std::vector<SignedGram> grams;
  std::vector<NeuronValues> values;
  std::vector<Buffer> J;
  for (std::size_t t = 0; t < T; ++t) {
    grams.emplace_back(M, columns);
    values.emplace_back(net, data);
    J.emplace_back(M * q, "one neuron's M x (d + 2) Jacobian block per thread does not fit; use fewer data points");
  }
  // J's columns for neuron i go into the thread's DSYRK buffer (MATH.md section 5: B = J J^T / M).
  const Buffer G = streamNeurons(N, M, slots, grams, [&](std::size_t i, std::size_t t, std::size_t) {
    values[t].evaluate(i, Order::First);
    values[t].jacobian(J[t].data(), M);
    for (std::size_t a = 0; a < q; ++a) {
      double* const dst = grams[t].nextColumn(true);
      const double* col = J[t].data() + a * M;
      for (std::size_t m = 0; m < M; ++m) dst[m] = col[m];
    }
  });
  Gram out{M, std::vector<double>(M * M)};
  const double invM = 1.0 / static_cast<double>(M);
  for (std::size_t b = 0; b < M; ++b)
    for (std::size_t a = b; a < M; ++a) out.values[a * M + b] = out.values[b * M + a] = G[a + b * M] * invM;
  if (data.loss.weighted()) {
    // The loss-weighted NTK diag(l'')^1/2 B diag(l'')^1/2 (MATH.md section 5): the M x M twin of J^T diag(l'') J / M.
    std::vector<double> r(M), h(M);
    evaluateLoss(net, data, r.data(), h.data());
    requireFinite(r.data(), M, "output");
    for (double& v : h) v = std::sqrt(v);
    for (std::size_t a = 0; a < M; ++a)
      for (std::size_t b = 0; b < M; ++b) out.values[a * M + b] *= h[a] * h[b];
  }
  requireFinite(out.values.data(), out.values.size(), "NTK Gram matrix");
  return out;
}

Gram nntkGram(const NetView& net, const DataView& data, const StepRequest& request) {
  StructuredSystem system(net, data, request.curvature, request.lambda, structuredOptions(request));
  Gram out{data.size, std::vector<double>(data.size * data.size)};
  system.nntkGram(out.values.data());
  return out;
}

}  // namespace nntk
