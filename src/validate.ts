/**
 * Argument checks, done before any native code runs: a bad value gets an NntkError that names the
 * argument, what was expected and what arrived, instead of a crash in C++.
 */
import { MAX_DATA_VALUES } from './contract.js';
import { NntkError, type NntkErrorCode } from './errors.js';

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'bigint') return `the BigInt ${value}n`;
  if (typeof value === 'symbol') return 'a symbol';
  if (ArrayBuffer.isView(value)) {
    const tag = (value as unknown as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] ?? 'DataView';
    return `${tag} of length ${(value as unknown as { length?: number }).length ?? value.byteLength}`;
  }
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'function') return 'a function';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** The single error factory: "expected X for Y but received Z", plus an optional hint. */
export function invalid(code: NntkErrorCode, name: string, expected: string, received: unknown, hint?: string): NntkError {
  const tail = hint ? `; ${hint}` : '';
  return new NntkError(code, `expected ${expected} for ${name} but received ${describe(received)}${tail}`);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

export function requireObject(value: unknown, name: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw invalid('E_ARGUMENT', name, 'an options object', value);
  return value;
}

/** Rejects keys outside `allowed`, so that a misspelt option is an error rather than silently ignored. */
export function requireKnownKeys(o: Record<string, unknown>, name: string, allowed: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) {
      throw new NntkError('E_ARGUMENT', `unknown option '${key}' in ${name}; allowed: ${allowed.join(', ')}`);
    }
  }
}

export function requireInteger(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw invalid('E_NONFINITE', name, `a finite integer in [${min}, ${max}]`, value);
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid('E_ARGUMENT', name, `an integer in [${min}, ${max}]`, value);
  }
  return value;
}

export function requireNumber(value: unknown, name: string, range: { min?: number; max?: number; above?: number } = {}): number {
  if (typeof value !== 'number') throw invalid('E_ARGUMENT', name, 'a number', value);
  if (!Number.isFinite(value)) throw invalid('E_NONFINITE', name, 'a finite number', value);
  const { min, max, above } = range;
  const bounds = [
    above !== undefined ? `> ${above}` : min !== undefined ? `>= ${min}` : '',
    max !== undefined ? `<= ${max}` : '',
  ].filter(Boolean).join(' and ');
  if ((min !== undefined && value < min) || (max !== undefined && value > max) || (above !== undefined && value <= above)) {
    throw invalid('E_ARGUMENT', name, `a number ${bounds}`, value);
  }
  return value;
}

export function requireOneOf<T extends string>(value: unknown, name: string, options: readonly T[]): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    throw invalid('E_ARGUMENT', name, `one of ${options.map((o) => `'${o}'`).join(', ')}`, value);
  }
  return value as T;
}

/**
 * Whether value is a real Float64Array: a view over an ArrayBuffer (so not a Proxy or an object that
 * merely inherits from Float64Array.prototype, which the native core could not read), from any realm.
 */
/** A real AbortSignal (a Proxy of one fails: its getters need the real object). */
export function isAbortSignal(value: unknown): value is AbortSignal {
  if (!(value instanceof AbortSignal)) return false;
  try {
    return typeof value.aborted === 'boolean';
  } catch {
    return false;
  }
}

export function isFloat64Array(value: unknown): value is Float64Array {
  if (!ArrayBuffer.isView(value)) return false;
  try {
    return (value as unknown as { [Symbol.toStringTag]: unknown })[Symbol.toStringTag] === 'Float64Array';
  } catch {
    return false;
  }
}

/** A copy of a Float64Array; a detached one (which every copying method refuses) copies as empty. */
export function copyOf(values: Float64Array): Float64Array {
  return values.byteLength === 0 ? new Float64Array(0) : Float64Array.from(values);
}

/** E_TOO_LARGE past nntk's limit on one array of data (checked before allocating or iterating). */
export function requireStorable(count: number, name: string): void {
  if (count > MAX_DATA_VALUES) {
    throw new NntkError('E_TOO_LARGE', `${name} holds ${count} numbers, over nntk's limit of 2^29 for one array; use fewer points`);
  }
}

/**
 * The values of an array input as a Float64Array: a Float64Array itself (no copy, so the native core reads
 * the caller's memory), or a copy of an array of numbers. Other typed arrays are refused: their values are
 * not float64 (a Float32Array's rounding would pass silently), so the caller converts them explicitly with
 * Float64Array.from. Copies are capped at 2^29 entries (E_TOO_LARGE), the data limit of the contract.
 */
export function float64Values(value: unknown, name: string): Float64Array {
  if (isFloat64Array(value)) return value;
  if (!Array.isArray(value)) {
    throw invalid('E_ARGUMENT', name, 'a Float64Array or an array of numbers', value, ArrayBuffer.isView(value) ? 'convert other typed arrays with Float64Array.from' : undefined);
  }
  requireStorable(value.length, name);
  const out = new Float64Array(value.length);
  for (let k = 0; k < out.length; k++) {
    const v: unknown = value[k];
    if (typeof v !== 'number') throw invalid('E_ARGUMENT', `${name}[${k}]`, 'a number', v);
    out[k] = v;
  }
  return out;
}

/**
 * The values of an array input (float64Values: a Float64Array as is, or a copy of an array of numbers) of
 * the given length (if given), every entry finite.
 */
export function requireFiniteArray(value: unknown, name: string, length?: number): Float64Array {
  const values = float64Values(value, name);
  if (length !== undefined && values.length !== length) {
    throw invalid('E_SHAPE', name, `an array of length ${length}`, value);
  }
  requireFiniteEntries(values, name);
  return values;
}

export function requireFiniteEntries(values: ArrayLike<number>, name: string): void {
  for (let k = 0; k < values.length; k++) {
    const v = values[k] as number;
    if (!Number.isFinite(v)) {
      throw new NntkError('E_NONFINITE', `${name}[${k}] is ${describe(v)}; every entry must be a finite number`);
    }
  }
}
