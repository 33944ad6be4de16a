/**
 * The data files of a report, exported from results.sqlite: trials.csv / trials.json (one row per
 * figure, curvature, width, gamma and trial), training.csv (one row per method, seed and logged
 * iteration, components and modes as columns) and summary.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrialRecord } from '../experiments/one-step-job.js';
import type { Summary, TrainingRow } from '../report/types.js';

/** A CSV field: numbers in shortest round-trip form (so values read back bit for bit), text quoted when needed. */
function field(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly unknown[][]): string {
  return [header.map(field).join(','), ...rows.map((r) => r.map(field).join(','))].join('\n') + '\n';
}

/** Column names for the basis functions, e.g. 'sin(2 pi x)' -> 'component_sin_2_pi_x'. */
export function componentColumn(name: string): string {
  return `component_${name.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`;
}

export function writeTrials(dir: string, records: readonly TrialRecord[]): string[] {
  if (records.length === 0) return [];
  const header = Object.keys(records[0]!);
  writeFileSync(join(dir, 'trials.csv'), toCsv(header, records.map((r) => header.map((h) => r[h as keyof TrialRecord]))));
  writeFileSync(join(dir, 'trials.json'), `${JSON.stringify(records)}\n`);
  return ['trials.csv', 'trials.json'];
}

export function writeTraining(dir: string, rows: readonly TrainingRow[], componentNames: readonly string[]): string[] {
  if (rows.length === 0) return [];
  const modes = Math.max(0, ...rows.map((r) => r.modes?.length ?? 0));
  const header = ['method', 'seed', 'iteration', 'loss', 'seconds', 'lambda', ...componentNames.map(componentColumn),
    ...Array.from({ length: modes }, (_, k) => `mode_${k + 1}`)];
  const body = rows.map((r) => [r.method, r.seed, r.iteration, r.loss, r.seconds, r.lambda,
    ...componentNames.map((_, k) => r.components?.[k] ?? null), ...Array.from({ length: modes }, (_, k) => r.modes?.[k] ?? null)]);
  writeFileSync(join(dir, 'training.csv'), toCsv(header, body));
  return ['training.csv'];
}

export function writeSummary(dir: string, summary: Summary, extra: Record<string, unknown>): string[] {
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify({ ...summary, ...extra }, null, 2)}\n`);
  return ['summary.json'];
}
