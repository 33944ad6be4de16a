/**
 * A sweep killed with SIGKILL at random moments, again and again, loses no finished result and records
 * none twice: a real `nntk sweep run` is killed at seeded random delays (at least 20 times while it still
 * had work), restarted each time, and finally run to completion; its tables then equal those of an
 * uninterrupted run bit for bit (timings and hosts aside), and every result seen after any kill is
 * still there, unchanged, at the end.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'dist', 'cli', 'main.js');
const scratch = mkdtempSync(join(tmpdir(), 'nntk-kill-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const env = { ...process.env, OPENBLAS_NUM_THREADS: '1' };

// About 9 s of work on 2 workers: 60 gradient-descent runs of ~0.3 s and 120 one-step jobs of ~1 ms.
const SPEC = {
  name: 'kill-test',
  sweeps: [
    { experiment: 'train', fixed: { method: 'gd', width: 1000, iterations: 2000, record: { perDecade: 5 } }, grid: { seed: { range: [0, 60] } } },
    { experiment: 'one-step', fixed: { gammas: [0.1, 0.01], limit: 'none' }, grid: { width: { range: [10, 130] } } },
  ],
};

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type Tables = { jobs: Record<string, unknown>[]; trials: Record<string, unknown>[]; training: Record<string, unknown>[] };

function contents(db: string): Tables {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  const strip = (r: Record<string, unknown>) => {
    const { seconds: _s, started_at: _a, finished_at: _f, host: _h, pid: _p, attempts: _t, version: _v, created_at: _c, ...rest } = r;
    if (typeof rest.metrics === 'string') {
      const m = JSON.parse(rest.metrics) as Record<string, unknown>;
      delete m.seconds;
      rest.metrics = m;
    }
    return rest;
  };
  try {
    const all = (sql: string) => (d.prepare(sql).all() as Record<string, unknown>[]).map(strip);
    return {
      jobs: all('SELECT * FROM jobs ORDER BY key'),
      trials: all('SELECT * FROM trials ORDER BY job_key, gamma'),
      training: all('SELECT * FROM training ORDER BY job_key, iteration'),
    };
  } finally {
    d.close();
  }
}

/** The finished jobs with their rows, by key. */
function finished(t: Tables): Map<string, string> {
  const out = new Map<string, string>();
  for (const j of t.jobs.filter((j) => j.status === 'done')) {
    const key = j.key as string;
    out.set(key, JSON.stringify([j, t.trials.filter((r) => r.job_key === key), t.training.filter((r) => r.job_key === key)]));
  }
  return out;
}

describe('a sweep killed with SIGKILL', () => {
  it('at 20+ random moments, restarted each time, ends with the tables of an uninterrupted run, bit for bit', async () => {
    const spec = join(scratch, 'spec.json');
    writeFileSync(spec, JSON.stringify(SPEC));
    const reference = join(scratch, 'reference.sqlite');
    const db = join(scratch, 'killed.sqlite');
    const args = ['sweep', 'run', spec, '--workers', '2', '--threads-per-worker', '1', '--max-attempts', '1000', '-q'];
    const whole = spawnSync(process.execPath, [bin, ...args, '--db', reference], { encoding: 'utf8', env });
    expect(whole.status, whole.stderr).toBe(0);
    const expected = contents(reference);
    expect(expected.jobs).toHaveLength(180);

    const random = lcg(20251202);
    const seen = new Map<string, string>();
    let kills = 0;
    for (let life = 0; kills < 22 && life < 60; life++) {
      const child = spawn(process.execPath, [bin, ...args, '--db', db], { env, stdio: 'ignore' });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // Anywhere from before the store is opened to well into the jobs.
      await new Promise((r) => setTimeout(r, 100 + 1100 * random()));
      const alive = child.exitCode === null && child.kill('SIGKILL');
      const code = await exited;
      if (alive && code === null) kills++;
      else if (code === 0) break; // it finished before the kill
      // Whatever was finished is still there, unchanged; nothing is lost or recorded twice.
      const now = contents(db);
      const done = finished(now);
      for (const [key, value] of seen) expect(done.get(key), `job ${key} after kill ${kills}`).toBe(value);
      for (const [key, value] of done) seen.set(key, value);
      expect(new Set(now.trials.map((r) => `${r.job_key}|${r.gamma}`)).size).toBe(now.trials.length);
    }
    expect(kills).toBeGreaterThanOrEqual(20);
    expect(seen.size).toBeLessThan(180); // the kills happened while there was work left
    const last = spawnSync(process.execPath, [bin, ...args, '--db', db], { encoding: 'utf8', env });
    expect(last.status, last.stderr).toBe(0);
    const final = contents(db);
    expect(final).toEqual(expected);
    for (const [key, value] of seen) expect(finished(final).get(key)).toBe(value);
  }, 180_000);
});
