/**
 * One entry per exported function or method of src/index.ts: how to build a VALID call (so that the
 * mutator starts from calls that reach the deep paths) and how to write the invocation. Each entry is a
 * few lines; when the API changes, edit the entry. An entry whose `uses` names an export that
 * src/index.ts no longer has is skipped (and listed in the summary), so a rename does not break the run.
 */
import { A, bool, find, type Node, num, O, str, V } from './nodes.js';
import type { Rng } from './rng.js';
import {
  ACTIVATION_NAMES,
  type DataSpec,
  type NetSpec,
  regularizationCode,
  smallDim,
  smallM,
  validData,
  validNet,
  wave,
  waveCode,
} from './values.js';

export interface Entry {
  /** 'train', 'TwoLayerNet.create', 'TwoLayerNet#predict', ... */
  name: string;
  /** The exports the call needs (all must exist, or the entry is skipped). */
  uses: string[];
  /** Relative frequency. */
  weight: number;
  /** A valid call's arguments. */
  build(rng: Rng): Node[];
  /** The invocation expression, given the rendered argument names a0, a1, ... */
  call(a: string[]): string;
  /** Adjusts a mutated call so that a legitimately long run stays short (e.g. adds a time limit). */
  fixup?(args: Node[]): Node[];
  /** The call starts worker threads, whose address-space reservations need more than the child's cap (child.ts). */
  threads?: true;
  /** Output paths (as scanned by classify.ts) where NaN or Infinity is documented behaviour. */
  nonFinite?: RegExp;
  /** The same, decided from the result (e.g. a training run that reports it diverged). */
  nonFiniteWhen?(result: unknown): RegExp | undefined;
  /** The result is the caller's own value (not scanned). */
  unchecked?: boolean;
  /** Any exception is acceptable (only crashes and hangs count). */
  lenient?: boolean;
}

