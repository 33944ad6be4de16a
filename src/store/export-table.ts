/**
 * `nntk sweep export`: a store's tables as CSV, JSON or Parquet, for pandas and polars. 'jobs' is one
 * row per job: its parameters flattened to columns (dotted names: data.name, limit.kind; lists as JSON
 * text), status, metrics (metrics.*), error, timing, host, version. 'trials', 'training' and 'spectra'
 * are the long tables, each row joined with its job's flattened parameters, so a group-by on width or
 * activation needs no join. Numbers keep every bit: CSV writes them in shortest round-trip form,
 * Parquet as DOUBLE (INT64 for integer columns).
 */
import { writeFileSync } from 'node:fs';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { NntkError } from '../errors.js';
import { toCsv } from './exports.js';
import type { ResultsStore } from './results-store.js';

export const EXPORT_FORMATS = ['csv', 'json', 'parquet'] as const;
export const EXPORT_TABLES = ['jobs', 'trials', 'training', 'spectra'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export type ExportTable = (typeof EXPORT_TABLES)[number];

type Cell = string | number | boolean | null;
type Row = Record<string, Cell>;

/** { a: { b: 1 }, c: [1, 2] } -> { 'a.b': 1, c: '[1,2]' } (with a prefix). */
export function flatten(value: unknown, prefix: string, out: Row = {}): Row {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(value)) {
    out[prefix] = JSON.stringify(value);
  } else if (value === undefined) {
    out[prefix] = null;
  } else {
    out[prefix] = value as Cell;
  }
  return out;
}

interface JobRow {
  key: string;
  experiment: string;
  params: string;
  status: string;
  metrics: string | null;
  error: string | null;
  attempts: number;
  seconds: number | null;
  host: string | null;
  version: string | null;
  started_at: string | null;
  finished_at: string | null;
}

function jobs(store: ResultsStore): JobRow[] {
  return store.db.prepare('SELECT key, experiment, params, status, metrics, error, attempts, seconds, host, version, started_at, finished_at FROM jobs ORDER BY rowid').all() as JobRow[];
}

/** The rows of one table, as flat records. */
export function tableRows(store: ResultsStore, table: ExportTable): Row[] {
  const all = jobs(store);
  if (table === 'jobs') {
    return all.map((j) => ({
      key: j.key,
      experiment: j.experiment,
      status: j.status,
      ...flatten(JSON.parse(j.params), ''),
      ...flatten(j.metrics ? JSON.parse(j.metrics) : {}, 'metrics'),
      error: j.error,
      attempts: j.attempts,
      seconds: j.seconds,
      host: j.host,
      version: j.version,
      started_at: j.started_at,
      finished_at: j.finished_at,
    }));
  }
  const params = new Map(all.map((j) => [j.key, flatten(JSON.parse(j.params), 'job')]));
  const order = table === 'trials' ? 'job_key, gamma DESC' : table === 'training' ? 'job_key, iteration' : 'job_key, kernel, source, gamma, idx';
  const rows = store.db.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).all() as Row[];
  return rows.map((r) => ({ ...params.get(r.job_key as string), ...r }));
}

/** Every column of the rows, in order of first appearance. */
function columns(rows: readonly Row[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

function parquet(rows: readonly Row[]): Uint8Array {
  const columnData = columns(rows).map((name) => {
    const values = rows.map((r) => r[name] ?? null);
    const present = values.filter((v) => v !== null);
    if (present.every((v) => typeof v === 'number')) {
      const integral = present.length > 0 && present.every((v) => Number.isSafeInteger(v));
      return integral
        ? { name, data: values.map((v) => (v === null ? null : BigInt(v as number))), type: 'INT64' as const, nullable: true }
        : { name, data: values, type: 'DOUBLE' as const, nullable: true };
    }
    if (present.every((v) => typeof v === 'boolean')) return { name, data: values, type: 'BOOLEAN' as const, nullable: true };
    return { name, data: values.map((v) => (v === null ? null : String(v))), type: 'STRING' as const, nullable: true };
  });
  return new Uint8Array(parquetWriteBuffer({ columnData }));
}

/** Writes a table to `out` (or returns it as bytes when out is undefined); returns the row count. */
export function exportStore(store: ResultsStore, o: { format: ExportFormat; table: ExportTable; out?: string }): { rows: number; bytes: Uint8Array | string } {
  if (!EXPORT_FORMATS.includes(o.format)) throw new NntkError('E_ARGUMENT', `format '${o.format}': expected one of ${EXPORT_FORMATS.join(', ')}`);
  if (!EXPORT_TABLES.includes(o.table)) throw new NntkError('E_ARGUMENT', `table '${o.table}': expected one of ${EXPORT_TABLES.join(', ')}`);
  const rows = tableRows(store, o.table);
  const header = columns(rows);
  const bytes =
    o.format === 'parquet' ? parquet(rows) : o.format === 'json' ? `${JSON.stringify(rows)}\n` : toCsv(header, rows.map((r) => header.map((h) => r[h] ?? null)));
  if (o.out !== undefined) writeFileSync(o.out, bytes);
  return { rows: rows.length, bytes };
}
