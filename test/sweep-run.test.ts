/**
 * runSweep, the API under `nntk sweep run`: every stored result equals the job run directly through
 * executeJob (bit for bit, timings aside); a rerun runs nothing; an extended spec runs only the new
 * jobs; failures are recorded with their error and rerun with retryFailed; the command line's exit codes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { executeJob, JobContext } from '../src/experiments/execute.js';
import { jobKey } from '../src/experiments/jobs.js';
import { planOf, runSweep, threadPlan } from '../src/sweep/run-sweep.js';
import type { SweepSpec } from '../src/sweep/spec.js';

const scratch = mkdtempSync(join(tmpdir(), 'nntk-sweep-run-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const root = new URL('..', import.meta.url).pathname;

const spec: SweepSpec = {
  name: 'mixed',
  sweeps: [
    { experiment: 'one-step', fixed: { gammas: [0.1, 0.001], limit: 'exact' }, grid: { width: [10, 40], curvature: ['gauss-newton', 'newton'] }, trials: { count: 2 } },
    { experiment: 'one-step', name: 'erf', fixed: { gamma: 0.01, limit: 'none', activation: 'erf', dataset: 'figure2' }, grid: { width: [30] } },
  ],
  jobs: [
    { experiment: 'train', method: 'gauss-newton', width: 30, iterations: 20, record: { every: 5 } },
    { experiment: 'train', method: 'adam', width: 30, iterations: 200, record: { perDecade: 4 } },
    { experiment: 'kernel', width: 25, gammas: [0.01, 0.1], limit: true },
  ],
};

/** A table's rows without the columns that measure time or place. */
function rows(db: string, table: string, order: string): Record<string, unknown>[] {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).all() as Record<string, unknown>[]).map((r) => {
      const { seconds: _s, started_at: _a, finished_at: _f, host: _h, pid: _p, attempts: _t, version: _v, created_at: _c, ...rest } = r;
      if (typeof rest.metrics === 'string') {
        const m = JSON.parse(rest.metrics) as Record<string, unknown>;
        delete m.seconds;
        rest.metrics = m;
      }
      return rest;
    });
  } finally {
    d.close();
  }
}

