/**
 * The fuzz parent: runs the child (test/fuzz/child.ts) under a memory cap over a range of calls, reads
 * its log, and when the child dies (a signal, an abort, an exit) or stalls, finds the call that was
 * running, confirms it by re-running that call alone in a fresh child (or, if it only fails after
 * earlier calls, after the suspicious ones among them), shrinks it to the fewest mutations that still
 * fail the same way, and carries on from the next call. Findings are de-duplicated by (class, entry,
 * signature).
 *
 * The memory cap: V8's heap by --max-old-space-size=1024, and the address space by RLIMIT_AS, which
 * the child lowers on itself once it has loaded (child.ts, capAddressSpace): to what is mapped then plus
 * 4 GiB, so that a native allocation of a huge request fails (std::bad_alloc) instead of taking the
 * machine. A cap given at spawn time does not work: V8 sizes the reservations of WebAssembly memories
 * (tsx's lexers) to whatever RLIMIT_AS allows, so under `prlimit --as=4G` the child starts with 4 GiB
 * mapped and fails its first 32 MB allocation (and OpenBLAS, short of memory for its buffers, hangs).
 * --disable-wasm-trap-handler drops the 10 GiB guard regions of those memories; MALLOC_ARENA_MAX=2
 * keeps glibc from reserving 64 MiB of address space per thread. Where prlimit is missing, the shell's
 * `ulimit -v` gives a fixed 40 GiB cap instead.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACCEPTABLE, normalize, type OutcomeClass } from './classify.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHILD = join(ROOT, 'test', 'fuzz', 'child.ts');

export interface FuzzOptions {
  seed: number;
  /** First call index (default 0). */
  from?: number;
  calls: number;
  /** Calls per child process, run one after another (default 5000). */
  chunk?: number;
  /** The child's watchdog for one call's promise (default 10 s). */
  timeoutMs?: number;
  /** No log line for this long: the child is stuck in a synchronous call, and is killed (default 20 s). */
  stallMs?: number;
  /** Address space the child may add to what it maps at startup (default 4 GiB), and V8's old-space limit (default 1024 MB). */
  memoryBytes?: number;
  heapMb?: number;
  /** Stop after this many crashes and hangs (default 40). */
  maxCrashes?: number;
  /**
   * After a crash or hang: 'full' re-runs the call alone, then (if it passes alone) after the
   * suspicious earlier calls, and shrinks it; 'alone' only re-runs it alone (cheaper, for CI).
   */
  confirm?: 'full' | 'alone';
  /** Only calls of this catalogue entry. */
  entry?: string;
  /** Progress messages. */
  log?: (message: string) => void;
}

export interface Finding {
  cls: string;
  entry: string;
  module: string;
  sig: string;
  detail: string;
  seed: number;
  index: number;
  mutations: string[];
  drop: number[];
  repro?: string;
  /** How often it occurred in this run. */
  count: number;
  /** For crashes and hangs: whether the call alone reproduces it, or which earlier calls it needs. */
  confirmed?: string;
}

export interface FuzzReport {
  seed: number;
  from: number;
  /** Calls performed (including those that crashed). */
  calls: number;
  perEntry: Record<string, Record<string, number>>;
  findings: Finding[];
  crashes: number;
  stoppedEarly: boolean;
  seconds: number;
  /** Of which: confirming, shrinking and printing crashes and hangs (the rest is the calls themselves). */
  triageSeconds: number;
}

/** Which source module a catalogue entry exercises (for grouping findings). */
export function moduleOf(entry: string): string {
  if (entry.startsWith('TwoLayerNet')) return 'src/model.ts';
  if (entry.startsWith('Dataset') || entry.startsWith('datasets')) return 'src/dataset.ts';
  if (entry.startsWith('newtonStep')) return 'src/step.ts';
  if (entry === 'resolveLambda') return 'src/system.ts';
  if (entry.startsWith('curvatureSpectrum')) return 'src/spectrum.ts';
  if (/^(ntkGram|nntkGram)(Sync)?$/.test(entry) || entry === 'symmetricEigen') return 'src/kernels.ts';
  if (entry.includes('Limit')) return 'src/limit.ts';
  if (entry === 'chooseSolver' || entry === 'estimateCosts') return 'src/solver-choice.ts';
  if (entry === 'train') return 'src/train.ts';
  if (entry.startsWith('oneStepGrid') || entry === 'isStepPoint') return 'src/one-step.ts';
  if (['linearizedTrajectory', 'oneStepLoss', 'relativeFrobeniusError'].includes(entry)) return 'src/function-space.ts';
  if (entry.startsWith('fit') || entry === 'studentTQuantile') return 'src/fitting.ts';
  if (entry.endsWith('Threads')) return 'src/threads.ts';
  if (entry.includes('NntkError')) return 'src/errors.ts';
  return 'src/index.ts';
}

