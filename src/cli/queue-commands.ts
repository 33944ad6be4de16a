/**
 * The Redis job queue on the command line (src/queue/): `nntk sweep submit SPEC --queue URL` puts a
 * spec's jobs on the queue (only those not there yet), `nntk worker --queue URL` on any number of
 * machines runs them, and `nntk sweep collect --queue URL --db FILE` writes the results into a store.
 * Exit codes as for `nntk sweep run`: 2 for bad flags or spec, 1 when some job failed (collect) or the
 * queue could not be used, 130 when a signal stopped a worker or a collect.
 */
import { type Command, CommanderError, InvalidArgumentError } from 'commander';
import { positiveInteger } from './options.js';

interface QueueFlags {
  queue: string;
  name?: string;
  quiet?: boolean;
  json?: boolean;
}

function seconds(min: number) {
  return (text: string): number => {
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v) || v < min) throw new InvalidArgumentError(`expected a number of seconds >= ${min}`);
    return v;
  };
}

/** Bad --queue / --name values are usage errors (exit 2), like bad flags. */
async function checkQueueFlags(o: QueueFlags): Promise<void> {
  const { checkQueueName, parseRedisUrl } = await import('../queue/connection.js');
  try {
    parseRedisUrl(o.queue);
    if (o.name !== undefined) checkQueueName(o.name);
  } catch (e) {
    throw new CommanderError(2, 'nntk.invalidArgument', `error: ${(e as Error).message}`);
  }
}

function say(quiet: boolean | undefined, line: string): void {
  if (!quiet) process.stderr.write(`${line}\n`);
}

/**
 * An AbortSignal for SIGINT/SIGTERM: the first asks for a graceful stop (`what` says what that means);
 * a second one exits at once.
 */
