/**
 * `nntk reproduce`: plans the jobs of the requested figures (src/experiments/paper-grid.ts), runs what the
 * store in DIR does not hold yet on worker threads, and writes the data files and the report from the
 * store. Rerunning with the same --out resumes: finished jobs are not recomputed.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Job } from '../experiments/jobs.js';
import {
  curvaturesOf,
  type CURVATURE_CHOICES,
  type FigureName,
  type LimitKind,
  PAPER_BETA,
  PROXY_WIDTH,
  proxySeed,
  SCALE_SETTINGS,
  type Scale,
  trainingSeed,
  trialSeed,
} from '../experiments/paper-grid.js';
import type { RunDescription } from '../report/types.js';
import { runJobs, type RunSummary } from '../runner/pool.js';
import { ResultsStore } from '../store/results-store.js';
import { machineDescription, packageVersion } from '../about.js';
import { progressView } from './progress.js';
import { writeReport, type WrittenReport } from './write-report.js';

export interface ReproduceOptions {
  scale: Scale;
  out: string;
  seed: number;
  trials?: number;
  threads: number;
  workers?: number;
  curvature: (typeof CURVATURE_CHOICES)[number];
  limit: LimitKind;
  widths?: number[];
  gammas?: number[];
  iterations?: number;
  retryFailed?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function planRun(figures: FigureName[], o: ReproduceOptions, command: string): { run: RunDescription; jobs: Job[] } {
  const scale = SCALE_SETTINGS[o.scale];
  const widths = o.widths ?? scale.widths;
  const gammas = [...(o.gammas ?? scale.gammas)].sort((a, b) => b - a);
  const trials = o.trials ?? scale.trials;
  const seeds = o.trials ?? scale.seeds;
  const curvatures = curvaturesOf(o.curvature);
  const training = scale.training.map((t) => ({ ...t, iterations: Math.min(t.iterations, o.iterations ?? Infinity) }));
  const limit = o.limit === 'exact' ? { kind: 'exact' as const } : { kind: 'proxy' as const, width: PROXY_WIDTH, seed: proxySeed(o.seed) };
  const jobs: Job[] = [];
  for (const figure of figures) {
    if (figure === 'figure3') {
      for (const t of training) {
        for (let k = 0; k < seeds; k++) {
          jobs.push({
            experiment: 'train', label: figure, data: { kind: 'builtin', name: 'paper-figure3' }, activation: 'tanh', method: t.method,
            seed: trainingSeed(o.seed, k), width: scale.trainingWidth, beta: PAPER_BETA, iterations: t.iterations,
            ...(t.learningRate !== undefined ? { learningRate: t.learningRate } : {}), record: { perDecade: 20 },
            diagnostics: { components: true, ntkModes: true },
          });
        }
      }
      continue;
    }
    for (const curvature of curvatures) {
      for (const width of widths) {
        for (let trial = 0; trial < trials; trial++) {
          jobs.push({
            experiment: 'one-step', label: figure, data: { kind: 'builtin', name: figure === 'figure1' ? 'paper-figure1' : 'paper-figure2' }, curvature, width, trial, seed: trialSeed(o.seed, width, trial), beta: PAPER_BETA,
            activation: 'tanh', gammas, limit,
          });
        }
      }
    }
  }
  const run: RunDescription = {
    command,
    figures,
    scale: o.scale,
    seed: o.seed,
    trials,
    curvatures,
    limit: o.limit,
    widths,
    gammas,
    beta: PAPER_BETA,
    ...(figures.includes('figure3') ? { training, trainingSeeds: seeds, trainingWidth: scale.trainingWidth } : {}),
    version: packageVersion(),
    machine: machineDescription(),
    startedAt: new Date().toISOString(),
    seconds: 0,
    threads: o.threads,
    workers: 0,
  };
  return { run, jobs };
}

/**
 * Creates the report directory one component at a time (a recursive mkdir can spin forever on special
 * file systems such as /proc), with errors that name --out.
 */
export function prepareOutDirectory(out: string): void {
  const missing: string[] = [];
  let dir = out;
  while (!existsSync(dir)) {
    missing.unshift(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new Error(`--out ${out}: ${dir} exists and is not a directory; choose another --out`);
  }
  for (const path of missing) {
    try {
      mkdirSync(path);
    } catch (e) {
      throw new Error(`--out ${out}: cannot create ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); choose another --out`);
    }
  }
}

export interface ReproduceResult {
  out: string;
  report: WrittenReport;
  jobs: RunSummary;
  wallSeconds: number;
}

export async function reproduce(figures: FigureName[], o: ReproduceOptions, command: string): Promise<ReproduceResult> {
  const started = performance.now();
  const out = resolve(o.out);
  prepareOutDirectory(out);
  const { run, jobs } = planRun(figures, o, command);
  const store = new ResultsStore(join(out, 'results.sqlite'), run.version);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const keys = store.plan(jobs);
    const view = progressView(`nntk reproduce ${figures.join(' ')}`, o.quiet === true);
    let summary: RunSummary;
    try {
      summary = await runJobs(store, keys, {
        threads: o.threads,
        ...(o.workers !== undefined ? { workers: o.workers } : {}),
        retryFailed: o.retryFailed === true,
        onProgress: (p) => view.update(p),
        signal: abort.signal,
      });
    } finally {
      view.stop();
    }
    run.workers = summary.workers;
    run.wallSeconds = (performance.now() - started) / 1000;
    store.recordRun(run, keys);
    const report = await writeReport(out, store);
    return { out, report, jobs: summary, wallSeconds: (performance.now() - started) / 1000 };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    store.close();
  }
}
