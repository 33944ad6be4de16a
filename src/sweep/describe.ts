/**
 * The description a run records in its store (the `runs` table), derived from its jobs, so that
 * `nntk report --db FILE` can draw a sweep's report as it draws `nntk reproduce`'s: the labels play
 * the figures' part, and the widths, gammas, curvatures and training budgets are those of the jobs.
 */
import type { Job, OneStepJob, TrainJob } from '../experiments/jobs.js';
import type { FigureCurvature, RunDescription } from '../report/types.js';

const distinct = <T>(values: T[]): T[] => [...new Set(values)];

export function describeJobs(name: string, jobs: readonly Job[], command: string): RunDescription {
  const steps = jobs.filter((j): j is OneStepJob => j.experiment === 'one-step');
  const runs = jobs.filter((j): j is TrainJob => j.experiment === 'train');
  const training = distinct(runs.map((r) => JSON.stringify({ method: r.method, iterations: r.iterations, ...(r.learningRate !== undefined ? { learningRate: r.learningRate } : {}) })))
    .map((t) => JSON.parse(t) as { method: TrainJob['method']; iterations: number; learningRate?: number });
  const limits = distinct(steps.map((s) => s.limit.kind));
  return {
    command,
    figures: distinct(jobs.map((j) => j.label)),
    scale: `sweep '${name}'`,
    seed: 0,
    trials: Math.max(0, ...steps.map((s) => s.trial + 1)),
    curvatures: distinct(steps.map((s) => s.curvature as FigureCurvature)),
    limit: limits.length === 1 ? limits[0]! : limits.includes('exact') ? 'exact' : (limits[0] ?? 'none'),
    widths: distinct(steps.map((s) => s.width)).sort((a, b) => a - b),
    gammas: distinct(steps.flatMap((s) => s.gammas)).sort((a, b) => b - a),
    beta: jobs[0]?.beta ?? 0,
    ...(runs.length > 0 ? { training, trainingSeeds: distinct(runs.map((r) => r.seed)).length, trainingWidth: Math.max(...runs.map((r) => r.width)) } : {}),
    version: '',
    machine: '',
    startedAt: new Date().toISOString(),
    seconds: 0,
    threads: 0,
    workers: 0,
  };
}
