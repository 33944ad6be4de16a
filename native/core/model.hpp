// The shallow network f(x) = (a / N^beta) sum_i c_i sigma(w_i . x + b_i) and its exact derivatives
// (docs/MATH.md sections 1-2; the output scale a of section 1.1), evaluated one neuron at a time: a neuron's values at all M data points
// are contiguous, so the dense and the structured solvers share every formula and no solver needs
// more than one neuron's (or one chunk's) derivatives at once.
#pragma once
#include <cstddef>
#include <vector>

#include "activation.hpp"
#include "buffer.hpp"
#include "loss.hpp"

namespace nntk {

// Non-owning view of a network's parameters; W is width x inputDim, row-major.
// The largest network nntk accepts: P = width (inputDim + 2) parameters, 4 GiB of them
// (src/model.ts has the same limit; the contract test compares the two).
constexpr std::size_t kMaxParameterCount = std::size_t{1} << 29;
// The largest data set: M inputDim numbers in x (the same limit as one parameter array).
constexpr std::size_t kMaxDataValues = std::size_t{1} << 29;

// Which parameter groups train (docs/MATH.md section 1.2), by name; frozen groups keep their values and
// are left out of J, the curvature, the gradient and every step. Default: all three.
struct TrainableGroups {
  bool W = true, b = true, c = true;
  bool all() const { return W && b && c; }
};

struct NetView {
  std::size_t width = 0, inputDim = 0;
  double beta = 0.52;
  double outputScale = 1.0;  // the factor a (docs/MATH.md section 1.1); finite and nonzero
  Activation activation = Activation::Tanh;
  const double *W = nullptr, *b = nullptr, *c = nullptr;
  TrainableGroups trainable{};

  double scale() const;  // s = a N^-beta (docs/MATH.md section 1.1)
  // Parameters per neuron, q = d + 2, whether they train or not (the parameter arrays, addStep's base).
  std::size_t fullBlockSize() const { return inputDim + 2; }
  // Trainable parameters per neuron, q' (docs/MATH.md section 1.2): every P-length vector of the core
  // (J's columns, gradients, curvature blocks, steps) holds q' values per neuron, in the order
  // (w (d, when W trains), b (when b trains), c (when c trains)).
  std::size_t blockSize() const { return (trainable.W ? inputDim : 0) + (trainable.b ? 1 : 0) + (trainable.c ? 1 : 0); }
  std::size_t parameterCount() const { return width * blockSize(); }  // P' (= P when every group trains)
  // Positions within a neuron's trainable block; meaningful only when that group trains.
  std::size_t biasColumn() const { return trainable.W ? inputDim : 0; }
  std::size_t outputColumn() const { return biasColumn() + (trainable.b ? 1 : 0); }
};

// Non-owning view of a data set and the loss measured on it (docs/MATH.md section 1.3); x is size x inputDim,
// row-major.
struct DataView {
  std::size_t size = 0, inputDim = 0;
  const double *x = nullptr, *y = nullptr;
  Loss loss = {};
};

// Owning copies, for work that runs on another thread while JavaScript may touch the originals.
struct OwnedNet {
  std::size_t width = 0, inputDim = 0;
  double beta = 0.52;
  double outputScale = 1.0;
  Activation activation = Activation::Tanh;
  std::vector<double> W, b, c;
  TrainableGroups trainable{};
  NetView view() const { return {width, inputDim, beta, outputScale, activation, W.data(), b.data(), c.data(), trainable}; }
};
struct OwnedData {
  std::size_t size = 0, inputDim = 0;
  std::vector<double> x, y;
  Loss loss = {};
  DataView view() const { return {size, inputDim, x.data(), y.data(), loss}; }
};

// How many derivatives of sigma a computation needs.
enum class Order { Value = 0, First = 1, Second = 2 };

// One neuron i at every data point: z = w_i . x + b_i and sigma, sigma', sigma'' of it, and the neuron's
// derivative formulas (MATH.md section 2). Reused across neurons by one thread.
class NeuronValues {
 public:
  NeuronValues(const NetView& net, const DataView& data);
  void evaluate(std::size_t neuron, Order order);

  std::size_t neuron() const { return neuron_; }
  const double* sigma() const { return s0_.data(); }
  const double* sigmaPrime() const { return s1_.data(); }
  double scale() const { return scale_; }  // s = a N^-beta, computed once
  // Columns of J for this neuron's q' trainable parameters: column a at J + a * ld (M values each).
  void jacobian(double* J, std::size_t ld) const;
  // J_i^T v: q' values (the gradient is J_i^T r / M), summed in data-point order.
  void jacobianTransposeTimes(const double* v, double* out) const;
  // D_i = (1/M) sum_m r_m hess f(x_m) restricted to this neuron's trainable parameters: q' x q', row-major,
  // symmetric (the principal submatrix of the full q x q block, docs/MATH.md section 1.2).
  void curvatureBlock(const double* r, double* D) const;

