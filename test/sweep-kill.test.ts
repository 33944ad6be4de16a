/**
 * A sweep killed with SIGKILL at random moments, again and again, loses no finished result and records
 * none twice: a real `nntk sweep run` is killed at seeded random moments (22 times while it still had
 * work), restarted each time, and finally run to completion; its tables then equal those of an
 * uninterrupted run bit for bit (timings and hosts aside), and every job found done after any kill is
 * still there at the end with the very same row (finished_at, attempts and pid included: it was not run
 * or recorded again) and the very same trial/training rows.
 *
 * The kills are not the jobs' fault, and the same jobs (the largest, dispatched first) are in flight at
 * many of them, so the sweep runs with --max-attempts 1000; the cap itself is tested in
 * test/runner-faults.test.ts with a job that kills its own process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'dist', 'cli', 'main.js');
const scratch = mkdtempSync(join(tmpdir(), 'nntk-kill-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const env = { ...process.env, OPENBLAS_NUM_THREADS: '1' };

// About 1 core-second of work: 20 gradient-descent runs of ~40 ms and 200 one-step jobs of ~0.3 ms.
const TRAIN = 20;
const ONE_STEP = 200;
const SPEC = {
  name: 'kill-test',
  sweeps: [
    { experiment: 'train', fixed: { method: 'gd', width: 1000, iterations: 200, record: { perDecade: 5 }, label: 'kill' }, grid: { seed: { range: [0, TRAIN] } } },
    {
      experiment: 'one-step',
      fixed: { gammas: [0.1, 0.01], limit: 'none', curvature: 'gauss-newton', beta: 0.52, activation: 'tanh', label: 'kill' },
      grid: { width: { range: [10, 60] }, seed: { range: [0, ONE_STEP / 50] } },
    },
  ],
};

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type Row = Record<string, unknown>;
type Tables = { jobs: Row[]; trials: Row[]; training: Row[] };
const EMPTY: Tables = { jobs: [], trials: [], training: [] };

/** Opens the store read-only, or null while it (or its tables) does not exist yet: a process killed early. */
function open(db: string): Database.Database | null {
  if (!existsSync(db)) return null;
  const d = new Database(db, { readonly: true, fileMustExist: true });
  const tables = new Set((d.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name));
  if (['jobs', 'trials', 'training'].every((t) => tables.has(t))) return d;
  d.close();
  return null;
}

/** A table's rows without the columns that measure time or place (or, raw, exactly as stored). */
function strip(r: Row): Row {
  const { seconds: _s, started_at: _a, finished_at: _f, host: _h, pid: _p, attempts: _t, version: _v, created_at: _c, ...rest } = r;
  if (typeof rest.metrics === 'string') {
    const m = JSON.parse(rest.metrics) as Row;
    delete m.seconds;
    rest.metrics = m;
  }
  return rest;
}

function contents(db: string, raw = false): Tables {
  const d = open(db);
  if (!d) return EMPTY;
  try {
    const all = (sql: string) => (d.prepare(sql).all() as Row[]).map(raw ? (r) => r : strip);
    return {
      jobs: all('SELECT * FROM jobs ORDER BY key'),
      trials: all('SELECT * FROM trials ORDER BY job_key, gamma'),
      training: all('SELECT * FROM training ORDER BY job_key, iteration'),
    };
  } finally {
    d.close();
  }
}

/** The finished jobs, each with its rows, by key. */
function finished(t: Tables): Map<string, string> {
  const out = new Map<string, string>();
  for (const j of t.jobs.filter((j) => j.status === 'done')) {
    const key = j.key as string;
    out.set(key, JSON.stringify([j, t.trials.filter((r) => r.job_key === key), t.training.filter((r) => r.job_key === key)]));
  }
  return out;
}

/** Jobs done in the store, and whether process `pid` holds one ('running' under its pid). */
function state(db: string, pid: number): { done: number; holds: boolean } {
  const d = open(db);
  if (!d) return { done: 0, holds: false };
  try {
    const { n } = d.prepare("SELECT count(*) AS n FROM jobs WHERE status = 'done'").get() as { n: number };
    return { done: n, holds: d.prepare("SELECT 1 FROM jobs WHERE status = 'running' AND pid = ? LIMIT 1").get(pid) !== undefined };
  } finally {
    d.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a sweep killed with SIGKILL', () => {
  it('at 22 random moments, restarted each time, ends with the tables of an uninterrupted run, bit for bit', async () => {
    const spec = join(scratch, 'spec.json');
    writeFileSync(spec, JSON.stringify(SPEC));
    const reference = join(scratch, 'reference.sqlite');
    const db = join(scratch, 'killed.sqlite');
    const args = ['sweep', 'run', spec, '--workers', '2', '--threads-per-worker', '1', '--max-attempts', '1000', '-q'];
    const whole = spawnSync(process.execPath, [bin, ...args, '--db', reference], { encoding: 'utf8', env });
    expect(whole.status, whole.stderr).toBe(0);
    const expected = contents(reference);
    expect(expected.jobs).toHaveLength(TRAIN + ONE_STEP);
    expect(expected.jobs.every((j) => j.status === 'done')).toBe(true);
    expect(expected.trials).toHaveLength(2 * ONE_STEP);

    const random = lcg(20251202);
    const seen = new Map<string, string>();
    let kills = 0;
    let whileRunning = 0;
    for (let life = 0; kills < 22 && life < 60; life++) {
      const child = spawn(process.execPath, [bin, ...args, '--db', db], { env, stdio: 'ignore' });
      let code: number | null | undefined;
      const exited = new Promise<void>((resolve) => child.on('exit', (c) => resolve(void (code = c))));
      if (random() < 0.2) {
        // Anywhere in the start: loading, opening the store, planning, reclaiming, starting the threads.
        await sleep(700 * random());
      } else {
        // While it runs jobs: once it holds one and has committed k more (0 to 4), up to 10 ms later:
        // inside a training run, between two tiny jobs, or during a commit.
        const k = Math.floor(5 * random());
        const delay = 10 * random();
        for (;;) {
          const s = state(db, child.pid!);
          if (code !== undefined || (s.holds && s.done >= seen.size + k)) break;
          await sleep(2);
        }
        if (code === undefined) whileRunning++;
        await sleep(delay);
      }
      const alive = code === undefined && child.kill('SIGKILL');
      await exited;
      if (alive && code === null) kills++;
      else if (code === 0) break; // it finished before the kill
      else expect(code, `life ${life} exited by itself`).toBeNull();
      // Whatever was finished is still there, unchanged to the last column: nothing lost, nothing redone.
      const now = contents(db, true);
      const done = finished(now);
      for (const [key, value] of seen) expect(done.get(key), `job ${key} after kill ${kills}`).toBe(value);
      for (const [key, value] of done) seen.set(key, value);
      expect(new Set(now.trials.map((r) => `${r.job_key}|${r.gamma}`)).size).toBe(now.trials.length);
    }
    expect(kills).toBe(22);
    expect(whileRunning).toBeGreaterThanOrEqual(12);
    // The kills happened while there was work left, and some of it had been done.
    expect(seen.size).toBeLessThan(TRAIN + ONE_STEP);
    expect(seen.size).toBeGreaterThan(0);
    const last = spawnSync(process.execPath, [bin, ...args, '--db', db], { encoding: 'utf8', env });
    expect(last.status, last.stderr).toBe(0);
    expect(contents(db)).toEqual(expected);
    const final = finished(contents(db, true));
    for (const [key, value] of seen) expect(final.get(key), `job ${key} at the end`).toBe(value);
  }, 180_000);
});
