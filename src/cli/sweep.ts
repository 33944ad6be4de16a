/**
 * `nntk sweep run SPEC` and `nntk sweep schema`: a sweep on this machine's cores into one SQLite file
 * (src/sweep/run-sweep.ts), or this array task's shard of it. The other sweep subcommands (status,
 * export, merge; submit and collect for the Redis queue) register themselves on the same `sweep` command.
 */
import { type Command, CommanderError, InvalidArgumentError } from 'commander';
import type { PlannedSweep } from '../sweep/expand.js';
import { MAX_JOB_TIMEOUT_SECONDS } from '../sweep/job-timeout.js';
import type { Shard } from '../sweep/shard.js';
import { positiveInteger } from './options.js';
import { progressView } from './progress.js';

interface RunFlags {
  db?: string;
  workers?: number;
  threadsPerWorker?: number;
  threads?: number;
  retryFailed?: boolean;
  jobTimeout?: number;
  maxAttempts?: number;
  shard?: string;
  json?: boolean;
  quiet?: boolean;
}

function positiveSeconds(text: string): number {
  const v = Number(text);
  if (!(v > 0) || !(v <= MAX_JOB_TIMEOUT_SECONDS)) throw new InvalidArgumentError(`expected a positive number of seconds up to ${MAX_JOB_TIMEOUT_SECONDS}, e.g. 600`);
  return v;
}

async function runCommand(specPath: string, o: RunFlags): Promise<void> {
  const [{ planOf, runPlannedSweep }, { parseShard, shardFromEnvironment }] = await Promise.all([import('../sweep/run-sweep.js'), import('../sweep/shard.js')]);
  let plan: PlannedSweep;
  let shard: Shard | null;
  try {
    shard = o.shard !== undefined ? parseShard(o.shard) : shardFromEnvironment();
    plan = planOf(specPath);
  } catch (e) {
    // A bad spec or shard is a usage error (exit 2), like a bad flag.
    throw new CommanderError(2, 'nntk.invalidArgument', `error: ${(e as Error).message}`);
  }
  const db = o.db ?? (shard ? `sweep-shard-${shard.index}-of-${shard.count}.sqlite` : 'sweep.sqlite');
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const view = progressView(`nntk sweep${shard ? ` shard ${shard.index}/${shard.count}` : ''}`, o.quiet === true);
  try {
    const result = await runPlannedSweep(plan, {
      db,
      ...(o.workers !== undefined ? { workers: o.workers } : {}),
      ...(o.threadsPerWorker !== undefined ? { threadsPerWorker: o.threadsPerWorker } : {}),
      ...(o.threads !== undefined ? { threads: o.threads } : {}),
      ...(o.jobTimeout !== undefined ? { jobTimeoutSeconds: o.jobTimeout } : {}),
      ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
      ...(shard ? { shard } : {}),
      retryFailed: o.retryFailed === true,
      onProgress: (p) => view.update(p),
      signal: abort.signal,
      command: `nntk ${process.argv.slice(2).join(' ')}`,
    });
    view.stop();
    const { keys, ...rest } = result;
    if (o.json) process.stdout.write(`${JSON.stringify({ ...rest, jobs: keys.length }, null, 2)}\n`);
    if (!o.quiet) {
      process.stderr.write(
        `${result.done - result.skipped} jobs run, ${result.skipped} found done, ${result.failed} failed, ${result.seconds.toFixed(1)} s ` +
          `(${result.workers} workers x ${result.threadsPerWorker} BLAS threads${shard ? `; shard ${shard.index}/${shard.count}: ${result.shardJobs} of ${result.planned} jobs` : ''}) -> ${result.db}\n`,
      );
    }
    if (abort.signal.aborted) {
      process.stderr.write('interrupted: finished jobs are in the store; run the same command again to continue\n');
      process.exitCode = 130;
    } else if (result.failed > 0) {
      process.stderr.write(`${result.failed} jobs failed (see: nntk sweep status --db ${db}; rerun them with --retry-failed)\n`);
      process.exitCode = 1;
    }
  } finally {
    view.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Adds `sweep` with its `run` and `schema` subcommands; returns it for the other sweep subcommands. */
export function registerSweepCommands(cli: Command): Command {
  const sweep = cli.command('sweep').description('grids of experiments: run, status, export, merge (shards), submit / collect (Redis queue)');
  sweep
    .command('run')
    .description('run a sweep spec (JSON or YAML) on this machine into an SQLite store; rerunning runs only what is missing')
    .argument('<spec>', 'the sweep spec file (schema: nntk sweep schema)')
    .option('--db <file>', 'SQLite store (default sweep.sqlite, or sweep-shard-I-of-N.sqlite for a shard)')
    .option('--workers <n>', 'worker threads (default: one per core)', positiveInteger(4096))
    .option('--threads-per-worker <n>', 'BLAS threads of each worker (default: cores / workers)', positiveInteger(4096))
    .option('--threads <n>', 'cores to use in all (default: all)', positiveInteger(4096))
    .option('--retry-failed', 'run again the jobs that failed before')
    .option('--job-timeout <seconds>', 'mark a job failed when it runs longer, and go on', positiveSeconds)
    .option('--max-attempts <n>', 'mark a job failed after its process died this many times while running it (default 3)', positiveInteger(1000))
    .option('--shard <i/n>', 'run shard i of n (0-based; default from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT)')
    .option('--json', 'print a machine-readable summary on stdout')
    .option('-q, --quiet', 'no progress output')
    .action(runCommand);
  sweep
    .command('schema')
    .description("print the sweep spec's JSON Schema")
    .action(async () => {
      const { sweepSchema } = await import('../sweep/schema.js');
      process.stdout.write(`${JSON.stringify(sweepSchema(), null, 2)}\n`);
    });
  return sweep;
}
