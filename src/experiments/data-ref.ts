/**
 * Where a job's data comes from, as plain JSON that travels with the job: a built-in data set of the
 * paper, a CSV or JSON file (entered into the job's key by its SHA-256, so a changed file is new work and
 * a moved one is not), or points written into the spec itself. `loadDataRef` turns a user's reference
 * into this form (reading the file once, when the sweep is planned); `resolveData` gives the Dataset on
 * whichever machine runs the job, checking that a file still holds what was planned.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { type Dataset, Dataset as DatasetClass, datasets } from '../dataset.js';
import { NntkError } from '../errors.js';

export const BUILTIN_DATASETS = ['paper-figure1', 'paper-figure2', 'paper-figure3'] as const;
export type BuiltinDataset = (typeof BUILTIN_DATASETS)[number];
/** The names a spec may use: the figures' names, or the same with 'paper-' in front. */
export const DATASET_NAMES: readonly DatasetName[] = ['figure1', 'figure2', 'figure3', ...BUILTIN_DATASETS];
/** A built-in data set's name as a spec may write it: 'figure1' or its full name 'paper-figure1', and so on. */
export type DatasetName = 'figure1' | 'figure2' | 'figure3' | BuiltinDataset;

function builtinName(name: string): BuiltinDataset | null {
  const full = name.startsWith('paper-') ? name : `paper-${name}`;
  return (BUILTIN_DATASETS as readonly string[]).includes(full) ? (full as BuiltinDataset) : null;
}

export type DataRef =
  | { kind: 'builtin'; name: BuiltinDataset }
  | {
      kind: 'file';
      /** Absolute path where the planner read it (not part of the job's key). */
      path: string;
      sha256: string;
      format: 'csv' | 'json';
      /** CSV: the input columns and the target column, by header name (JSON: null). */
      columns: { x: string[]; y: string } | null;
      size: number;
      inputDim: number;
    }
  | { kind: 'inline'; x: number[]; y: number[]; inputDim: number };

/** What a spec may write for `data`: a built-in name, a file path, or an object. */
export type DataInput =
  | string
  | { builtin: DatasetName }
  | { file: string; format?: 'csv' | 'json'; x?: string[]; y?: string }
  | { x: number[] | number[][]; y: number[] };

const BUILTIN_SIZES: Record<BuiltinDataset, number> = { 'paper-figure1': 16, 'paper-figure2': 16, 'paper-figure3': 128 };

function builtin(name: BuiltinDataset): Dataset {
  if (name === 'paper-figure1') return datasets.paperFigure1();
  if (name === 'paper-figure2') return datasets.paperFigure1({ frequency: 20 });
  return datasets.paperFigure3();
}

/** The number of points of a referenced data set, without loading it. */
export function dataSize(ref: DataRef): number {
  if (ref.kind === 'builtin') return BUILTIN_SIZES[ref.name];
  return ref.kind === 'file' ? ref.size : ref.y.length;
}

/** A short name for reports: the figure of a built-in ('figure1'), the file's base name, or 'inline'. */
export function dataName(ref: DataRef): string {
  if (ref.kind === 'builtin') return ref.name.replace(/^paper-/, '');
  return ref.kind === 'file' ? ref.path.replace(/^.*[\\/]/, '') : 'inline';
}

function bad(where: string, message: string): NntkError {
  return new NntkError('E_ARGUMENT', `${where}: ${message}`);
}

/** One CSV line's fields (RFC 4180 quoting). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let k = 0; k < line.length; k++) {
    const ch = line[k]!;
    if (quoted) {
      if (ch === '"' && line[k + 1] === '"') {
        cur += '"';
        k++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

interface Table {
  x: number[];
  y: number[];
  inputDim: number;
  columns: { x: string[]; y: string } | null;
}

/** A CSV with a header row: the target is column `y` (default: the last), the inputs `x` (default: all others). */
function parseCsv(text: string, where: string, want: { x?: string[]; y?: string }): Table {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  if (lines.length < 2) throw bad(where, 'a CSV data file needs a header row and at least one data row');
  const header = csvFields(lines[0]!);
  const index = (name: string) => {
    const k = header.indexOf(name);
    if (k < 0) throw bad(where, `no column '${name}' in the header (columns: ${header.join(', ')})`);
    return k;
  };
  const yName = want.y ?? header.at(-1)!;
  const yk = index(yName);
  const xNames = want.x ?? header.filter((_, k) => k !== yk);
  if (xNames.length === 0) throw bad(where, 'no input columns: the CSV needs at least one column besides the target');
  const xk = xNames.map(index);
  const x: number[] = [];
  const y: number[] = [];
  lines.slice(1).forEach((line, r) => {
    const fields = csvFields(line);
    const value = (k: number) => {
      const v = fields[k] === undefined || fields[k] === '' ? NaN : Number(fields[k]);
      if (!Number.isFinite(v)) throw bad(where, `row ${r + 2}, column '${header[k]}': '${fields[k] ?? ''}' is not a finite number`);
      return v;
    };
    for (const k of xk) x.push(value(k));
    y.push(value(yk));
  });
  return { x, y, inputDim: xk.length, columns: { x: xNames, y: yName } };
}

