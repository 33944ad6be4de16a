/** Argument readers shared by the fitting functions: copies of numeric arrays, option objects. */
import { invalid, requireKnownKeys, requireObject } from '../validate.js';

export function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  if (Array.isArray(value)) return true;
  if (ArrayBuffer.isView(value)) return !(value instanceof DataView);
  if (typeof value !== 'object' || value === null) return false;
  const length = (value as { length?: unknown }).length;
  return typeof length === 'number' && Number.isInteger(length) && length >= 0;
}

/** Copies an array-like of finite numbers into a Float64Array; names the first bad entry. */
export function readNumbers(value: unknown, name: string): Float64Array {
  if (!isArrayLike(value)) throw invalid('E_ARGUMENT', name, 'an array or typed array of numbers', value);
  const n = value.length;
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const v = value[k];
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
