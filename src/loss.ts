/**
 * The loss of a fit (docs/MATH.md section 1.3), an option of the steps, the kernels, the spectra and train:
 *   square:   L = (1/2M) sum_m (f_m - y_m)^2 (the default, and the only one of the paper's experiments);
 *   logistic: L = (1/M) sum_m log(1 + exp(-y_m f_m)), labels all in {-1, 1} or all in {0, 1} (mapped to -1, 1);
 *   huber:    L = (1/M) sum_m h(f_m - y_m), h(u) = u^2 / 2 for |u| <= delta, delta (|u| - delta / 2) beyond.
 * The native core reads the loss with the data (native/core/loss.hpp): l' replaces the residual f - y in the
 * gradient and in the Newton curvature's residual term, and l'' weights the rows of J in the Gauss-Newton
 * part J^T diag(l'') J / M.
 */
import { LOSSES, type LossName } from './contract.js';
import type { Dataset } from './dataset.js';
import { NntkError } from './errors.js';
import type { NativeData } from './native.js';
import { requireNumber, requireOneOf } from './validate.js';

export type Loss = LossName;

export interface LossOptions {
  /** 'square' (default), 'logistic' (binary labels) or 'huber'. */
  loss?: Loss;
  /** Huber's width delta > 0 (default 1): quadratic for |f - y| <= delta. Only with loss 'huber'. */
  huberDelta?: number;
}

/** The option keys a call that takes a loss allows. */
export const LOSS_KEYS = ['loss', 'huberDelta'] as const;

export interface ResolvedLoss {
  loss: Loss;
  huberDelta: number;
}

export const SQUARE_LOSS: ResolvedLoss = Object.freeze({ loss: 'square', huberDelta: 1 });

/** Reads { loss, huberDelta } from an options object whose keys were checked. */
export function resolveLoss(o: Record<string, unknown>): ResolvedLoss {
  const loss = o.loss === undefined ? 'square' : requireOneOf(o.loss, 'loss', LOSSES);
  if (o.huberDelta !== undefined && loss !== 'huber') {
    throw new NntkError('E_ARGUMENT', `huberDelta is the width of the Huber loss; it needs loss 'huber' (received loss '${loss}')`);
  }
  const huberDelta = o.huberDelta === undefined ? 1 : requireNumber(o.huberDelta, 'huberDelta', { above: 0 });
  return { loss, huberDelta };
}

/** Logistic labels in the core's {-1, 1}: {-1, 1} as given, {0, 1} mapped by y -> 2y - 1; anything else is E_ARGUMENT. */
function logisticLabels(y: Float64Array): Float64Array {
  let signs = true;
  let bits = true;
  for (const v of y) {
    if (v !== -1 && v !== 1) signs = false;
    if (v !== 0 && v !== 1) bits = false;
    if (!signs && !bits) {
      throw new NntkError(
        'E_ARGUMENT',
        `the logistic loss needs binary labels, all in {-1, 1} or all in {0, 1}; the data have the label ${v}. ` +
          "Use loss 'square' or 'huber' for regression targets",
      );
    }
  }
  return signs ? y : y.map((v) => 2 * v - 1);
}

/** The native view of the data with the loss measured on it. */
export function lossData(data: Dataset, loss: ResolvedLoss): NativeData {
  const base = { size: data.size, inputDim: data.inputDim, x: data.x, y: data.y };
  if (loss.loss === 'square') return base;
  if (loss.loss === 'logistic') return { ...base, y: logisticLabels(data.y), loss: 'logistic' };
  return { ...base, loss: 'huber', huberDelta: loss.huberDelta };
}
