// Runner for the core tests.
//   nntk_core_tests              every case
//   nntk_core_tests SUITE...     the cases of these suites (CTest runs one suite per test)
//   nntk_core_tests --list       the suite names, one a line
//   --verbose                    also print the measured errors of passing checks
//   --canary address|undefined   commit a heap overflow or a signed overflow on purpose, so that
//                                scripts/test-sanitize.mjs can see that the sanitizers are really on
// Exit status 0 when every check passed, 1 when any failed, 2 for a bad command line.
#include <climits>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "check.hpp"
#include "core/failure.hpp"

namespace nntk::test {

std::string sci(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", v);
  return text;
}

bool Context::check(bool ok, const std::string& what) {
  ++checks_;
  if (!ok) {
    ++failures_;
    std::printf("  FAIL %s: %s\n", name_.c_str(), what.c_str());
  }
  return ok;
}

bool Context::near(double actual, double expected, double tolerance, const std::string& what) {
  const double err = std::fabs(actual - expected);
  const bool ok = err <= tolerance;  // false for NaN
  if (ok && verbose) note(what + ": error " + sci(err) + " (tolerance " + sci(tolerance) + ")");
  return check(ok, what + ": got " + sci(actual) + ", expected " + sci(expected) + ", error " + sci(err) +
                       " > tolerance " + sci(tolerance));
}

bool Context::atMost(double actual, double bound, const std::string& what) {
  const bool ok = actual <= bound;  // false for NaN
  if (ok && verbose) note(what + ": " + sci(actual) + " (bound " + sci(bound) + ")");
  return check(ok, what + ": " + sci(actual) + " > bound " + sci(bound));
}

void Context::note(const std::string& text) { std::printf("  note %s: %s\n", name_.c_str(), text.c_str()); }

}  // namespace nntk::test

namespace {

// Undefined behaviour on purpose, behind values the compiler cannot see through.
int canary(const char* kind, int argc) {  // argc is 3
  if (std::strcmp(kind, "address") == 0) {
    const auto values = std::make_unique<volatile int[]>(4);
    volatile std::size_t pastTheEnd = 4;
    return values[pastTheEnd];
  }
  if (std::strcmp(kind, "undefined") == 0) {
    volatile int big = INT_MAX;
    return big + argc;  // signed overflow
  }
  std::fprintf(stderr, "--canary takes address or undefined\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace nntk::test;
  if (argc == 3 && std::strcmp(argv[1], "--canary") == 0) return canary(argv[2], argc) == 0 ? 0 : 3;
  std::vector<Case> cases;
  addSymmetricFactorCases(cases);
  addSmallEigenCases(cases);
  addStructuredCases(cases);
  addDeflationCases(cases);
  addKernelCases(cases);
  addPrimalCases(cases);

  std::set<std::string> suites, wanted;
  for (const Case& c : cases) suites.insert(c.suite);
  bool verbose = false;
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--list") == 0) {
      for (const std::string& s : suites) std::printf("%s\n", s.c_str());
      return 0;
    }
    if (std::strcmp(argv[a], "--verbose") == 0) {
      verbose = true;
    } else if (suites.count(argv[a]) > 0) {
      wanted.insert(argv[a]);
    } else {
      std::fprintf(stderr, "unknown suite or option '%s' (--list shows the suites)\n", argv[a]);
      return 2;
    }
  }

  std::size_t failedCases = 0, ran = 0, checks = 0;
  for (const Case& c : cases) {
    if (!wanted.empty() && wanted.count(c.suite) == 0) continue;
    Context ctx(c.suite + "/" + c.name);
    ctx.verbose = verbose;
    try {
      c.run(ctx);
    } catch (const nntk::Failure& f) {
      ctx.check(false, "threw " + std::string(f.codeName()) + ": " + f.what());
    } catch (const std::exception& e) {
      ctx.check(false, std::string("threw: ") + e.what());
    }
    if (ctx.checks() == 0) ctx.check(false, "the case made no checks");
    ++ran;
    checks += ctx.checks();
    if (ctx.failures() > 0) ++failedCases;
    std::printf("%s %s/%s (%zu checks)\n", ctx.failures() == 0 ? "ok  " : "FAIL", c.suite.c_str(), c.name.c_str(),
                ctx.checks());
  }
  std::printf("%zu cases, %zu checks, %zu failed cases\n", ran, checks, failedCases);
  return failedCases == 0 ? 0 : 1;
}
