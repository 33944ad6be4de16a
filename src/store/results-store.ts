/**
 * results.sqlite: the one place results live (better-sqlite3, WAL). Every job has a row in `jobs`, keyed
 * by the hash of its parameters (src/experiments/jobs.ts), with its status, timing, host and version;
 * its output rows go into `trials` (Figures 1-2) or `training` (Figures 3/5) in the same transaction that
 * marks it done, so a process killed at any moment leaves either all of a job's rows or none. A job left
 * 'running' by a process that no longer exists is reclaimed on open. The CSV/JSON files and the report
 * are exported from here. The `results` view is the stable, one-row-per-job face of the store.
 */
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import type { SpectrumRecord } from '../experiments/kernel-job.js';
import type { TrialRecord } from '../experiments/one-step-job.js';
import { canonicalJson, type Job, jobKey } from '../experiments/jobs.js';
import type { RunDescription, TrainingRow } from '../report/types.js';

export const SCHEMA_VERSION = 2;

const TRIAL_COLUMNS = [
  'figure', 'curvature', 'width', 'gamma', 'trial', 'seed', 'beta', 'lambda', 'one_step_loss', 'one_step_loss_linearized',
  'one_step_loss_limit', 'max_neuron_update', 'nntk_error', 'negative_eigenvalues', 'seconds', 'error',
] as const;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  key TEXT PRIMARY KEY,
  experiment TEXT NOT NULL,
  params TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
  metrics TEXT,
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  seconds REAL,
  host TEXT,
  pid INTEGER,
  version TEXT,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status);
CREATE TABLE IF NOT EXISTS trials (
  job_key TEXT NOT NULL REFERENCES jobs (key),
  ${TRIAL_COLUMNS.map((c) => `${c} ${['figure', 'curvature', 'error'].includes(c) ? 'TEXT' : 'REAL'}`).join(',\n  ')},
  PRIMARY KEY (job_key, gamma)
);
CREATE TABLE IF NOT EXISTS training (
  job_key TEXT NOT NULL REFERENCES jobs (key),
  method TEXT NOT NULL,
  seed INTEGER NOT NULL,
  iteration INTEGER NOT NULL,
  loss REAL NOT NULL,
  seconds REAL NOT NULL,
  lambda REAL,
  components TEXT,
  modes TEXT,
  PRIMARY KEY (job_key, iteration)
);
CREATE TABLE IF NOT EXISTS spectra (
  job_key TEXT NOT NULL REFERENCES jobs (key),
  kernel TEXT NOT NULL,
  source TEXT NOT NULL,
  gamma REAL,
  idx INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (job_key, kernel, source, gamma, idx)
);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  started_at TEXT NOT NULL,
  description TEXT NOT NULL,
  job_keys TEXT NOT NULL
);
CREATE VIEW IF NOT EXISTS results AS
  SELECT key, experiment, status, params, metrics, error, attempts, seconds, host, version, started_at, finished_at FROM jobs;
