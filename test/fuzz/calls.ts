/**
 * The fuzz calls: call i of seed S is a valid call of one catalogue entry with 0 to 4 mutations (or,
 * rarely, wholly random arguments), drawn from its own stream Rng(S, i). A call renders to the source
 * of an async function body, which is what the child runs and what a finding prints.
 */
import * as nntk from '../../src/index.js';
import { CATALOGUE, type Entry } from './catalogue.js';
import { allPaths, edit, type Node, type Path, pathText, render, V } from './nodes.js';
import { Rng } from './rng.js';
import { extraKey, hostileCode, hostileLike, USER } from './values.js';

export type Mutation =
  | { op: 'replace'; path: Path; code: string }
  | { op: 'delete'; path: Path }
  | { op: 'add'; path: Path; key: string; code: string }
  | { op: 'wrap'; path: Path; how: string }
  | { op: 'args'; keep: number; code: string[] };

export interface Call {
  index: number;
  entry: Entry;
  base: Node[];
  mutations: Mutation[];
}

const EXPORTS = nntk as unknown as Record<string, unknown>;
export const ACTIVE: Entry[] = CATALOGUE.filter((e) => e.uses.every((u) => u in EXPORTS));
export const SKIPPED: string[] = CATALOGUE.filter((e) => !ACTIVE.includes(e)).map((e) => e.name);
const WEIGHTED = ACTIVE.map((e) => [e, e.weight] as const);

/** Call `index` of the run with this seed; `drop` leaves out the mutations at those positions (shrinking). */
export function generateCall(seed: number, index: number, only?: string): Call {
  const rng = new Rng(seed, index);
  const pool = only ? ACTIVE.filter((e) => e.name === only) : ACTIVE;
  const entry = only ? rng.pick(pool) : rng.weighted(WEIGHTED);
  const base = entry.build(rng);
  const mutations: Mutation[] = [];
  const r = rng.next();
  if (r < 0.04) {
    const count = rng.int(0, base.length + 1);
    mutations.push({ op: 'args', keep: 0, code: Array.from({ length: count }, () => hostileCode(rng)) });
  } else {
    const n = r < 0.2 ? 0 : r < 0.7 ? 1 : r < 0.9 ? 2 : rng.int(3, 4);
    let args = base;
    for (let k = 0; k < n; k++) {
      const m = mutate(rng, args);
      mutations.push(m);
      args = applyOne(args, m);
    }
  }
  return { index, entry, base, mutations };
}

function mutate(rng: Rng, args: Node[]): Mutation {
  const paths = allPaths(args);
  if (paths.length === 0 || rng.chance(0.04)) {
    return rng.chance(0.4) ? { op: 'args', keep: Math.max(0, args.length - 1), code: [] } : { op: 'args', keep: args.length, code: [hostileCode(rng)] };
  }
  // Deeper nodes (options of options, resume.state.adamM, ...) are fewer: weigh them up. A quarter of the
  // time the target is a typed array, where the native boundary is (element types, lengths, buffers).
  const arrays = paths.filter((p) => p.node.k === 'v' && p.node.meta?.t === 'f64');
  const { path, node } = arrays.length > 0 && rng.chance(0.25) ? rng.pick(arrays) : rng.weighted(paths.map((p) => [p, p.path.length] as const));
  if (node.k === 'o') {
    const keys = node.fields.map(([k]) => k);
    const how = rng.weighted([['add', 3], ['delete', keys.length > 0 ? 3 : 0], ['wrap', 3], ['replace', 1]] as const);
    if (how === 'add') return { op: 'add', path, key: extraKey(rng, keys), code: hostileCode(rng) };
    if (how === 'delete') return { op: 'delete', path: [...path, rng.pick(keys)] };
    if (how === 'wrap') return { op: 'wrap', path, how: objectWrap(rng, keys, render(node)) };
    return { op: 'replace', path, code: hostileCode(rng) };
  }
  if (node.k === 'a') {
    if (rng.chance(0.4)) return { op: 'wrap', path, how: arrayWrap(rng, render(node), node.items.length) };
    return { op: 'replace', path, code: hostileCode(rng) };
  }
  if (path.length > 1 && rng.chance(0.08)) return { op: 'delete', path };
  return { op: 'replace', path, code: hostileLike(rng, node.code, node.meta) };
}

