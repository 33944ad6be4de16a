#!/usr/bin/env node
/**
 * The `nntk` command line (package.json "bin"). Exit codes: 0 success, 1 a failed run (a job failed, or
 * the work could not be done), 2 bad flags (the message names the flag and what it accepts).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { CURVATURE_CHOICES, FIGURES, type FigureName, LIMITS, SCALES } from '../experiments/paper-grid.js';
import { packageVersion } from '../about.js';
import { nonNegativeInteger, numberList, positiveInteger } from './options.js';
import type { ReproduceOptions } from './reproduce.js';
import { registerExportCommand } from './export.js';
import { registerQueueCommands } from './queue-commands.js';
import { registerSweepCommands } from './sweep.js';
import { registerStoreCommands } from './sweep-store.js';

const FIGURE_ARGUMENTS = [...FIGURES, 'all', 'gauss-newton'] as const;

function say(quiet: boolean | undefined, line: string): void {
  if (!quiet) process.stderr.write(`${line}\n`);
}

function program(): Command {
  const cli = new Command('nntk')
    .description('Exact regularized Newton and Gauss-Newton for wide shallow networks: reproduce the NNTK paper\'s figures.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for the usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  cli
    .command('reproduce')
    .description(
      "run the paper's experiments and write a report: figure1 (Figures 1a, 1b), figure2 (2a, 2b), figure3 (3, 5) or all; " +
        'gauss-newton: the claims of the Gauss-Newton paper (arXiv 2412.14031) against gradient descent',
    )
    .argument('<figure>', `one of ${FIGURE_ARGUMENTS.join(', ')}`, (v: string) => {
      if (!(FIGURE_ARGUMENTS as readonly string[]).includes(v)) {
        throw new CommanderError(2, 'nntk.invalidArgument', `error: argument <figure> '${v}' is invalid: expected one of ${FIGURE_ARGUMENTS.join(', ')}`);
      }
      return v;
    })
    .addOption(new Option('--scale <scale>', 'quick: every figure in under a minute; paper: the paper\'s grid').choices(SCALES).default('quick'))
    .option('--out <dir>', 'report directory (results.sqlite, data files, index.html)', 'nntk-report')
    .option('--seed <seed>', 'base seed of every network (trial seeds are derived from it and recorded)', nonNegativeInteger, 0)
    .option('--trials <n>', 'networks per (width, gamma) for Figures 1-2 and seeds per method for Figure 3 (default: by scale)', positiveInteger(100000))
    .option('--threads <n>', 'threads to use in all (default: the number of cores)', positiveInteger(4096), availableParallelism())
    .option('--workers <n>', 'worker threads (default: one per core, at most --threads); each gets threads / workers BLAS threads', positiveInteger(4096))
    .addOption(new Option('--curvature <curvature>', "the step's curvature for Figures 1-2: gauss-newton is the paper's code").choices(CURVATURE_CHOICES).default('gauss-newton'))
    .addOption(new Option('--limit <limit>', 'infinite-width reference: exact limit kernel, or the paper\'s width-10^6 proxy network').choices(LIMITS).default('exact'))
    .option('--widths <list>', 'widths for Figures 1-2 instead of the scale\'s, e.g. 10,100,1000', numberList('positive integers', (v) => Number.isInteger(v) && v >= 1 && v <= 2 ** 31 - 1))
    .option('--gammas <list>', 'regularizations gamma instead of the scale\'s, e.g. 1e-1,1e-3', numberList('positive numbers', (v) => v > 0))
    .option('--iterations <n>', 'cap on every training budget of Figure 3', positiveInteger(1e9))
    .option('--retry-failed', 'run again the jobs that failed in an earlier run into the same --out')
    .option('--json', 'print a machine-readable summary on stdout')
    .option('-q, --quiet', 'no progress output')
    .action(async (figure: string, o: ReproduceOptions) => {
      if (figure === 'gauss-newton') {
        const command = `nntk ${process.argv.slice(2).join(' ')}`;
        const { reproduceGaussNewton } = await import('./reproduce.js');
        const result = await reproduceGaussNewton(o, command);
        if (o.json) {
          const { conditioning, damping, findings, wallSeconds } = result.results;
          process.stdout.write(`${JSON.stringify({ out: result.out, index: result.index, files: result.files, wallSeconds, findings,
            conditioning: { points: conditioning.points, slopes: conditioning.slopes }, damping: { condition: damping.condition, rules: damping.rules } }, null, 2)}\n`);
        }
        say(o.quiet, `${result.results.conditioning.runs.length} data sets and ${result.results.damping.runs.length} damping runs, ${result.wallSeconds.toFixed(1)} s`);
        say(o.quiet, `report: ${result.index}`);
        return;
      }
      const figures: FigureName[] = figure === 'all' ? [...FIGURES] : [figure as FigureName];
      const command = `nntk ${process.argv.slice(2).join(' ')}`;
      // Loaded on use, so that --help, --version and flag errors answer at once.
      const { reproduce } = await import('./reproduce.js');
      const result = await reproduce(figures, o, command);
      const failed = result.jobs.failed;
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ out: result.out, index: result.report.index, files: result.report.files, jobs: result.jobs, status: result.report.status, failed: result.report.failed, summary: result.report.summary, wallSeconds: result.wallSeconds }, null, 2)}\n`);
      }
      say(o.quiet, `${result.jobs.done - result.jobs.skipped} jobs run, ${result.jobs.skipped} found done, ${failed} failed, ${result.wallSeconds.toFixed(1)} s (${result.jobs.workers} workers x ${result.jobs.threadsPerWorker} BLAS threads)`);
      // Failures are printed even with --quiet: they explain the exit code.
      for (const f of result.report.failed.slice(0, 5)) process.stderr.write(`failed job ${f.key}: ${f.error}\n`);
      say(o.quiet, `report: ${result.report.index}`);
      if (failed > 0) process.exitCode = 1;
    });

  cli
    .command('report')
    .description('draw the report from a store without recomputing anything: DIR/results.sqlite of nntk reproduce, or a sweep\'s --db FILE')
    .argument('[dir]', 'a directory written by nntk reproduce (the report is redrawn there)')
    .option('--db <file>', 'a sweep store (nntk sweep run --db FILE); the report goes to --out')
    .option('--out <dir>', 'report directory for --db (default: FILE without .sqlite, plus -report)')
    .option('--json', 'print a machine-readable summary on stdout')
    .option('-q, --quiet', 'no progress output')
    .action(async (dir: string | undefined, o: { db?: string; out?: string; json?: boolean; quiet?: boolean }) => {
      if ((dir === undefined) === (o.db === undefined)) {
        throw new CommanderError(2, 'nntk.invalidArgument', 'error: give a report directory (nntk report DIR) or a sweep store (nntk report --db FILE), not both');
      }
      const db = o.db !== undefined ? resolve(o.db) : `${resolve(dir!)}/results.sqlite`;
      const out = o.db !== undefined ? resolve(o.out ?? `${db.replace(/\.sqlite$/, '')}-report`) : resolve(dir!);
      const [{ ResultsStore }, { writeReport }, { prepareOutDirectory }] = await Promise.all([
        import('../store/results-store.js'), import('./write-report.js'), import('./reproduce.js'),
      ]);
      if (dir !== undefined && !existsSync(db) && existsSync(`${resolve(dir)}/gauss-newton.json`)) {
        const { readGaussNewtonResults, writeGaussNewtonReport } = await import('./write-report.js');
        const written = await writeGaussNewtonReport(out, readGaussNewtonResults(out), availableParallelism(), false);
        if (o.json) process.stdout.write(`${JSON.stringify({ out, index: written.index, files: written.files }, null, 2)}\n`);
        say(o.quiet, `report: ${written.index}`);
        return;
      }
      if (!existsSync(db)) {
        throw new Error(o.db !== undefined ? `${db} does not exist; run a sweep into it first: nntk sweep run SPEC --db ${o.db}` : `${db} does not exist; write a report there first: nntk reproduce <figure> --out ${dir}`);
      }
      prepareOutDirectory(out);
      const store = new ResultsStore(db, packageVersion());
      try {
        const report = await writeReport(out, store);
        if (o.json) process.stdout.write(`${JSON.stringify({ out, index: report.index, files: report.files, status: report.status, summary: report.summary }, null, 2)}\n`);
        say(o.quiet, `report: ${report.index}`);
      } finally {
        store.close();
      }
    });
  registerExportCommand(cli);
  const sweep = registerSweepCommands(cli);
  registerStoreCommands(sweep);
  registerQueueCommands(cli, sweep);
  return cli;
}

async function main(): Promise<void> {
  try {
    await program().parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and --version exit 0; every usage error exits 2 (commander has already printed the message,
      // except for our own argument check).
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') process.exit(0);
      if (e.code === 'nntk.invalidArgument') process.stderr.write(`${e.message}\n(run with --help for the usage)\n`);
      process.exit(2);
    }
    const code = (e as { code?: string }).code;
    process.stderr.write(`nntk: ${code ? `${code}: ` : ''}${(e as Error).message}\n`);
    process.exit(1);
  }
}

await main();
