/**
 * `npm run fuzz`: the long fuzz run (default 100000 calls of seed 1), with a summary of calls per entry
 * and outcomes by class, and the findings (with reproducers) grouped by module.
 * Usage: npm run fuzz -- [--seed S] [--calls N] [--from I] [--entry NAME] [--chunk N] [--md FILE] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { SKIPPED } from './calls.js';
import { findingsMarkdown, fuzz, summaryTable } from './runner.js';

const argv = process.argv.slice(2);
const get = (flag: string, fallback?: string) => {
  const k = argv.indexOf(flag);
  return k >= 0 ? argv[k + 1] : fallback;
};
const seed = Number(get('--seed', '1'));
const calls = Number(get('--calls', '100000'));
const report = await fuzz({
  seed,
  calls,
  from: Number(get('--from', '0')),
  chunk: Number(get('--chunk', '10000')),
  entry: get('--entry'),
  maxCrashes: Number(get('--max-crashes', '100')),
  log: (m) => process.stderr.write(`${m}\n`),
});
const md = findingsMarkdown(report);
console.log(`\nnntk fuzz: seed ${seed}, ${report.calls} calls in ${report.seconds.toFixed(1)} s (${report.triageSeconds.toFixed(1)} s of it confirming crashes and hangs)${report.stoppedEarly ? ' (stopped early: too many crashes)' : ''}\n`);
console.log(summaryTable(report));
if (SKIPPED.length > 0) console.log(`\ncatalogue entries skipped (their export does not exist): ${SKIPPED.join(', ')}`);
console.log(`\n${report.findings.length} distinct findings (${report.crashes} crashes or hangs)`);
for (const f of report.findings) console.log(`  [${f.cls}] ${f.entry}: ${f.sig} (x${f.count}, call ${f.index})`);
const mdFile = get('--md');
if (mdFile) writeFileSync(mdFile, `# Fuzz findings (seed ${seed}, ${report.calls} calls)\n${md}`);
const jsonFile = get('--json');
if (jsonFile) writeFileSync(jsonFile, JSON.stringify(report, null, 2));
process.exitCode = report.findings.length > 0 ? 1 : 0;