describe('runSweep', () => {
  const db = join(scratch, 'mixed.sqlite');

  it('stores what executeJob computes, bit for bit', async () => {
    const result = await runSweep(spec, { db, workers: 2, threadsPerWorker: 1 });
    const plan = planOf(spec);
    expect(result).toMatchObject({ done: plan.jobs.length, failed: 0, skipped: 0, planned: plan.jobs.length, workers: 2, threadsPerWorker: 1 });
    const context = new JobContext();
    const stored = new Map(rows(db, 'jobs', 'key').map((r) => [r.key as string, r]));
    const trials = rows(db, 'trials', 'job_key, gamma');
    const training = rows(db, 'training', 'job_key, iteration');
    for (const job of plan.jobs) {
      const key = jobKey(job);
      const answer = await executeJob(job, context);
      if (!answer.ok) throw new Error(answer.error);
      const record = stored.get(key)!;
      expect(record.status).toBe('done');
      const { seconds: _s, ...metrics } = answer.output.metrics;
      expect(record.metrics).toEqual(metrics);
      const mine = trials.filter((t) => t.job_key === key);
      expect(mine.map(({ job_key: _k, ...t }) => t)).toEqual(
        [...(answer.output.trials ?? [])].sort((a, b) => a.gamma! - b.gamma!).map(({ seconds: _t, ...t }) => t),
      );
      const history = training.filter((t) => t.job_key === key);
      expect(history.map((h) => h.loss)).toEqual((answer.output.training ?? []).map((h) => h.loss));
      expect(history.map((h) => h.iteration)).toEqual((answer.output.training ?? []).map((h) => h.iteration));
    }
    // The activation and data of the erf block reached its rows.
    const erf = plan.jobs.find((j) => j.label === 'erf')!;
    expect(trials.filter((t) => t.job_key === jobKey(erf))).toHaveLength(1);
    expect(trials.find((t) => t.job_key === jobKey(erf))!.figure).toBe('erf');
  });

  it('a rerun runs nothing; an extended spec runs only the new jobs', async () => {
    const again = await runSweep(spec, { db, workers: 2 });
    expect(again.done - again.skipped).toBe(0);
    const before = rows(db, 'jobs', 'key');
    const extended: SweepSpec = { ...spec, jobs: [...spec.jobs!, { experiment: 'one-step', width: 11, gamma: 0.5 }] };
    const more = await runSweep(extended, { db, workers: 2 });
    expect(more.done - more.skipped).toBe(1);
    const after = rows(db, 'jobs', 'key');
    expect(after).toHaveLength(before.length + 1);
    for (const r of before) expect(after.find((a) => a.key === r.key)).toEqual(r);
  });

  it('a failing job is recorded with its error, the others run, and retryFailed runs it again', async () => {
    const dataFile = join(scratch, 'points.csv');
    writeFileSync(dataFile, 'x,y\n0,1\n0.5,0\n1,1\n');
    const failing: SweepSpec = { jobs: [{ experiment: 'one-step', width: 5, gamma: 0.1, dataset: dataFile }, { experiment: 'one-step', width: 6, gamma: 0.1 }] };
    const plan = planOf(failing);
    writeFileSync(dataFile, 'x,y\n0,1\n0.5,0\n1,2\n'); // changed after planning: the job cannot run what was planned
    const failDb = join(scratch, 'fail.sqlite');
    const { runPlannedSweep } = await import('../src/sweep/run-sweep.js');
    const first = await runPlannedSweep(plan, { db: failDb, workers: 1 });
    expect(first).toMatchObject({ done: 2, failed: 1 });
    const jobs = rows(failDb, 'jobs', 'key');
    expect(jobs.find((j) => j.status === 'failed')!.error).toMatch(/^E_ARGUMENT: data file .*points\.csv has changed since the sweep was planned/);
    const skipped = await runPlannedSweep(plan, { db: failDb, workers: 1 });
    expect(skipped.done - skipped.skipped).toBe(0);
    writeFileSync(dataFile, 'x,y\n0,1\n0.5,0\n1,1\n');
    const retried = await runPlannedSweep(plan, { db: failDb, workers: 1, retryFailed: true });
    expect(retried).toMatchObject({ failed: 0, skipped: 1 });
    expect(rows(failDb, 'jobs', 'key').every((j) => j.status === 'done')).toBe(true);
  });

  it('bad options are refused before anything runs', async () => {
    await expect(runSweep(spec, { db: '' })).rejects.toMatchObject({ code: 'E_ARGUMENT' });
    await expect(runSweep(spec, { db, workers: 0 })).rejects.toThrow(/workers must be an integer from 1/);
    await expect(runSweep(spec, { db, jobTimeoutSeconds: -1 })).rejects.toThrow(/jobTimeoutSeconds/);
    // Past the longest timer Node keeps (2^31 - 1 ms), which would fire at once.
    await expect(runSweep(spec, { db, jobTimeoutSeconds: 4194304 })).rejects.toThrow(/at most 2000000/);
    await expect(runSweep({ jobs: [{ experiment: 'train', method: 'gd', width: 3, iterations: 1, damping: 'fixed' }] }, { db })).rejects.toThrow(/'damping' does not apply to method 'gd'/);
    await expect(runSweep(spec, { db, wokers: 2 } as never)).rejects.toThrow(/unknown option 'wokers' in runSweep options/);
    await expect(runSweep(spec, { db, onProgress: 3 } as never)).rejects.toThrow(/onProgress/);
    await expect(runSweep(spec, { db, signal: {} } as never)).rejects.toThrow(/an AbortSignal for signal/);
    await expect(runSweep(spec, { db, shard: { index: 2, count: 2 } })).rejects.toThrow(/0 <= i < n/);
    await expect(runSweep(spec, null as never)).rejects.toMatchObject({ code: 'E_ARGUMENT' });
    const { runPlannedSweep } = await import('../src/sweep/run-sweep.js');
    await expect(runPlannedSweep({ ...planOf(spec) }, { db })).rejects.toThrow(/a plan made by planSweep/);
    // A spec is read once: a getter that would change a value after the check cannot.
    let reads = 0;
    const sneaky = { jobs: [Object.defineProperty({ experiment: 'one-step', gamma: 0.1 }, 'width', { get: () => (reads++ === 0 ? 5 : 'x'), enumerable: true })] };
    expect(planOf(sneaky as never).jobs[0]!.width).toBe(5);
    expect(() => planOf({ jobs: [{ experiment: 'one-step', width: 3, gamma: 1n }] } as never)).toThrow(/plain JSON data/);
    expect(threadPlan({ workers: 3, threadsPerWorker: 2 }, 8)).toEqual({ threads: 6, workers: 3 });
    expect(threadPlan({ threads: 8, threadsPerWorker: 4 }, 8)).toEqual({ threads: 8, workers: 2 });
    expect(threadPlan({ threads: 4, workers: 2 }, 8)).toEqual({ threads: 4, workers: 2 });
    expect(threadPlan({ threads: 64, workers: 16 }, 8)).toEqual({ threads: 8, workers: 8 });
    expect(() => threadPlan({ workers: 2, threadsPerWorker: 4096 }, 8)).toThrow(/2 workers x 4096 BLAS threads would oversubscribe this machine's 8 cores/);
  });
});

describe('the public API', () => {
  it('importing nntk loads none of the sweep machinery (ajv, yaml, better-sqlite3, piscina) until a sweep runs', () => {
    const script = `import { createRequire } from 'node:module';
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => /node_modules/.test(k)).map((k) => k.split('node_modules/').at(-1).split('/')[0]);
      const nntk = await import(${JSON.stringify(join(root, 'dist', 'index.js'))});
      const before = loaded();
      await nntk.planSweep({ jobs: [{ experiment: 'one-step', width: 3, gamma: 1 }] });
      console.log(JSON.stringify({ before, after: loaded() }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const { before, after } = JSON.parse(r.stdout) as { before: string[]; after: string[] };
    for (const name of ['ajv', 'yaml', 'better-sqlite3', 'piscina']) expect(before).not.toContain(name);
    expect(after).toContain('ajv');
  });
});

describe('nntk sweep run', () => {
  const nntk = (args: string[]) => spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), ...args], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });

  it('exit codes: 0 done, 2 for a bad spec (naming the field), 1 when a job failed; --json summary on stdout', () => {
    const good = join(scratch, 'good.yaml');
    writeFileSync(good, 'jobs:\n  - { experiment: one-step, width: 8, gammas: [0.1], limit: none }\n');
    const ok = nntk(['sweep', 'run', good, '--db', join(scratch, 'cli.sqlite'), '--json', '-q']);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ done: 1, failed: 0, jobs: 1 });
    const bad = join(scratch, 'bad.yaml');
    writeFileSync(bad, 'jobs:\n  - { experiment: one-step, width: 8.5, gammas: [0.1] }\n');
    const refused = nntk(['sweep', 'run', bad, '--db', join(scratch, 'cli.sqlite')]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/bad\.yaml:2:\d+: jobs\[0\]\.width: must be integer \(got 8\.5\)/);
    expect(nntk(['sweep', 'run', good, '--shard', '2/2']).status).toBe(2);
    // --job-timeout: the endless job fails with its reason, its thread is replaced, the others finish.
    const slow = join(scratch, 'slow.yaml');
    writeFileSync(slow, 'jobs:\n  - { experiment: train, method: gd, width: 2000, iterations: 100000000 }\n  - { experiment: one-step, width: 8, gamma: 0.1, limit: none }\n  - { experiment: one-step, width: 9, gamma: 0.1, limit: none }\n');
    const timed = nntk(['sweep', 'run', slow, '--db', join(scratch, 'slow.sqlite'), '--job-timeout', '1', '--workers', '2', '-q', '--json']);
    expect(timed.status).toBe(1);
    expect(timed.stderr).not.toMatch(/terminate|Aborted|core dumped/);
    expect(JSON.parse(timed.stdout)).toMatchObject({ done: 3, failed: 1 });
    const jobs = rows(join(scratch, 'slow.sqlite'), 'jobs', 'key');
    expect(jobs.filter((j) => j.status === 'done')).toHaveLength(2);
    expect(jobs.find((j) => j.status === 'failed')!.error).toBe('timeout: the job ran longer than --job-timeout 1 s');
    const schema = nntk(['sweep', 'schema']);
    expect(schema.status).toBe(0);
    expect(JSON.parse(schema.stdout).title).toBe('nntk sweep spec');
  });
});
