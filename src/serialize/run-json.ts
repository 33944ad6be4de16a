/**
 * A training run as JSON (docs/formats.md, "nntk.TrainingRun"): the trained network (net-json.ts), every
 * StepRecord of the history, the summary, the state a resumed run continues from (Adam's moments
 * included) and the diagnostics' names and eigenvalues. Every number goes through json-values.ts, so
 * Float64Array fields, NaN (a diverged run's last record) and -0 come back bit for bit, and a loaded run
 * passed to train(net, data, { resume: run }) continues exactly as the original would.
 */
import { DAMPINGS, ERROR_CODES, METHODS, TERMINATIONS } from '../contract.js';
import { NntkError, type NntkErrorCode } from '../errors.js';
import { TwoLayerNet } from '../model.js';
import type { StepRecord, TrainingRun, TrainingSummary, TrainState } from '../train.js';
import { describe, isFloat64Array, isPlainObject } from '../validate.js';
import { decodeArray, decodeNumber, encodeArray, encodeNumber, field, type JsonNumber, requireFormat, requireOnlyKeys, requireRecord } from './json-values.js';
import type { TwoLayerNetJSON } from './net-json.js';

export const RUN_FORMAT = 'nntk.TrainingRun';
export const RUN_FORMAT_VERSION = 1;
const SOLVERS = ['dense', 'structured', 'primal', 'first-order'] as const;

/**
 * How each field is written: a number (any, NaN included), a count (integer >= 0), a boolean, a string,
 * one of a list, a Float64Array (array of numbers), a list of strings, or an object of its own fields.
 */
type Kind = 'number' | 'count' | 'boolean' | 'string' | 'f64' | 'strings' | readonly string[] | Schema;
type Schema = { readonly [key: string]: readonly [Kind, 'required' | 'optional'] };

const req = (k: Kind) => [k, 'required'] as const;
const opt = (k: Kind) => [k, 'optional'] as const;

const TIMINGS: Schema = {
  evaluation: req('number'), assembly: req('number'), factorization: req('number'), inertia: req('number'),
  condition: req('number'), solve: req('number'), spectrum: req('number'), candidates: req('number'), damping: req('number'),
};
const INERTIA: Schema = { positive: req('count'), negative: req('count'), zero: req('count') };

/** StepRecord (src/train.ts): a field added there needs its line here (the encoder refuses unknown fields). */
const RECORD: Schema = {
  method: req(METHODS), iteration: req('count'), loss: req('number'), seconds: req('number'), lambda: opt('number'), accepted: opt('boolean'),
  retries: opt('count'), rejectedTries: opt('count'), gainRatio: opt('number'), costChange: opt('number'), timings: opt(TIMINGS),
  inertia: opt(INERTIA), minEigenvalue: opt('number'), maxEigenvalue: opt('number'), stepNorm: opt('number'),
  maxNeuronUpdate: opt('number'), gradientNorm: opt('number'), accuracy: opt('number'), components: opt('f64'), ntkModes: opt('f64'),
};

const SUMMARY: Schema = {
  brief: req('string'), full: req('string'), method: req(METHODS), damping: opt(DAMPINGS), solver: req(SOLVERS),
  termination: req(TERMINATIONS), message: req('string'), firstIteration: req('count'), iterations: req('count'),
  acceptedSteps: req('count'), rejectedTries: req('count'), rejectedIterations: req('count'), solves: req('count'),
  initialCost: req('number'), finalCost: req('number'), initialLambda: opt('number'), finalLambda: opt('number'),
  time: req({ total: req('number'), setup: req('number'), iterations: req('number'), records: req('number'), iteration: opt(TIMINGS) }),
};

const ERROR: Schema = { code: req(ERROR_CODES), message: req('string') };

const STATE: Schema = {
  method: req(METHODS), iteration: req('count'), seconds: req('number'), lambda: req('number'), nu: req('number'),
  adamM: opt('f64'), adamV: opt('f64'),
};

/** What trainingRunToJSON returns (version 1): the run's fields with numbers and arrays as json-values.ts writes them. */
export interface TrainingRunJSON {
  format: 'nntk.TrainingRun';
  version: 1;
  net: TwoLayerNetJSON;
  history: Record<string, unknown>[];
  stoppedBecause: TrainingRun['stoppedBecause'];
  summary: Record<string, unknown>;
  error?: { code: string; message: string };
  state: Record<string, unknown>;
  method: TrainingRun['method'];
  solver: TrainingRun['solver'];
  componentNames?: string[];
  ntkEigenvalues?: JsonNumber[];
}

