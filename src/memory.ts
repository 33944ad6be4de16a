/**
 * Memory caps. Every call that allocates a large buffer (a dense P x P matrix, a Jacobian, a kernel, a
 * structured cache) takes memoryLimitBytes (default 4 GiB) and is refused with E_TOO_LARGE before
 * allocating past it.
 */
import { NntkError } from './errors.js';
import { requireNumber } from './validate.js';

/** Default cap on any one large buffer of a call: 4 GiB. */
export const DEFAULT_MEMORY_LIMIT = 4 * 2 ** 30;

export function memoryLimit(value: unknown): number {
  return value === undefined ? DEFAULT_MEMORY_LIMIT : requireNumber(value, 'memoryLimitBytes', { above: 0 });
}

function gib(bytes: number): string {
  return (bytes / 2 ** 30).toFixed(2);
}

/** Whether a dense P x P matrix fits under the cap (and LAPACK's 32-bit indices). */
export function denseFits(parameterCount: number, limitBytes: number): boolean {
  return 8 * parameterCount * parameterCount <= limitBytes && parameterCount <= 46340;
}

/** E_TOO_LARGE unless a dense P x P matrix fits under the cap. */
export function requireDenseFits(parameterCount: number, limitBytes: number): void {
  if (denseFits(parameterCount, limitBytes)) return;
  throw new NntkError(
    'E_TOO_LARGE',
    `a dense ${parameterCount} x ${parameterCount} matrix needs ${gib(8 * parameterCount ** 2)} GiB, over the limit of ${gib(limitBytes)} GiB` +
      (parameterCount > 46340 ? ' and past the 32-bit LAPACK index range' : '') +
      "; use solver 'structured' (memory linear in the width) or raise memoryLimitBytes",
  );
}

/**
 * Bytes of the primal Gauss-Newton solver's matrices (native/core/primal_gauss_newton.hpp): the (M + P) x P
 * augmented system (M x P when lambda = 0), plus P x P for extremal or full spectra.
 */
export function primalBytes(dataSize: number, parameterCount: number, lambda: number, spectra: boolean): number {
  const rows = dataSize + (lambda > 0 ? parameterCount : 0);
  return 8 * (rows * parameterCount + (spectra ? parameterCount ** 2 : 0));
}

/** Whether the primal solver's matrices fit under the cap (and LAPACK's 32-bit indices). */
export function primalFits(dataSize: number, parameterCount: number, lambda: number, spectra: boolean, limitBytes: number): boolean {
  return primalBytes(dataSize, parameterCount, lambda, spectra) <= limitBytes && dataSize + parameterCount < 2 ** 31;
}

/** E_TOO_LARGE unless the primal solver's matrices fit under the cap. */
export function requirePrimalFits(dataSize: number, parameterCount: number, lambda: number, spectra: boolean, limitBytes: number): void {
  if (primalFits(dataSize, parameterCount, lambda, spectra, limitBytes)) return;
  const bytes = primalBytes(dataSize, parameterCount, lambda, spectra);
  throw new NntkError(
    'E_TOO_LARGE',
    `the primal solver's ${dataSize + (lambda > 0 ? parameterCount : 0)} x ${parameterCount} system needs ${gib(bytes)} GiB, over the limit of ${gib(limitBytes)} GiB` +
      "; use solver 'structured' or raise memoryLimitBytes",
  );
}

/** E_TOO_LARGE unless `bytes` (one result or buffer, named by what) fits under the cap. */
export function requireFits(bytes: number, limitBytes: number, what: string, hint: string): void {
  if (bytes <= limitBytes) return;
  throw new NntkError('E_TOO_LARGE', `${what} would take ${gib(bytes)} GiB, over the limit of ${gib(limitBytes)} GiB; ${hint}`);
}

