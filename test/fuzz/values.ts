/**
 * Value generators: valid (and valid-but-extreme) networks, data sets and arrays, and hostile values,
 * both generic (NaN, BigInt, symbols, Proxies, detached buffers, forged instances, ...) and derived from
 * the valid value they replace (the same array as an Int8Array, one entry longer, with a NaN inside, ...).
 * Everything is source code (see nodes.ts); the names of nntk's exports are in scope when it runs.
 */
import { type Meta, type Node, numCode, V } from './nodes.js';
import type { Rng } from './rng.js';

export const ACTIVATION_NAMES = ['tanh', 'sigmoid', 'softplus', 'sin', 'erf', 'gelu', 'silu'] as const;

/** A thrown value the harness recognizes as the caller's own (propagating it is correct). */
export const USER = 'fuzz-user';
const userThrow = (what: string) => `(() => { throw new Error('${USER}: ${what}'); })`;

// ---------------------------------------------------------------------------------------------
// Valid values

function decimal(rng: Rng, lo: number, hi: number, digits = 3): number {
  return Number((lo + (hi - lo) * rng.next()).toFixed(digits));
}

/** A deterministic array of n smooth pseudo-random values of the given scale, as a short expression. */
export function waveCode(rng: Rng, n: number, scale = 1, offset = 0): string {
  const a = decimal(rng, 0.3, 2.9);
  const b = decimal(rng, -3, 3);
  const s = scale === 1 ? '' : `${numCode(scale)} * `;
  const o = offset === 0 ? '' : ` + ${numCode(offset)}`;
  return `Float64Array.from({ length: ${n} }, (_, k) => ${s}Math.sin(${a} * k + ${b})${o})`;
}
export const wave = (rng: Rng, n: number, scale = 1, offset = 0): Node => V(waveCode(rng, n, scale, offset), { t: 'f64', n });

export function smallWidth(rng: Rng): number {
  return rng.weighted([[1, 2], [2, 3], [3, 3], [4, 2], [5, 2], [8, 3], [16, 2], [32, 1], [64, 0.5]]);
}
export function smallDim(rng: Rng): number {
  return rng.weighted([[1, 6], [2, 2], [3, 1]]);
}
export function smallM(rng: Rng): number {
  return rng.weighted([[1, 1], [2, 2], [3, 2], [4, 3], [6, 2], [8, 3], [12, 1], [16, 1], [32, 0.3], [64, 0.1]]);
}
export function seedValue(rng: Rng): number {
  return rng.weighted([[0, 1], [rng.int(1, 1000), 6], [rng.int(0, 2 ** 31 - 1), 1], [2 ** 32 + 7, 0.3], [2 ** 53 - 1, 0.3]]);
}
export function betaValue(rng: Rng): number | undefined {
  return rng.weighted<number | undefined>([[undefined, 4], [0.5, 2], [0.52, 1], [0, 0.5], [1, 0.5], [decimal(rng, 0, 1), 1]]);
}

export interface NetSpec {
  node: Node;
  width: number;
  inputDim: number;
}

/** A valid network: mostly TwoLayerNet.create, sometimes fromParameters with extreme (finite) weights. */
export function validNet(rng: Rng, inputDim = smallDim(rng), width = smallWidth(rng)): NetSpec {
  const meta: Meta = { t: 'net', width, inputDim };
  if (rng.chance(0.85)) {
    const parts = [`width: ${width}`, `inputDim: ${inputDim}`];
    const beta = betaValue(rng);
    if (beta !== undefined) parts.push(`beta: ${beta}`);
    if (rng.chance(0.5)) parts.push(`activation: '${rng.pick(ACTIVATION_NAMES)}'`);
    // the Gauss-Newton paper's options (docs/MATH.md section 1.1), now and then
    if (rng.chance(0.2)) parts.push(`outputScale: ${rng.pick([2.5, -1, 0.01])}`);
    if (width % 2 === 0 && rng.chance(0.2)) parts.push(`init: 'symmetric'`);
    // and section 1.2: a fixed output layer (the paper's) or other frozen groups, output weights as signs
    if (rng.chance(0.15)) parts.push(`trainable: ${rng.pick(["['W', 'b']", "['c']", "['b']", "['W', 'c']"])}`);
    if (rng.chance(0.1)) parts.push(`outputWeights: 'signs'`);
    parts.push(`seed: ${seedValue(rng)}`);
    return { node: V(`TwoLayerNet.create({ ${parts.join(', ')} })`, meta), width, inputDim };
  }
  const scale = rng.pick([1, 10, 1e-3, 1e3, 1e8, 1e150]);
  const act = rng.chance(0.5) ? `, activation: '${rng.pick(ACTIVATION_NAMES)}'` : '';
  const beta = rng.pick([0, 0.5, 1]);
  return {
    node: V(
      `TwoLayerNet.fromParameters({ W: ${waveCode(rng, width * inputDim, scale)}, b: ${waveCode(rng, width, scale)}, c: ${waveCode(rng, width)}, beta: ${beta}${act} })`,
      meta,
    ),
    width,
    inputDim,
  };
}