function stopOnSignals(what: string, quiet: boolean | undefined): { signal: AbortSignal; dispose(): void } {
  const abort = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      process.stderr.write(`${name} again: exiting now\n`);
      process.exit(130);
    }
    say(quiet, `${name}: ${what} (send it again to exit now)`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: abort.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

interface SubmitFlags extends QueueFlags {
  attempts?: number;
  backoff?: number;
  retryFailed?: boolean;
}

async function submitCommand(specPath: string, o: SubmitFlags): Promise<void> {
  await checkQueueFlags(o);
  const [{ planSweep }, { submitJobs }] = await Promise.all([import('../sweep/expand.js'), import('../queue/submit.js')]);
  let plan: ReturnType<typeof planSweep>;
  try {
    plan = planSweep(specPath);
  } catch (e) {
    throw new CommanderError(2, 'nntk.invalidArgument', `error: ${(e as Error).message}`);
  }
  const name = o.name ?? (await import('../queue/connection.js')).DEFAULT_QUEUE_NAME;
  const summary = await submitJobs(plan.jobs, {
    url: o.queue,
    queue: name,
    ...(o.attempts !== undefined ? { attempts: o.attempts } : {}),
    ...(o.backoff !== undefined ? { backoffSeconds: o.backoff } : {}),
    retryFailed: o.retryFailed === true,
  });
  if (o.json) process.stdout.write(`${JSON.stringify({ name: plan.name, queue: name, ...summary }, null, 2)}\n`);
  say(
    o.quiet,
    `${plan.name}: ${summary.total} jobs, ${summary.added} added to queue '${name}', ${summary.existing} already there` +
      `${o.retryFailed ? `, ${summary.retried} failed jobs put back` : ''}; run workers with: nntk worker --queue ${o.queue}${o.name ? ` --name ${o.name}` : ''}`,
  );
}

interface WorkerFlags extends QueueFlags {
  workers?: number;
  threadsPerWorker?: number;
  lockSeconds?: number;
}

async function workerCommand(o: WorkerFlags): Promise<void> {
  await checkQueueFlags(o);
  const { partitionCores, runQueueWorker } = await import('../queue/worker.js');
  const partition = { ...(o.workers !== undefined ? { workers: o.workers } : {}), ...(o.threadsPerWorker !== undefined ? { threadsPerWorker: o.threadsPerWorker } : {}) };
  try {
    partitionCores(partition);
  } catch (e) {
    throw new CommanderError(2, 'nntk.invalidArgument', `error: ${(e as Error).message}`);
  }
  const stop = stopOnSignals('finishing the running jobs, taking no new ones', o.quiet);
  try {
    const summary = await runQueueWorker({
      url: o.queue,
      ...(o.name !== undefined ? { queue: o.name } : {}),
      ...partition,
      ...(o.lockSeconds !== undefined ? { lockSeconds: o.lockSeconds } : {}),
      signal: stop.signal,
      log: (line) => say(o.quiet, line),
    });
    if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    say(o.quiet, `worker stopped: ${summary.completed} jobs done, ${summary.failedAttempts} failed attempts, ${summary.seconds.toFixed(1)} s`);
    if (stop.signal.aborted) process.exitCode = 130;
  } finally {
    stop.dispose();
  }
}

interface CollectFlags extends QueueFlags {
  db: string;
  follow?: boolean;
}

async function collectCommand(o: CollectFlags): Promise<void> {
  await checkQueueFlags(o);
  const [{ collectResults }, { ResultsStore }, { packageVersion }, { resolve }] = await Promise.all([
    import('../queue/collect.js'),
    import('../store/results-store.js'),
    import('../about.js'),
    import('node:path'),
  ]);
  const stop = stopOnSignals('stopping after this pass', o.quiet);
  const store = new ResultsStore(resolve(o.db), packageVersion());
  let last = 0;
  try {
    const summary = await collectResults({
      url: o.queue,
      ...(o.name !== undefined ? { queue: o.name } : {}),
      store,
      follow: o.follow === true,
      signal: stop.signal,
      onProgress: (p) => {
        // While following, a line when something arrived, at most every 2 s.
        if (o.follow && !o.quiet && p.stored + p.failed > 0 && Date.now() - last > 2000) {
          last = Date.now();
          say(o.quiet, `collected ${p.stored} results, ${p.failed} failures; ${p.unfinished} jobs still on the queue`);
        }
      },
    });
    if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    say(
      o.quiet,
      `${summary.stored} results and ${summary.failed} failures written to ${o.db}, ${summary.alreadyStored} were there already; ` +
        `${summary.unfinished} jobs not finished yet, ${summary.queueFailed} failed on the queue`,
    );
    if (stop.signal.aborted) process.exitCode = 130;
    else if (summary.queueFailed > 0) {
      say(o.quiet, `${summary.queueFailed} jobs failed (their errors are in the store: nntk sweep status --db ${o.db}; requeue them with nntk sweep submit SPEC --retry-failed)`);
      process.exitCode = 1;
    }
  } finally {
    stop.dispose();
    store.close();
  }
}

const QUEUE_HELP = 'the Redis server: redis://HOST:PORT[/DB]';
const NAME_HELP = "the queue's name, the same for submit, worker and collect (default nntk)";

/** Adds `sweep submit`, `sweep collect` (on `sweep`) and `worker` (on the program). */
export function registerQueueCommands(cli: Command, sweep: Command): void {
  sweep
    .command('submit')
    .description('put a sweep spec\'s jobs on a Redis queue (BullMQ); jobs already there (by key) are not added again')
    .argument('<spec>', 'the sweep spec file (schema: nntk sweep schema)')
    .requiredOption('--queue <url>', QUEUE_HELP)
    .option('--name <queue>', NAME_HELP)
    .option('--attempts <n>', 'attempts per job before it is marked failed (default 3)', positiveInteger(1000))
    .option('--backoff <seconds>', 'delay before the first retry, doubled for each further one (default 1)', seconds(0))
    .option('--retry-failed', 'put jobs that failed for good back on the queue')
    .option('--json', 'print a machine-readable summary on stdout')
    .option('-q, --quiet', 'no output on stderr')
    .action(submitCommand);
  sweep
    .command('collect')
    .description('write the finished jobs of a Redis queue into an SQLite store (each result once, however often collect runs)')
    .requiredOption('--queue <url>', QUEUE_HELP)
    .requiredOption('--db <file>', 'the SQLite store to write into')
    .option('--name <queue>', NAME_HELP)
    .option('--follow', 'keep collecting until every job on the queue has finished')
    .option('--json', 'print a machine-readable summary on stdout')
    .option('-q, --quiet', 'no output on stderr')
    .action(collectCommand);
  cli
    .command('worker')
    .description('run jobs from a Redis queue (nntk sweep submit) until stopped (SIGINT/SIGTERM finish the running jobs first)')
    .requiredOption('--queue <url>', QUEUE_HELP)
    .option('--name <queue>', NAME_HELP)
    .option('--workers <n>', 'jobs at once, each on a worker thread (default: one per core)', positiveInteger(4096))
    .option('--threads-per-worker <n>', 'BLAS threads of each worker (default: cores / workers)', positiveInteger(4096))
    .option('--lock-seconds <s>', 'a job whose worker stops renewing its lock this long is given to another worker (default 30)', seconds(0.1))
    .option('--json', 'print a machine-readable summary on stdout when stopped')
    .option('-q, --quiet', 'no output on stderr')
    .action(workerCommand);
}
