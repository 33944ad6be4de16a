/**
 * Reading a sweep spec: JSON or YAML text, checked against the spec's JSON Schema (src/sweep/schema.ts)
 * with ajv. A bad spec is refused with NntkError E_ARGUMENT naming the file, the line and column, the
 * field (as a path like sweeps[0].grid.width[2]) and what it must be.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { type Document, isNode, parseDocument } from 'yaml';
import { NntkError } from '../errors.js';
import type { DataInput } from '../experiments/data-ref.js';
import type { Experiment } from '../experiments/jobs.js';
import { sweepSchema } from './schema.js';

/** A grid axis as written: values, or a generator. */
export type ValueList = unknown[] | { range: number[] } | { logspace: [number, number, number]; integer?: boolean } | { linspace: [number, number, number] };

export interface SweepBlock {
  experiment: Experiment;
  name?: string;
  fixed?: Record<string, unknown>;
  grid?: Record<string, ValueList>;
  trials?: { count: number; baseSeed?: number };
}

export type JobSpec = { experiment: Experiment } & Record<string, unknown>;

export interface NetworkDefaults {
  width?: number;
  seed?: number;
  beta?: number;
  activation?: string;
  dataset?: DataInput;
  label?: string;
}

export interface SweepSpec {
  $schema?: string;
  name?: string;
  description?: string;
  /** One block at the top level: its experiment, fixed parameters, grid and trials. */
  experiment?: Experiment;
  fixed?: Record<string, unknown>;
  grid?: Record<string, ValueList>;
  trials?: { count: number; baseSeed?: number };
  defaults?: NetworkDefaults;
  sweeps?: SweepBlock[];
  jobs?: JobSpec[];
}

/** Compiled once when the module loads (a few milliseconds). */
const validateSpec: ValidateFunction = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(sweepSchema());

/** 'sweeps/0/grid/width/2' -> 'sweeps[0].grid.width[2]'. */
export function fieldPath(pointer: string): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return parts.reduce((path, p) => (/^\d+$/.test(p) ? `${path}[${p}]` : path ? `${path}.${p}` : p), '') || '(the spec)';
}

/**
 * The error a user should read first: the deepest one (the most specific field), skipping the
 * summaries that oneOf / if-then add on the way down.
 */
function mostSpecific(errors: readonly ErrorObject[]): ErrorObject {
  const useful = errors.filter((e) => !['if', 'oneOf', 'anyOf', 'allOf'].includes(e.keyword));
  const pool = useful.length > 0 ? useful : [...errors];
  const depth = (e: ErrorObject) => e.instancePath.split('/').length + (e.keyword === 'additionalProperties' ? 1 : 0);
  return pool.reduce((best, e) => (depth(e) > depth(best) ? e : best));
}

function describe(e: ErrorObject, value: unknown): string {
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') return `unknown field '${String(params.additionalProperty)}'`;
  if (e.keyword === 'required') return `missing field '${String(params.missingProperty)}'`;
  if (e.keyword === 'enum') return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')} (got ${JSON.stringify(value)})`;
  if (e.keyword === 'const') return `must be ${JSON.stringify(params.allowedValue)} (got ${JSON.stringify(value)})`;
  return `${e.message ?? 'is invalid'} (got ${JSON.stringify(value)?.slice(0, 80)})`;
}

function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const p of pointer.split('/').slice(1)) v = (v as Record<string, unknown> | undefined)?.[p];
  return v;
}

/** "file:line:col" of the value at a JSON pointer, from the parsed document's source ranges. */
function location(doc: Document | null, source: string, text: string, pointer: string): string {
  const path = pointer.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  let node: unknown = doc?.getIn(path, true);
  // The field itself may be missing (a required one): point at its parent.
  while (!isNode(node) && path.length > 0) {
    path.pop();
    node = doc?.getIn(path, true) ?? (path.length === 0 ? doc?.contents : undefined);
  }
  const offset = isNode(node) ? (node.range?.[0] ?? 0) : 0;
  const before = text.slice(0, offset).split('\n');
  return `${source}:${before.length}:${before.at(-1)!.length + 1}`;
}

/**
 * A plain-data copy of a spec object, each property read once: the spec checked is the spec expanded,
 * whatever getters or proxies the caller's object holds. Non-finite numbers become null (and are then
 * refused by the schema with their place).
 */
function snapshot(spec: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(spec);
  } catch (e) {
    throw new NntkError('E_ARGUMENT', `the spec must be plain JSON data (objects, arrays, strings, numbers, booleans): ${(e as Error).message}`);
  }
  return text === undefined ? undefined : JSON.parse(text);
}

/** Checks a spec object (already parsed); `source` and `text` locate errors when it came from a file. */
export function checkSpec(value: unknown, source = 'spec', text?: string, doc?: Document): SweepSpec {
  const spec = snapshot(value);
  if (!validateSpec(spec)) {
    const e = mostSpecific(validateSpec.errors ?? []);
    // An unknown field is located at the field itself.
    const at = e.keyword === 'additionalProperties' ? `${e.instancePath}/${String((e.params as { additionalProperty: string }).additionalProperty)}` : e.instancePath;
    const where = text === undefined ? source : location(doc ?? null, source, text, at);
    throw new NntkError('E_ARGUMENT', `${where}: ${fieldPath(e.instancePath)}: ${describe(e, valueAt(spec, e.instancePath))} (the spec's schema: nntk sweep schema)`);
  }
  return spec as SweepSpec;
}

/** Checks one job's parameters (a grid point with its block's params and the defaults) against the schema of its experiment. */
export function checkJobParams(experiment: Experiment, params: Record<string, unknown>, where: string): void {
  const job = { experiment, ...params };
  if (!validateSpec({ jobs: [job] })) {
    const e = mostSpecific(validateSpec.errors ?? []);
    const field = fieldPath(e.instancePath.replace(/^\/jobs\/0/, ''));
    throw new NntkError('E_ARGUMENT', `${where}: ${field === '(the spec)' ? 'the job' : field}: ${describe(e, valueAt({ jobs: [job] }, e.instancePath))}`);
  }
}

/** Parses and checks a spec file: JSON (.json) or YAML (anything else; JSON is valid YAML too). */
export function readSpec(path: string): SweepSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new NntkError('E_ARGUMENT', `cannot read the spec ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const [line, col] = first.linePos?.[0] ? [first.linePos[0].line, first.linePos[0].col] : [1, 1];
    throw new NntkError('E_ARGUMENT', `${path}:${line}:${col}: not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${first.message.split('\n')[0]}`);
  }
  let value: unknown;
  if (/\.json$/i.test(path)) {
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new NntkError('E_ARGUMENT', `${path}: not valid JSON: ${(e as Error).message}`);
    }
  } else {
    value = doc.toJS({ maxAliasCount: 100 });
  }
  return checkSpec(value, path, text, doc);
}