export interface DataSpec {
  node: Node;
  M: number;
  inputDim: number;
  /** Functions in the data set's basis (0: none). */
  basisK: number;
}

/** A valid data set of the given input dimension (the paper's sets when inputDim is 1, now and then). */
export function validData(rng: Rng, inputDim: number, M = smallM(rng), allowBig = true): DataSpec {
  const meta = (m: number): Meta => ({ t: 'data', M: m, inputDim });
  if (inputDim === 1 && rng.chance(0.12)) {
    if (allowBig && rng.chance(0.15)) return { node: V('datasets.paperFigure3()', meta(128)), M: 128, inputDim, basisK: 5 };
    const f = rng.chance(0.5) ? '' : `{ frequency: ${rng.pick([0, 1, 5, 8, 16, 2.5, -3, 1e6])} }`;
    return { node: V(`datasets.paperFigure1(${f})`, meta(16)), M: 16, inputDim, basisK: 0 };
  }
  const xScale = rng.weighted([[1, 8], [3, 2], [0.01, 1], [1e3, 0.5], [1e-300, 0.3], [1e150, 0.2]]);
  const yScale = rng.weighted([[1, 8], [10, 1], [1e-8, 0.5], [1e8, 0.3], [0, 0.5]]);
  const x = rng.chance(0.08) ? `new Float64Array(${M * inputDim}).fill(${rng.pick([0, 0.5, -2])})` : waveCode(rng, M * inputDim, xScale);
  const y = yScale === 0 ? `new Float64Array(${M})` : waveCode(rng, M, yScale);
  const parts = [`x: ${x}`, `y: ${y}`];
  if (inputDim !== 1 || rng.chance(0.5)) parts.push(`inputDim: ${inputDim}`);
  let basisK = 0;
  if (rng.chance(0.15)) {
    const K = rng.int(1, Math.min(4, M));
    basisK = K;
    const names = Array.from({ length: K }, (_, k) => `'f${k}'`).join(', ');
    parts.push(`basis: { names: [${names}], values: ${waveCode(rng, M * K)} }`);
  }
  return { node: V(`Dataset.create({ ${parts.join(', ')} })`, meta(M)), M, inputDim, basisK };
}

export function regularizationCode(rng: Rng): string {
  return rng.weighted([
    [`{ gamma: ${rng.pick([1, 0.1, 0.01, 1e-3, 10])} }`, 5],
    [`{ lambda: ${rng.pick([1, 0.1, 1e-2, 1e-4, 1e-8])} }`, 3],
    [`{ gamma: ${rng.pick([0, 1e-12, 1e12, 1e300])} }`, 1],
    [`{ lambda: ${rng.pick([0, 1e-300, 1e300])} }`, 0.5],
  ]);
}

// ---------------------------------------------------------------------------------------------
// Hostile values