/** JSON data: { "x": [[...], ...] or [...], "y": [...] }. */
function parseJsonData(value: unknown, where: string): Table {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad(where, 'expected an object { "x": [...], "y": [...] }');
  const { x, y } = value as { x?: unknown; y?: unknown };
  if (!Array.isArray(y) || y.length === 0 || !y.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw bad(where, '"y" must be a non-empty array of finite numbers');
  }
  if (!Array.isArray(x) || x.length !== y.length) throw bad(where, `"x" must be an array of ${y.length} numbers or rows (one per y)`);
  const rows = x.map((row) => (Array.isArray(row) ? row : [row]));
  const inputDim = rows[0]!.length;
  const flat: number[] = [];
  rows.forEach((row, m) => {
    if (row.length !== inputDim || inputDim === 0) throw bad(where, `x[${m}] has ${row.length} numbers; every row needs ${inputDim || 'at least 1'}`);
    for (const v of row) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(where, `x[${m}] holds ${JSON.stringify(v)}, not a finite number`);
      flat.push(v);
    }
  });
  return { x: flat, y: y as number[], inputDim, columns: null };
}

function readTable(path: string, format: 'csv' | 'json', where: string, columns: { x?: string[]; y?: string }): { table: Table; sha256: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw bad(where, `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const text = bytes.toString('utf8');
  if (format === 'csv') return { table: parseCsv(text, where, columns), sha256 };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw bad(where, `${path} is not valid JSON (${(e as Error).message})`);
  }
  return { table: parseJsonData(value, where), sha256 };
}

/**
 * A spec's `data` as a DataRef. Paths are relative to `baseDir` (the spec's directory); `where` names the
 * field in errors (e.g. 'sweeps[0].params.data').
 */
export function loadDataRef(input: DataInput, baseDir: string, where: string): DataRef {
  if (typeof input === 'string') {
    const name = builtinName(input);
    if (name) return { kind: 'builtin', name };
    if (!/\.(csv|json)$/i.test(input)) {
      throw bad(where, `'${input}' is neither a built-in data set (${DATASET_NAMES.join(', ')}) nor a .csv or .json file`);
    }
    return loadDataRef({ file: input }, baseDir, where);
  }
  if ('builtin' in input) return { kind: 'builtin', name: builtinName(input.builtin)! };
  if ('file' in input) {
    const path = resolve(baseDir, input.file);
    const format = input.format ?? (extname(path).toLowerCase() === '.json' ? 'json' : 'csv');
    const { table, sha256 } = readTable(path, format, where, { ...(input.x ? { x: input.x } : {}), ...(input.y ? { y: input.y } : {}) });
    return { kind: 'file', path, sha256, format, columns: table.columns, size: table.y.length, inputDim: table.inputDim };
  }
  const table = parseJsonData(input, where);
  return { kind: 'inline', x: table.x, y: table.y, inputDim: table.inputDim };
}

/** The Dataset of a reference; a file must still hash to what was planned. */
export function resolveData(ref: DataRef): Dataset {
  if (ref.kind === 'builtin') return builtin(ref.name);
  if (ref.kind === 'inline') return DatasetClass.create({ x: ref.x, y: ref.y, inputDim: ref.inputDim });
  const columns = ref.columns ?? {};
  const { table, sha256 } = readTable(ref.path, ref.format, `data file ${ref.path}`, columns);
  if (sha256 !== ref.sha256) {
    throw new NntkError(
      'E_ARGUMENT',
      `data file ${ref.path} has changed since the sweep was planned (SHA-256 ${sha256.slice(0, 12)}..., planned ${ref.sha256.slice(0, 12)}...); restore it, or plan the sweep again (the changed file makes new jobs)`,
    );
  }
  return DatasetClass.create({ x: table.x, y: table.y, inputDim: table.inputDim });
}

/** Options of loadDataset. */
export interface LoadDatasetOptions {
  /** 'csv' or 'json'. Default: from the file's extension. */
  format?: 'csv' | 'json';
  /** CSV: the input columns by header name. Default: every column but the target's. */
  x?: string[];
  /** CSV: the target column by header name. Default: the last column. */
  y?: string;
}

/**
 * A data set from a CSV file (a header row; the target is column `y`, default the last, and the inputs the
 * columns `x`, default all others) or a JSON file ({ "x": [...] or [[...], ...], "y": [...] }); the format
 * follows the extension unless given. Classification labels (-1 / 1 or 0 / 1) load like any target.
 */
export function loadDataset(path: string, o: LoadDatasetOptions = {}): Dataset {
  if (typeof path !== 'string' || path === '') throw new NntkError('E_ARGUMENT', 'loadDataset needs a file path');
  let file = false;
  try {
    file = statSync(path).isFile();
  } catch (e) {
    throw bad(`data file ${path}`, `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  // A device or a pipe (/dev/zero) would never end: only regular files.
  if (!file) throw bad(`data file ${path}`, 'not a regular file; give a .csv or .json file');
  return resolveData(loadDataRef({ file: path, ...o }, process.cwd(), `data file ${path}`));
}
