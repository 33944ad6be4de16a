/**
 * Beyond one machine with an array scheduler: the example Slurm script run as three array tasks (the
 * shard read from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT), `nntk sweep merge` of their stores
 * compared with one unsharded run (same rows, same values bit for bit), conflicting results refused
 * with nothing written, status, and every export format read back to the stored values.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'dist', 'cli', 'main.js');
const scratch = mkdtempSync(join(tmpdir(), 'nntk-shard-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const env = { ...process.env, OPENBLAS_NUM_THREADS: '1' };

const nntk = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env });

const SPEC = `name: shards
sweeps:
  - experiment: one-step
    fixed: { gammas: [0.1, 0.001], limit: exact }
    grid: { width: [10, 20, 40, 80, 160], curvature: [gauss-newton, newton] }
    trials: { count: 2 }
  - experiment: kernel
    fixed: { gammas: [0.01], limit: true }
    grid: { width: [15, 30] }
jobs:
  - { experiment: train, method: gauss-newton, width: 30, iterations: 15, record: { every: 3 } }
  - { experiment: train, method: gd, width: 30, iterations: 100 }
`;

/** Every table's rows, without the columns of time and place. */
function contents(db: string): Record<string, unknown[]> {
  const d = new Database(db, { readonly: true });
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
    return Object.fromEntries(
      [['jobs', 'key'], ['trials', 'job_key, gamma'], ['training', 'job_key, iteration'], ['spectra', 'job_key, kernel, source, gamma, idx']].map(([t, order]) => [
        t,
        (d.prepare(`SELECT * FROM ${t} ORDER BY ${order}`).all() as Record<string, unknown>[]).map(strip),
      ]),
    );
  } finally {
    d.close();
  }
}

describe('Slurm array shards and merge', () => {
  const spec = join(scratch, 'spec.yaml');
  writeFileSync(spec, SPEC);
  const shards = join(scratch, 'shards');
  const merged = join(scratch, 'merged.sqlite');
  const single = join(scratch, 'single.sqlite');

  it('three array tasks of the example sbatch script, merged, equal one unsharded run bit for bit', () => {
    for (let task = 0; task < 3; task++) {
      const r = spawnSync('bash', [join(root, 'docs', 'examples', 'sweep-array.sbatch'), spec, shards], {
        encoding: 'utf8',
        env: { ...env, SLURM_ARRAY_TASK_ID: String(task + 1), SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '3', SLURM_CPUS_PER_TASK: '1', NNTK: `${process.execPath} ${bin}` },
      });
      expect(r.status, r.stderr).toBe(0);
    }
    const files = [1, 2, 3].map((t) => join(shards, `shard-${t}.sqlite`));
    const counts = files.map((f) => contents(f).jobs!.length);
    expect(counts.every((c) => c > 0)).toBe(true);
    const m = nntk(['sweep', 'merge', merged, ...files, '--json']);
    expect(m.status, m.stderr).toBe(0);
    expect(JSON.parse(m.stdout).status).toEqual({ done: 24 });
    expect(nntk(['sweep', 'run', spec, '--db', single, '-q']).status).toBe(0);
    expect(contents(merged)).toEqual(contents(single));
    // The shards partition the jobs.
    expect(counts.reduce((a, b) => a + b, 0)).toBe(24);
    // Merging again changes nothing; a rerun of a shard finds everything done.
    expect(nntk(['sweep', 'merge', merged, ...files]).status).toBe(0);
    expect(contents(merged)).toEqual(contents(single));
  });

  it('conflicting results are refused and nothing is written', () => {
    const files = [1, 2, 3].map((t) => join(shards, `shard-${t}.sqlite`));
    const tampered = join(scratch, 'tampered.sqlite');
    writeFileSync(tampered, readFileSync(files[0]!));
    const d = new Database(tampered);
    const key = (d.prepare("SELECT job_key FROM trials LIMIT 1").get() as { job_key: string }).job_key;
    d.prepare('UPDATE trials SET one_step_loss = one_step_loss * (1 + 2e-16) + 1e-300 WHERE job_key = ?').run(key);
    d.close();
    const out = join(scratch, 'refused.sqlite');
    const r = nntk(['sweep', 'merge', out, files[0]!, tampered]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`refusing to merge: 1 conflicting job\\(s\\); nothing was written.*\\n.*job ${key}: different results`));
    expect(existsSync(out)).toBe(false);
    const before = contents(merged);
    expect(nntk(['sweep', 'merge', merged, tampered]).status).toBe(1);
    expect(contents(merged)).toEqual(before);
    expect(nntk(['sweep', 'merge', merged, join(scratch, 'missing.sqlite')]).stderr).toMatch(/does not exist/);
  });

  it('status, and exports that read back to the stored values (CSV, JSON, Parquet)', async () => {
    const status = JSON.parse(nntk(['sweep', 'status', '--db', merged, '--json']).stdout);
    expect(status).toMatchObject({ total: 24, byStatus: { done: 24 }, etaSeconds: 0, failures: [] });
    expect(status.byExperiment).toEqual({ 'one-step': { done: 20 }, kernel: { done: 2 }, train: { done: 2 } });
    const stored = contents(merged);
    const csv = nntk(['sweep', 'export', '--db', merged, '--table', 'trials']).stdout.trimEnd().split('\n');
    const header = csv[0]!.split(',');
    const loss = header.indexOf('one_step_loss');
    const fromCsv = csv.slice(1).map((l) => Number(l.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)[loss]));
    const byKey = (rows: Record<string, unknown>[]) => rows.map((r) => r.one_step_loss as number).sort((a, b) => a - b);
    expect(fromCsv.sort((a, b) => a - b)).toEqual(byKey(stored.trials as Record<string, unknown>[]));
    const json = JSON.parse(nntk(['sweep', 'export', '--db', merged, '--table', 'jobs', '--format', 'json']).stdout) as Record<string, unknown>[];
    expect(json).toHaveLength(24);
    expect(json.find((j) => j.experiment === 'one-step')).toHaveProperty('metrics.one_step_loss');
    const file = join(scratch, 'spectra.parquet');
    expect(nntk(['sweep', 'export', '--db', merged, '--table', 'spectra', '--format', 'parquet', '--out', file]).status).toBe(0);
    const buffer = readFileSync(file);
    const rows = (await parquetReadObjects({ file: buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) })) as Record<string, unknown>[];
    const spectra = stored.spectra as Record<string, unknown>[];
    expect(rows).toHaveLength(spectra.length);
    expect(rows.map((r) => r.value)).toEqual((spectra as { value: number }[]).map((r) => r.value));
    expect(rows[0]).toHaveProperty('job.width');
    expect(nntk(['sweep', 'export', '--db', merged, '--format', 'parquet']).stderr).toMatch(/give --out/);
  });
});
