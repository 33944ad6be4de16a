#include "cross_kernels.hpp"

#include <cblas.h>

#include <algorithm>

#include "blas_threads.hpp"
#include "failure.hpp"
#include "parallel.hpp"
#include "structured_system.hpp"

namespace nntk {
namespace {
constexpr std::size_t kMinNeuronsPerSlot = 256;  // neurons per slot at least (parallel.hpp)
constexpr const char* kAdvice = "the cross kernels hold Mt x M matrices per thread; use fewer test or training points";
constexpr double kChunkBytes = 32.0 * 1024.0 * 1024.0;
constexpr double kCrossSlotBytes = 256.0 * 1024.0 * 1024.0;  // the slots' accumulators together (two slots at least)
}  // namespace

CrossAccumulator::CrossAccumulator(std::size_t rows, std::size_t columns, std::size_t capacity)
    : rows_(rows), columns_(columns), capacity_(std::max<std::size_t>(1, capacity)), A_(rows * capacity_, kAdvice),
      B_(columns * capacity_, kAdvice) {}

void CrossAccumulator::next(double*& a, double*& b) {
  if (used_ == capacity_) flush();
  a = A_.data() + rows_ * used_;
  b = B_.data() + columns_ * used_;
  ++used_;
}

void CrossAccumulator::flush() {
  if (used_ == 0) return;
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows_), static_cast<int>(columns_), static_cast<int>(used_), 1.0,
              A_.data(), static_cast<int>(rows_), B_.data(), static_cast<int>(columns_), 1.0, H_, static_cast<int>(rows_));
  used_ = 0;
}

std::size_t crossChunk(std::size_t rows, std::size_t columns, std::size_t wanted) {
  const double perColumn = 8.0 * static_cast<double>(rows + columns);
  return std::max<std::size_t>(1, std::min<std::size_t>(wanted, static_cast<std::size_t>(kChunkBytes / perColumn)));
}

std::size_t crossSlots(std::size_t width, std::size_t rows, std::size_t columns, std::size_t minPerSlot) {
  const double bytes = 8.0 * static_cast<double>(rows * columns + rows);
  const auto cap = static_cast<std::size_t>(std::max(2.0, kCrossSlotBytes / std::max(bytes, 1.0)));
  return slotCount(width, minPerSlot, cap);
}

CrossKernel ntkCross(const NetView& net, const DataView& data, const DataView& test) {
  const std::size_t M = data.size, Mt = test.size, q = net.blockSize();
  const std::size_t T = std::max<std::size_t>(1, std::min(workerCount(net.width, M + Mt), net.width));
  const CrossSum sum = streamCross(net.width, Mt, M, kMinNeuronsPerSlot, T, 1024 * q,
                                   [&](std::size_t begin, std::size_t end, std::size_t, std::size_t, double* diag, CrossAccumulator& acc) {
    NeuronValues train(net, data), probe(net, test);
    std::vector<double> J(M * q), Jt(Mt * q);
    for (std::size_t i = begin; i < end; ++i) {
      train.evaluate(i, Order::First);
      train.jacobian(J.data(), M);
      probe.evaluate(i, Order::First);
      probe.jacobian(Jt.data(), Mt);
      for (std::size_t a = 0; a < q; ++a) {
        double *pa = nullptr, *pb = nullptr;
        acc.next(pa, pb);
        std::copy(Jt.data() + a * Mt, Jt.data() + (a + 1) * Mt, pa);
        std::copy(J.data() + a * M, J.data() + (a + 1) * M, pb);
        for (std::size_t m = 0; m < Mt; ++m) diag[m] += Jt[a * Mt + m] * Jt[a * Mt + m];
      }
    }
  });
  CrossKernel out{Mt, M, std::vector<double>(Mt * M, 0.0), std::vector<double>(Mt, 0.0)};
  const double invM = 1.0 / static_cast<double>(M);
  for (std::size_t r = 0; r < Mt; ++r) {
    for (std::size_t c = 0; c < M; ++c) out.cross[r * M + c] = sum.H[r + c * Mt] * invM;
    out.diagonal[r] = sum.diagonal[r] * invM;
  }
  requireFinite(out.cross.data(), out.cross.size(), "cross NTK");
  return out;
}

CrossKernel nntkCross(const NetView& net, const DataView& data, const DataView& test, const StepRequest& request) {
  StructuredSystem system(net, data, request.curvature, request.lambda, structuredOptions(request));
  return system.crossKernel(test);
}

}  // namespace nntk
