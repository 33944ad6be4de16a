#include "lapack_checks.hpp"

#include <cmath>
#include <limits>

namespace nntk {

void checkArguments(const char* routine, lapack_int info) {
  if (info < 0)
    throw Failure(ErrorCode::Internal, std::string(routine) + " rejected argument " + std::to_string(-info) +
                                    "; this is a bug in nntk, please report it with the call that triggered it");
}

lapack_int workspaceLength(double query) {
  return static_cast<lapack_int>(std::ceil(query));
}

lapack_int toLapackInt(std::size_t n, const char* what) {
  if (n > static_cast<std::size_t>(std::numeric_limits<lapack_int>::max()))
    throw Failure(ErrorCode::TooLarge, std::string(what) + " exceeds LAPACK's 32-bit index range; use solver 'structured'");
  return static_cast<lapack_int>(n);
}

double machineEpsilon() { return LAPACK_dlamch("E"); }
double safeMinimum() { return LAPACK_dlamch("S"); }

}  // namespace nntk
