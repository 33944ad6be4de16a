/**
 * Which solver a step uses when the caller says 'auto': a cost model in units of DGEMM flops, with
 * rates measured by bench/ on the reference machine (README, "Choosing a solver").
 *   dense:      P^3 / 3 for the factorization (LDL^T runs at about 0.4 of the DGEMM rate, so x 2.5),
 *               M P^2 for the DSYRK assembly, and 4/3 P^3 at BLAS-2 speed (x 10) for extremal eigenvalues;
 *   structured: M^2 P for the capacitance DSYRK, about 40 flop-equivalents per activation value
 *               (3 passes over the M x N pre-activations), and about 100 extra sweeps for extremal
 *               eigenvalues by bisection;
 *   primal:     (Gauss-Newton only) the Householder QR of the (M + P) x P augmented system,
 *               2 P^2 (M + P - P / 3) flops at about half the DGEMM rate (x 2), plus the SVD of the P x P
 *               R for spectra, about 8/3 P^3 at BLAS-2 speed (x 10); 40 per activation value as above.
 *
 * The rule. A 'full' spectrum needs every eigenvalue: dense, or primal where primal is picked below.
 * For Gauss-Newton in the underparameterized regime P < M, 'auto' picks primal (docs/MATH.md section
 * 4.1) when it fits in memory and its cost is at most the structured one's (for 'full', which the
 * structured solver cannot give, whenever it fits): at P < M the dual (Woodbury)
 * form works with M x M matrices of rank <= P, singular when lambda is small, and the dense form squares
 * J's condition number, while the primal QR costs O(M P^2) like the dense assembly (a small constant
 * factor more) and stays accurate down to lambda = 0. Otherwise the cheaper of dense (if it fits) and
 * structured.
 */
import { CURVATURES, type CurvatureName, SPECTRA, type SpectrumName as Spectrum } from './contract.js';
import { NntkError } from './errors.js';
import { requireInteger, requireOneOf } from './validate.js';

export interface SolverChoice {
  readonly solver: 'dense' | 'structured' | 'primal';
  readonly denseCost: number;
  readonly structuredCost: number;
  /** Gauss-Newton only: absent for Newton, which the primal solver does not serve. */
  readonly primalCost?: number;
}

export function estimateCosts(P: number, M: number, width: number, spectrum: Spectrum) {
  requireInteger(P, 'P', 1);
  requireInteger(M, 'M', 1);
  requireInteger(width, 'width', 1);
  requireOneOf(spectrum, 'spectrum', SPECTRA);
  const sweep = M * M * P + 40 * M * width;
  const extremal = spectrum === 'extremal';
  const spectra = extremal || spectrum === 'full';
  const denseCost = 2.5 * (P ** 3 / 3) + M * P * P + (extremal ? 10 * (4 / 3) * P ** 3 : 0);
  const structuredCost = 3 * sweep + (M + 1) ** 3 + (extremal ? 100 * sweep : 0);
  const primalCost = 2 * (2 * P * P * (M + P - P / 3)) + 40 * M * width + (spectra ? 10 * (8 / 3) * P ** 3 : 0);
  return { denseCost, structuredCost, primalCost };
}

/** What else 'auto' weighs: the curvature (primal serves Gauss-Newton only) and whether primal fits in memory. */
export interface ChoiceContext {
  curvature?: CurvatureName;
  primalFits?: boolean;
}

/** The solver 'auto' picks (the rule in this file's header). */
export function chooseSolver(P: number, M: number, width: number, spectrum: Spectrum, denseFits: boolean, context: ChoiceContext = {}): SolverChoice {
  if (typeof denseFits !== 'boolean') throw new NntkError('E_ARGUMENT', `expected a boolean for denseFits but received ${typeof denseFits}`);
  const curvature = requireOneOf(context.curvature ?? 'newton', 'curvature', CURVATURES);
  const primalFits = context.primalFits ?? true;
  if (typeof primalFits !== 'boolean') throw new NntkError('E_ARGUMENT', `expected a boolean for primalFits but received ${typeof primalFits}`);
  const costs = estimateCosts(P, M, width, spectrum);
  const { denseCost, structuredCost } = costs;
  const gaussNewton = curvature === 'gauss-newton';
  const { primalCost } = costs;
  let solver: SolverChoice['solver'];
  if (gaussNewton && P < M && primalFits && (spectrum === 'full' || primalCost <= structuredCost)) solver = 'primal';
  else solver = spectrum === 'full' || (denseFits && denseCost <= structuredCost) ? 'dense' : 'structured';
  return gaussNewton ? { solver, denseCost, structuredCost, primalCost } : { solver, denseCost, structuredCost };
}
