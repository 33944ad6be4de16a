/**
 * `nntk sweep merge OUT IN...`: the shard databases of an array job (or any stores of the same
 * sweep) combined into one. A job takes its row and rows from an input that finished it; the same key
 * with different parameters, or finished in two inputs with different results, is a conflict, and the
 * merge is refused before anything is written (OUT is left as it was). Results are compared without
 * the columns that say when, where and how fast (seconds, host, pid, attempts, version, times), so the
 * same job computed on two machines is one result. OUT may already hold results: it is the first input.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { NntkError } from '../errors.js';
import { ResultsStore, SCHEMA_VERSION } from './results-store.js';

export interface MergeSummary {
  out: string;
  /** Jobs in OUT after the merge, by status. */
  status: Record<string, number>;
  /** Per input: jobs taken from it, and jobs it held that another input (or OUT) already had. */
  inputs: { path: string; jobs: number; taken: number; duplicates: number }[];
  runs: number;
}

interface Candidate {
  input: number;
  status: string;
  params: string;
  /** Hash of the result (metrics and rows without timings); null unless done. */
  fingerprint: string | null;
}

/** Columns that record timing or place, never part of a result's identity. */
const TIMING = new Set(['seconds', 'started_at', 'finished_at', 'created_at', 'host', 'pid', 'attempts', 'version']);

function withoutTiming(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([k]) => !TIMING.has(k) && k !== 'job_key'));
}

function openInput(path: string): Database.Database {
  if (!existsSync(path)) throw new NntkError('E_ARGUMENT', `merge input ${path} does not exist`);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const v = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
    if (!v || Number(v.value) !== SCHEMA_VERSION) {
      db.close();
      throw new NntkError('E_ARGUMENT', `merge input ${path} has schema version ${v?.value ?? 'none'}; this nntk merges version ${SCHEMA_VERSION} (rerun its sweep with this version)`);
    }
  } catch (e) {
    if (e instanceof NntkError) throw e;
    throw new NntkError('E_ARGUMENT', `merge input ${path} is not an nntk store (${(e as Error).message})`);
  }
  return db;
}

/** Hash of a done job's result: its metrics (without seconds) and its rows in every table. */
function fingerprint(db: Database.Database, key: string, metrics: string | null): string {
  const hash = createHash('sha256');
  const m = metrics ? (JSON.parse(metrics) as Record<string, unknown>) : {};
  delete m.seconds;
  hash.update(JSON.stringify(m));
  for (const [table, order] of [['trials', 'gamma'], ['training', 'iteration'], ['spectra', 'kernel, source, gamma, idx']] as const) {
    for (const row of db.prepare(`SELECT * FROM ${table} WHERE job_key = ? ORDER BY ${order}`).all(key) as Record<string, unknown>[]) {
      hash.update(`${table}:${JSON.stringify(withoutTiming(row))}\n`);
    }
  }
  return hash.digest('hex');
}

function candidates(db: Database.Database, input: number): Map<string, Candidate> {
  const out = new Map<string, Candidate>();
  for (const r of db.prepare('SELECT key, status, params, metrics FROM jobs').all() as { key: string; status: string; params: string; metrics: string | null }[]) {
    out.set(r.key, { input, status: r.status, params: r.params, fingerprint: r.status === 'done' ? fingerprint(db, r.key, r.metrics) : null });
  }
  return out;
}

const RANK: Record<string, number> = { done: 3, failed: 2, running: 1, pending: 0 };

