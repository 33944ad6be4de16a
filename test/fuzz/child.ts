/**
 * The fuzz child: performs calls [from, to) of a seed (or the calls of --list) and writes one line per
 * event to stderr with write(2), which the parent points at a log file: a line survives the process
 * dying on the next call, and whatever the native core prints (a LAPACK/BLAS complaint) lands between
 * the lines of the call that caused it.
 *   B <i> <entry>     before call i
 *   F <json>          a finding (after shrinking)
 *   A <i> <class>     after call i
 *   H <i>             call i did not settle within the timeout (the child then exits with code 3)
 *   D <json>          done
 * Usage: node --import tsx test/fuzz/child.ts --seed S (--from A --to B | --calls N | --only I [--drop J,K] | --list I,J,K)
 *        [--timeout MS] [--entry NAME] [--print] [--no-shrink]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeSync } from 'node:fs';
import { describeMutation, finalArgs, generateCall, programOf, reproducer, runProgram, type Call } from './calls.js';
import { ACCEPTABLE, classifyError, classifyResult, isUserError, type Outcome } from './classify.js';

interface Args {
  seed: number;
  indices: number[];
  timeout: number;
  entry?: string;
  drop: Set<number>;
  print: boolean;
  shrink: boolean;
}

function parse(argv: string[]): Args {
  const get = (flag: string) => {
    const k = argv.indexOf(flag);
    return k >= 0 ? argv[k + 1] : undefined;
  };
  const seed = Number(get('--seed') ?? 1);
  const only = get('--only');
  const from = only !== undefined ? Number(only) : Number(get('--from') ?? 0);
  const to = only !== undefined ? from + 1 : get('--to') !== undefined ? Number(get('--to')) : from + Number(get('--calls') ?? 1000);
  const drop = new Set((get('--drop') ?? '').split(',').filter(Boolean).map(Number));
  const list = get('--list');
  const indices = list !== undefined ? list.split(',').filter(Boolean).map(Number) : Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
  return { seed, indices, timeout: Number(get('--timeout') ?? 10000), entry: get('--entry'), drop, print: argv.includes('--print'), shrink: !argv.includes('--no-shrink') };
}

const args = parse(process.argv.slice(2));
const line = (text: string) => writeSync(2, `${text}\n`);

/**
 * The memory cap: once everything is loaded, limit the address space to what is mapped now plus
 * NNTK_FUZZ_HEADROOM bytes (default 4 GiB), so that a huge request fails (std::bad_alloc, a failed
 * ArrayBuffer allocation) instead of taking the machine's memory. It is set here rather than at spawn
 * time because V8 sizes some reservations (WebAssembly memories of tsx's lexers) to whatever
 * RLIMIT_AS allows: a cap given at spawn is eaten by them before the first call (runner.ts).
 */
let softCap = 0;
let hardCap = 0;
function capAddressSpace(): void {
  const headroom = Number(process.env.NNTK_FUZZ_HEADROOM ?? 4 * 2 ** 30);
  if (!(headroom > 0)) return;
  const status = readFileSync('/proc/self/status', 'utf8');
  const mapped = Number(/VmSize:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
  if (!Number.isFinite(mapped)) return;
  const soft = Math.round(mapped + headroom);
  const hard = soft + THREADED_HEADROOM;
  if (setAddressSpace(soft, hard)) {
    softCap = soft;
    hardCap = hard;
  } else {
    line(`N could not lower RLIMIT_AS with prlimit; running under the parent's cap only`);
  }
}

/**
 * Entries that start worker threads (the sweeps' piscina pool): each thread's V8 isolate and its
 * OpenBLAS buffers reserve several GiB of address space that they never touch, past the 4 GiB cap
 * (V8 then aborts with "Failed to reserve virtual memory for CodeRange", whatever the call's input).
 * The soft limit is lifted to the hard limit, this much higher, for such a call only.
 */
const THREADED_HEADROOM = 32 * 2 ** 30;

function setAddressSpace(soft: number, hard: number): boolean {
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--as=${soft}:${hard}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

capAddressSpace();

// Exceptions and rejections outside a call's promise (a callback run later, a rejection nobody awaits).
let current = -1;
const stray: unknown[] = [];
process.on('uncaughtException', (e) => stray.push(e));
process.on('unhandledRejection', (e) => stray.push(e));

async function perform(call: Call, drop: ReadonlySet<number>): Promise<Outcome> {
  const program = programOf(call.entry, finalArgs(call, drop));
  const lift = call.entry.threads === true && softCap > 0;
  if (lift) setAddressSpace(hardCap, hardCap);
  let ready = false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Hang()), args.timeout);
    });
    const result = await Promise.race([runProgram(program, () => (ready = true)), timeout]);
    // Let callbacks queued by the call (records, aborts) run before judging it.
    await new Promise((r) => setImmediate(r));
    return call.entry.unchecked ? { cls: 'ok', sig: '', detail: '' } : classifyResult(result, call.entry.nonFiniteWhen?.(result) ?? call.entry.nonFinite);
  } catch (e) {
    if (e instanceof Hang) {
      line(`H ${call.index}`);
      closeAndExit(3);
    }
    const o = classifyError(e, ready);
    return call.entry.lenient && o.cls === 'non-nntk-error' ? { cls: 'user-error', sig: '', detail: o.detail } : o;
  } finally {
    clearTimeout(timer);
    if (lift) setAddressSpace(softCap, hardCap);
  }
}