`;

export interface JobRecord {
  key: string;
  experiment: string;
  params: Job;
  status: 'pending' | 'running' | 'done' | 'failed';
  metrics: Record<string, unknown> | null;
  error: string | null;
  seconds: number | null;
}

export interface JobOutput {
  trials?: TrialRecord[];
  spectra?: SpectrumRecord[];
  training?: TrainingRow[];
  metrics: Record<string, unknown>;
  seconds: number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const now = () => new Date().toISOString();

export class ResultsStore {
  readonly db: Database.Database;
  private readonly host = hostname();

  constructor(readonly path: string, private readonly version: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
    const stored = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
    if (stored && Number(stored.value) !== SCHEMA_VERSION) {
      throw new Error(`${path} has schema version ${stored.value}; this nntk writes version ${SCHEMA_VERSION}: use another --out`);
    }
    this.db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
  }

  close(): void {
    this.db.close();
  }

  /** Statements run once per job (claim, complete, release, fail): each is prepared once per store. */
  private readonly prepared = new Map<string, Database.Statement>();
  private statement(sql: string): Database.Statement {
    let s = this.prepared.get(sql);
    if (!s) this.prepared.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  /**
   * Jobs left 'running' on this host by a process that has exited go back to 'pending', except one whose
   * process has died `maxAttempts` times while running it: that one is marked failed, so that a job that
   * takes its process down (a native crash, the kernel's OOM killer) cannot make every restart die.
   */
  reclaimAbandoned(o: { maxAttempts?: number } = {}): { reclaimed: number; failed: number } {
    const maxAttempts = o.maxAttempts ?? 3;
    const rows = this.db.prepare("SELECT key, pid, attempts FROM jobs WHERE status = 'running' AND host = ?").all(this.host) as { key: string; pid: number; attempts: number }[];
    const dead = rows.filter((r) => r.pid !== process.pid && !isAlive(r.pid));
    const reset = this.db.prepare("UPDATE jobs SET status = 'pending', pid = NULL WHERE key = ? AND status = 'running'");
    const give = this.db.prepare("UPDATE jobs SET status = 'failed', pid = NULL, error = ?, finished_at = ? WHERE key = ? AND status = 'running'");
    let failed = 0;
    this.db.transaction(() => {
      for (const r of dead) {
        if (r.attempts >= maxAttempts) {
          give.run(`crash: the process running this job died ${r.attempts} times (--max-attempts ${maxAttempts}); run it alone to see why, then --retry-failed`, now(), r.key);
          failed++;
        } else reset.run(r.key);
      }
    })();
    return { reclaimed: dead.length - failed, failed };
  }

  /** A job this process holds goes back to 'pending' (an interrupted run), its attempt not counted. */
  release(key: string): void {
    this.statement("UPDATE jobs SET status = 'pending', pid = NULL, attempts = max(attempts - 1, 0) WHERE key = ? AND status = 'running' AND pid = ?").run(key, process.pid);
  }

  /** Adds the jobs that are not in the store yet (as 'pending'); returns every job's key. */
  plan(jobs: readonly Job[]): string[] {
    const insert = this.db.prepare(
      "INSERT OR IGNORE INTO jobs (key, experiment, params, status, created_at) VALUES (?, ?, ?, 'pending', ?)",
    );
    const keys = jobs.map(jobKey);
    this.db.transaction(() => jobs.forEach((job, k) => insert.run(keys[k], job.experiment, canonicalJson(job), now())))();
    return keys;
  }

  /** The records of the given keys, in that order. */
  jobs(keys: readonly string[]): JobRecord[] {
    const get = this.db.prepare('SELECT key, experiment, params, status, metrics, error, seconds FROM jobs WHERE key = ?');
    return keys.map((key) => {
      const r = get.get(key) as Record<string, unknown> | undefined;
      if (!r) throw new Error(`job ${key} is not in ${this.path}`);
      return {
        key,
        experiment: r.experiment as string,
        params: JSON.parse(r.params as string) as Job,
        status: r.status as JobRecord['status'],
        metrics: r.metrics ? (JSON.parse(r.metrics as string) as Record<string, unknown>) : null,
        error: (r.error as string | null) ?? null,
        seconds: (r.seconds as number | null) ?? null,
      };
    });
  }

  /** Marks the jobs as held by this process ('running' on this host and pid). */
  claim(keys: readonly string[]): void {
    const update = this.statement(
      "UPDATE jobs SET status = 'running', attempts = attempts + 1, host = ?, pid = ?, version = ?, started_at = ? WHERE key = ?",
    );
    const at = now();
    // One key (the runner claims each job as it dispatches it): one statement, its own transaction.
    if (keys.length === 1) update.run(this.host, process.pid, this.version, at, keys[0]);
    else this.db.transaction(() => keys.forEach((key) => update.run(this.host, process.pid, this.version, at, key)))();
  }

  /**
   * A job's rows and its 'done' status, in one transaction. Exactly once: a job already done is left as
   * it is and false is returned (a second collector, a retried message), true when this call recorded it.
   */
  complete(key: string, out: JobOutput, where: { host?: string } = {}): boolean {
    const spectrum = this.statement('INSERT OR REPLACE INTO spectra (job_key, kernel, source, gamma, idx, value) VALUES (?, ?, ?, ?, ?, ?)');
    const status = this.statement('SELECT status FROM jobs WHERE key = ?');
    const trial = this.statement(
      `INSERT OR REPLACE INTO trials (job_key, ${TRIAL_COLUMNS.join(', ')}) VALUES (?, ${TRIAL_COLUMNS.map(() => '?').join(', ')})`,
    );
    const training = this.statement(
      'INSERT OR REPLACE INTO training (job_key, method, seed, iteration, loss, seconds, lambda, components, modes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const done = this.statement(
      "UPDATE jobs SET status = 'done', metrics = ?, error = NULL, seconds = ?, finished_at = ?, host = ?, version = ? WHERE key = ?",
    );
    return this.db.transaction(() => {
      const current = status.get(key) as { status: string } | undefined;
      if (!current) throw new Error(`job ${key} is not in ${this.path}; plan it first`);
      if (current.status === 'done') return false;
      for (const s of out.spectra ?? []) s.values.forEach((v, k) => spectrum.run(key, s.kernel, s.source, s.gamma, k, v));
      for (const r of out.trials ?? []) trial.run(key, ...TRIAL_COLUMNS.map((c) => r[c] ?? null));
      for (const r of out.training ?? []) {
        training.run(key, r.method, r.seed, r.iteration, r.loss, r.seconds, r.lambda, r.components && JSON.stringify(r.components), r.modes && JSON.stringify(r.modes));
      }
      done.run(JSON.stringify(out.metrics), out.seconds, now(), where.host ?? this.host, this.version, key);
      return true;
    })();
  }

  fail(key: string, error: string, seconds: number): void {
    this.statement("UPDATE jobs SET status = 'failed', error = ?, seconds = ?, finished_at = ? WHERE key = ?").run(error, seconds, now(), key);
  }

  /** Remembers what a run asked for, so that `nntk report` can redraw exactly that run. */
  recordRun(description: RunDescription, keys: readonly string[]): void {
    this.db.prepare('INSERT INTO runs (started_at, description, job_keys) VALUES (?, ?, ?)').run(description.startedAt, JSON.stringify(description), JSON.stringify(keys));
  }

  latestRun(): { description: RunDescription; keys: string[] } | null {
    const r = this.db.prepare('SELECT description, job_keys FROM runs ORDER BY id DESC LIMIT 1').get() as { description: string; job_keys: string } | undefined;
    return r ? { description: JSON.parse(r.description) as RunDescription, keys: JSON.parse(r.job_keys) as string[] } : null;
  }

  /** Trial records of the given jobs, ordered as trials.csv lists them. */
  trials(keys: readonly string[]): TrialRecord[] {
    const rows: TrialRecord[] = [];
    const get = this.db.prepare(`SELECT ${TRIAL_COLUMNS.join(', ')} FROM trials WHERE job_key = ? ORDER BY gamma DESC`);
    for (const key of keys) rows.push(...(get.all(key) as TrialRecord[]));
    const order = (r: TrialRecord) => [r.figure, r.curvature] as const;
    return rows.sort((a, b) => {
      const [fa, ca] = order(a);
      const [fb, cb] = order(b);
      return fa.localeCompare(fb) || ca.localeCompare(cb) || a.width! - b.width! || b.gamma! - a.gamma! || a.trial! - b.trial!;
    });
  }

  /** The stored spectra of the given jobs (eigenvalues descending, as computed). */
  spectra(keys: readonly string[]): (SpectrumRecord & { key: string })[] {
    const get = this.db.prepare('SELECT kernel, source, gamma, idx, value FROM spectra WHERE job_key = ? ORDER BY kernel, source, gamma, idx');
    const out: (SpectrumRecord & { key: string })[] = [];
    for (const key of keys) {
      const groups = new Map<string, SpectrumRecord & { key: string }>();
      for (const r of get.all(key) as { kernel: 'ntk' | 'nntk'; source: 'finite' | 'limit'; gamma: number | null; value: number }[]) {
        const id = `${r.kernel}|${r.source}|${r.gamma}`;
        let g = groups.get(id);
        if (!g) groups.set(id, (g = { key, kernel: r.kernel, source: r.source, gamma: r.gamma, values: [] }));
        g.values.push(r.value);
      }
      out.push(...groups.values());
    }
    return out;
  }

  training(keys: readonly string[]): TrainingRow[] {
    const get = this.db.prepare('SELECT method, seed, iteration, loss, seconds, lambda, components, modes FROM training WHERE job_key = ? ORDER BY iteration');
    const rows: TrainingRow[] = [];
    for (const key of keys) {
      for (const r of get.all(key) as Record<string, unknown>[]) {
        rows.push({
          ...(r as unknown as TrainingRow),
          components: r.components ? (JSON.parse(r.components as string) as number[]) : null,
          modes: r.modes ? (JSON.parse(r.modes as string) as number[]) : null,
        });
      }
    }
    return rows;
  }
}
