/** Argument readers shared by the fitting functions: copies of numeric arrays, option objects. */
import { NntkError } from '../errors.js';
import { invalid, requireKnownKeys, requireObject } from '../validate.js';

/** The most values a fit takes (2^27: a 1 GiB copy). */
export const MAX_FIT_VALUES = 2 ** 27;

/** The length of an array, typed array or array-like, or undefined (a Proxy of a typed array included). */
function lengthOf(value: unknown): number | undefined {
  if (Array.isArray(value)) return value.length;
  if (ArrayBuffer.isView(value)) return value instanceof DataView ? undefined : (value as unknown as ArrayLike<unknown>).length;
  if (typeof value !== 'object' || value === null) return undefined;
  try {
    const length = (value as { length?: unknown }).length;
    return typeof length === 'number' && Number.isInteger(length) && length >= 0 ? length : undefined;
  } catch {
    return undefined;  // e.g. a Proxy of a typed array, whose length getter refuses the proxy
  }
}

export function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  return lengthOf(value) !== undefined;
}

/** Copies an array-like of finite numbers into a Float64Array; names the first bad entry. */
export function readNumbers(value: unknown, name: string): Float64Array {
  const n = lengthOf(value);
  if (n === undefined) throw invalid('E_ARGUMENT', name, 'an array or typed array of numbers', value);
  if (n > MAX_FIT_VALUES) {
    throw new NntkError('E_TOO_LARGE', `${name} has ${n} entries, over the ${MAX_FIT_VALUES} a fit takes; thin the series first`);
  }
  const source = value as ArrayLike<unknown>;
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const v = source[k];
    if (typeof v !== 'number') throw invalid('E_ARGUMENT', `${name}[${k}]`, 'a number', v);
    if (!Number.isFinite(v)) throw invalid('E_NONFINITE', `${name}[${k}]`, 'a finite number', v);
    out[k] = v;
  }
  return out;
}

/** The options object o (undefined: none), checked for unknown keys. */
export function readOptions(o: unknown, name: string, allowed: readonly string[]): Record<string, unknown> {
  if (o === undefined) return {};
  const r = requireObject(o, name);
  requireKnownKeys(r, name, allowed);
  return r;
}
