/**
 * Outcome classes of one fuzz call. Acceptable: 'ok' (a result with no NaN or Infinity in it),
 * 'nntk-error' (an NntkError with a documented code and a message) and 'user-error' (the caller's own
 * exception from a getter, Proxy trap or callback, propagated). Everything else is a finding.
 */
import { Dataset, NntkError, TwoLayerNet } from '../../src/index.js';
import { USER } from './values.js';

export const CODES = new Set(['E_ARGUMENT', 'E_SHAPE', 'E_NONFINITE', 'E_TOO_LARGE', 'E_SINGULAR', 'E_NUMERICAL', 'E_UNSUPPORTED']);

export type OutcomeClass =
  | 'ok'
  | 'nntk-error'
  | 'user-error'
  | 'non-nntk-error' // an exception that is not an NntkError
  | 'bad-nntk-error' // an NntkError with an undocumented code or an empty message
  | 'internal-error' // NntkError E_INTERNAL (a bug by its own definition) or E_NATIVE_LOAD
  | 'silent-nan' // a result holding NaN or Infinity
  | 'setup-error' // building the arguments failed (a harness bug, or a library bug reached while building them)
  | 'uncaught' // an exception or rejection outside the call's own promise
  | 'hang' // no answer within the watchdog's time
  | 'crash'; // the process died

/** 'setup-error' is counted (the summary shows it) but is the harness's problem, not the library's. */
export const ACCEPTABLE: ReadonlySet<OutcomeClass> = new Set(['ok', 'nntk-error', 'user-error', 'setup-error']);

export interface Outcome {
  cls: OutcomeClass;
  /** What identifies the failure for de-duplication: error class and normalized message, or a path. */
  sig: string;
  detail: string;
}

export function normalize(message: string): string {
  return message
    .replace(/\s+/g, ' ')
    .replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi, 'N')
    .slice(0, 140);
}

export function isUserError(e: unknown): boolean {
  return e instanceof Error && typeof e.message === 'string' && e.message.startsWith(USER);
}

export function classifyError(e: unknown, ready: boolean): Outcome {
  if (isUserError(e)) return { cls: 'user-error', sig: '', detail: (e as Error).message };
  if (e instanceof NntkError) {
    const code = (e as { code?: unknown }).code;
    if (code === 'E_INTERNAL' || code === 'E_NATIVE_LOAD') {
      return { cls: 'internal-error', sig: `${String(code)}: ${normalize(e.message)}`, detail: `${String(code)}: ${e.message}` };
    }
    if (typeof code !== 'string' || !CODES.has(code) || typeof e.message !== 'string' || e.message.trim() === '') {
      return { cls: 'bad-nntk-error', sig: `code ${String(code)}, message ${JSON.stringify(e.message)}`, detail: String(e.stack ?? e) };
    }
    return { cls: 'nntk-error', sig: code, detail: e.message };
  }
  const name = e instanceof Error ? e.constructor.name : typeof e;
  const message = e instanceof Error ? e.message : safeString(e);
  const where = e instanceof Error ? firstFrame(e) : '';
  // The same escape (say, a Proxy reaching a typed-array method) shows many messages; where it left
  // the library is what identifies it.
  const at = /\((src\/[^:)]+:\d+)/.exec(where)?.[1];
  return {
    cls: ready ? 'non-nntk-error' : 'setup-error',
    sig: at ? `${name} at ${at}` : `${name}: ${normalize(message)}`,
    detail: `${name}: ${message}${where ? `\n    ${where}` : ''}`,
  };
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** The first stack frame inside src/ (where the library let the exception through). */
function firstFrame(e: Error): string {
  const lines = String(e.stack ?? '').split('\n').slice(1);
  const own = lines.find((l) => l.includes('/src/')) ?? lines[0] ?? '';
  return own.trim().replace(/\(.*\/(src\/[^)]*)\)/, '($1)');
}

/**
 * The path of the first non-finite number in a result (typed arrays, arrays, plain objects, networks and
 * data sets), or undefined. `allowed` matches paths where non-finite values are documented.
 */
export function findNonFinite(value: unknown, allowed?: RegExp): { path: string; value: string } | { path: string; error: string } | undefined {
  const seen = new Set<unknown>();
  let budget = 100000;
  const walk = (v: unknown, path: string, depth: number): { path: string; value: string } | { path: string; error: string } | undefined => {
    if (budget-- <= 0 || depth > 8) return undefined;
    if (typeof v === 'number') {
      return Number.isFinite(v) || allowed?.test(path) ? undefined : { path, value: String(v) };
    }
    if (typeof v !== 'object' || v === null || seen.has(v)) return undefined;
    seen.add(v);
    if (v instanceof Float64Array || v instanceof Float32Array) {
      if (allowed?.test(path)) return undefined;
      for (let k = 0; k < v.length; k++) if (!Number.isFinite(v[k]!)) return { path: `${path}[${k}]`, value: String(v[k]) };
      return undefined;
    }
    if (ArrayBuffer.isView(v)) return undefined;
    if (v instanceof NntkError) {
      const code = (v as { code?: unknown }).code;
      if (typeof code !== 'string' || !CODES.has(code) || !v.message) return { path, error: `an NntkError with code ${String(code)} and message ${JSON.stringify(v.message)}` };
      return undefined;
    }
    if (v instanceof TwoLayerNet) {
      for (const key of ['width', 'inputDim', 'beta', 'parameterCount'] as const) {
        const r = walk(v[key], `${path}.${key}`, depth + 1);
        if (r) return r;
      }
      return walk(v.parameters(), `${path}.parameters()`, depth + 1);
    }
    if (v instanceof Dataset) return walk({ x: v.x, y: v.y, size: v.size, inputDim: v.inputDim, basis: v.basis }, path, depth + 1);
    if (Array.isArray(v)) {
      for (let k = 0; k < v.length; k++) {
        const r = walk(v[k], `${path}[${k}]`, depth + 1);
        if (r) return r;
      }
      return undefined;
    }
    for (const key of Object.keys(v)) {
      const r = walk((v as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
      if (r) return r;
    }
    return undefined;
  };
  return walk(value, 'result', 0);
}

export function classifyResult(result: unknown, allowed?: RegExp): Outcome {
  const bad = findNonFinite(result, allowed);
  if (!bad) return { cls: 'ok', sig: '', detail: '' };
  if ('error' in bad) return { cls: 'bad-nntk-error', sig: `in result: ${bad.path.replace(/\[\d+\]/g, '[k]')}`, detail: `${bad.path}: ${bad.error}` };
  // The signature keeps the path's shape (indices dropped) and whether it was NaN or Infinity.
  return { cls: 'silent-nan', sig: `${bad.path.replace(/\[\d+\]/g, '[k]')} = ${bad.value === 'NaN' ? 'NaN' : 'Infinity'}`, detail: `${bad.path} = ${bad.value}` };
}
