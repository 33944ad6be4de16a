/**
 * The Redis job queue (src/queue/) against a real redis-server on a loopback port: submitting is
 * idempotent by job key; several `nntk worker` processes run a sweep while one of them is killed with
 * SIGKILL in the middle of a job; two collects running at once (one in this process, one a separate
 * `nntk sweep collect`) and a third one afterwards write every job's result into the store exactly once,
 * equal bit for bit to executeJob run directly (timing and host columns aside). Skipped, with the
 * reason printed, when redis-server is not installed (node scripts/setup.mjs --test installs it as root).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageVersion } from '../src/about.js';
import { executeJob, JobContext } from '../src/experiments/execute.js';
import { type Job, jobKey } from '../src/experiments/jobs.js';
import { collectResults } from '../src/queue/collect.js';
import { checkQueueName, parseRedisUrl, redisOptions } from '../src/queue/connection.js';
import { decodeResult, encodeResult } from '../src/queue/messages.js';
import { submitJobs } from '../src/queue/submit.js';
import { partitionCores } from '../src/queue/worker.js';
import { ResultsStore } from '../src/store/results-store.js';
import { planSweep } from '../src/sweep/expand.js';
import { setThreads } from '../src/threads.js';

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist', 'cli', 'main.js');

function findRedisServer(): string | null {
  for (const path of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) if (existsSync(path)) return path;
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : null;
}
const redisServer = findRedisServer();
if (!redisServer) console.log('queue.test.ts: the Redis queue tests are skipped: redis-server is not installed (sudo apt-get install -y redis-server)');

describe('queue URLs, names and messages', () => {
  it('parses redis://HOST:PORT[/DB] and refuses anything else with the expected form', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380/2')).toEqual({ host: '127.0.0.1', port: 6380, db: 2, tls: false });
    expect(parseRedisUrl('redis://queue.example')).toEqual({ host: 'queue.example', port: 6379, db: 0, tls: false });
    expect(parseRedisUrl('rediss://u:p%40ss@[::1]:7000')).toEqual({ host: '::1', port: 7000, db: 0, username: 'u', password: 'p@ss', tls: true });
    for (const [url, why] of [
      ['', 'a queue URL is required'],
      ['127.0.0.1:6379', 'not a URL'],
      ['tcp://127.0.0.1:6379', "the scheme is 'tcp'"],
      ['http://h:1', "the scheme is 'http'"],
      ['redis://h:70000', 'not a URL'],
      ['redis://h:6379/x', "the database 'x' is not a number"],
      ['redis://h:6379/0?x=1', 'query strings'],
    ]) {
      expect(() => parseRedisUrl(url!)).toThrow(expect.objectContaining({ code: 'E_ARGUMENT', message: expect.stringContaining(why!) }));
      expect(() => parseRedisUrl(url!)).toThrow(/expected redis:\/\/HOST:PORT\[\/DB\]/);
    }
    expect(checkQueueName('widths-2.a_b')).toBe('widths-2.a_b');
    for (const bad of ['', 'a:b', '-x', 'a b', 'x'.repeat(101)]) expect(() => checkQueueName(bad)).toThrow(expect.objectContaining({ code: 'E_ARGUMENT' }));
  });

  it('keeps every double of a result, NaN, infinities and -0 included', () => {
    const output = { metrics: { a: Number.NaN, b: Number.POSITIVE_INFINITY, c: Number.NEGATIVE_INFINITY, d: -0, e: 0.1 + 0.2, f: [5e-324, -0, 1.7976931348623157e308] }, seconds: 0.5 };
    const back = decodeResult(JSON.parse(JSON.stringify(encodeResult({ output, host: 'h', pid: 1, version: 'v' }))));
    const m = back.output.metrics as Record<string, unknown>;
    expect(m.a).toBeNaN();
    expect(m.b).toBe(Number.POSITIVE_INFINITY);
    expect(m.c).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(m.d, -0)).toBe(true);
    expect(m.e).toBe(0.30000000000000004);
    expect(Object.is((m.f as number[])[1], -0)).toBe(true);
    expect(m.f).toEqual([5e-324, -0, 1.7976931348623157e308]);
    expect(() => decodeResult({})).toThrow(/not an nntk queue result/);
  });

  it('shares the cores out without oversubscribing them', () => {
    expect(partitionCores({ cores: 8 })).toEqual({ workers: 8, threadsPerWorker: 1 });
    expect(partitionCores({ cores: 8, workers: 3 })).toEqual({ workers: 3, threadsPerWorker: 2 });
    expect(partitionCores({ cores: 8, threadsPerWorker: 4 })).toEqual({ workers: 2, threadsPerWorker: 4 });
    expect(() => partitionCores({ cores: 2, threadsPerWorker: 4 })).toThrow(/1 workers x 4 BLAS threads = 4 threads on 2 cores/);
    expect(() => partitionCores({ cores: 8, workers: 3, threadsPerWorker: 3 })).toThrow(/9 threads on 8 cores/);
    expect(() => partitionCores({ cores: 8, workers: 0 })).toThrow(expect.objectContaining({ code: 'E_ARGUMENT' }));
  });
});

/** A free TCP port on the loopback interface. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

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

interface Worker {
  child: ChildProcess;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe.skipIf(!redisServer)('Redis job queue (BullMQ) with a real redis-server', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'nntk-queue-'));
  let redis: ChildProcess | undefined;
  let url = '';
  const workers: Worker[] = [];

  beforeAll(async () => {
    const port = await freePort();
    url = `redis://127.0.0.1:${port}/0`;
    redis = spawn(redisServer!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', scratch], { stdio: 'ignore' });
    // Up when it answers PING (a few tens of milliseconds).
    for (let k = 0; ; k++) {
      const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      client.on('error', () => {});
      try {
        await client.connect();
        if ((await client.ping()) === 'PONG') break;
      } catch {
        if (k > 200) throw new Error(`redis-server did not start on port ${port}`);
        await sleep(50);
      } finally {
        client.disconnect();
      }
    }
  });

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    if (redis && redis.exitCode === null) {
      const gone = new Promise((r) => redis!.once('exit', r));
      redis.kill('SIGKILL');
      await gone;
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  // The sweep: tiny one-step jobs, a kernel job, a short and two slow (about a second) training runs,
  // and a job whose data file is gone by the time it runs (fails on every attempt).
  const data = join(scratch, 'line.csv');
  writeFileSync(data, `x,y\n${Array.from({ length: 12 }, (_, k) => `${(k / 6 - 1).toFixed(4)},${Math.sin(k).toFixed(6)}`).join('\n')}\n`);
  const tiny = { experiment: 'one-step', fixed: { gammas: [0.1], limit: 'none' }, grid: { width: [10, 20, 30, 40], seed: [0, 1] } };
  const spec = {
    name: 'queue-test',
    sweeps: [tiny],
    jobs: [
      { experiment: 'kernel', width: 25, gammas: [0.01, 0.1], limit: true },
      { experiment: 'train', method: 'gauss-newton', width: 30, iterations: 20, record: { every: 5 } },
      { experiment: 'train', method: 'adam', width: 100, iterations: 60000, record: { every: 6000 }, seed: 0 },
      { experiment: 'train', method: 'adam', width: 100, iterations: 60000, record: { every: 6000 }, seed: 1 },
      { experiment: 'one-step', width: 10, gammas: [0.1], limit: 'none', dataset: data },
    ],
  };
  const specPath = join(scratch, 'spec.json');
  const tinyPath = join(scratch, 'tiny.json');
  const readablePath = join(scratch, 'readable.json');
  writeFileSync(specPath, JSON.stringify(spec));
  writeFileSync(readablePath, JSON.stringify({ ...spec, jobs: spec.jobs.slice(0, -1) }));
  writeFileSync(tinyPath, JSON.stringify({ name: 'tiny', sweeps: [tiny] }));
  const jobs: Job[] = planSweep(specPath).jobs;
  const isSlow = (j: Job) => j.experiment === 'train' && j.method === 'adam';
  const failing = jobs.find((j) => j.data.kind === 'file')!;
  // Gone before any worker runs it (its key, from the file's hash, was taken while it existed).
  unlinkSync(data);

  it('submits idempotently: the same spec adds nothing, an extended one only its new jobs', async () => {
    const tinyJobs = planSweep(tinyPath).jobs;
    expect(tinyJobs).toHaveLength(8);
    expect(await submitJobs(tinyJobs, { url, queue: 'idem' })).toEqual({ total: 8, added: 8, existing: 0, retried: 0 });
    expect(await submitJobs(tinyJobs, { url, queue: 'idem' })).toEqual({ total: 8, added: 0, existing: 8, retried: 0 });
    // The same jobs twice in one call are one job.
    expect(await submitJobs([...jobs, ...jobs], { url, queue: 'idem' })).toEqual({ total: jobs.length, added: jobs.length - 8, existing: 8, retried: 0 });
    const queue = new Queue('idem', { connection: redisOptions(parseRedisUrl(url)) });
    try {
      expect(await queue.count()).toBe(jobs.length);
      const stored = await queue.getJob(jobKey(jobs[0]!));
      expect(stored?.data).toEqual({ job: jobs[0] });
      expect(stored?.opts).toMatchObject({ attempts: 3, backoff: { type: 'exponential', delay: 1000 } });
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('reports an unreachable server and bad options clearly', async () => {
    const port = await freePort();
    await expect(submitJobs(jobs, { url: `redis://127.0.0.1:${port}` })).rejects.toThrow(new RegExp(`could not reach Redis at redis://127.0.0.1:${port}/0: .*ECONNREFUSED`));
    await expect(submitJobs(jobs, { url, attempts: 0 })).rejects.toThrow(/attempts must be an integer/);
    const r = spawnSync(process.execPath, [cli, 'sweep', 'submit', tinyPath, '--queue', 'redis:/nohost'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/queue URL 'redis:\/nohost': no host; expected redis:\/\/HOST:PORT/);
  });

  it('runs on several workers, survives a worker killed mid-job, and collects each result exactly once, bit for bit', async () => {
    const name = 'main';
    // Through the command line: 2 attempts, 0.2 s before the retry; the job whose file is gone (the
    // command line cannot plan it any more) through the API.
    const submitted = spawnSync(process.execPath, [cli, 'sweep', 'submit', readablePath, '--queue', url, '--name', name, '--attempts', '2', '--backoff', '0.2', '--json'], { encoding: 'utf8' });
    expect(submitted.status, submitted.stderr).toBe(0);
    expect(JSON.parse(submitted.stdout)).toMatchObject({ name: 'queue-test', queue: name, total: jobs.length - 1, added: jobs.length - 1, existing: 0 });
    expect(await submitJobs(jobs, { url, queue: name, attempts: 2, backoffSeconds: 0.2 })).toEqual({ total: jobs.length, added: 1, existing: jobs.length - 1, retried: 0 });

    const start = (): Worker => {
      const child = spawn(process.execPath, [cli, 'worker', '--queue', url, '--name', name, '--workers', '1', '--threads-per-worker', '1', '--lock-seconds', '1'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const w: Worker = { child, stderr: '', exited: new Promise((r) => child.once('exit', (code, signal) => r({ code, signal }))) };
      child.stderr!.on('data', (d: Buffer) => (w.stderr += d.toString()));
      workers.push(w);
      return w;
    };
    for (let k = 0; k < 3; k++) start();

    // The costliest jobs are queued first: wait until a slow training run is running, then kill its process.
    const queue = new Queue(name, { connection: redisOptions(parseRedisUrl(url)) });
    let victim: Worker | undefined;
    let victimJob = '';
    try {
      for (let k = 0; !victim; k++) {
        if (k > 3000) throw new Error(`no slow job was seen running; workers said:\n${workers.map((w) => w.stderr).join('\n')}`);
        for (const job of await queue.getActive()) {
          const pid = Number(String(job.processedBy ?? '').split(':').pop());
          const holder = workers.find((w) => w.child.pid === pid);
          if (holder && isSlow(job.data.job as Job)) {
            holder.child.kill('SIGKILL');
            victim = holder;
            victimJob = job.id!;
            break;
          }
        }
        if (!victim) await sleep(10);
      }
      expect((await victim.exited).signal).toBe('SIGKILL');

      // Two collects at once, into one store: this process and a separate `nntk sweep collect` process.
      const db = join(scratch, 'collected.sqlite');
      const other = spawn(process.execPath, [cli, 'sweep', 'collect', '--queue', url, '--name', name, '--db', db, '--follow', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let otherOut = '';
      let otherErr = '';
      other.stdout!.on('data', (d: Buffer) => (otherOut += d.toString()));
      other.stderr!.on('data', (d: Buffer) => (otherErr += d.toString()));
      const otherExit = new Promise<number | null>((r) => other.once('exit', (code) => r(code)));
      const store = new ResultsStore(db, packageVersion());
      let mine;
      try {
        mine = await collectResults({ url, queue: name, store, follow: true, pollSeconds: 0.1 });
      } finally {
        store.close();
      }
      // The failed job makes collect exit 1.
      expect(await otherExit, otherErr).toBe(1);
      const theirs = JSON.parse(otherOut) as typeof mine;
      expect(mine.unfinished).toBe(0);
      expect(theirs.unfinished).toBe(0);
      // Between them, each finished job was written once: jobs.length - 1 results and 1 failure.
      expect(mine.stored + theirs.stored).toBe(jobs.length - 1);
      expect(mine.failed + theirs.failed).toBe(1);
      expect(mine.queueFailed).toBe(1);

      // A third collect finds everything there and writes nothing.
      const again = new ResultsStore(db, packageVersion());
      try {
        expect(await collectResults({ url, queue: name, store: again })).toMatchObject({ stored: 0, failed: 0, alreadyStored: jobs.length, unfinished: 0, queueFailed: 1 });
      } finally {
        again.close();
      }

      // The killed job went back to the queue once (stalled) and was finished by another worker.
      const killed = (await queue.getJob(victimJob))!;
      expect(killed.stalledCounter).toBe(1);
      expect(await killed.getState()).toBe('completed');
      expect(decodeResult(killed.returnvalue).pid).not.toBe(victim.child.pid);
      // The failing job was tried twice (the retry after the backoff), then failed with its error.
      const failed = (await queue.getJob(jobKey(failing)))!;
      expect(failed.attemptsMade).toBe(2);

      // The values: what executeJob computes here, with the workers' one BLAS thread, stored the same way.
      setThreads(1);
      const reference = join(scratch, 'reference.sqlite');
      const ref = new ResultsStore(reference, packageVersion());
      const context = new JobContext();
      try {
        ref.plan(jobs);
        for (const job of jobs) {
          const answer = await executeJob(job, context);
          if (answer.ok) ref.complete(jobKey(job), answer.output);
          else ref.fail(jobKey(job), answer.error, answer.seconds);
        }
      } finally {
        ref.close();
      }
      const got = rows(db, 'jobs', 'key');
      expect(got).toHaveLength(jobs.length);
      expect(got).toEqual(rows(reference, 'jobs', 'key'));
      expect(got.filter((r) => r.status === 'done')).toHaveLength(jobs.length - 1);
      expect(got.find((r) => r.key === jobKey(failing))).toMatchObject({ status: 'failed', error: expect.stringMatching(/line\.csv/) });
      expect(rows(db, 'trials', 'job_key, gamma')).toEqual(rows(reference, 'trials', 'job_key, gamma'));
      const spectra = rows(db, 'spectra', 'job_key, kernel, source, gamma, idx');
      expect(spectra.length).toBeGreaterThan(0);
      expect(spectra).toEqual(rows(reference, 'spectra', 'job_key, kernel, source, gamma, idx'));
      const training = rows(db, 'training', 'job_key, iteration');
      expect(training.length).toBeGreaterThan(0);
      expect(training).toEqual(rows(reference, 'training', 'job_key, iteration'));

      // Where and how often each job ran: this host, a worker's pid, the attempts BullMQ started.
      const d = new Database(db, { readonly: true });
      try {
        const placed = d.prepare('SELECT key, host, pid, attempts FROM jobs').all() as { key: string; host: string; pid: number; attempts: number }[];
        const workerPids = new Set(workers.map((w) => w.child.pid));
        for (const r of placed) {
          expect(r.host).toBe(hostname());
          expect(workerPids.has(r.pid), `job ${r.key} ran in pid ${r.pid}`).toBe(true);
          expect(r.attempts).toBe(r.key === victimJob || r.key === jobKey(failing) ? 2 : 1);
        }
      } finally {
        d.close();
      }
    } finally {
      await queue.close();
    }

    // SIGTERM: the remaining workers finish what they run (nothing now) and exit with 130.
    for (const w of workers.filter((x) => x !== victim)) {
      w.child.kill('SIGTERM');
      expect((await w.exited).code, w.stderr).toBe(130);
      expect(w.stderr).toMatch(/worker stopped: \d+ jobs done/);
    }
  }, 120_000);
});
