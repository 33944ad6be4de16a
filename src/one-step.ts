/**
 * One exact step from one network at many regularizations and targets (docs/MATH.md sections 5-6, the
 * paper's Figures 1-2): for each (data set, lambda), the loss after the step, the largest per-neuron
 * update (Lemma 9) and the finite-width NNTK. The data sets share their inputs x, so everything that
 * depends only on the network and x is computed once. Gauss-Newton builds B = J J^T / M once, solves each
 * lambda as an M x M Cholesky and applies every step in one more pass over the neurons; Newton builds the
 * structured system per (data set, lambda) and takes both the step and the NNTK from it. The results
 * equal newtonStep + withStep + nntkGram per point, at a fraction of the cost.
 */
import { CURVATURES, type FactorizationName } from './contract.js';
import { type Dataset, requireDataset } from './dataset.js';
import { NntkError, type NntkErrorCode } from './errors.js';
import { memoryLimit, requireFits } from './memory.js';
import type { TwoLayerNet } from './model.js';
import { native, type Inertia, type NativeOneStepGrid } from './native.js';
import { type Curvature, options as readOptions, problem, type Regularization, resolveLambda } from './request.js';
import { invalid, isPlainObject, requireOneOf } from './validate.js';

export interface OneStepGridOptions {
  /** One step per entry ({ gamma } or { lambda }, as in newtonStep). */
  regularizations: readonly Regularization[];
  /** Default 'newton', as in newtonStep. */
  curvature?: Curvature;
  /** Cap on the results (one M x M NNTK per point) and buffers, in bytes (default 4 GiB). */
  memoryLimitBytes?: number;
}

export interface OneStepGridPoint {
  readonly lambda: number;
  /** L(theta_0 + step). */
  readonly lossAfter: number;
  /** max_i |(dw_i, db_i, dc_i)| of the step. */
  readonly maxNeuronUpdate: number;
  readonly stepNorm: number;
  /** Of C + lambda I. */
  readonly inertia: Inertia;
  /** J (C + lambda I)^-1 J^T / M (M x M, row-major). */
  readonly nntk: Float64Array;
  /** The factorization that ran: 'structured-woodbury[-deflated]' (Newton) or 'gauss-newton-kernel-cholesky'. */
  readonly solver: FactorizationName;
}

/** A system that is singular to working precision: the error it raised; the other points are unaffected. */
export interface OneStepGridFailure {
  readonly lambda: number;
  readonly error: NntkError;
}

export interface OneStepGridResult {
  /** The network's outputs at the (shared) inputs. */
  readonly f0: Float64Array;
  /** B = J J^T / M (Gauss-Newton only). */
  readonly ntk?: Float64Array;
  /** One entry per data set, in the order given: L(theta_0) and one point per regularization. */
  readonly datasets: { loss: number; points: (OneStepGridPoint | OneStepGridFailure)[] }[];
}

const MAX_POINTS = 10000;

function sameInputs(a: Dataset, b: Dataset): boolean {
  return a.size === b.size && a.inputDim === b.inputDim && a.x.every((v, k) => Object.is(v, b.x[k]));
}

function prepare(netArg: unknown, dataArg: unknown, value: unknown) {
  if (Array.isArray(dataArg) && (dataArg.length === 0 || dataArg.length > MAX_POINTS)) {
    throw invalid('E_ARGUMENT', 'data', `a Dataset or 1 to ${MAX_POINTS} Datasets`, dataArg);
  }
  const list = (Array.isArray(dataArg) ? [...dataArg] : [dataArg]).map((d, k) => requireDataset(d, Array.isArray(dataArg) ? `data[${k}]` : 'data'));
  const first = list[0]!;
  const { net, nativeNet, nativeData } = problem(netArg, first);
  list.forEach((d, k) => {
    if (!sameInputs(d, first)) throw new NntkError('E_SHAPE', `data[${k}] has other inputs x than data[0]; the data sets must share x (only y may differ)`);
  });
  const options = readOptions(value, 'oneStepGrid options', ['regularizations', 'curvature', 'memoryLimitBytes'], '{ regularizations, curvature? }');
  const regs = options.regularizations;
  if (!Array.isArray(regs) || regs.length === 0 || regs.length > MAX_POINTS) {
    throw invalid('E_ARGUMENT', 'regularizations', `an array of 1 to ${MAX_POINTS} { gamma } or { lambda } objects`, regs);
  }
  const lambdas = Float64Array.from(regs, (r: unknown) => resolveLambda(r, net.width, net.beta));
  const curvature = requireOneOf(options.curvature ?? 'newton', 'curvature', CURVATURES);
  const kernels = (list.length * lambdas.length + 1) * first.size ** 2;
  requireFits(8 * kernels, memoryLimit(options.memoryLimitBytes), `${list.length * lambdas.length} NNTKs of ${first.size} x ${first.size}`,
    'use fewer regularizations, data sets or data points per call');
  const targets = new Float64Array(list.length * first.size);
  list.forEach((d, k) => targets.set(d.y, k * first.size));
  return [nativeNet, nativeData, curvature, lambdas, targets] as const;
}

function toResult(raw: NativeOneStepGrid): OneStepGridResult {
  return {
    f0: raw.f0,
    ...(raw.ntk ? { ntk: raw.ntk } : {}),
    datasets: raw.targets.map((t) => ({
      loss: t.loss,
      points: t.points.map((p) =>
        p.errorCode !== undefined
          ? { lambda: p.lambda, error: new NntkError(p.errorCode as NntkErrorCode, p.error ?? '') }
          : (p as OneStepGridPoint),
      ),
    })),
  };
}

/** True for a point whose step was computed. */
export function isStepPoint(p: OneStepGridPoint | OneStepGridFailure): p is OneStepGridPoint {
  if (!isPlainObject(p)) throw invalid('E_ARGUMENT', 'point', 'a point of a oneStepGrid result', p);
  return !('error' in p);
}

/** One exact step per (data set, regularization), computed on a worker thread (the inputs are copied first). */
export async function oneStepGrid(net: TwoLayerNet, data: Dataset | readonly Dataset[], o: OneStepGridOptions): Promise<OneStepGridResult> {
  return toResult(await native().oneStepGrid(...prepare(net, data, o)));
}

/** The blocking twin of oneStepGrid. */
export function oneStepGridSync(net: TwoLayerNet, data: Dataset | readonly Dataset[], o: OneStepGridOptions): OneStepGridResult {
  return toResult(native().oneStepGridSync(...prepare(net, data, o)));
}