interface ChildRun {
  lines: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stalled: boolean;
}

function capped(o: FuzzOptions): { command: string; prefix: string[] } {
  const node = [process.execPath, '--disable-wasm-trap-handler', `--max-old-space-size=${o.heapMb ?? 1024}`, '--import', 'tsx', CHILD];
  if (existsSync('/usr/bin/prlimit') || existsSync('/bin/prlimit')) return { command: node[0]!, prefix: node.slice(1) };
  return { command: 'sh', prefix: ['-c', `ulimit -v ${40 * 2 ** 20} && exec "$@"`, 'sh', ...node] };
}

async function runChild(o: FuzzOptions, argv: string[]): Promise<ChildRun> {
  const dir = mkdtempSync(join(tmpdir(), 'nntk-fuzz-'));
  const file = join(dir, 'log');
  const fd = openSync(file, 'w');
  const { command, prefix } = capped(o);
  const child = spawn(command, [...prefix, ...argv], {
    cwd: ROOT,
    stdio: ['ignore', fd, fd],
    env: {
      ...process.env,
      OPENBLAS_NUM_THREADS: '1',
      NNTK_THREADS: '1',
      MALLOC_ARENA_MAX: '2',
      NNTK_FUZZ_HEADROOM: String(o.memoryBytes ?? 4 * 2 ** 30),
      NODE_OPTIONS: '',
    },
  });
  let stalled = false;
  let size = -1;
  let since = Date.now();
  const stallMs = o.stallMs ?? 20000;
  const poll = setInterval(() => {
    const now = fstatSync(fd).size;
    if (now !== size) {
      size = now;
      since = Date.now();
    } else if (Date.now() - since > stallMs) {
      stalled = true;
      child.kill('SIGKILL');
    }
  }, 250);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((res) => child.on('exit', (c, s) => res([c, s])));
  clearInterval(poll);
  closeSync(fd);
  const text = readFileSync(file, 'utf8');
  rmSync(dir, { recursive: true, force: true });
  return { lines: text.split('\n').filter((l) => l.length > 0), code, signal, stalled };
}

interface Parsed {
  performed: { index: number; entry: string; cls?: string; noise: string[] }[];
  findings: Omit<Finding, 'module' | 'count'>[];
  hang?: number;
  done: boolean;
  notes: string[];
}

