/**
 * Which solver a step uses when the caller says 'auto': a cost model in units of DGEMM flops, with
 * rates measured by bench/ on the reference machine (README, "Choosing a solver").
 *   dense:      P^3 / 3 for the factorization (LDL^T runs at about 0.4 of the DGEMM rate, so x 2.5),
 *               M P^2 for the DSYRK assembly, and 4/3 P^3 at BLAS-2 speed (x 10) for extremal eigenvalues;
 *   structured: M^2 P for the capacitance DSYRK, about 40 flop-equivalents per activation value
 *               (3 passes over the M x N pre-activations), and about 100 extra sweeps for extremal
 *               eigenvalues by bisection.
 */
import { SPECTRA, type SpectrumName as Spectrum } from './contract.js';
import { NntkError } from './errors.js';
import { requireInteger, requireOneOf } from './validate.js';


export interface SolverChoice {
  solver: 'dense' | 'structured';
  denseCost: number;
  structuredCost: number;
}

export function estimateCosts(P: number, M: number, width: number, spectrum: Spectrum) {
  requireInteger(P, 'P', 1);
  requireInteger(M, 'M', 1);
  requireInteger(width, 'width', 1);
  requireOneOf(spectrum, 'spectrum', SPECTRA);
  const sweep = M * M * P + 40 * M * width;
  const extremal = spectrum === 'extremal';
  const denseCost = 2.5 * (P ** 3 / 3) + M * P * P + (extremal ? 10 * (4 / 3) * P ** 3 : 0);
  const structuredCost = 3 * sweep + (M + 1) ** 3 + (extremal ? 100 * sweep : 0);
  return { denseCost, structuredCost };
}

/** 'full' spectra need the dense path; otherwise the cheaper of the two that fits in memory. */
export function chooseSolver(P: number, M: number, width: number, spectrum: Spectrum, denseFits: boolean): SolverChoice {
  if (typeof denseFits !== 'boolean') throw new NntkError('E_ARGUMENT', `expected a boolean for denseFits but received ${typeof denseFits}`);
  const { denseCost, structuredCost } = estimateCosts(P, M, width, spectrum);
  const solver = spectrum === 'full' || (denseFits && denseCost <= structuredCost) ? 'dense' : 'structured';
  return { solver, denseCost, structuredCost };
}
