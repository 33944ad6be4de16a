// Thin wrapper over native/core/symmetric_eigen.hpp. The matrix was validated in TypeScript
// (src/kernels.ts: square, finite, symmetric up to rounding); the checks here only guard the raw addon.
#include "eigen_glue.hpp"

#include <cmath>
#include <string>

#include "convert.hpp"
#include "core/symmetric_eigen.hpp"

namespace nntk::glue {
namespace {

// symmetricEigen(matrix: Float64Array of n * n entries, n) -> { values (ascending), vectors (n x n, row-major) }.
// Blocks: the public function is synchronous (a few hundred rows take milliseconds).
Napi::Value SymmetricEigen(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const auto matrix = float64Argument(info[0], "matrix");
    const std::size_t n = sizeArgument(info[1], "n", 94906265);  // n * n stays exact in a double
    if (n == 0) fail(ErrorCode::Argument, "expected a positive integer for n");
    if (matrix.ElementLength() != n * n)
      fail(ErrorCode::Shape, "matrix has " + std::to_string(matrix.ElementLength()) + " entries, expected n * n = " +
                                 std::to_string(n * n));
    const SymmetricEigenResult result = symmetricEigen(matrix.Data(), n);
    auto out = Napi::Object::New(env);
    out.Set("values", toFloat64Array(env, result.values));
    out.Set("vectors", toFloat64Array(env, result.vectors));
    return out;
  });
}

}  // namespace

void registerEigen(Napi::Env env, Napi::Object exports) {
  exports.Set("symmetricEigen", Napi::Function::New(env, SymmetricEigen));
}

}  // namespace nntk::glue