function encodeValue(value: unknown, kind: Kind, where: string): unknown {
  const wrong = (expected: string) => new NntkError('E_ARGUMENT', `${where} is ${describe(value)}, not ${expected}; pass a run returned by train()`);
  switch (kind) {
    case 'number':
      if (typeof value !== 'number') throw wrong('a number');
      return encodeNumber(value);
    case 'count':
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw wrong('an integer >= 0');
      return value;
    case 'boolean':
    case 'string':
      if (typeof value !== kind) throw wrong(`a ${kind}`);
      return value;
    case 'f64':
      if (!isFloat64Array(value)) throw wrong('a Float64Array');
      return encodeArray(value);
    case 'strings':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw wrong('an array of strings');
      return [...(value as string[])];
    default:
      if (Array.isArray(kind)) {
        if (typeof value !== 'string' || !kind.includes(value)) throw wrong(`one of ${kind.join(', ')}`);
        return value;
      }
      return encodeObject(value, kind as Schema, where);
  }
}

function encodeObject(value: unknown, schema: Schema, where: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw new NntkError('E_ARGUMENT', `${where} is ${describe(value)}, not an object`);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const entry = schema[key];
    if (!entry) {
      throw new NntkError('E_ARGUMENT', `${where}.${key} is not a field of version ${RUN_FORMAT_VERSION} of the run format (src/serialize/run-json.ts); pass a run returned by train()`);
    }
    out[key] = encodeValue(v, entry[0], `${where}.${key}`);
  }
  for (const [key, [, presence]] of Object.entries(schema)) {
    if (presence === 'required' && out[key] === undefined) throw new NntkError('E_ARGUMENT', `${where} has no field '${key}'; pass a run returned by train()`);
  }
  return out;
}

function decodeValue(value: unknown, kind: Kind, where: string): unknown {
  switch (kind) {
    case 'number':
      return decodeNumber(value, where);
    case 'count':
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
        throw new NntkError('E_ARGUMENT', `${where} is ${describe(value)}; it must be an integer >= 0`);
      }
      return value;
    case 'boolean':
    case 'string':
      if (typeof value !== kind) throw new NntkError('E_ARGUMENT', `${where} is ${describe(value)}, not a ${kind}`);
      return value;
    case 'f64':
      return decodeArray(value, where);
    case 'strings':
      if (!Array.isArray(value) || !value.every((s) => typeof s === 'string')) {
        throw new NntkError('E_ARGUMENT', `${where} is ${describe(value)}, not an array of strings`);
      }
      return Object.freeze([...value]);
    default:
      if (Array.isArray(kind)) {
        if (typeof value !== 'string' || !kind.includes(value)) {
          throw new NntkError('E_ARGUMENT', `${where} is ${describe(value)}; expected one of ${kind.map((v) => `'${v}'`).join(', ')}`);
        }
        return value;
      }
      return decodeObject(value, kind as Schema, where);
  }
}

/** An object of `schema`'s fields, in the order the saved value has them (so a loaded record equals the original). */
function decodeObject(value: unknown, schema: Schema, where: string): Record<string, unknown> {
  const o = requireRecord(value, where);
  requireOnlyKeys(o, where, Object.keys(schema));
  for (const [key, [, presence]] of Object.entries(schema)) {
    if (presence === 'required') field(o, key, where);
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(o)) {
    if (v !== undefined) out[key] = decodeValue(v, schema[key]![0], `${where}.${key}`);
  }
  return out;
}

const RUN_KEYS = ['format', 'version', 'net', 'history', 'stoppedBecause', 'summary', 'error', 'state', 'method', 'solver', 'componentNames', 'ntkEigenvalues'];

/**
 * A training run (the result of train) as a plain JSON value, for JSON.stringify (docs/formats.md); read
 * it back with trainingRunFromJSON.
 */
