/** nntk: exact regularized Newton and Gauss-Newton for wide shallow networks, and their kernels. */
export { NntkError, type NntkErrorCode } from './errors.js';
export { CURVATURES, DAMPINGS, ERROR_CODES, METHODS, SOLVER_KINDS, SPECTRA, type CurvatureName, type LossName, type Numbers, type SolverKind, type SpectrumName } from './contract.js';
export { ACTIVATIONS, type Activation } from './activation.js';
export { Dataset, datasets, type Basis, type DatasetInit, type PaperFigure1Options, type TwoMoonsOptions } from './dataset.js';
export { BUILTIN_DATASETS, loadDataset, type BuiltinDataset, type DataInput, type DatasetName, type LoadDatasetOptions } from './experiments/data-ref.js';
export { FACTORIZATIONS, LOSSES, TERMINATIONS, type FactorizationName } from './contract.js';
export type { Loss, LossOptions } from './loss.js';
export {
  TwoLayerNet,
  DEFAULT_DENSE_MEMORY_LIMIT,
  INITS,
  PARAMETER_GROUPS,
  type CreateOptions,
  type HessianOptions,
  type Init,
  type NetOrigin,
  type NetParameters,
  type NetParametersInput,
  type OutputWeights,
  type OutputWeightsOrigin,
  type ParameterGroup,
} from './model.js';
export {
  newtonStep,
  newtonStepSync,
  type Curvature,
  type Inertia,
  type Regularization,
  type Solver,
  type Spectrum,
  type StepOptions,
  type StepReport,
  type StepResult,
  type StepTimings,
} from './step.js';
export { resolveLambda } from './request.js';
export {
  curvatureSpectrum,
  curvatureSpectrumSync,
  type CurvatureSpectrum,
  type CurvatureSpectrumOptions,
  type SpectrumDensityOptions,
  type SpectrumHistogramOptions,
  type SpectrumMethod,
} from './spectrum.js';
export {
  ntkGram,
  ntkGramSync,
  nntkGram,
  nntkGramSync,
  symmetricEigen,
  type NtkGramOptions,
  type NntkGramOptions,
  type SymmetricEigen,
} from './kernels.js';
export {
  ntkGramLimit, ntkGramLimitSync, nntkGramLimit, nntkGramLimitSync, ntkCrossLimit, ntkCrossLimitSync, ntkDiagonalLimit, ntkDiagonalLimitSync,
  type NtkGramLimitOptions, type NntkGramLimitOptions, type NtkCrossLimitOptions, type NtkDiagonalLimitOptions, type LimitSetting,
} from './limit.js';
export { chooseSolver, estimateCosts, type ChoiceContext, type SolverChoice } from './solver-choice.js';
export {
  train,
  type Damping,
  type FirstOrderMethod,
  type FirstOrderStepRecord,
  type Method,
  type SecondOrderMethod,
  type SecondOrderStepRecord,
  type StepRecord,
  type StepRecordBase,
  type StepRecordOf,
  type Termination,
  type TrainingSolver,
  type TrainingSummary,
  type IterationTimings,
  type ResumeState,
  type TrainingRun,
  type TrainOptions,
  type TrainState,
} from './train.js';
export {
  oneStepGrid,
  oneStepGridSync,
  isStepPoint,
  type OneStepGridFailure,
  type OneStepGridOptions,
  type OneStepGridPoint,
  type OneStepGridResult,
} from './one-step.js';
export {
  ntkCross,
  ntkCrossSync,
  nntkCross,
  nntkCrossSync,
  LinearizedPredictor,
  linearizedPredictor,
  type CrossKernel,
  type NtkCrossOptions,
  type NntkCrossOptions,
  type KernelPredictorInit,
  type LinearizedPredictorOptions,
  type Prediction,
  type PredictorMethod,
  type PredictorTime,
} from './predict.js';
export { linearizedTrajectory, oneStepLoss, relativeFrobeniusError, type LinearizedTrajectoryOptions, type OneStepLoss } from './function-space.js';
export {
  fitExponentialRate,
  fitPowerLaw,
  studentTQuantile,
  type ExponentialRateFit,
  type ExponentialRateOptions,
  type PowerLawFit,
  type PowerLawOptions,
} from './fitting/index.js';
export { setThreads, getThreads } from './threads.js';
export {
  trainingRunFromJSON,
  trainingRunToJSON,
  toNpy,
  fromNpy,
  netToNpy,
  netFromNpy,
  type JsonNumber,
  type NetNpy,
  type NetNpyManifest,
  type NpyArray,
  type TrainingRunJSON,
  type TwoLayerNetJSON,
} from './serialize/index.js';
export { runSweep, runPlannedSweep, planSweep } from './sweep/api.js';
export type { SweepOptions, SweepResult } from './sweep/run-sweep.js';
export type { SweepSpec, SweepBlock, JobSpec, NetworkDefaults, ValueList } from './sweep/spec.js';
export type { PlannedSweep } from './sweep/expand.js';
export { sweepSchema } from './sweep/schema.js';
export type { Shard } from './sweep/shard.js';
export { EXPERIMENTS, type Experiment, type Job, type JobCurvature, type KernelJob, type NetworkParams, type OneStepJob, type TrainJob } from './experiments/jobs.js';
export type { DataRef } from './experiments/data-ref.js';
export type { Progress, RunSummary } from './runner/pool.js';
export type { FigureCurvature, RunDescription, TrainingMethod } from './report/types.js';
