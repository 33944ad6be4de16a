/**
 * The local runner's faults (src/runner/pool.ts), with a worker whose jobs misbehave on purpose
 * (test/fixtures/faulty-worker.mjs, passed as runJobs' workerFile): a job past the timeout, a thread
 * that throws, exits or runs out of memory each fail that job alone and the others run; a timed-out
 * thread stuck in a native call holds its lane until the call returns (no oversubscription); an abort
 * puts the job in flight back to 'pending'; a job that kills its process is failed after maxAttempts
 * deaths, and jobs are claimed only when dispatched.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jobKey } from '../src/experiments/jobs.js';
import { type Progress, runJobs } from '../src/runner/pool.js';
import { ResultsStore } from '../src/store/results-store.js';
import { faultJob } from './fixtures/fault-jobs.js';

const scratch = mkdtempSync(join(tmpdir(), 'nntk-runner-faults-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const workerFile = new URL('./fixtures/faulty-worker.mjs', import.meta.url);
const root = new URL('..', import.meta.url).pathname;

interface Row {
  key: string;
  status: string;
  error: string | null;
  attempts: number;
  metrics: string | null;
  pid: number | null;
}
const row = (store: ResultsStore, job: ReturnType<typeof faultJob>) =>
  store.db.prepare('SELECT key, status, error, attempts, metrics, pid FROM jobs WHERE key = ?').get(jobKey(job)) as Row;

describe('runJobs faults', () => {
  it('a timeout, an uncaught error, process.exit and running out of memory fail their job only; the rest runs', async () => {
    const store = new ResultsStore(join(scratch, 'faults.sqlite'), 'test');
    const faults = { hang: faultJob('hang', 60), throw: faultJob('throw', 59), exit: faultJob('exit', 58), oom: faultJob('oom', 57) };
    const good = Array.from({ length: 12 }, (_, k) => faultJob('ok', 10 + k));
    const keys = store.plan([...Object.values(faults), ...good]);
    const seen: Progress[] = [];
    const summary = await runJobs(store, keys, {
      threads: 2,
      workers: 2,
      jobTimeoutSeconds: 1,
      resourceLimits: { maxOldGenerationSizeMb: 48 },
      workerFile,
      onProgress: (p) => seen.push(p),
    });
    expect(summary).toMatchObject({ done: 16, failed: 4, total: 16, skipped: 0, fraction: 1, aborted: false, etaSeconds: 0 });
    expect(summary.jobsPerMinute).toBeGreaterThan(0);
    expect(row(store, faults.hang)).toMatchObject({ status: 'failed', error: 'timeout: the job ran longer than --job-timeout 1 s', attempts: 1 });
    expect(row(store, faults.throw)).toMatchObject({ status: 'failed', error: 'crash: its worker thread died (an uncaught error in the worker)', attempts: 1 });
    expect(row(store, faults.exit)).toMatchObject({ status: 'failed', error: 'crash: its worker thread died (worker exited with code: 7)', attempts: 1 });
    expect(row(store, faults.oom)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row(store, faults.oom).error).toMatch(/^crash: its worker thread ran out of memory \(/);
    for (const job of good) {
      const r = row(store, job);
      expect(r).toMatchObject({ status: 'done', error: null, attempts: 1 });
      expect(JSON.parse(r.metrics!)).toMatchObject({ label: 'ok', width: job.width });
    }
    // One progress report at the start and one per job, counting up to the end; the ETA once known.
    expect(seen.map((p) => p.done)).toEqual(Array.from({ length: 17 }, (_, k) => k));
    expect(seen.at(-1)!.failed).toBe(4);
    expect(seen[0]).toMatchObject({ jobsPerMinute: null, etaSeconds: null, fraction: 0 });
    expect(seen.slice(1).every((p) => p.jobsPerMinute! > 0 && p.etaSeconds! >= 0)).toBe(true);
    // A rerun runs nothing; retryFailed runs the failures again (and they fail the same way).
    expect(await runJobs(store, keys, { threads: 1, workers: 1, workerFile })).toMatchObject({ done: 16, failed: 4, skipped: 16 });
    const again = await runJobs(store, [jobKey(faults.exit)], { threads: 1, workers: 1, workerFile, retryFailed: true });
    expect(again).toMatchObject({ done: 1, failed: 1, skipped: 0 });
    expect(row(store, faults.exit)).toMatchObject({ status: 'failed', attempts: 2 });
    store.close();
  }, 60_000);

  it('a timed-out thread inside a native call holds its lane until the call returns: no oversubscription', async () => {
    const store = new ResultsStore(join(scratch, 'native.sqlite'), 'test');
    const marker = join(scratch, 'native-call-returned');
    process.env.NNTK_TEST_PROBE = marker;
    try {
      const native = faultJob(`native:${marker}:2`, 60);
      const probes = Array.from({ length: 5 }, (_, k) => faultJob('probe', 10 + k));
      const keys = store.plan([native, ...probes]);
      const summary = await runJobs(store, keys, { threads: 1, workers: 1, jobTimeoutSeconds: 0.5, workerFile });
      expect(summary).toMatchObject({ done: 6, failed: 1 });
      expect(row(store, native)).toMatchObject({ status: 'failed', error: 'timeout: the job ran longer than --job-timeout 0.5 s' });
      // The native call went on after the timeout (it created the file as it returned), and every job
      // after it ran only once the terminated thread had left it: never two threads on one lane.
      expect(existsSync(marker)).toBe(true);
      for (const job of probes) expect(JSON.parse(row(store, job).metrics!)).toMatchObject({ label: 'probe', sawFile: true });
    } finally {
      delete process.env.NNTK_TEST_PROBE;
      store.close();
    }
  }, 60_000);

  it('an abort puts the job in flight back to pending, uncounted; jobs not dispatched stay untouched', async () => {
    const store = new ResultsStore(join(scratch, 'abort.sqlite'), 'test');
    const hang = faultJob('hang', 60);
    const rest = [faultJob('ok', 10), faultJob('ok', 11)];
    const keys = store.plan([hang, ...rest]);
    const abort = new AbortController();
    // Abort once the hanging job is held by this process.
    const watch = setInterval(() => {
      if (row(store, hang).status === 'running') abort.abort();
    }, 10);
    try {
      const summary = await runJobs(store, keys, { threads: 1, workers: 1, workerFile, signal: abort.signal });
      expect(summary).toMatchObject({ aborted: true, done: 0, failed: 0 });
    } finally {
      clearInterval(watch);
    }
    expect(row(store, hang)).toMatchObject({ status: 'pending', attempts: 0, pid: null, error: null });
    for (const job of rest) expect(row(store, job)).toMatchObject({ status: 'pending', attempts: 0, pid: null });
    // Aborted before it starts: nothing is dispatched.
    expect(await runJobs(store, keys, { threads: 1, workers: 1, workerFile, signal: AbortSignal.abort() })).toMatchObject({ aborted: true, done: 0 });
    expect(row(store, hang).attempts).toBe(0);
    store.close();
  }, 60_000);

  it('a job that kills its process is failed after maxAttempts deaths; the others are claimed only when dispatched', () => {
    const db = join(scratch, 'killer.sqlite');
    const run = () => spawnSync(process.execPath, ['--import', 'tsx', join(root, 'test', 'fixtures', 'run-faulty.ts'), db, '3'], { cwd: root, encoding: 'utf8' });
    const killer = faultJob('kill-process', 60);
    const others = [10, 11, 12, 13, 14].map((w) => faultJob('ok', w));
    for (let death = 1; death <= 3; death++) {
      const r = run();
      expect(r.signal, r.stderr).toBe('SIGKILL');
      const store = new ResultsStore(db, 'test');
      // Left 'running' by the dead process, its deaths counted; the jobs after it were never claimed.
      expect(row(store, killer)).toMatchObject({ status: 'running', attempts: death });
      expect(row(store, killer).pid).toBe(r.pid);
      for (const job of others) expect(row(store, job)).toMatchObject({ status: 'pending', attempts: 0 });
      store.close();
    }
    const last = run();
    expect(last.status, last.stderr).toBe(0);
    expect(JSON.parse(last.stdout)).toMatchObject({ done: 6, failed: 1, skipped: 1, aborted: false });
    const store = new ResultsStore(db, 'test');
    expect(row(store, killer)).toMatchObject({ status: 'failed', attempts: 3 });
    expect(row(store, killer).error).toMatch(/^crash: the process running this job died 3 times \(--max-attempts 3\)/);
    for (const job of others) expect(row(store, job)).toMatchObject({ status: 'done', attempts: 1 });
    store.close();
  }, 60_000);
});
