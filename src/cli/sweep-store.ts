/** `nntk sweep status`, `nntk sweep export` and `nntk sweep merge`: reading and combining sweep stores. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { packageVersion } from '../about.js';
import { NntkError } from '../errors.js';
import { EXPORT_FORMATS, EXPORT_TABLES, type ExportFormat, type ExportTable } from '../store/export-table.js';

async function openStore(db: string) {
  const path = resolve(db);
  if (!existsSync(path)) throw new NntkError('E_ARGUMENT', `${path} does not exist; run a sweep into it first (nntk sweep run SPEC --db ${db})`);
  const { ResultsStore } = await import('../store/results-store.js');
  return new ResultsStore(path, packageVersion());
}

export function registerStoreCommands(sweep: Command): void {
  sweep
    .command('status')
    .description('jobs by status and experiment, failures, throughput and ETA of a sweep store')
    .requiredOption('--db <file>', 'the sweep store')
    .option('--json', 'print the status as JSON on stdout')
    .action(async (o: { db: string; json?: boolean }) => {
      const store = await openStore(o.db);
      try {
        const { formatStatus, sweepStatus } = await import('../store/status.js');
        const s = sweepStatus(store);
        process.stdout.write(o.json ? `${JSON.stringify(s, null, 2)}\n` : formatStatus(s, store.path));
      } finally {
        store.close();
      }
    });
  sweep
    .command('export')
    .description('write a table of a sweep store as CSV, JSON or Parquet (each row with its job\'s parameters)')
    .requiredOption('--db <file>', 'the sweep store')
    .addOption(new Option('--format <format>', 'file format').choices(EXPORT_FORMATS).default('csv'))
    .addOption(new Option('--table <table>', 'jobs: one row per job; trials, training, spectra: the rows').choices(EXPORT_TABLES).default('jobs'))
    .option('--out <file>', 'output file (default: stdout for csv and json)')
    .action(async (o: { db: string; format: ExportFormat; table: ExportTable; out?: string }) => {
      if (o.format === 'parquet' && o.out === undefined) throw new NntkError('E_ARGUMENT', 'Parquet is binary: give --out FILE.parquet');
      const store = await openStore(o.db);
      try {
        const { exportStore } = await import('../store/export-table.js');
        const { rows, bytes } = exportStore(store, { format: o.format, table: o.table, ...(o.out !== undefined ? { out: o.out } : {}) });
        if (o.out === undefined) process.stdout.write(bytes);
        else process.stderr.write(`${rows} rows of ${o.table} -> ${resolve(o.out)}\n`);
      } finally {
        store.close();
      }
    });
  sweep
    .command('merge')
    .description('combine shard stores (nntk sweep run --shard) into OUT; refuses conflicting results and then writes nothing')
    .argument('<out>', 'the merged store (created, or extended when it exists)')
    .argument('<inputs...>', 'shard stores')
    .option('--json', 'print the summary as JSON on stdout')
    .action(async (out: string, inputs: string[], o: { json?: boolean }) => {
      const { mergeStores } = await import('../store/merge.js');
      const summary = mergeStores(out, inputs, packageVersion());
      if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else {
        for (const i of summary.inputs) process.stderr.write(`${i.path}: ${i.jobs} jobs, ${i.taken} taken, ${i.duplicates} already there\n`);
        process.stderr.write(`${summary.out}: ${Object.entries(summary.status).map(([k, v]) => `${v} ${k}`).join(', ')}\n`);
      }
    });
}