 private:
  void fullCurvatureBlock(const double* r, double* D) const;  // q x q, every parameter of the neuron

  const NetView& net_;
  const DataView& data_;
  std::size_t neuron_ = 0;
  double scale_;
  Buffer z_, s0_, s1_, s2_;
};

// z_m = w_i . x_m + b_i for neuron i at the M data points.
void neuronInputs(const NetView& net, const DataView& data, std::size_t neuron, double* z);

// J_i^T v for neuron i from sigma and sigma' at the M points (q' values, neuron-major order), with
// s = a N^-beta passed in. The sums over the points run in point order (SumOrder::Points), or, for inputDim 1,
// in neuron_kernels' kLanes lanes (SumOrder::Lanes: several times faster, with different rounding).
// Either way the result depends only on the inputs, never on a thread count. sigmaPrime may be null when
// derivativeFromValue(activation): sigma' is then recovered from sigma.
enum class SumOrder { Points, Lanes };
template <SumOrder Order>
void neuronTransposeTimes(const NetView& net, const DataView& data, std::size_t neuron, double s, const double* sigma,
                          const double* sigmaPrime, const double* v, double* out);

// f over fixed blocks of kNeuronBlock neurons (predict): block k's partial sums sum_{i in block} c_i sigma_i(x_m)
// at partial + k * count, added in block order, so that f does not depend on how blocks are spread over threads.
constexpr std::size_t kNeuronBlock = 512;
// Neuron i's sigma (and sigma', when sigmaPrime is not null) at the data points, and its share of its
// block's partial sums: fBlock += c_i sigma. z is scratch for M values. tanh at inputDim 1 takes one pass
// (tanhNeuron) with the same bits.
void evaluateNeuron(const NetView& net, const DataView& data, std::size_t neuron, double* z, double* sigma,
                    double* sigmaPrime, double* fBlock);
// out_m = s sum_k partial[k * count + m], k in block order.
void sumBlocks(const double* partial, std::size_t blocks, std::size_t count, double s, double* out);
// r = l'(f, y) in place (r holds f on entry; the square loss's l' is f - y); returns L (docs/MATH.md section 1.3).
double subtractTargets(const DataView& data, double* r);

// Threads for a loop over `width` neurons at `points` data points: the user's setting (setThreads), or
// one thread when the work is too small to amortize starting threads.
std::size_t workerCount(std::size_t width, std::size_t points);

void predict(const NetView& net, const double* x, std::size_t count, double* out);
// r = l'(f(x), y) (f - y for the square loss); returns the loss L (docs/MATH.md section 1.3).
double residual(const NetView& net, const DataView& data, double* r);
// The same, with l''(f(x), y) into curvature (when not null) and the accuracy of a classification loss.
LossValue evaluateLoss(const NetView& net, const DataView& data, double* r, double* curvature);
// J as M x P column-major (leading dimension M): parameter p's M values are contiguous.
void jacobianColumns(const NetView& net, const DataView& data, double* J);
// J as M x P row-major, the public layout.
void jacobianRows(const NetView& net, const DataView& data, double* J);
void gradient(const NetView& net, const DataView& data, const double* r, double* g);
void curvatureBlocks(const NetView& net, const DataView& data, const double* r, double* D);

// target = base + alpha * step, step in the flat neuron-major order of the trainable parameters (q' per
// neuron, docs/MATH.md sections 1 and 1.2); frozen groups are copied from base. target must have base's sizes.
void addStep(OwnedNet& target, const NetView& base, const double* step, double alpha);
// The positions A of the trainable parameters within a neuron's full block (w (d), b, c): q' of them.
std::vector<std::size_t> trainableIndices(const NetView& net);
// Neuron i's q' trainable entries of a full q-vector (w (d), b, c), in blockSize()'s order.
void selectTrainable(const NetView& net, const double* full, double* out);
// max_i |alpha (dw_i, db_i, dc_i)| over the width neurons of a neuron-major step of q values each (the
// paper's Lemma 9 quantity, docs/MATH.md section 5; q = q' for a step of the trainable parameters).
double maxNeuronUpdate(const double* step, std::size_t width, std::size_t q, double alpha);

}  // namespace nntk
