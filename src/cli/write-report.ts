/**
 * Writes a report directory from its store: the data files (trials.csv/json, training.csv,
 * summary.json) and the rendered report (index.html and one SVG per panel), for the latest run recorded
 * in DIR/results.sqlite. Used at the end of `nntk reproduce` and by `nntk report DIR`; nothing is recomputed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GaussNewtonResults } from '../experiments/gauss-newton-types.js';
import { completeTrials } from '../experiments/one-step-job.js';
import { buildSummary } from '../experiments/summary.js';
import { renderReport } from '../report/render.js';
import type { RunDescription, Summary } from '../report/types.js';
import { writeSummary, writeTraining, writeTrials } from '../store/exports.js';
import type { ResultsStore } from '../store/results-store.js';

export interface WrittenReport {
  index: string;
  files: string[];
  summary: Summary;
  /** Jobs of the run by status. */
  status: Record<string, number>;
  failed: { key: string; error: string }[];
  rows: { trials: number; training: number };
}

export async function writeReport(dir: string, store: ResultsStore): Promise<WrittenReport> {
  const latest = store.latestRun();
  if (!latest) throw new Error(`${store.path} records no run; run \`nntk reproduce ... --out ${dir}\` first`);
  const { description: run, keys } = latest;
  const jobs = store.jobs(keys);
  const status: Record<string, number> = {};
  for (const j of jobs) status[j.status] = (status[j.status] ?? 0) + 1;
  run.seconds = jobs.reduce((s, j) => s + (j.seconds ?? 0), 0);
  const records = store.trials(keys);
  const training = store.training(keys);
  const componentNames = (jobs.find((j) => j.experiment === 'train' && j.metrics)?.metrics?.componentNames as string[] | undefined) ?? [];
  const trials = completeTrials(records);
  const summary = await buildSummary(run, trials, training);
  const files = [
    ...writeTrials(dir, records),
    ...writeTraining(dir, training, componentNames),
    ...writeSummary(dir, summary, { run }),
  ];
  const rendered = await renderReport({ run, trials, training, componentNames, summary }, dir);
  return {
    index: `${dir}/index.html`,
    files: [...files, ...rendered.files.map((f) => f.replace(`${dir}/`, ''))],
    summary,
    status,
    failed: jobs.filter((j) => j.status === 'failed').map((j) => ({ key: j.key, error: j.error ?? '' })),
    rows: { trials: records.length, training: training.length },
  };
}

/** The run description of a `nntk reproduce gauss-newton` report (it has no store). */
export function gaussNewtonRun(results: GaussNewtonResults, threads: number): RunDescription {
  return {
    command: results.command,
    figures: ['gauss-newton'],
    scale: results.scale,
    seed: results.seed,
    trials: results.seeds,
    curvatures: [],
    limit: 'none',
    widths: [],
    gammas: [],
    beta: 0.52,
    version: results.version,
    machine: results.machine,
    startedAt: results.startedAt,
    seconds: results.wallSeconds,
    wallSeconds: results.wallSeconds,
    threads,
    workers: 0,
  };
}

/**
 * Writes DIR/gauss-newton.json (unless `write` is false: `nntk report DIR` redraws from it) and the report
 * of the Gauss-Newton experiments: index.html and one SVG per panel. Nothing is recomputed.
 */
export async function writeGaussNewtonReport(dir: string, results: GaussNewtonResults, threads: number, write = true): Promise<{ index: string; files: string[] }> {
  const files: string[] = [];
  if (write) {
    writeFileSync(join(dir, GAUSS_NEWTON_FILE), `${JSON.stringify(results)}\n`);
    files.push(GAUSS_NEWTON_FILE);
  }
  const run = gaussNewtonRun(results, threads);
  const rendered = await renderReport({ run, trials: [], training: [], componentNames: [], summary: {}, gaussNewton: results }, dir);
  return { index: `${dir}/index.html`, files: [...files, ...rendered.files.map((f) => f.replace(`${dir}/`, ''))] };
}

export const GAUSS_NEWTON_FILE = 'gauss-newton.json';

/** DIR/gauss-newton.json as written by writeGaussNewtonReport. */
export function readGaussNewtonResults(dir: string): GaussNewtonResults {
  return JSON.parse(readFileSync(join(dir, GAUSS_NEWTON_FILE), 'utf8')) as GaussNewtonResults;
}