/** A wrapper of an options object, as a template with X for the object. */
function objectWrap(rng: Rng, keys: string[], code: string): string {
  const k = keys.length > 0 ? rng.pick(keys) : 'width';
  const kk = JSON.stringify(k);
  return rng.pick([
    'Object.freeze(X)',
    'new Proxy(X, {})',
    `Object.defineProperty(X, ${kk}, { get: () => { throw new Error('${USER}: getter ${k}'); }, enumerable: true })`,
    `((o) => { let n = 0; const v = o[${kk}]; return Object.defineProperty(o, ${kk}, { get: () => (n++ === 0 ? v : ${hostileLike(rng, code, undefined)}), enumerable: true }); })(X)`,
    `new Proxy(X, { get: (t, p) => { if (p === ${kk}) throw new Error('${USER}: proxy get ${k}'); return Reflect.get(t, p); } })`,
    'Object.assign(Object.create(null), X)',
    'Object.assign(new (class Options {})(), X)',
    'Object.create(X)',
    'Object.assign([], X)',
    'new Map(Object.entries(X))',
    // A JSON round trip, except of large typed arrays: stringifying 2^26 elements would exhaust the harness's own heap.
    'JSON.parse(JSON.stringify(X, (_k, v) => (ArrayBuffer.isView(v) && v.byteLength > 1e6 ? null : v)))',
  ]);
}

function arrayWrap(rng: Rng, _code: string, n: number): string {
  return rng.pick([
    'Object.freeze(X)',
    'new Proxy(X, {})',
    `new Proxy(X, { get: (t, p) => (p === 'length' ? ${n + 1000} : Reflect.get(t, p)) })`,
    '((a) => (delete a[0], a))(X)',
    `Object.defineProperty(X, 0, { get: () => { throw new Error('${USER}: item getter'); } })`,
    'Object.assign(X, { extra: 1 })',
    'X.concat(X)',
    'X.slice(1)',
    'X.reverse()',
    'new Set(X)',
    'Float64Array.from(X)',
    '[X]',
  ]);
}

function applyOne(args: Node[], m: Mutation): Node[] {
  switch (m.op) {
    case 'args':
      return [...args.slice(0, m.keep), ...m.code.map((c) => V(c))];
    case 'replace':
      return edit(args, m.path, () => V(m.code));
    case 'delete':
      return edit(args, m.path, () => undefined);
    case 'add':
      return edit(args, m.path, (old) => (old.k === 'o' ? { k: 'o', fields: [...old.fields.filter(([k]) => k !== m.key), [m.key, V(m.code)]] } : old));
    case 'wrap':
      return edit(args, m.path, (old) => V(m.how.replace(/\bX\b/g, () => render(old))));
  }
}

export function finalArgs(call: Call, drop: ReadonlySet<number> = new Set()): Node[] {
  let args = call.base;
  call.mutations.forEach((m, k) => {
    if (!drop.has(k)) args = applyOne(args, m);
  });
  if (call.entry.fixup) args = call.entry.fixup(args);
  return args;
}

export function describeMutation(m: Mutation): string {
  if (m.op === 'args') return `arguments: first ${m.keep} kept, ${m.code.length} added: ${m.code.join(', ').slice(0, 80)}`;
  if (m.op === 'add') return `${pathText(m.path)} + key ${m.key}`;
  if (m.op === 'wrap') return `${pathText(m.path)} wrapped: ${m.how.length > 60 ? `${m.how.slice(0, 60)}...` : m.how}`;
  if (m.op === 'delete') return `${pathText(m.path)} deleted`;
  return `${pathText(m.path)} = ${m.code.length > 80 ? `${m.code.slice(0, 80)}...` : m.code}`;
}

/** The body of the async function that performs the call: builds the arguments, marks them ready, calls. */
export function programOf(entry: Entry, args: Node[]): string {
  const names = args.map((_, k) => `a${k}`);
  const lines = args.map((a, k) => `const ${names[k]} = ${render(a)};`);
  return `${lines.join('\n')}\n__ready();\nreturn ${entry.call(names)};`;
}

/** A stand-alone reproducer (TypeScript, from the repository root). */
export function reproducer(entry: Entry, args: Node[]): string {
  const body = args.map((a, k) => `const a${k}: any = ${render(a)};`).join('\n');
  const invoke = entry.call(args.map((_, k) => `a${k}`));
  const text = `${body}\n${invoke}`;
  const used = Object.keys(EXPORTS).filter((name) => new RegExp(`\\b${name}\\b`).test(text));
  return `import { ${used.join(', ')} } from './src/index.js';\n${body}\nconsole.log(await ${invoke});`;
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<unknown>;
const compiled = new Map<string, (...a: unknown[]) => Promise<unknown>>();
const exportNames = Object.keys(EXPORTS);
const exportValues = exportNames.map((n) => EXPORTS[n]);

/** Runs a program; `ready` is called once the arguments exist (an exception before it is the harness's own). */
export function runProgram(program: string, ready: () => void): Promise<unknown> {
  let f = compiled.get(program);
  if (!f) {
    f = new AsyncFunction(...exportNames, '__ready', program);
    if (compiled.size > 2000) compiled.clear();
    compiled.set(program, f);
  }
  return f(...exportValues, ready);
}
