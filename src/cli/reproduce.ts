/**
 * `nntk reproduce`: plans the jobs of the requested figures (src/experiments/paper-grid.ts), runs what the
 * store in DIR does not hold yet on worker threads, and writes the data files and the report from the
 * store. Rerunning with the same --out resumes: finished jobs are not recomputed.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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
} from '../experiments/paper-grid.js';
import type { RunDescription } from '../report/types.js';
import { runSweep, type SweepResult } from '../sweep/run-sweep.js';
import type { SweepBlock, SweepSpec } from '../sweep/spec.js';
import { ResultsStore } from '../store/results-store.js';
import { machineDescription, packageVersion } from '../about.js';
import { progressView } from './progress.js';
import { writeGaussNewtonReport, writeReport, type WrittenReport } from './write-report.js';
import { runGaussNewton } from '../experiments/gauss-newton-reproduce.js';
import type { GaussNewtonResults } from '../experiments/gauss-newton-types.js';

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

/**
 * The predefined sweep of the requested figures: one one-step block per (figure, curvature) over the
 * widths with `trials` networks each (trial seeds derived from --seed, width and trial), and one train
 * block per method over the seeds. It runs through runSweep like any user's spec, and is written to
 * DIR/spec.json so that it can be rerun or extended with `nntk sweep run`.
 */
export function planRun(figures: FigureName[], o: ReproduceOptions, command: string): { run: RunDescription; spec: SweepSpec } {
  const scale = SCALE_SETTINGS[o.scale];
  const widths = o.widths ?? scale.widths;
  const gammas = [...(o.gammas ?? scale.gammas)].sort((a, b) => b - a);
  const trials = o.trials ?? scale.trials;
  const seeds = o.trials ?? scale.seeds;
  const curvatures = curvaturesOf(o.curvature);
  const training = scale.training.map((t) => ({ ...t, iterations: Math.min(t.iterations, o.iterations ?? Infinity) }));
  const limit = o.limit === 'exact' ? 'exact' : { proxy: { width: PROXY_WIDTH, seed: proxySeed(o.seed) } };
  const sweeps: SweepBlock[] = [];
  for (const figure of figures) {
    if (figure === 'figure3') {
      for (const t of training) {
        sweeps.push({
          experiment: 'train',
          name: figure,
          fixed: {
            dataset: 'figure3', method: t.method, width: scale.trainingWidth, beta: PAPER_BETA, iterations: t.iterations,
            ...(t.learningRate !== undefined ? { learningRate: t.learningRate } : {}), record: { perDecade: 20 },
            diagnostics: { components: true, ntkModes: true },
          },
          grid: { seed: Array.from({ length: seeds }, (_, k) => trainingSeed(o.seed, k)) },
        });
      }
      continue;
    }
    for (const curvature of curvatures) {
      sweeps.push({
        experiment: 'one-step',
        name: figure,
        fixed: { dataset: figure, curvature, beta: PAPER_BETA, activation: 'tanh', gammas, limit },
        grid: { width: widths },
        trials: { count: trials, baseSeed: o.seed },
      });
    }
  }
  const spec: SweepSpec = { name: `reproduce ${figures.join(' ')} (${o.scale})`, sweeps };
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
  return { run, spec };
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
  jobs: SweepResult;
  wallSeconds: number;
}

export async function reproduce(figures: FigureName[], o: ReproduceOptions, command: string): Promise<ReproduceResult> {
  const started = performance.now();
  const out = resolve(o.out);
  prepareOutDirectory(out);
  const { run, spec } = planRun(figures, o, command);
  writeFileSync(join(out, 'spec.json'), `${JSON.stringify(spec, null, 2)}\n`);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const view = progressView(`nntk reproduce ${figures.join(' ')}`, o.quiet === true);
  let summary: SweepResult;
  try {
    summary = await runSweep(spec, {
      db: join(out, 'results.sqlite'),
      threads: o.threads,
      ...(o.workers !== undefined ? { workers: o.workers } : {}),
      retryFailed: o.retryFailed === true,
      onProgress: (p) => view.update(p),
      signal: abort.signal,
      description: run,
    });
  } finally {
    view.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const store = new ResultsStore(join(out, 'results.sqlite'), run.version);
  try {
    const report = await writeReport(out, store);
    return { out, report, jobs: summary, wallSeconds: (performance.now() - started) / 1000 };
  } finally {
    store.close();
  }
}

export interface GaussNewtonReproduceResult {
  out: string;
  index: string;
  files: string[];
  results: GaussNewtonResults;
  wallSeconds: number;
}

/**
 * `nntk reproduce gauss-newton` (docs/MATH.md section 6.1): the two experiments on the claims of arXiv
 * 2412.14031, run in this process (each training run on its own worker thread, --workers or --threads of
 * them at a time), written to DIR/gauss-newton.json and drawn into DIR/index.html. The run takes seconds,
 * so it keeps no store and does not resume: rerunning recomputes the same numbers from the seeds.
 */
export async function reproduceGaussNewton(o: ReproduceOptions, command: string): Promise<GaussNewtonReproduceResult> {
  const started = performance.now();
  const out = resolve(o.out);
  prepareOutDirectory(out);
  const view = progressView('nntk reproduce gauss-newton', o.quiet === true);
  let results: GaussNewtonResults;
  try {
    results = await runGaussNewton({
      scale: o.scale,
      seed: o.seed,
      ...(o.trials !== undefined ? { trials: o.trials } : {}),
      ...(o.iterations !== undefined ? { iterations: o.iterations } : {}),
      concurrency: Math.max(1, o.workers ?? o.threads),
      command,
      onProgress: (p) => view.update(p),
    });
  } finally {
    view.stop();
  }
  const written = await writeGaussNewtonReport(out, results, o.threads);
  return { out, index: written.index, files: written.files, results, wallSeconds: (performance.now() - started) / 1000 };
}