function parse(lines: string[]): Parsed {
  const out: Parsed = { performed: [], findings: [], done: false, notes: [] };
  let cur: Parsed['performed'][number] | undefined;
  for (const l of lines) {
    const m = /^([BAFHDN]) (.*)$/.exec(l);
    if (m && m[1] === 'B') {
      const [i, entry] = m[2]!.split(' ', 2);
      cur = { index: Number(i), entry: entry ?? '?', noise: [] };
      // An entry name may contain spaces ('new NntkError').
      cur.entry = m[2]!.slice(String(i).length + 1);
      out.performed.push(cur);
    } else if (m && m[1] === 'A' && cur) {
      cur.cls = m[2]!.split(' ')[1];
    } else if (m && m[1] === 'F') {
      try {
        out.findings.push(JSON.parse(m[2]!));
      } catch {
        cur?.noise.push(l);
      }
    } else if (m && m[1] === 'H') {
      out.hang = Number(m[2]);
    } else if (m && m[1] === 'D') {
      out.done = true;
    } else if (m && m[1] === 'N') {
      out.notes.push(m[2]!);
    } else if (!/^\(node:\d+\) (ExperimentalWarning|Warning: Setting the NODE_TLS)/.test(l) && !/^\(Use `node --trace-warnings/.test(l)) {
      (cur ?? { noise: [] as string[] }).noise.push(l);
    }
  }
  return out;
}

function crashSig(run: ChildRun, noise: string[], hangAt?: number): { cls: string; sig: string } {
  if (run.stalled || hangAt !== undefined) return { cls: 'hang', sig: run.stalled ? 'no answer (synchronous)' : 'promise did not settle' };
  const how = run.signal ?? `exit code ${run.code}`;
  const first = noise.find((l) => /FATAL|error|Error|abort|Assert|terminate|Segmentation/i.test(l)) ?? noise[0] ?? '';
  return { cls: 'crash', sig: `${how}${first ? `: ${normalize(first)}` : ''}` };
}

export async function fuzz(o: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const log = o.log ?? (() => {});
  const from = o.from ?? 0;
  const end = from + o.calls;
  const chunk = o.chunk ?? 5000;
  const maxCrashes = o.maxCrashes ?? 40;
  const base = ['--seed', String(o.seed), ...(o.entry ? ['--entry', o.entry] : []), '--timeout', String(o.timeoutMs ?? 10000)];
  const perEntry: Record<string, Record<string, number>> = {};
  const found = new Map<string, Finding>();
  let performed = 0;
  let crashes = 0;
  let stoppedEarly = false;
  let triage = 0;

  const add = (f: Omit<Finding, 'module' | 'count'>) => {
    const key = `${f.cls}|${f.entry}|${f.sig}`;
    const old = found.get(key);
    if (old) {
      old.count++;
      if (!old.repro && f.repro) Object.assign(old, { ...f, count: old.count, module: old.module });
    } else found.set(key, { ...f, module: moduleOf(f.entry), count: 1 });
  };
  const print = async (index: number, drop: number[]) =>
    (await runChild(o, [...base, '--only', String(index), ...(drop.length ? ['--drop', drop.join(',')] : []), '--print'])).lines.join('\n');

  let next = from;
  while (next < end && !stoppedEarly) {
    const stop = Math.min(end, next + chunk);
    const run = await runChild(o, [...base, '--from', String(next), '--to', String(stop)]);
    const p = parse(run.lines);
    for (const c of p.performed) {
      const counts = (perEntry[c.entry] ??= {});
      const cls = c.cls ?? (p.done ? 'unknown' : 'crash-or-hang');
      counts[cls] = (counts[cls] ?? 0) + 1;
      performed++;
      if (c.cls && c.noise.length > 0) {
        add({ cls: 'native-message', entry: c.entry, sig: normalize(c.noise[0]!), detail: c.noise.slice(0, 5).join('\n'), seed: o.seed, index: c.index, mutations: [], drop: [] });
      }
    }
    for (const f of p.findings) add(f);
    if (p.done && run.code === 0) {
      next = stop;
      log(`calls ${next - from}/${o.calls}: ${found.size} distinct findings, ${crashes} crashes/hangs, ${((Date.now() - started) / 1000).toFixed(0)} s`);
      continue;
    }
    // The child died or stalled during its last call.
    const last = p.performed.at(-1);
    const k = last && last.cls === undefined ? last.index : (last?.index ?? next - 1) + 1;
    const noise = last && last.cls === undefined ? last.noise : [];
    const { cls, sig } = crashSig(run, noise, p.hang);
    crashes++;
    if (last && last.cls === undefined) {
      const counts = (perEntry[last.entry] ??= {});
      counts['crash-or-hang'] = (counts['crash-or-hang'] ?? 1) - 1;
      if (counts['crash-or-hang'] === 0) delete counts['crash-or-hang'];
      counts[cls] = (counts[cls] ?? 0) + 1;
    }
    const known = found.get(`${cls}|${last?.entry ?? '?'}|${sig}`);
    if (known?.confirmed?.startsWith('yes')) {
      // Already confirmed and shrunk once in this run: count it and go on.
      known.count++;
      log(`call ${k} (${last?.entry ?? '?'}): ${cls} ${sig} again`);
      next = k + 1;
      if (crashes >= maxCrashes) stoppedEarly = true;
      continue;
    }
    log(`call ${k} (${last?.entry ?? '?'}): ${cls} ${sig}; confirming`);
    const triageStart = Date.now();
    const same = (r: ChildRun) => {
      const q = parse(r.lines);
      const l = q.performed.at(-1);
      if (q.done && r.code === 0) return false;
      const s = crashSig(r, l && l.cls === undefined ? l.noise : [], q.hang);
      return l?.index === k && l.cls === undefined && s.cls === cls && s.sig.split(':')[0] === sig.split(':')[0];
    };
    let confirmed: string;
    let drop: number[] = [];
    if (same(await runChild(o, [...base, '--only', String(k), '--no-shrink']))) {
      confirmed = 'yes: the call alone, in a fresh process';
      // Shrink: drop mutations one at a time while the crash persists.
      const mutationCount = o.confirm === 'alone' ? 0 : Number(/\[(\d+) mutations\]/.exec(await print(k, []))?.[1] ?? 0);
      for (let j = 0; j < Math.min(mutationCount, 4) && mutationCount > 1; j++) {
        if (same(await runChild(o, [...base, '--only', String(k), '--drop', [...drop, j].join(','), '--no-shrink']))) drop.push(j);
      }
    } else {
      // Only after earlier calls: try the suspicious ones of this child (findings, native messages), then each alone.
      const suspicious = p.performed.filter((c) => c.cls !== undefined && (c.noise.length > 0 || c.entry === 'setThreads' || !ACCEPTABLE.has(c.cls as OutcomeClass))).map((c) => c.index).slice(-30);
      confirmed = `no: the call alone passes; it fails after calls ${next}..${k - 1}`;
      if (o.confirm !== 'alone' && suspicious.length > 0 && same(await runChild(o, [...base, '--list', [...suspicious, k].join(','), '--no-shrink']))) {
        confirmed = `only after earlier calls: ${suspicious.join(', ')} then ${k}`;
        for (const s of suspicious.slice(-6).reverse()) {
          if (same(await runChild(o, [...base, '--list', `${s},${k}`, '--no-shrink']))) {
            confirmed = `only after call ${s}: run ${s} then ${k} in one process`;
            break;
          }
        }
      }
    }
    const repro = await print(k, drop);
    add({ cls, entry: last?.entry ?? '?', sig, detail: noise.slice(0, 8).join('\n'), seed: o.seed, index: k, mutations: [], drop, repro, confirmed });
    triage += Date.now() - triageStart;
    next = k + 1;
    if (crashes >= maxCrashes) stoppedEarly = true;
  }
  // Reproducers for the findings seen only by the parent (native messages): one child prints them all.
  const bare = [...found.values()].filter((f) => !f.repro);
  if (bare.length > 0) {
    const text = (await runChild(o, [...base, '--list', bare.map((f) => f.index).join(','), '--print'])).lines.join('\n');
    for (const part of text.split(/^(?=\/\/ call \d+:)/m)) {
      const index = Number(/^\/\/ call (\d+):/.exec(part)?.[1]);
      for (const f of bare) if (f.index === index) f.repro = part.trim();
    }
  }
  return {
    seed: o.seed,
    from,
    calls: performed,
    perEntry,
    findings: [...found.values()].sort((a, b) => a.module.localeCompare(b.module) || a.entry.localeCompare(b.entry) || a.cls.localeCompare(b.cls)),
    crashes,
    stoppedEarly,
    seconds: (Date.now() - started) / 1000,
    triageSeconds: triage / 1000,
  };
}

/** Findings as markdown, grouped by module. */
export function findingsMarkdown(report: FuzzReport): string {
  const out: string[] = [];
  let module = '';
  for (const f of report.findings) {
    if (f.module !== module) {
      module = f.module;
      out.push(`\n## ${module}\n`);
    }
    out.push(`### [${f.cls}] ${f.entry}: ${f.sig}\n`);
    out.push(`- seen ${f.count} time(s); first: seed ${f.seed}, call ${f.index}` + (f.drop.length ? ` (mutations ${f.drop.join(',')} dropped)` : ''));
    out.push(`- replay: \`node --import tsx test/fuzz/child.ts --seed ${f.seed} --only ${f.index}${f.drop.length ? ` --drop ${f.drop.join(',')}` : ''} --print\``);
    if (f.confirmed) out.push(`- reproduces alone: ${f.confirmed}`);
    if (f.mutations.length) out.push(`- mutations: ${f.mutations.join('; ')}`);
    if (f.detail) out.push('- got:\n```\n' + f.detail.slice(0, 800) + '\n```');
    if (f.repro) out.push('```ts\n' + f.repro.replace(/^\/\/ call.*\n/, '') + '\n```');
    out.push('');
  }
  return out.join('\n');
}

/** Calls per entry and outcomes by class, as a text table. */
export function summaryTable(report: FuzzReport): string {
  const classes = [...new Set(Object.values(report.perEntry).flatMap((c) => Object.keys(c)))].sort();
  const rows = Object.entries(report.perEntry).sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(5, ...rows.map(([e]) => e.length));
  const head = `${'entry'.padEnd(width)}  ${'calls'.padStart(6)}  ${classes.map((c) => c.padStart(Math.max(6, c.length))).join('  ')}`;
  const lines = rows.map(([e, c]) => {
    const total = Object.values(c).reduce((s, n) => s + n, 0);
    return `${e.padEnd(width)}  ${String(total).padStart(6)}  ${classes.map((k) => String(c[k] ?? '').padStart(Math.max(6, k.length))).join('  ')}`;
  });
  const totals = classes.map((k) => rows.reduce((s, [, c]) => s + (c[k] ?? 0), 0));
  lines.push(`${'total'.padEnd(width)}  ${String(report.calls).padStart(6)}  ${totals.map((n, i) => String(n).padStart(Math.max(6, classes[i]!.length))).join('  ')}`);
  return [head, ...lines].join('\n');
}
