/**
 * The number and field codecs of nntk's JSON formats (docs/formats.md). JSON.stringify prints every finite
 * binary64 number so that JSON.parse reads back the same bits, except -0 (printed as 0); it prints NaN and
 * Infinity as null. The formats therefore write -0, NaN, Infinity and -Infinity as the strings "-0", "NaN",
 * "Infinity" and "-Infinity", and every other number as itself: the round trip is bit for bit (NaN payloads
 * aside: JavaScript has a single NaN).
 */
import { NntkError } from '../errors.js';
import { describe, isPlainObject } from '../validate.js';

/** A number as the formats write it. */
export type JsonNumber = number | '-0' | 'NaN' | 'Infinity' | '-Infinity';

export function encodeNumber(v: number): JsonNumber {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity';
  return Object.is(v, -0) ? '-0' : v;
}

const SPECIAL: Record<string, number> = { '-0': -0, NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

/** A number written by encodeNumber; `finite` refuses NaN and the infinities (E_NONFINITE). */
export function decodeNumber(value: unknown, where: string, finite = false): number {
  let v: number | undefined;
  if (typeof value === 'number') v = value;
  else if (typeof value === 'string' && Object.hasOwn(SPECIAL, value)) v = SPECIAL[value];
  if (v === undefined) {
    const hint = value === null
      ? ' (JSON.stringify writes NaN and Infinity as null: save with toJSON, which writes them as strings)'
      : '';
    throw new NntkError('E_ARGUMENT', `${where} is ${describe(value)}, not a number${hint}; a saved number is a JSON number or one of "-0", "NaN", "Infinity", "-Infinity"`);
  }
  if (finite && !Number.isFinite(v)) throw new NntkError('E_NONFINITE', `${where} is ${String(v)}; it must be a finite number`);
  return v;
}

export function encodeArray(values: ArrayLike<number>): JsonNumber[] {
  const out: JsonNumber[] = new Array(values.length);
  for (let k = 0; k < values.length; k++) out[k] = encodeNumber(values[k]!);
  return out;
}

/** A Float64Array from a JSON array of encoded numbers, of `length` entries when given (checked before the entries). */
export function decodeArray(value: unknown, where: string, o: { length?: number; finite?: boolean } = {}): Float64Array {
  if (!Array.isArray(value)) {
    const hint = isPlainObject(value) && '0' in value
      ? '; JSON.stringify writes a Float64Array as an object of indices: save with the toJSON functions of nntk, which write arrays'
      : '';
    throw new NntkError('E_ARGUMENT', `${where} is ${describe(value)}, not an array of numbers${hint}`);
  }
  if (o.length !== undefined && value.length !== o.length) {
    throw new NntkError('E_SHAPE', `${where} has ${value.length} entries but should have ${o.length}; the file is truncated or belongs to another shape`);
  }
  const out = new Float64Array(value.length);
  for (let k = 0; k < value.length; k++) out[k] = decodeNumber(value[k], `${where}[${k}]`, o.finite);
  return out;
}

/** The object at `where`, or E_ARGUMENT. */
export function requireRecord(value: unknown, where: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw new NntkError('E_ARGUMENT', `${where} is ${describe(value)}, not an object`);
  return value;
}

/** E_ARGUMENT for the first key of `o` not in `known`. */
export function requireOnlyKeys(o: Record<string, unknown>, where: string, known: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) throw new NntkError('E_ARGUMENT', `${where} has an unknown field '${key}'; known fields: ${known.join(', ')}`);
  }
}

/**
 * The format tag and version of a saved value: `format` must be `tag`, `version` an integer from 1 to
 * `current` (a later version was written by a newer nntk: E_UNSUPPORTED with the hint to upgrade).
 */
export function requireFormat(value: unknown, tag: string, current: number, what: string): Record<string, unknown> {
  const o = requireRecord(value, what);
  if (o.format !== tag) {
    throw new NntkError('E_ARGUMENT', `${what} has format ${describe(o.format)}, not '${tag}'; pass the value that ${tag === 'nntk.TwoLayerNet' ? 'net.toJSON()' : 'trainingRunToJSON(run)'} wrote (after JSON.parse)`);
  }
  if (typeof o.version !== 'number' || !Number.isInteger(o.version) || o.version < 1) {
    throw new NntkError('E_ARGUMENT', `${what} has version ${describe(o.version)}; it must be an integer from 1 to ${current}`);
  }
  if (o.version > current) {
    throw new NntkError('E_UNSUPPORTED', `${what} has version ${o.version}, written by a newer nntk; this version reads ${tag} up to version ${current}: upgrade nntk`);
  }
  return o;
}

/** The field `key` of `o`, which must be present. */
export function field(o: Record<string, unknown>, key: string, where: string): unknown {
  if (!Object.hasOwn(o, key) || o[key] === undefined) throw new NntkError('E_ARGUMENT', `${where} has no field '${key}'`);
  return o[key];
}