const CURV = ['newton', 'gauss-newton'] as const;
const INITS = ['paper', 'symmetric'] as const;
/** The number a leaf's code evaluates to, or undefined. */
function leafNumber(node: Node): number | undefined {
  if (node.k !== 'v') return undefined;
  try {
    const v: unknown = new Function(`return (${node.code});`)();
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A sweep spec with every valid width above 64 and every budget above 20 iterations cut to those. */
function capSweepSizes(node: Node, key?: string): Node {
  const cap = key === 'width' ? 64 : key === 'iterations' ? 20 : undefined;
  if (node.k === 'o') return { k: 'o', fields: node.fields.map(([k, v]): [string, Node] => [k, capSweepSizes(v, k)]) };
  if (node.k === 'a') return { k: 'a', items: node.items.map((v) => capSweepSizes(v, key)) };
  const v = cap === undefined ? undefined : leafNumber(node);
  return v !== undefined && Number.isInteger(v) && v > cap! && v <= 2 ** 29 ? num(cap!) : node;
}

/** The sweeps' store: one file per child process, in the OS scratch directory. */
const SWEEP_DB = V("`${process.env.TMPDIR || '/tmp'}/nntk-fuzz-sweep-${process.pid}.sqlite`", { t: 'any' });
const SOLVERS = ['auto', 'dense', 'structured', 'primal'] as const;
const SPECTRA = ['none', 'inertia', 'extremal', 'full'] as const;

function pair(rng: Rng, o: { maxWidth?: number; maxM?: number } = {}): { net: NetSpec; data: DataSpec } {
  const d = smallDim(rng);
  let net = validNet(rng, d);
  if (o.maxWidth !== undefined && net.width > o.maxWidth) net = validNet(rng, d, Math.min(o.maxWidth, 1 + (net.width % o.maxWidth)));
  let M = smallM(rng);
  if (o.maxM !== undefined) M = Math.min(M, o.maxM);
  const data = validData(rng, d, M, o.maxM === undefined || o.maxM >= 128);
  return { net, data };
}

const reg = (rng: Rng): Node => {
  const code = regularizationCode(rng);
  const m = /\{ (gamma|lambda): (.*) \}/.exec(code)!;
  return O({ [m[1]!]: num(Number(m[2])) });
};
const maybe = <T>(rng: Rng, p: number, f: () => T): T | undefined => (rng.chance(p) ? f() : undefined);
const opt = (rng: Rng, options: readonly string[], p = 0.5) => maybe(rng, p, () => str(rng.pick(options), options));

/** A method of TwoLayerNet: the receiver is argument 0. */
function method(name: string, weight: number, rest: (rng: Rng, net: NetSpec, data: DataSpec) => Node[]): Entry {
  return {
    name: `TwoLayerNet#${name}`,
    uses: ['TwoLayerNet'],
    weight,
    build(rng) {
      const { net, data } = pair(rng);
      return [net.node, ...rest(rng, net, data)];
    },
    call: (a) => `TwoLayerNet.prototype.${name}.call(${a.join(', ')})`,
  };
}

/** The options of train() for a method, each present at random. */
function trainOptions(rng: Rng, net: NetSpec, data: DataSpec): Node {
  const m = rng.pick(['newton', 'gauss-newton', 'gd', 'adam'] as const);
  const second = m === 'newton' || m === 'gauss-newton';
  const P = net.width * (net.inputDim + 2);
  const damping = second ? opt(rng, ['fixed', 'adaptive', 'gain-ratio', 'curvature-aware'], 0.6) : undefined;
  const fixed = damping?.k === 'v' && damping.code === '"fixed"';
  const adamState = (m === 'adam' && rng.chance(0.8)) || rng.chance(0.1);
  const resume = maybe(rng, m === 'adam' ? 0.7 : 0.25, () =>
    rng.chance(0.8)
      ? O({
          state: O({
            iteration: num(rng.int(0, 5)),
            seconds: num(rng.pick([0, 0.01, 1])),
            lambda: num(rng.pick([1e-8, 1e-3, 1])),
            nu: num(2),
            adamM: adamState ? wave(rng, P, 0.01) : undefined,
            adamV: adamState ? V(waveCode(rng, P, 0.5, 0.5), { t: 'f64', n: P }) : undefined,
          }),
        })
      : V(`await train(${net.node.k === 'v' ? net.node.code : 'undefined'}, ${data.node.k === 'v' ? data.node.code : 'undefined'}, { method: '${m}', iterations: 2 })`, { t: 'any' }),
  );
  const basis = maybe(rng, 0.5, () => {
    const K = rng.int(1, Math.min(3, data.M));
    return O({ names: A(Array.from({ length: K }, (_, k) => str(`g${k}`))), values: wave(rng, data.M * K) });
  });
  return O({
    method: str(m, ['newton', 'gauss-newton', 'gd', 'adam']),
    iterations: num(second ? rng.int(0, 4) : rng.int(0, 20)),
    regularization: second && (fixed || rng.chance(0.6)) ? reg(rng) : undefined,
    damping,
    solver: second ? opt(rng, ['auto', 'dense', 'structured', 'primal'], 0.4) : undefined,
    spectrum: second ? opt(rng, ['none', 'inertia', 'extremal'], 0.4) : undefined,
    alpha: second ? maybe(rng, 0.2, () => num(rng.pick([1, 0.5, 2, 1e-3]))) : undefined,
    learningRate: second ? undefined : maybe(rng, 0.4, () => num(rng.pick([0.01, 0.1, 1, 4, 100]))),
    epsilon: damping?.k === 'v' && damping.code === '"curvature-aware"' ? maybe(rng, 0.6, () => num(rng.pick([1, 0.1, 10]))) : undefined,
    allowIndefinite: second ? maybe(rng, 0.2, () => bool(rng.chance(0.5))) : undefined,
    targetLoss: maybe(rng, 0.15, () => num(rng.pick([0, 1e-3, 1, 1e300]))),
    timeLimitSeconds: maybe(rng, 0.15, () => num(rng.pick([0.01, 1, 1e9]))),
    signal: maybe(rng, 0.1, () => V(rng.pick(['new AbortController().signal', 'AbortSignal.abort()', 'AbortSignal.timeout(5)']), { t: 'signal' })),
    onStep: maybe(rng, 0.2, () => V(rng.pick(['() => {}', '(s) => void s.loss', '(s) => void JSON.stringify(s)']), { t: 'fn' })),
    diagnostics: maybe(rng, 0.2, () =>
      O({
        components: maybe(rng, 0.6, () => (data.basisK > 0 && rng.chance(0.5) ? bool(true) : (basis ?? bool(false)))),
        ntkModes: maybe(rng, 0.5, () => bool(rng.chance(0.8))),
        every: maybe(rng, 0.4, () => num(rng.int(1, 3))),
      }),
    ),
    record: maybe(rng, 0.2, () => O({ every: maybe(rng, 0.6, () => num(rng.int(1, 4))), perDecade: maybe(rng, 0.5, () => num(rng.int(1, 10))) })),
    resume,
    memoryLimitBytes: second ? maybe(rng, 0.1, () => num(rng.pick([1, 1024, 2 ** 20, 2 ** 32]))) : undefined,
    ...lossFields(rng),
  });
}

/** A long run is not a hang: past 50 iterations (or when iterations was replaced), cap the time. */
function capTrainTime(args: Node[]): Node[] {
  const o = args[2];
  if (!o || o.k !== 'o') return args;
  const it = find(args, [2, 'iterations']);
  const small = it?.k === 'v' && it.meta?.t === 'num' && it.meta.v <= 50 && it.code === String(it.meta.v);
  const limit = find(args, [2, 'timeLimitSeconds']);
  const limited = limit?.k === 'v' && limit.meta?.t === 'num' && limit.meta.v <= 1 && limit.code === String(limit.meta.v);
  if (small || limited) return args;
  const fields = o.fields.filter(([k]) => k !== 'timeLimitSeconds');
  fields.push(['timeLimitSeconds', num(0.5)]);
  return [args[0]!, args[1]!, { k: 'o', fields }, ...args.slice(3)];
}

const LOSSES = ['square', 'logistic', 'huber'] as const;
/** The loss fields of an options object (src/loss.ts), each present at random; huberDelta mostly with 'huber'. */
const lossFields = (rng: Rng): Record<string, Node | undefined> => {
  const loss = opt(rng, LOSSES, 0.3);
  const huber = loss?.k === 'v' && loss.code === '"huber"';
  return { loss, huberDelta: maybe(rng, huber ? 0.6 : 0.03, () => num(rng.pick([0.1, 1, 1e-300, 1e300]))) };
};

const stepOptions = (rng: Rng): Node =>
  O({
    regularization: reg(rng),
    curvature: opt(rng, CURV),
    solver: opt(rng, SOLVERS, 0.4),
    spectrum: opt(rng, SPECTRA, 0.4),
    memoryLimitBytes: maybe(rng, 0.1, () => num(rng.pick([1, 2 ** 20, 2 ** 32]))),
    ...lossFields(rng),
  });

const systemOptions = (rng: Rng): Node => O({ regularization: reg(rng), curvature: opt(rng, CURV) });
/** systemOptions for the calls that take a loss (curvatureSpectrum, nntkGram). */
const lossSystemOptions = (rng: Rng): Node => O({ regularization: reg(rng), curvature: opt(rng, CURV), ...lossFields(rng) });
/** Binary labels for the logistic loss: a two-moons set (inputDim 2) of a few points. */
const moons = (rng: Rng): Node =>
  V(`datasets.twoMoons({ points: ${rng.int(2, 24)}, seed: ${rng.int(0, 9)}${rng.chance(0.3) ? ", labels: 'bits'" : ''} })`, { t: 'any' });

/** A symmetric M x M matrix expression (a kernel-like Gram of smooth features). */
function symmetricCode(rng: Rng, M: number): string {
  const a = (0.3 + 2 * rng.next()).toFixed(3);
  return `Float64Array.from({ length: ${M * M} }, (_, k) => Math.exp(-${a} * Math.abs(Math.floor(k / ${M}) - (k % ${M}))) / ${M})`;
}

export const CATALOGUE: Entry[] = [
  // ------------------------------------------------------------------ model
  {
    name: 'TwoLayerNet.create',
    uses: ['TwoLayerNet'],
    weight: 4,
    build: (rng) => {
      const width = rng.weighted([[1, 2], [3, 2], [2, 1], [16, 1], [64, 1], [1000, 0.3]]);
      return [
        O({
          width: num(width),
          inputDim: num(smallDim(rng)),
          beta: maybe(rng, 0.5, () => num(rng.pick([0, 0.5, 0.52, 1, 0.25]))),
          activation: opt(rng, ACTIVATION_NAMES),
          // docs/MATH.md section 1.1: a finite nonzero output scale; 'symmetric' needs an even width
          outputScale: maybe(rng, 0.3, () => num(rng.pick([1, 2.5, -1, 1e-3, 1e3]))),
          init: opt(rng, width % 2 === 0 ? INITS : ['paper'], 0.3),
          // docs/MATH.md section 1.2: a non-empty subset of the groups, and how c is drawn or given
          trainable: maybe(rng, 0.3, () => A(rng.pick([['W'], ['b'], ['c'], ['W', 'b'], ['b', 'c'], ['c', 'W', 'b']]).map((g) => str(g, ['W', 'b', 'c'])))),
          outputWeights: maybe(rng, 0.25, () => (rng.chance(0.7) ? str(rng.pick(['uniform', 'signs']), ['uniform', 'signs']) : wave(rng, width))),
          seed: num(rng.pick([0, 1, 42, 2 ** 31 - 1, 2 ** 53 - 1])),
        }),
      ];
    },
    call: ([o]) => `TwoLayerNet.create(${o})`,
  },
  {
    name: 'TwoLayerNet.fromParameters',
    uses: ['TwoLayerNet'],
    weight: 3,
    build: (rng) => {
      const w = rng.int(1, 8);
      const d = smallDim(rng);
      const s = rng.pick([1, 1, 10, 1e-3, 1e200]);
      return [O({ W: wave(rng, w * d, s), b: wave(rng, w, s), c: wave(rng, w), beta: num(rng.pick([0, 0.5, 0.52, 1])), activation: opt(rng, ACTIVATION_NAMES), outputScale: maybe(rng, 0.3, () => num(rng.pick([1, 2.5, -1, 1e-3]))) })];
    },
    call: ([o]) => `TwoLayerNet.fromParameters(${o})`,
  },
  method('parameters', 1, () => []),
  method('flatParameters', 1, () => []),
  method('predict', 3, (rng, net) => [wave(rng, net.inputDim * rng.int(0, 8), rng.pick([1, 10, 1e3, 1e300]))]),
  method('loss', 2, (rng, __, data) => (rng.chance(0.5) ? [data.node] : [data.node, O(lossFields(rng))])),
  method('gradient', 2, (rng, __, data) => (rng.chance(0.5) ? [data.node] : [data.node, O(lossFields(rng))])),
  method('jacobian', 2, (_, __, data) => [data.node]),
  method('hessian', 2, (rng, _, data) => {
    const o = maybe(rng, 0.6, () => O({ curvature: opt(rng, CURV), memoryLimitBytes: maybe(rng, 0.3, () => num(rng.pick([1, 2 ** 20, 2 ** 32]))), ...lossFields(rng) }));
    return o ? [data.node, o] : [data.node];
  }),
  method('withStep', 3, (rng, net) => {
    const s = rng.pick([1, 1e-3, 1e300]);
    const step = O({ W: wave(rng, net.width * net.inputDim, s), b: wave(rng, net.width, s), c: wave(rng, net.width, s) });
    return rng.chance(0.5) ? [step] : [step, num(rng.pick([1, 0.5, -2, 1e300]))];
  }),

  // ------------------------------------------------------------------ data
  {
    name: 'Dataset.create',
    uses: ['Dataset'],
    weight: 4,
    build: (rng) => {
      const M = smallM(rng);
      const d = smallDim(rng);
      const form = rng.pick(['f64', 'rows', 'flat'] as const);
      let x: Node;
      if (form === 'f64') x = wave(rng, M * d);
      else if (form === 'rows') x = A(Array.from({ length: M }, (_, m) => A(Array.from({ length: d }, (_, j) => num(Number(Math.sin(m + 0.7 * j).toFixed(4)))))));
      else x = A(Array.from({ length: M * d }, (_, k) => num(Number(Math.cos(k).toFixed(4)))));
      const y = rng.chance(0.7) ? wave(rng, M) : A(Array.from({ length: M }, (_, k) => num(k % 3)));
      const K = rng.int(1, Math.min(3, M));
      return [
        O({
          x,
          y,
          inputDim: form === 'rows' ? maybe(rng, 0.3, () => num(d)) : d === 1 ? maybe(rng, 0.5, () => num(1)) : num(d),
          basis: maybe(rng, 0.25, () => O({ names: A(Array.from({ length: K }, (_, k) => str(`b${k}`))), values: wave(rng, M * K) })),
        }),
      ];
    },
    call: ([o]) => `Dataset.create(${o})`,
  },
  {
    name: 'datasets.paperFigure1',
    uses: ['datasets'],
    weight: 1,
    build: (rng) => (rng.chance(0.3) ? [] : [O({ frequency: maybe(rng, 0.7, () => num(rng.pick([5, 8, 0, 2.5, -1]))) })]),
    call: (a) => `datasets.paperFigure1(${a.join(', ')})`,
  },
  { name: 'datasets.paperFigure3', uses: ['datasets'], weight: 0.3, build: () => [], call: (a) => `datasets.paperFigure3(${a.join(', ')})` },

  // ------------------------------------------------------------------ steps, spectra, kernels
  ...(['newtonStep', 'newtonStepSync'] as const).map(
    (fn): Entry => ({
      name: fn,
      uses: [fn],
      weight: 4,
      build: (rng) => {
        const { net, data } = pair(rng);
        return [net.node, data.node, stepOptions(rng)];
      },
      call: (a) => `${fn}(${a.join(', ')})`,
    }),
  ),
  {
    name: 'resolveLambda',
    uses: ['resolveLambda'],
    weight: 2,
    build: (rng) => [reg(rng), num(rng.pick([1, 10, 1000, 1e6])), num(rng.pick([0, 0.5, 0.52, 1]))],
    call: (a) => `resolveLambda(${a.join(', ')})`,
  },
  ...(['curvatureSpectrum', 'curvatureSpectrumSync', 'nntkGram', 'nntkGramSync'] as const).map(
    (fn): Entry => ({
      name: fn,
      uses: [fn],
      weight: 2,
      build: (rng) => {
        const { net, data } = pair(rng);
        return [net.node, data.node, lossSystemOptions(rng)];
      },
      call: (a) => `${fn}(${a.join(', ')})`,
    }),
  ),
  ...(['newtonStepSync', 'curvatureSpectrumSync', 'nntkGramSync', 'ntkGramSync'] as const).map(
    (fn): Entry => ({
      name: `${fn} (logistic, two moons)`,
      uses: [fn, 'datasets'],
      weight: 1,
      build: (rng) => {
        const net = validNet(rng, 2);
        const o = fn === 'ntkGramSync' ? O({ loss: str('logistic', LOSSES) }) : O({ regularization: reg(rng), curvature: opt(rng, CURV), loss: str('logistic', LOSSES) });
        return [net.node, moons(rng), o];
      },
      call: (a) => `${fn}(${a.join(', ')})`,
    }),
  ),
  {
    name: 'loadDataset',
    uses: ['loadDataset'],
    weight: 0.3,
    build: (rng) => [str(rng.pick(['/nonexistent/points.csv', '/tmp', '/dev/zero', '/dev/null', 'package.json', '']))],
    call: (a) => `loadDataset(${a.join(', ')})`,
  },
  {
    name: 'datasets.twoMoons',
    uses: ['datasets'],
    weight: 0.5,
    build: (rng) => [O({ points: maybe(rng, 0.8, () => num(rng.int(2, 40))), noise: maybe(rng, 0.5, () => num(rng.pick([0, 0.1, 1e300]))), seed: maybe(rng, 0.5, () => num(rng.int(0, 5))), labels: opt(rng, ['signs', 'bits'], 0.3) })],
    call: (a) => `datasets.twoMoons(${a.join(', ')})`,
  },
  ...(['curvatureSpectrum', 'curvatureSpectrumSync'] as const).map(
    (fn): Entry => ({
      name: `${fn} (spectral options)`,
      uses: [fn],
      weight: 2,
      build: (rng) => {
        const { net, data } = pair(rng);
        return [
          net.node,
          data.node,
          O({
            regularization: reg(rng),
            curvature: opt(rng, CURV),
            smallest: maybe(rng, 0.5, () => num(rng.pick([1, 2, 3]))),
            largest: maybe(rng, 0.5, () => num(rng.pick([1, 2]))),
            eigenvectors: maybe(rng, 0.3, () => bool(rng.pick([true, false]))),
            frobenius: maybe(rng, 0.3, () => bool(true)),
            histogram: maybe(rng, 0.3, () => (rng.pick([true, false]) ? O({ bins: num(rng.pick([1, 3, 8])) }) : O({ edges: A([num(-1), num(0), num(1)]) }))),
            density: maybe(rng, 0.3, () => O({ probes: num(rng.pick([1, 2])), steps: num(rng.pick([1, 5, 10])), seed: num(1) })),
          }),
        ];
      },
      call: (a) => `${fn}(${a.join(', ')})`,
    }),
  ),
  ...(['ntkCross', 'ntkCrossSync', 'nntkCross', 'nntkCrossSync'] as const).map(
    (fn): Entry => ({
      name: fn,
      uses: [fn],
      weight: 2,
      build: (rng) => {
        const { net, data } = pair(rng);
        const d = net.inputDim;
        const test = wave(rng, d * rng.pick([1, 2, 5]));
        return fn.startsWith('nntk') ? [net.node, data.node, test, systemOptions(rng)] : [net.node, data.node, test];
      },
      call: (a) => `${fn}(${a.join(', ')})`,
    }),
  ),
  {
    name: 'linearizedPredictor',
    uses: ['linearizedPredictor'],
    weight: 2,
    build: (rng) => {
      const { net, data } = pair(rng);
      const method = rng.pick(['gd', 'newton', 'gauss-newton'] as const);
      const o =
        method === 'gd'
          ? O({ method: str(method), learningRate: num(rng.pick([0.1, 1])), limit: maybe(rng, 0.2, () => bool(true)), test: maybe(rng, 0.5, () => wave(rng, net.inputDim * 2)) })
          : O({ method: str(method), regularization: reg(rng), alpha: maybe(rng, 0.3, () => num(0.5)), limit: maybe(rng, 0.2, () => bool(true)), time: maybe(rng, 0.3, () => str('continuous', ['discrete', 'continuous'])), test: maybe(rng, 0.5, () => wave(rng, net.inputDim * 2)) });
      return [net.node, data.node, o];
    },
    call: (a) => `linearizedPredictor(${a.join(', ')}).then((p) => p.predict(3))`,
  },
  {
    name: 'LinearizedPredictor#predict',
    uses: ['LinearizedPredictor'],
    weight: 2,
    build: (rng) => [
      O({ kernel: V('Float64Array.of(1, 0.2, 0.2, 0.5)', { t: 'f64', n: 4 }), y: wave(rng, 2), f0: wave(rng, 2), alpha: maybe(rng, 0.5, () => num(rng.pick([0.1, 1, 3]))) }),
      num(rng.pick([0, 1, 10, 1e6])),
    ],
    call: (a) => `new LinearizedPredictor(${a[0]}).predict(${a[1]})`,
  },
  ...(['ntkGram', 'ntkGramSync'] as const).map(
    (fn): Entry => ({
      name: fn,
      uses: [fn],
      weight: 2,
      build: (rng) => {
        const { net, data } = pair(rng);
        return [net.node, data.node];
      },
      call: (a) => `${fn}(${a.join(', ')})`,
    }),
  ),
  {
    name: 'symmetricEigen',
    uses: ['symmetricEigen'],
    weight: 2,
    build: (rng) => {
      const n = rng.int(1, 12);
      return [V(symmetricCode(rng, n), { t: 'f64', n: n * n }), num(n)];
    },
    call: (a) => `symmetricEigen(${a.join(', ')})`,
  },
  // The limit kernels: today synchronous; ntkGramLimitSync / nntkGramLimitSync join when they exist.
  ...(['ntkGramLimit', 'ntkGramLimitSync', 'nntkGramLimit', 'nntkGramLimitSync'] as const).map(
    (fn): Entry => ({
      name: fn,
      uses: [fn],
      weight: 1.5,
      build: (rng) => {
        const data = validData(rng, smallDim(rng), Math.min(smallM(rng), 16), false);
        const nntk = fn.startsWith('nntk');
        const o = O({ activation: opt(rng, ACTIVATION_NAMES), gamma: nntk ? num(rng.pick([1, 0.1, 1e-3, 0, 10])) : undefined });
        return !nntk && rng.chance(0.3) ? [data.node] : [data.node, o];
      },
      call: (a) => `${fn}(${a.join(', ')})`,
    }),
  ),
  // The limit cross kernel and test diagonal: test rows of the data's inputDim against the data.
  ...(['ntkCrossLimit', 'ntkCrossLimitSync', 'ntkDiagonalLimit', 'ntkDiagonalLimitSync'] as const).map(
    (fn): Entry => ({
      name: fn,
      uses: [fn],
      weight: 1,
      build: (rng) => {
        const d = smallDim(rng);
        const data = validData(rng, d, Math.min(smallM(rng), 16), false);
        const test = wave(rng, d * rng.int(1, 12), 2);
        return rng.chance(0.3) ? [data.node, test] : [data.node, test, O({ activation: opt(rng, ACTIVATION_NAMES) })];
      },
      call: (a) => `${fn}(${a.join(', ')})`,
      // Millions of test rows are a legitimately long computation (K activation values per row, or a
      // quadrature per pair for inputDim > 1: 2^21 rows take minutes, 2^15 rows against 16 points 19 s): cap
      // them at 2^12 values, whether the array was
      // built (meta n) or written by a mutation (new Float64Array(2 ** 22)).
      fixup: (args) => {
        const t = args[1];
        const mutated = t?.k === 'v' ? /^new Float64Array\(2 \*\* (\d+)\)$/.exec(t.code) : null;
        const huge = t?.k === 'v' && ((t.meta?.t === 'f64' && t.meta.n > 2 ** 16) || (mutated !== null && Number(mutated[1]) > 16));
        return huge ? [args[0]!, V('new Float64Array(2 ** 12)', { t: 'f64', n: 2 ** 12 }), ...args.slice(2)] : args;
      },
    }),
  ),
  {
    name: 'chooseSolver',
    uses: ['chooseSolver'],
    weight: 1,
    build: (rng) => {
      const w = rng.int(1, 1e6);
      return [num(w * 3), num(rng.int(1, 200)), num(w), str(rng.pick(SPECTRA), SPECTRA), bool(rng.chance(0.5))];
    },
    call: (a) => `chooseSolver(${a.join(', ')})`,
  },
  {
    name: 'estimateCosts',
    uses: ['estimateCosts'],
    weight: 1,
    build: (rng) => {
      const w = rng.int(1, 1e6);
      return [num(w * 3), num(rng.int(1, 200)), num(w), str(rng.pick(SPECTRA), SPECTRA)];
    },
    call: (a) => `estimateCosts(${a.join(', ')})`,
  },

  // ------------------------------------------------------------------ training
  {
    name: 'train',
    uses: ['train'],
    weight: 10,
    build: (rng) => {
      const { net, data } = pair(rng, { maxWidth: 32, maxM: 32 });
      return [net.node, data.node, trainOptions(rng, net, data)];
    },
    call: (a) => `train(${a.join(', ')})`,
    fixup: capTrainTime,
    // A run that diverged says so (stoppedBecause 'diverged'); its last record and summary carry the
    // non-finite loss that ended it, which is the documented report of a divergence.
    nonFiniteWhen: (result) =>
      (result as { stoppedBecause?: unknown } | undefined)?.stoppedBecause === 'diverged'
        ? /^result\.(history\[\d+\]\.(loss|costChange|gainRatio|stepNorm|maxNeuronUpdate|gradientNorm|(components|ntkModes)(\[\d+\])?)|summary\.(finalCost|brief|full)|state\.(adamM|adamV)(\[\d+\])?)$/
        : undefined,
  },

  // ------------------------------------------------------------------ one-step grid and function space
  ...(['oneStepGrid', 'oneStepGridSync'] as const).map(
    (fn): Entry => ({
      name: fn,
      uses: [fn],
      weight: 3,
      build: (rng) => {
        const { net, data } = pair(rng, { maxWidth: 32, maxM: 16 });
        const regs = A(Array.from({ length: rng.int(1, 4) }, () => reg(rng)));
        let dataArg = data.node;
        if (data.node.k === 'v' && rng.chance(0.4)) {
          // Several targets on the same inputs: the same data set and one with other y.
          const code = data.node.code;
          dataArg = A([data.node, V(`((d) => Dataset.create({ x: d.x, y: d.y.map((v) => 2 * v - 1), inputDim: d.inputDim }))(${code})`, data.node.meta)]);
        }
        return [net.node, dataArg, O({ regularizations: regs, curvature: opt(rng, CURV) })];
      },
      call: (a) => `${fn}(${a.join(', ')})`,
    }),
  ),
  {
    name: 'isStepPoint',
    uses: ['isStepPoint'],
    weight: 0.5,
    build: (rng) => [
      V(rng.pick(['{ lambda: 1, lossAfter: 0.5, maxNeuronUpdate: 1, stepNorm: 1, inertia: { positive: 1, negative: 0, zero: 0 }, nntk: new Float64Array(1), solver: "x" }', '{ lambda: 1, error: new NntkError("E_SINGULAR", "s") }'])),
    ],
    call: (a) => `isStepPoint(${a.join(', ')})`,
  },
  {
    name: 'linearizedTrajectory',
    uses: ['linearizedTrajectory'],
    weight: 2,
    build: (rng) => {
      const M = rng.int(1, 10);
      const o = O({ steps: num(rng.int(0, 20)), alpha: maybe(rng, 0.5, () => num(rng.pick([1, 0.5, 2, -1, 1e300]))) });
      return [V(symmetricCode(rng, M), { t: 'f64', n: M * M }), wave(rng, M), wave(rng, M), o];
    },
    call: (a) => `linearizedTrajectory(${a.join(', ')})`,
  },
  {
    name: 'oneStepLoss',
    uses: ['oneStepLoss'],
    weight: 2,
    build: (rng) => {
      const { net, data } = pair(rng, { maxWidth: 32, maxM: 16 });
      const o = O({ regularization: reg(rng), curvature: opt(rng, CURV), solver: opt(rng, SOLVERS, 0.3), spectrum: opt(rng, SPECTRA, 0.3), alpha: maybe(rng, 0.3, () => num(rng.pick([1, 0.5, 2]))) });
      return [net.node, data.node, o];
    },
    call: (a) => `oneStepLoss(${a.join(', ')})`,
  },
  {
    name: 'relativeFrobeniusError',
    uses: ['relativeFrobeniusError'],
    weight: 1,
    build: (rng) => {
      const n = rng.int(1, 16);
      return [wave(rng, n), wave(rng, n)];
    },
    call: (a) => `relativeFrobeniusError(${a.join(', ')})`,
  },

  // ------------------------------------------------------------------ fitting
  {
    name: 'fitExponentialRate',
    uses: ['fitExponentialRate'],
    weight: 2,
    build: (rng) => {
      const n = rng.weighted([[3, 1], [10, 2], [40, 2], [500, 0.5]]);
      const rate = rng.pick([0.1, 1, 0.01, 5]);
      const values = V(`Float64Array.from({ length: ${n} }, (_, k) => Math.exp(-${rate} * k) * (1 + 0.01 * Math.sin(7 * k)))`, { t: 'f64', n });
      const o = maybe(rng, 0.5, () =>
        O({ x: maybe(rng, 0.5, () => V(`Float64Array.from({ length: ${n} }, (_, k) => 0.5 * k)`, { t: 'f64', n })), window: maybe(rng, 0.4, () => A([num(0), num(n - 1)])) }),
      );
      return o ? [values, o] : [values];
    },
    call: (a) => `fitExponentialRate(${a.join(', ')})`,
  },
  {
    name: 'fitPowerLaw',
    uses: ['fitPowerLaw'],
    weight: 2,
    build: (rng) => {
      const n = rng.int(3, 20);
      const reps = rng.pick([1, 2]);
      const x = V(`Float64Array.from({ length: ${n} }, (_, k) => 2 ** Math.floor(k / ${reps}))`, { t: 'f64', n });
      const y = V(`Float64Array.from({ length: ${n} }, (_, k) => 3 * (2 ** Math.floor(k / ${reps})) ** -0.5 * (1 + 0.05 * Math.sin(3 * k)))`, { t: 'f64', n });
      const o = maybe(rng, 0.6, () => O({ bootstrap: maybe(rng, 0.8, () => num(rng.pick([10, 50, 200]))), seed: maybe(rng, 0.5, () => num(rng.int(0, 100))) }));
      return o ? [x, y, o] : [x, y];
    },
    call: (a) => `fitPowerLaw(${a.join(', ')})`,
  },
  {
    name: 'studentTQuantile',
    uses: ['studentTQuantile'],
    weight: 1,
    build: (rng) => [num(rng.pick([0.975, 0.5, 0.025, 0.9995, 1e-10])), num(rng.pick([1, 2, 3, 10, 1e6, 0.5]))],
    call: (a) => `studentTQuantile(${a.join(', ')})`,
  },

  // ------------------------------------------------------------------ sweeps
  // Specs stay tiny (list axes only, one or two small jobs) so that a valid mutation still runs in
  // milliseconds; the store goes to a scratch directory, whatever path a mutation writes.
  ...(['planSweep', 'runSweep', 'runPlannedSweep'] as const).map(
    (fn): Entry => ({
      name: fn,
      uses: [fn, ...(fn === 'runPlannedSweep' ? ['planSweep'] : [])],
      weight: fn === 'planSweep' ? 2 : 1,
      ...(fn === 'planSweep' ? {} : { threads: true as const }),
      build: (rng) => {
        const experiment = rng.pick(['one-step', 'train', 'kernel'] as const);
        const fixed = O({
          dataset: maybe(rng, 0.5, () => str(rng.pick(['figure1', 'figure2', 'figure3']), ['figure1', 'figure2', 'figure3'])),
          activation: opt(rng, ACTIVATION_NAMES, 0.3),
          ...(experiment === 'one-step' ? { gammas: A([num(0.1)]), limit: str('none', ['none', 'exact']) } : {}),
          ...(experiment === 'train' ? { method: str(rng.pick(['gd', 'newton']), ['gd', 'newton', 'adam', 'gauss-newton']), iterations: num(rng.int(1, 5)) } : {}),
          ...(experiment === 'kernel' ? { kernels: A([str('ntk', ['ntk', 'nntk'])]) } : {}),
        });
        const spec = O({ experiment: str(experiment, ['one-step', 'train', 'kernel']), fixed, grid: O({ width: A([num(rng.int(1, 6)), ...(rng.chance(0.5) ? [num(rng.int(7, 12))] : [])]) }) });
        if (fn === 'planSweep') return [spec];
        const o = O({
          db: SWEEP_DB,
          workers: maybe(rng, 0.5, () => num(rng.pick([1, 2]))),
          threadsPerWorker: maybe(rng, 0.3, () => num(1)),
          retryFailed: maybe(rng, 0.3, () => bool(rng.chance(0.5))),
          jobTimeoutSeconds: maybe(rng, 0.2, () => num(rng.pick([5, 30]))),
          onProgress: maybe(rng, 0.3, () => V('() => {}', { t: 'fn' })),
          signal: maybe(rng, 0.1, () => V('new AbortController().signal', { t: 'signal' })),
        });
        return [spec, o];
      },
      call: (a) =>
        fn === 'planSweep' ? `planSweep(${a.join(', ')})` : fn === 'runSweep' ? `runSweep(${a.join(', ')})` : `planSweep(${a[0]}).then((p) => runPlannedSweep(p, ${a.slice(1).join(', ')}))`,
      // The store stays in the scratch directory: a mutated path (a relative one would land in the
      // checkout the child runs in) is put back. Every other field keeps its mutation.
      // Valid but large widths and budgets (a mutation to 2^22 neurons) are cut to sizes that run in
      // milliseconds, as capTrainTime does for train.
      fixup: (args) => {
        if (args.length === 0) return args;
        const spec = capSweepSizes(args[0]!);
        const o = args[1];
        if (o?.k !== 'o') return [spec, ...args.slice(1)];
        return [spec, { k: 'o', fields: o.fields.map(([k, v]): [string, Node] => [k, k === 'db' ? SWEEP_DB : v]) }, ...args.slice(2)];
      },
    }),
  ),
  { name: 'sweepSchema', uses: ['sweepSchema'], weight: 0.2, build: () => [], call: (a) => `sweepSchema(${a.join(', ')})` },

  // ------------------------------------------------------------------ saving and loading (src/serialize/, docs/formats.md)
  method('toJSON', 1, () => []),
  {
    name: 'TwoLayerNet.fromJSON',
    uses: ['TwoLayerNet'],
    weight: 3,
    build: (rng) => {
      // A valid saved network written out field by field, so that mutations reach every field and entry.
      const width = rng.int(1, 6);
      const inputDim = rng.int(1, 3);
      const numbers = (n: number) => A(Array.from({ length: n }, (_, k) => (k === 1 && rng.chance(0.2) ? str('-0') : num(Number(Math.sin(3 * k + 1).toFixed(6))))));
      const trainable = rng.pick([['W', 'b', 'c'], ['W', 'b'], ['c'], ['b', 'c']]);
      return [
        O({
          format: str('nntk.TwoLayerNet', ['nntk.TwoLayerNet', 'nntk.TrainingRun']),
          version: num(1),
          width: num(width),
          inputDim: num(inputDim),
          beta: num(rng.pick([0, 0.5, 0.52, 1])),
          activation: str(rng.pick(ACTIVATION_NAMES), ACTIVATION_NAMES),
          outputScale: num(rng.pick([1, -2.5, 1e-3])),
          init: str(rng.pick(['paper', 'symmetric', 'given']), ['paper', 'symmetric', 'given']),
          outputWeights: str(rng.pick(['uniform', 'signs', 'given']), ['uniform', 'signs', 'given']),
          trainable: A(trainable.map((g) => str(g, ['W', 'b', 'c']))),
          W: numbers(width * inputDim),
          b: numbers(width),
          c: numbers(width),
        }),
      ];
    },
    call: ([o]) => `TwoLayerNet.fromJSON(${o})`,
  },
  {
    name: 'trainingRunToJSON',
    uses: ['trainingRunToJSON', 'train'],
    weight: 1.5,
    build: (rng) => {
      const { net, data } = pair(rng, { maxWidth: 16, maxM: 16 });
      const m = rng.pick(['newton', 'gauss-newton', 'gd', 'adam']);
      const diagnostics = rng.chance(0.3) ? ', diagnostics: { ntkModes: true }' : '';
      const code = (n: Node) => (n.k === 'v' ? n.code : 'undefined');
      return [V(`await train(${code(net.node)}, ${code(data.node)}, { method: '${m}', iterations: ${rng.int(0, 3)}${diagnostics} })`, { t: 'any' })];
    },
    call: ([run]) => `trainingRunToJSON(${run})`,
  },
  {
    name: 'trainingRunFromJSON',
    uses: ['trainingRunFromJSON', 'trainingRunToJSON', 'train'],
    weight: 2,
    build: (rng) => {
      const { net, data } = pair(rng, { maxWidth: 16, maxM: 16 });
      const m = rng.pick(['newton', 'gauss-newton', 'gd', 'adam']);
      const code = (n: Node) => (n.k === 'v' ? n.code : 'undefined');
      const saved = `JSON.parse(JSON.stringify(trainingRunToJSON(await train(${code(net.node)}, ${code(data.node)}, { method: '${m}', iterations: ${rng.int(0, 3)} }))))`;
      // Field by field (each the same deterministic run), so that mutations replace one part at a time.
      const part = (key: string) => V(`${saved}.${key}`, { t: 'any' });
      return [
        O({
          format: str('nntk.TrainingRun', ['nntk.TrainingRun', 'nntk.TwoLayerNet']),
          version: num(1),
          net: part('net'),
          history: part('history'),
          stoppedBecause: part('stoppedBecause'),
          summary: part('summary'),
          state: part('state'),
          method: str(m, ['newton', 'gauss-newton', 'gd', 'adam']),
          solver: part('solver'),
        }),
      ];
    },
    call: ([o]) => `trainingRunFromJSON(${o})`,
    // A saved run's records and summary hold what the run had, NaN included when the saved value says "NaN".
    nonFinite: /^result\.(history\[\d+\]\..*|summary\..*|state\.(seconds|lambda|nu|adamM|adamV)(\[\d+\])?|ntkEigenvalues(\[\d+\])?)$/,
  },
  {
    name: 'toNpy',
    uses: ['toNpy'],
    weight: 1.5,
    build: (rng) => {
      const shape = rng.pick([[], [5], [2, 3], [3, 1, 2], [0, 4]]);
      const n = shape.reduce((p, d) => p * d, 1);
      return [wave(rng, n), A(shape.map((d) => num(d)))];
    },
    call: (a) => `toNpy(${a.join(', ')})`,
  },
  {
    name: 'fromNpy',
    uses: ['fromNpy', 'toNpy'],
    weight: 2,
    build: (rng) => {
      const shape = rng.pick([[], [4], [2, 3]]);
      const n = shape.reduce((p, d) => p * d, 1);
      const bytes = `toNpy(${waveCode(rng, n)}, [${shape.join(', ')}])`;
      // Now and then a damaged file: a byte of the magic, version, header or data changed, or the file cut short.
      const damage = rng.pick(['none', 'none', 'byte', 'cut']);
      if (damage === 'byte') {
        const at = rng.int(0, 127 + 8 * n);
        return [V(`((b) => { b[Math.min(${at}, b.length - 1)] = ${rng.int(0, 255)}; return b; })(${bytes})`, { t: 'any' })];
      }
      if (damage === 'cut') return [V(`${bytes}.subarray(0, ${rng.int(0, 127 + 8 * n)})`, { t: 'any' })];
      return [V(bytes, { t: 'any' })];
    },
    call: ([b]) => `fromNpy(${b})`,
    // The data are whatever the file holds: a damaged byte can make any value, NaN and Infinity included.
    nonFinite: /^result\.data(\[\d+\])?$/,
  },
  {
    name: 'netToNpy',
    uses: ['netToNpy', 'TwoLayerNet'],
    weight: 1,
    build: (rng) => [validNet(rng).node],
    call: ([net]) => `netToNpy(${net})`,
  },
  {
    name: 'netFromNpy',
    uses: ['netFromNpy', 'netToNpy', 'TwoLayerNet'],
    weight: 1.5,
    build: (rng) => {
      const net = validNet(rng).node;
      const files = `netToNpy(${net.k === 'v' ? net.code : 'undefined'})`;
      return [O({ manifest: V(`JSON.parse(JSON.stringify(${files}.manifest))`, { t: 'any' }), W: V(`${files}.W`, { t: 'any' }), b: V(`${files}.b`, { t: 'any' }), c: V(`${files}.c`, { t: 'any' }) })];
    },
    call: ([o]) => `netFromNpy(${o})`,
  },

  // ------------------------------------------------------------------ threads and errors
  {
    name: 'setThreads',
    uses: ['setThreads', 'getThreads'],
    weight: 0.5,
    build: (rng) => [num(rng.pick([1, 2, 4]))],
    // The thread count is process-wide: put it back so that later calls run as before.
    call: ([n]) => `((t0) => { try { return setThreads(${n}); } finally { setThreads(t0); } })(getThreads())`,
    // A valid count in (8, 4096] really starts that many OpenBLAS threads (8 MiB of stack each), which
    // under the child's address-space cap fails and leaves OpenBLAS hung: the harness, not the library.
    fixup: (args) => {
      const a = args[0];
      if (a?.k !== 'v') return args;
      let v: unknown;
      try {
        v = new Function(`return (${a.code});`)();
      } catch {
        return args;
      }
      return typeof v === 'number' && Number.isInteger(v) && v > 8 && v <= 4096 ? [num(8), ...args.slice(1)] : args;
    },
  },
  { name: 'getThreads', uses: ['getThreads'], weight: 0.2, build: () => [], call: (a) => `getThreads(${a.join(', ')})` },
  {
    name: 'new NntkError',
    uses: ['NntkError'],
    weight: 0.2,
    build: () => [str('E_ARGUMENT'), str('message')],
    call: (a) => `new NntkError(${a.join(', ')})`,
    unchecked: true,
    // The error class is the caller's to construct: a Symbol message throws as Error's constructor does.
    lenient: true,
  },
];
