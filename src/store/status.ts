/**
 * `nntk sweep status`: what a store holds and how fast it is filling: jobs by status and experiment,
 * the first failures with their errors, throughput over the window in which jobs finished, the core
 * time spent, and an ETA for what is left (the estimated cost of the remaining jobs at the rate
 * observed per unit of estimated cost).
 */
import { type Job, jobCost } from '../experiments/jobs.js';
import type { ResultsStore } from './results-store.js';

export interface SweepStatus {
  total: number;
  byStatus: Record<string, number>;
  byExperiment: Record<string, Record<string, number>>;
  failures: { key: string; experiment: string; error: string }[];
  /** Finished jobs per minute, between the first start and the last finish. */
  jobsPerMinute: number | null;
  /** Seconds of computation recorded (summed over jobs). */
  coreSeconds: number;
  /** Seconds to finish the pending and running jobs at the observed rate; null before anything finished. */
  etaSeconds: number | null;
  window: { first: string | null; last: string | null };
}

export function sweepStatus(store: ResultsStore, o: { failures?: number } = {}): SweepStatus {
  const rows = store.db.prepare('SELECT key, experiment, params, status, error, seconds, started_at, finished_at FROM jobs').all() as {
    key: string; experiment: string; params: string; status: string; error: string | null; seconds: number | null; started_at: string | null; finished_at: string | null;
  }[];
  const byStatus: Record<string, number> = {};
  const byExperiment: Record<string, Record<string, number>> = {};
  let coreSeconds = 0;
  let doneCost = 0;
  let leftCost = 0;
  let first: string | null = null;
  let last: string | null = null;
  let finished = 0;
  for (const r of rows) {
    byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    const e = (byExperiment[r.experiment] ??= {});
    e[r.status] = (e[r.status] ?? 0) + 1;
    coreSeconds += r.seconds ?? 0;
    const cost = jobCost(JSON.parse(r.params) as Job);
    if (r.status === 'done' || r.status === 'failed') {
      finished++;
      doneCost += cost;
      if (r.started_at && (!first || r.started_at < first)) first = r.started_at;
      if (r.finished_at && (!last || r.finished_at > last)) last = r.finished_at;
    } else {
      leftCost += cost;
    }
  }
  const wall = first && last ? (Date.parse(last) - Date.parse(first)) / 1000 : 0;
  const failures = rows.filter((r) => r.status === 'failed').slice(0, o.failures ?? 10).map((r) => ({ key: r.key, experiment: r.experiment, error: r.error ?? '' }));
  return {
    total: rows.length,
    byStatus,
    byExperiment,
    failures,
    jobsPerMinute: wall > 0 ? (60 * finished) / wall : null,
    coreSeconds,
    etaSeconds: leftCost === 0 ? 0 : wall > 0 && doneCost > 0 ? (wall / doneCost) * leftCost : null,
    window: { first, last },
  };
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function formatStatus(s: SweepStatus, db: string): string {
  const statuses = ['done', 'failed', 'running', 'pending'];
  const lines = [
    `${db}: ${s.total} jobs — ${statuses.map((k) => `${s.byStatus[k] ?? 0} ${k}`).join(', ')}`,
    ...Object.entries(s.byExperiment).map(([e, c]) => `  ${e.padEnd(9)} ${statuses.map((k) => `${String(c[k] ?? 0).padStart(6)} ${k}`).join('  ')}`),
    `throughput: ${s.jobsPerMinute === null ? '-' : `${s.jobsPerMinute.toFixed(1)} jobs/min`} (${s.window.first ?? '-'} .. ${s.window.last ?? '-'}); computation: ${duration(s.coreSeconds)}`,
    `ETA: ${s.etaSeconds === null ? 'unknown until a job finishes' : s.etaSeconds === 0 ? 'nothing left' : duration(s.etaSeconds)}`,
  ];
  if (s.failures.length > 0) lines.push('failures:', ...s.failures.map((f) => `  ${f.key} (${f.experiment}): ${f.error.split('\n')[0]}`));
  return `${lines.join('\n')}\n`;
}
