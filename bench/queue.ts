/**
 * Tiny jobs end to end through the Redis queue (BullMQ): a local redis-server on a free loopback port,
 * 2 `nntk worker` processes (1 job at a time, 1 BLAS thread each), `submitJobs`, and `collectResults
 * --follow` into a fresh SQLite store; the clock runs from the submit to the last result stored.
 * Each job is one one-step trial of width 20 (gammas [0.1], no limit kernel, about a millisecond of
 * work), so the rate measures the queue's own cost per job. Goal: >= 1000 jobs per minute.
 *
 * `npm run bench` calls runQueueBench; alone: node --import tsx bench/queue.ts [JOBS]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { packageVersion } from '../src/about.js';
import { collectResults } from '../src/queue/collect.js';
import { checkReachable, parseRedisUrl } from '../src/queue/connection.js';
import { submitJobs } from '../src/queue/submit.js';
import { ResultsStore } from '../src/store/results-store.js';
import { expandSpec } from '../src/sweep/expand.js';

const GOAL_PER_MINUTE = 1000;
const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;

export interface QueueBenchResult {
  jobs?: number;
  workers?: number;
  seconds?: number;
  jobsPerMinute?: number;
  submitSeconds?: number;
  goalPerMinute: number;
  skipped?: string;
}

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

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

export async function runQueueBench(log: (line: string) => void, o: { jobs?: number; workers?: number } = {}): Promise<QueueBenchResult> {
  const count = o.jobs ?? 2000;
  const workerCount = o.workers ?? 2;
  const redisServer = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
  if (!redisServer) {
    const skipped = 'redis-server is not installed (sudo apt-get install -y redis-server)';
    log(`BullMQ queue bench skipped: ${skipped}`);
    return { skipped, goalPerMinute: GOAL_PER_MINUTE };
  }
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (npm run build)`);
  const scratch = mkdtempSync(join(tmpdir(), 'nntk-queue-bench-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}/0`;
  const redis = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', scratch], { stdio: 'ignore' });
  const workers: ChildProcess[] = [];
  try {
    for (let k = 0; ; k++) {
      try {
        await checkReachable(parseRedisUrl(url), 1000);
        break;
      } catch (e) {
        if (k > 100) throw e;
        await sleep(50);
      }
    }
    const { jobs } = expandSpec(
      { name: 'queue-bench', experiment: 'one-step', fixed: { width: 20, gammas: [0.1], limit: 'none' }, grid: { seed: { range: [0, count] } } },
      scratch,
    );
    // The workers, started (and connected) before the clock starts.
    const ready: Promise<void>[] = [];
    for (let k = 0; k < workerCount; k++) {
      const child = spawn(process.execPath, [cli, 'worker', '--queue', url, '--name', 'bench', '--workers', '1', '--threads-per-worker', '1'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
      });
      workers.push(child);
      ready.push(
        new Promise((resolve, reject) => {
          let text = '';
          child.stderr!.on('data', (d: Buffer) => {
            text += d.toString();
            if (/on queue 'bench'/.test(text)) resolve();
          });
          child.once('exit', (code) => reject(new Error(`a bench worker exited (${code}) before it started:\n${text}`)));
        }),
      );
    }
    await Promise.all(ready);

    const store = new ResultsStore(join(scratch, 'bench.sqlite'), packageVersion());
    try {
      const started = performance.now();
      const submitted = await submitJobs(jobs, { url, queue: 'bench' });
      const submitSeconds = (performance.now() - started) / 1000;
      const collected = await collectResults({ url, queue: 'bench', store, follow: true, pollSeconds: 0.05 });
      const seconds = (performance.now() - started) / 1000;
      if (submitted.added !== jobs.length || collected.stored !== jobs.length) {
        throw new Error(`queue bench: ${submitted.added} of ${jobs.length} jobs added, ${collected.stored} results stored`);
      }
      const perMinute = (jobs.length / seconds) * 60;
      log(
        `BullMQ queue, ${jobs.length} tiny jobs (one-step width 20), ${workerCount} local workers, submit -> results in SQLite: ${seconds.toFixed(2)} s, ` +
          `${perMinute.toFixed(0)} jobs/min (goal >= ${GOAL_PER_MINUTE}; ${perMinute >= GOAL_PER_MINUTE ? 'met' : 'NOT met'}); submit alone ${submitSeconds.toFixed(2)} s`,
      );
      return { jobs: jobs.length, workers: workerCount, seconds, jobsPerMinute: perMinute, submitSeconds, goalPerMinute: GOAL_PER_MINUTE };
    } finally {
      store.close();
    }
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map(exited));
    redis.kill('SIGKILL');
    await exited(redis);
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const jobs = process.argv[2] !== undefined ? Number(process.argv[2]) : undefined;
  await runQueueBench((line) => console.log(line), jobs !== undefined ? { jobs } : {});
}