export function mergeStores(outPath: string, inputPaths: readonly string[], version: string): MergeSummary {
  if (inputPaths.length === 0) throw new NntkError('E_ARGUMENT', 'nothing to merge: give at least one input database');
  const out = resolve(outPath);
  const paths = inputPaths.map((p) => resolve(p));
  if (paths.includes(out)) throw new NntkError('E_ARGUMENT', `the output ${out} is also an input; OUT already takes part in the merge`);
  if (new Set(paths).size !== paths.length) throw new NntkError('E_ARGUMENT', 'an input database is listed twice');
  const inputs = paths.map(openInput);
  try {
    // OUT's own jobs come first, so that a merge into a store that has them keeps them. OUT is opened for
    // writing (or created) only once the merge is known to be free of conflicts.
    let existing = new Map<string, Candidate>();
    if (existsSync(out)) {
      const db = openInput(out);
      try {
        existing = candidates(db, -1);
      } finally {
        db.close();
      }
    }
    const all = [existing, ...inputs.map((db, k) => candidates(db, k))];
    const chosen = new Map<string, Candidate>();
    const conflicts: string[] = [];
    const duplicates = paths.map(() => 0);
    for (const map of all) {
      for (const [key, c] of map) {
        const best = chosen.get(key);
        if (!best) {
          chosen.set(key, c);
          continue;
        }
        if (c.input >= 0) duplicates[c.input]!++;
        const where = (i: number) => (i < 0 ? out : paths[i]!);
        if (best.params !== c.params) conflicts.push(`job ${key}: different parameters in ${where(best.input)} and ${where(c.input)}`);
        else if (best.status === 'done' && c.status === 'done' && best.fingerprint !== c.fingerprint) {
          conflicts.push(`job ${key}: different results in ${where(best.input)} and ${where(c.input)}`);
        } else if ((RANK[c.status] ?? 0) > (RANK[best.status] ?? 0)) chosen.set(key, c);
      }
    }
    if (conflicts.length > 0) {
      throw new NntkError(
        'E_ARGUMENT',
        `refusing to merge: ${conflicts.length} conflicting job(s); nothing was written to ${out}:\n  ${conflicts.slice(0, 5).join('\n  ')}${conflicts.length > 5 ? `\n  ... and ${conflicts.length - 5} more` : ''}\n` +
          '(inputs of one sweep computed with the same nntk version agree; remove the stale input, or merge into another OUT)',
      );
    }
    const store = new ResultsStore(out, version);
    try {
      const taken = paths.map(() => 0);
      const copy = (db: Database.Database, key: string) => {
        const job = db.prepare('SELECT * FROM jobs WHERE key = ?').get(key) as Record<string, unknown>;
        const cols = Object.keys(job);
        store.db.prepare(`INSERT OR REPLACE INTO jobs (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...cols.map((c) => job[c]));
        for (const table of ['trials', 'training', 'spectra']) {
          store.db.prepare(`DELETE FROM ${table} WHERE job_key = ?`).run(key);
          const rows = db.prepare(`SELECT * FROM ${table} WHERE job_key = ?`).all(key) as Record<string, unknown>[];
          if (rows.length === 0) continue;
          const rc = Object.keys(rows[0]!);
          const insert = store.db.prepare(`INSERT INTO ${table} (${rc.join(', ')}) VALUES (${rc.map(() => '?').join(', ')})`);
          for (const r of rows) insert.run(...rc.map((c) => r[c]));
        }
      };
      let runs = 0;
      store.db.transaction(() => {
        for (const [key, c] of chosen) {
          if (c.input < 0) continue;
          copy(inputs[c.input]!, key);
          taken[c.input]!++;
        }
        const has = store.db.prepare('SELECT 1 FROM runs WHERE started_at = ? AND description = ? AND job_keys = ?');
        const add = store.db.prepare('INSERT INTO runs (started_at, description, job_keys) VALUES (?, ?, ?)');
        for (const db of inputs) {
          for (const r of db.prepare('SELECT started_at, description, job_keys FROM runs ORDER BY id').all() as { started_at: string; description: string; job_keys: string }[]) {
            if (!has.get(r.started_at, r.description, r.job_keys)) {
              add.run(r.started_at, r.description, r.job_keys);
              runs++;
            }
          }
        }
      })();
      const status: Record<string, number> = {};
      for (const r of store.db.prepare('SELECT status, count(*) AS n FROM jobs GROUP BY status').all() as { status: string; n: number }[]) status[r.status] = r.n;
      return { out, status, inputs: paths.map((path, k) => ({ path, jobs: all[k + 1]!.size, taken: taken[k]!, duplicates: duplicates[k]! })), runs };
    } finally {
      store.close();
    }
  } finally {
    for (const db of inputs) db.close();
  }
}