const TYPED = ['Float32Array', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array'];
const BIG_TYPED = ['BigInt64Array', 'BigUint64Array'];

const NUMBERS = ['NaN', 'Infinity', '-Infinity', '-0', '0', '1', '-1', '0.5', '-2.5', '1e308', '-1e308', '5e-324', '1e-300',
  '2147483647', '2147483648', '-2147483649', '4294967295', '4294967296', '9007199254740992', '9007199254740993', '-9007199254740991',
  '1e21', 'Number.MAX_VALUE', 'Number.EPSILON', '3.0000000000000004', '0.1 + 0.2', '2 ** 31 - 1', '2 ** 53', '-(2 ** 53)'];
const OTHERS = ['0n', '1n', '-1n', '2n ** 64n', "''", "'1'", "'NaN'", "'tanh'", "'newton'", "'x'.repeat(1000)", "'__proto__'",
  "Symbol('fuzz')", 'Symbol.iterator', 'null', 'undefined', 'true', 'false', 'new Date(0)', '/re/', 'new Map()', 'new Set([1])',
  '() => 1', `${userThrow('called')}`, 'Object.create(null)', 'new Number(1)', "new String('tanh')", '{ valueOf() { return 3; } }',
  `{ valueOf: ${userThrow('valueOf')} }`, `{ [Symbol.toPrimitive]: ${userThrow('toPrimitive')} }`, 'Promise.resolve(1)',
  'new Error("fake")', 'new NntkError("E_ARGUMENT", "fake")', 'globalThis', 'new WeakMap()', 'new AbortController()',
  'AbortSignal.abort()', 'new EventTarget()'];
const OBJECTS = ['{}', '[]', '[1, 2, 3]', '[[1], [2]]', '[[]]', '[NaN]', '[1, "2"]', '[, 1]', 'new Array(5)', '{ length: 3 }',
  '{ length: -1 }', '{ length: 2 ** 32, 0: 1 }', '{ length: 1e15 }', '{ __proto__: null, width: 3 }', 'Object.freeze({})',
  'Object.freeze([1, 2])', `new Proxy({}, { get: ${userThrow('proxy get')} })`, `new Proxy({}, { ownKeys: ${userThrow('proxy ownKeys')} })`,
  `new Proxy({}, { getPrototypeOf: ${userThrow('proxy getPrototypeOf')} })`, 'new Proxy([], {})', 'new Proxy({ length: 2 }, {})',
  `Object.defineProperty({}, 'length', { get: ${userThrow('length getter')}, enumerable: true })`, 'new (class Options {})()',
  'Object.create({ width: 3, inputDim: 1, seed: 1 })', '{ ["__proto__"]: { polluted: 1 } }', '{ [Symbol("k")]: 1 }'];
const ARRAYS = ['new Float64Array(0)', 'new Float64Array(1)', 'new Float64Array(3)', 'new Float64Array([NaN, 1])',
  'new Float64Array([Infinity])', 'new Float64Array([1e308, -1e308])', 'new Float64Array([-0, 5e-324])', 'new Float64Array(2 ** 20)',
  ...TYPED.map((t) => `new ${t}(3)`), ...BIG_TYPED.map((t) => `new ${t}(3)`), 'new DataView(new ArrayBuffer(8))',
  'new ArrayBuffer(24)', 'Buffer.alloc(8)', 'new Proxy(new Float64Array(4), {})', detachedCode('new Float64Array(4)'),
  'new Float64Array(new ArrayBuffer(40), 8, 3)', 'new Float64Array(new SharedArrayBuffer(24))', 'new Array(2 ** 32 - 1)'];

/** The same typed array, with its buffer transferred away (length 0, any access throws or reads nothing). */
export function detachedCode(code: string): string {
  return `((a) => (structuredClone(a.buffer, { transfer: [a.buffer] }), a))(${code})`;
}

/**
 * Networks and data sets that pass instanceof but break the class's invariants (built through the
 * private constructors, with sizes that agree with the arrays, or not), or are of the wrong kind.
 */
export function forgedCode(rng: Rng): string {
  return rng.weighted<() => string>([
    [() => forgedNet(rng), 3],
    [() => forgedData(rng), 3],
    [
      () =>
        rng.pick([
          'Object.create(TwoLayerNet.prototype)',
          'Object.create(Dataset.prototype)',
          'Object.create(TwoLayerNet.create({ width: 2, inputDim: 1, seed: 1 }))',
          'new Proxy(TwoLayerNet.create({ width: 2, inputDim: 1, seed: 1 }), {})',
          'new Proxy(datasets.paperFigure1(), {})',
          'Object.create(datasets.paperFigure1())',
          '{ ...TwoLayerNet.create({ width: 2, inputDim: 1, seed: 1 }) }',
          '{ ...datasets.paperFigure1() }',
          'datasets.paperFigure1()',
          'TwoLayerNet.create({ width: 2, inputDim: 1, seed: 1 })',
          'TwoLayerNet.create({ width: 2, inputDim: 3, seed: 1 })',
          'Dataset.create({ x: [[1, 2], [3, 4]], y: [1, 2] })',
        ]),
      2,
    ],
  ])();
}

function forgedNet(rng: Rng): string {
  const w = rng.pick([0, 1, 3]);
  const d = rng.pick([0, 1, 2]);
  const f = { width: String(w), inputDim: String(d), beta: '0.5', activation: '0', W: `new Float64Array(${w * d})`, b: `new Float64Array(${w})`, c: `new Float64Array(${w})` };
  if (rng.chance(0.7)) {
    const key = rng.pick(Object.keys(f) as (keyof typeof f)[]);
    const bad: Record<keyof typeof f, string[]> = {
      width: ['1e6', '2 ** 31', '2 ** 53', 'NaN', '-1', '2.5', String(w + 1), "'3'"],
      inputDim: ['1e6', '2 ** 32', 'NaN', '-1', String(d + 1), '0'],
      beta: ['NaN', '5', '-1', 'Infinity', "'0.5'"],
      activation: ['7', '99', '-1', '0.5', 'NaN', "'tanh'"],
      W: ['new Float64Array(1e5)', 'new Int8Array(3)', 'new Float32Array(3)', 'null', '[1, 2, 3]', `new Float64Array(${w * d + 1})`, detachedCode(`new Float64Array(${w * d})`)],
      b: ['new Float64Array(1e5)', 'new Int8Array(3)', `new Float64Array(${w + 1})`, 'new Float64Array(0)'],
      c: ['new Float64Array(1e5)', 'new Uint8Array(3)', `new Float64Array(${w + 1})`, 'new Float64Array(0)'],
    };
    f[key] = rng.pick(bad[key]);
  }
  return `Reflect.construct(TwoLayerNet, [{ width: ${f.width}, inputDim: ${f.inputDim}, beta: ${f.beta}, activation: ${f.activation}, W: ${f.W}, b: ${f.b}, c: ${f.c} }])`;
}

function forgedData(rng: Rng): string {
  const M = rng.pick([0, 1, 3]);
  const d = rng.pick([0, 1, 2]);
  let x = `new Float64Array(${M * d})`;
  let y = `new Float64Array(${M})`;
  let dim = String(d);
  if (rng.chance(0.6)) {
    const which = rng.pick(['x', 'y', 'dim'] as const);
    if (which === 'x') x = rng.pick(['new Float64Array(0)', `new Float64Array(${M * d + 1})`, 'new Int8Array(3)', '[1, 2, 3]', detachedCode('new Float64Array(3)'), 'new Float64Array([NaN, 1, 2])']);
    if (which === 'y') y = rng.pick(['new Float64Array(100000)', `new Float64Array(${M + 1})`, 'new Float32Array(3)', '[1, 2, 3]', 'new Float64Array([Infinity, 1, 2])']);
    if (which === 'dim') dim = rng.pick(['1e6', 'NaN', '-1', '2.5', String(d + 1), 'undefined']);
  }
  return rng.chance(0.8)
    ? `Reflect.construct(Dataset, [${x}, ${y}, ${dim}])`
    : `Object.assign(Object.create(Dataset.prototype), { size: ${rng.pick([M, 0, 100000])}, inputDim: ${dim}, x: ${x}, y: ${y} })`;
}

/** A generic hostile value. */
export function hostileCode(rng: Rng): string {
  return rng.weighted<() => string>([
    [() => rng.pick(NUMBERS), 4],
    [() => rng.pick(OTHERS), 3],
    [() => rng.pick(OBJECTS), 3],
    [() => rng.pick(ARRAYS), 3],
    [() => forgedCode(rng), 1.5],
  ])();
}

/** A hostile value derived from the valid leaf it replaces. */
export function hostileLike(rng: Rng, code: string, meta: Meta | undefined): string {
  if (!meta || rng.chance(0.2)) return hostileCode(rng);
  switch (meta.t) {
    case 'num': {
      const v = meta.v;
      const near = [v + 1, v - 1, -v, v + 0.5, v * 1024, v * 2 ** 31, v === 0 ? 1e-300 : v / 3, v * 1e300].map(numCode);
      // Large but valid-looking sizes and counts: they must be refused (or served) before any allocation.
      if (meta.int) near.push(...['2 ** 20', '2 ** 22', '2 ** 30', '1e6', '2 ** 31 - 1', '2 ** 32', '0', '-1']);
      const cases = [...near, 'NaN', 'Infinity', '-Infinity', '-0', '0', '-1', '2147483647', '2147483648', '4294967296',
        '9007199254740992', '1e308', '5e-324', '0.1', `'${numCode(v)}'`, `new Number(${numCode(v)})`,
        `{ valueOf() { return ${numCode(v)}; } }`, 'null', 'true', `[${numCode(v)}]`];
      if (meta.int && Number.isSafeInteger(v)) cases.push(`${v}n`, `${v}n`);
      return rng.pick(cases);
    }
    case 'str': {
      const v = meta.v;
      const cases = ["''", JSON.stringify(v.toUpperCase()), JSON.stringify(` ${v}`), JSON.stringify(`${v}\u0000`),
        JSON.stringify(v.slice(0, -1)), `new String(${JSON.stringify(v)})`, `{ toString() { return ${JSON.stringify(v)}; } }`, '0', '1',
        'null', "'constructor'", "'__proto__'", "'toString'", `[${JSON.stringify(v)}]`, `Symbol(${JSON.stringify(v)})`];
      if (meta.options) cases.push(JSON.stringify(rng.pick(meta.options)), JSON.stringify(rng.pick(meta.options)));
      return rng.pick(cases);
    }
    case 'bool':
      return rng.pick(['0', '1', "'true'", 'null', 'new Boolean(false)', '[]']);
    case 'f64': {
      const n = meta.n;
      const k = rng.int(0, Math.max(0, n - 1));
      return rng.weighted<() => string>([
        // Another element type: converted, or long enough that reading it as doubles runs far past its buffer.
        [() => `new ${rng.pick(TYPED)}(${code})`, 3],
        [() => `new ${rng.pick(TYPED)}(2 ** ${rng.pick([20, 24, 26])})`, 3],
        [() => `new ${rng.pick(BIG_TYPED)}(${n})`, 1],
        [() => `Array.from(${code})`, 1],
        [() => `Array.from(${code}, String)`, 0.5],
        // Wrong lengths.
        [() => rng.pick([`new Float64Array(${n + 1})`, `new Float64Array(${Math.max(0, n - 1)})`, `new Float64Array(${2 * n})`, 'new Float64Array(0)', `(${code}).subarray(1)`]), 3],
        [() => rng.pick(['new Float64Array(2 ** 22)', `{ length: ${n}, 0: 1 }`, `new DataView(new ArrayBuffer(${8 * n}))`]), 1],
        // Proxies and detached buffers.
        [() => rng.pick([`new Proxy(${code}, {})`, `new Proxy(${code}, { get: (t, p) => (p === 'length' ? ${n + 3} : Reflect.get(t, p)) })`]), 2],
        [() => detachedCode(code), 2],
        // A non-finite entry.
        [() => `((a) => (a[${k}] = ${rng.pick(['NaN', 'Infinity', '-Infinity', '1e308', '-0', '5e-324'])}, a))(${code})`, 2],
        // Valid but unusual: an offset view, a shared buffer, a subclass.
        [() => `((a) => { const b = new Float64Array(a.length + 1); b.set(a, 1); return b.subarray(1); })(${code})`, 1],
        [() => `((a) => { const b = new Float64Array(new SharedArrayBuffer(a.length * 8)); b.set(a); return b; })(${code})`, 0.5],
        [() => `Object.setPrototypeOf(${code}, class extends Float64Array {}.prototype)`, 0.5],
      ])();
    }
    case 'net':
    case 'data':
      return rng.chance(0.7) ? forgedCode(rng) : hostileCode(rng);
    case 'fn':
      return rng.pick([userThrow('callback'), '() => { throw new NntkError("E_ARGUMENT", "from the callback"); }',
        `async () => { throw new Error('${USER}: async callback'); }`, '() => new Promise(() => {})', '1', "'f'", '{}', 'null',
        'new Proxy(() => {}, {})', 'Symbol("f")']);
    case 'signal':
      return rng.pick(['AbortSignal.abort()', 'AbortSignal.abort(new Error("reason"))', 'AbortSignal.timeout(1)', '{ aborted: true }',
        'new EventTarget()', 'new AbortController()', 'Object.create(AbortSignal.prototype)', 'true',
        `new Proxy(AbortSignal.abort(), {})`]);
    case 'any':
      return hostileCode(rng);
  }
}

/** Misspelt or foreign keys for an options object. */
export function extraKey(rng: Rng, keys: string[]): string {
  const base = keys.length > 0 ? rng.pick(keys) : 'width';
  return rng.pick([
    base.slice(0, -1),
    base.toUpperCase(),
    `${base}s`,
    base.length > 2 ? base.slice(0, 1) + base.slice(2) : `${base}_`,
    `["__proto__"]`,
    'constructor',
    'toString',
    '[Symbol("extra")]',
    'hasOwnProperty',
    'length',
  ]);
}