class Hang extends Error {}

function closeAndExit(code: number): never {
  process.exit(code);
}

function strayOutcome(): Outcome | undefined {
  const errors = stray.splice(0);
  const bad = errors.find((e) => !isUserError(e));
  if (errors.length === 0) return undefined;
  if (!bad) return undefined;
  const o = classifyError(bad, true);
  return { cls: 'uncaught', sig: o.sig, detail: o.detail };
}

/** Drops mutations one at a time while the same failure persists: the smallest call that still shows it. */
async function shrink(call: Call, outcome: Outcome): Promise<Set<number>> {
  const drop = new Set(args.drop);
  if (!args.shrink) return drop;
  for (let k = 0; k < call.mutations.length; k++) {
    if (drop.has(k)) continue;
    drop.add(k);
    const o = await perform(call, drop);
    const s = strayOutcome();
    const same = (s ?? o).cls === outcome.cls && (s ?? o).sig === outcome.sig;
    if (!same) drop.delete(k);
  }
  return drop;
}

async function main() {
  if (args.print) {
    for (const i of args.indices) {
      const call = generateCall(args.seed, i, args.entry);
      const kept = call.mutations.filter((_, k) => !args.drop.has(k));
      process.stdout.write(`// call ${i}: ${call.entry.name} [${call.mutations.length} mutations] ${kept.map(describeMutation).join('; ') || 'valid'}\n`);
      process.stdout.write(`${reproducer(call.entry, finalArgs(call, args.drop))}\n\n`);
    }
    return;
  }
  const counts: Record<string, Record<string, number>> = {};
  const seenSigs = new Set<string>();
  for (const i of args.indices) {
    const call = generateCall(args.seed, i, args.entry);
    current = i;
    line(`B ${i} ${call.entry.name}`);
    let outcome = await perform(call, args.drop);
    outcome = strayOutcome() ?? outcome;
    if (!ACCEPTABLE.has(outcome.cls)) {
      const key = `${outcome.cls}|${call.entry.name}|${outcome.sig}`;
      const first = !seenSigs.has(key);
      seenSigs.add(key);
      const drop = first ? await shrink(call, outcome) : args.drop;
      const kept = call.mutations.filter((_, k) => !drop.has(k)).map(describeMutation);
      line(
        `F ${JSON.stringify({
          index: i,
          seed: args.seed,
          cls: outcome.cls,
          entry: call.entry.name,
          sig: outcome.sig,
          detail: outcome.detail.slice(0, 2000),
          mutations: kept,
          drop: [...drop],
          repro: first ? reproducer(call.entry, finalArgs(call, drop)) : undefined,
        })}`,
      );
    }
    (counts[call.entry.name] ??= {})[outcome.cls] = (counts[call.entry.name]?.[outcome.cls] ?? 0) + 1;
    line(`A ${i} ${outcome.cls}`);
  }
  line(`D ${JSON.stringify({ counts, last: current })}`);
  closeAndExit(0);
}

void main();
