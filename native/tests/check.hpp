// A minimal test harness for the C++ core: named cases grouped in suites, non-fatal checks that print
// what disagreed and by how much, and a runner (main.cpp) that CTest calls once per suite.
#pragma once
#include <cmath>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace nntk::test {

// Collects the failures of one case; every check reports and lets the case go on.
class Context {
 public:
  explicit Context(std::string name) : name_(std::move(name)) {}

  // Returns ok, so a case can stop when a precondition failed.
  bool check(bool ok, const std::string& what);
  // |actual - expected| <= tolerance, printed with both values and the ratio of the error to the tolerance.
  bool near(double actual, double expected, double tolerance, const std::string& what);
  // actual <= bound (a relative error or a residual against what rounding explains).
  bool atMost(double actual, double bound, const std::string& what);
  template <typename T>
  bool equal(const T& actual, const T& expected, const std::string& what) {
    return check(actual == expected, what + ": got " + std::to_string(actual) + ", expected " + std::to_string(expected));
  }
  // A measured quantity worth seeing in the log (errors against their tolerance), printed with --verbose.
  void note(const std::string& text);

  std::size_t failures() const { return failures_; }
  std::size_t checks() const { return checks_; }
  bool verbose = false;

 private:
  std::string name_;
  std::size_t failures_ = 0, checks_ = 0;
};

struct Case {
  std::string suite, name;
  std::function<void(Context&)> run;
};

// Each test file adds its cases here (called from main.cpp).
void addSymmetricFactorCases(std::vector<Case>& cases);
void addSmallEigenCases(std::vector<Case>& cases);
void addStructuredCases(std::vector<Case>& cases);
void addDeflationCases(std::vector<Case>& cases);
void addKernelCases(std::vector<Case>& cases);
void addPrimalCases(std::vector<Case>& cases);

// "1.23e-15", for messages.
std::string sci(double v);

}  // namespace nntk::test