export function trainingRunToJSON(run: TrainingRun): TrainingRunJSON {
  if (!isPlainObject(run)) throw new NntkError('E_ARGUMENT', `trainingRunToJSON needs a run returned by train(); received ${describe(run)}`);
  if (!(run.net instanceof TwoLayerNet)) throw new NntkError('E_ARGUMENT', `run.net is ${describe(run.net)}, not a TwoLayerNet; pass a run returned by train()`);
  if (!Array.isArray(run.history)) throw new NntkError('E_ARGUMENT', `run.history is ${describe(run.history)}, not an array of records`);
  const run_ = run as unknown as Record<string, unknown>;
  for (const key of Object.keys(run_)) {
    if (!RUN_KEYS.includes(key)) throw new NntkError('E_ARGUMENT', `the run has an unknown field '${key}'; pass a run returned by train()`);
  }
  const out: TrainingRunJSON = {
    format: RUN_FORMAT,
    version: RUN_FORMAT_VERSION,
    net: run.net.toJSON(),
    history: run.history.map((r, k) => encodeObject(r, RECORD, `run.history[${k}]`)),
    stoppedBecause: encodeValue(run.stoppedBecause, TERMINATIONS, 'run.stoppedBecause') as TrainingRun['stoppedBecause'],
    summary: encodeObject(run.summary, SUMMARY, 'run.summary'),
    ...(run.error !== undefined ? { error: encodeObject(run.error, ERROR, 'run.error') as { code: string; message: string } } : {}),
    state: encodeObject(run.state, STATE, 'run.state'),
    method: encodeValue(run.method, METHODS, 'run.method') as TrainingRun['method'],
    solver: encodeValue(run.solver, SOLVERS, 'run.solver') as TrainingRun['solver'],
    ...(run.componentNames !== undefined ? { componentNames: encodeValue(run.componentNames, 'strings', 'run.componentNames') as string[] } : {}),
    ...(run.ntkEigenvalues !== undefined ? { ntkEigenvalues: encodeValue(run.ntkEigenvalues, 'f64', 'run.ntkEigenvalues') as JsonNumber[] } : {}),
  };
  return out;
}

/**
 * A run saved by trainingRunToJSON (after JSON.parse), checked completely: the network as TwoLayerNet.fromJSON
 * checks it, every record, the summary and the state. Its Float64Array fields come back as Float64Arrays,
 * and it resumes: train(run.net, data, { method: run.method, iterations, resume: run }).
 */
export function trainingRunFromJSON(value: unknown): TrainingRun {
  const what = 'the saved run';
  const o = requireFormat(value, RUN_FORMAT, RUN_FORMAT_VERSION, what);
  requireOnlyKeys(o, what, RUN_KEYS);
  const at = (key: string) => field(o, key, what);
  const net = TwoLayerNet.fromJSON(at('net'));
  const history = at('history');
  if (!Array.isArray(history)) throw new NntkError('E_ARGUMENT', `${what}: history is ${describe(history)}, not an array of records`);
  // Index by index: a sparse array's holes are missing records, not records to skip.
  const records = Array.from(history, (r: unknown, k) => decodeObject(r, RECORD, `${what}: history[${k}]`)) as unknown as StepRecord[];
  const stoppedBecause = decodeValue(at('stoppedBecause'), TERMINATIONS, `${what}: stoppedBecause`) as TrainingRun['stoppedBecause'];
  const summary = decodeObject(at('summary'), SUMMARY, `${what}: summary`) as unknown as TrainingSummary;
  let error: TrainingRun['error'];
  if (o.error !== undefined) {
    const e = decodeObject(o.error, ERROR, `${what}: error`);
    error = { code: e.code as NntkErrorCode, message: e.message as string };
  }
  const state = decodeObject(at('state'), STATE, `${what}: state`) as unknown as TrainState;
  const method = decodeValue(at('method'), METHODS, `${what}: method`) as TrainingRun['method'];
  const solver = decodeValue(at('solver'), SOLVERS, `${what}: solver`) as TrainingRun['solver'];
  if (state.method !== method) {
    throw new NntkError('E_ARGUMENT', `${what}: state.method is '${state.method}' but method is '${method}'; the state belongs to the run's own method`);
  }
  const stray = records.findIndex((r) => r.method !== method);
  if (stray >= 0) {
    throw new NntkError('E_ARGUMENT', `${what}: history[${stray}].method is '${records[stray]!.method}' but the run's method is '${method}'; every record belongs to the run's method`);
  }
  const moments = [state.adamM, state.adamV];
  if (moments.some((m) => m !== undefined && m.length !== net.trainableCount)) {
    throw new NntkError('E_SHAPE', `${what}: state.adamM and adamV must have one entry per trainable parameter (${net.trainableCount})`);
  }
  return {
    net,
    history: records,
    stoppedBecause,
    summary,
    ...(error ? { error } : {}),
    state,
    method,
    solver,
    ...(o.componentNames !== undefined ? { componentNames: decodeValue(o.componentNames, 'strings', `${what}: componentNames`) as readonly string[] } : {}),
    ...(o.ntkEigenvalues !== undefined ? { ntkEigenvalues: decodeArray(o.ntkEigenvalues, `${what}: ntkEigenvalues`) } : {}),
  };
}
