#include "cross_kernels.hpp"

#include <cblas.h>

#include <algorithm>

#include "blas_threads.hpp"
#include "failure.hpp"
#include "parallel.hpp"
#include "structured_system.hpp"

namespace nntk {
namespace {
constexpr const char* kAdvice = "the cross kernels hold Mt x M matrices per thread; use fewer test or training points";
constexpr double kChunkBytes = 32.0 * 1024.0 * 1024.0;
}  // namespace

CrossAccumulator::CrossAccumulator(std::size_t rows, std::size_t columns, std::size_t capacity)
    : rows_(rows), columns_(columns), capacity_(std::max<std::size_t>(1, capacity)), A_(rows * capacity_, kAdvice),
      B_(columns * capacity_, kAdvice), H_(rows * columns, kAdvice) {
  H_.fill(0.0);
}

void CrossAccumulator::next(double*& a, double*& b) {
  if (used_ == capacity_) flush();
  a = A_.data() + rows_ * used_;
  b = B_.data() + columns_ * used_;
  ++used_;
}

void CrossAccumulator::flush() {
  if (used_ == 0) return;
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows_), static_cast<int>(columns_), static_cast<int>(used_), 1.0,
              A_.data(), static_cast<int>(rows_), B_.data(), static_cast<int>(columns_), 1.0, H_.data(), static_cast<int>(rows_));
  used_ = 0;
}

std::size_t crossChunk(std::size_t rows, std::size_t columns, std::size_t wanted) {
  const double perColumn = 8.0 * static_cast<double>(rows + columns);
  return std::max<std::size_t>(1, std::min<std::size_t>(wanted, static_cast<std::size_t>(kChunkBytes / perColumn)));
}

CrossKernel ntkCross(const NetView& net, const DataView& data, const DataView& test) {
  const std::size_t M = data.size, Mt = test.size, q = net.blockSize();
  const std::size_t T = std::max<std::size_t>(1, std::min(workerCount(net.width, M + Mt), net.width));
  std::vector<CrossAccumulator> acc;
  std::vector<std::vector<double>> diag(T, std::vector<double>(Mt, 0.0));
  for (std::size_t t = 0; t < T; ++t) acc.emplace_back(Mt, M, crossChunk(Mt, M, 1024 * q));
  {
    const BlasScope scope(BlasMode::SingleThreaded);
    parallelFor(net.width, T, [&](std::size_t begin, std::size_t end, std::size_t t) {
      NeuronValues train(net, data), probe(net, test);
      std::vector<double> J(M * q), Jt(Mt * q);
      for (std::size_t i = begin; i < end; ++i) {
        train.evaluate(i, Order::First);
        train.jacobian(J.data(), M);
        probe.evaluate(i, Order::First);
        probe.jacobian(Jt.data(), Mt);
        for (std::size_t a = 0; a < q; ++a) {
          double *pa = nullptr, *pb = nullptr;
          acc[t].next(pa, pb);
          std::copy(Jt.data() + a * Mt, Jt.data() + (a + 1) * Mt, pa);
          std::copy(J.data() + a * M, J.data() + (a + 1) * M, pb);
          for (std::size_t m = 0; m < Mt; ++m) diag[t][m] += Jt[a * Mt + m] * Jt[a * Mt + m];
        }
      }
      acc[t].flush();
    });
  }
  CrossKernel out{Mt, M, std::vector<double>(Mt * M, 0.0), std::vector<double>(Mt, 0.0)};
  const double invM = 1.0 / static_cast<double>(M);
  for (std::size_t t = 0; t < T; ++t) {
    const Buffer& H = acc[t].sum();
    for (std::size_t r = 0; r < Mt; ++r) {
      for (std::size_t c = 0; c < M; ++c) out.cross[r * M + c] += H[r + c * Mt] * invM;
      out.diagonal[r] += diag[t][r] * invM;
    }
  }
  requireFinite(out.cross.data(), out.cross.size(), "cross NTK");
  return out;
}

CrossKernel nntkCross(const NetView& net, const DataView& data, const DataView& test, const StepRequest& request) {
  StructuredSystem system(net, data, request.curvature, request.lambda, structuredOptions(request));
  return system.crossKernel(test);
}

}  // namespace nntk
