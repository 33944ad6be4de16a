/**
 * The package as a user gets it: `npm pack` of this checkout (which runs scripts/prepack.mjs), installed
 * offline with scripts disabled into a scratch project beside nothing else, then imported from ESM, from
 * CommonJS (require(esm), Node >= 20.19) and from strict TypeScript under node16 and bundler resolution.
 * publint and @arethetypeswrong/cli check the tarball. With the prebuilt binary taken away, the
 * pure-TypeScript functions still work, the numerical ones throw E_NATIVE_LOAD saying `npm rebuild nntk`,
 * and the install script prints the commands to run without touching the system.
 *
 * `npm ci --offline` takes every package from npm's cache, which the checkout's own install filled, with a
 * lockfile made from the checkout's (test/pack-lockfile.ts): the cache has the tarballs but not the
 * registry's version lists, which resolving the ranges of a plain `npm install` would need.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchLockfile } from './pack-lockfile.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const prebuildDir = `${process.platform}-${process.arch}`;
const bin = (pkg: string, file: string) => join(root, 'node_modules', pkg, file);

/** The environment of a user's shell: none of the variables npm sets for the scripts it runs. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|NODE_PATH$|NODE_OPTIONS$|INIT_CWD$|VITEST)/i.test(key) && key !== 'npm_config_cache') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, extra: Record<string, string> = {}): Run {
  const r = spawnSync(command, args, { cwd, env: userEnv(extra), encoding: 'utf8', timeout: 180_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs and expects exit status 0, showing the output when it is not. */
function ok(command: string, args: string[], cwd: string, extra: Record<string, string> = {}): string {
  const r = run(command, args, cwd, extra);
  expect(r.status, `${command} ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

let scratch = '';
let app = '';
let tarball = '';
let shipped: string[] = [];

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'nntk-pack-'));
  const packed = ok('npm', ['pack', '--json', '--pack-destination', scratch], root);
  // The prepack script's lines come first; npm's JSON report is the array at the end.
  const report = JSON.parse(packed.slice(packed.search(/^\[/m))) as { filename: string; files: { path: string }[] }[];
  tarball = join(scratch, report[0]!.filename);
  shipped = report[0]!.files.map((f) => f.path);

  app = join(scratch, 'app');
  mkdirSync(app);
  // @types/node as a TypeScript user would have it, at the version the checkout installed.
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const registry = ok('npm', ['config', 'get', 'registry'], root).trim();
  const checkoutLock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const { lock, dependencies } = scratchLockfile(checkoutLock, manifest, `file:../${report[0]!.filename}`, 'nntk-user', ['@types/node'], registry);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'nntk-user', version: '1.0.0', private: true, dependencies }, null, 2));
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(lock, null, 2));
  ok('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], app);
}, 240_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships the build, the prebuilt core, the native sources and the papers, and nothing of the checkout', () => {
    for (const file of [
      'dist/index.js',
      'dist/nntk.d.ts',
      'dist/cli/main.js',
      `prebuilds/${prebuildDir}/${process.platform === 'linux' ? 'nntk.napi.glibc.node' : 'nntk.napi.node'}`,
      'scripts/install.mjs',
      'scripts/system-checks.mjs',
      'CMakeLists.txt',
      'native/core/model.cpp',
      'native/addon/addon.cpp',
      'LICENSE',
      'CHANGELOG.md',
      'CITATION.cff',
      'README.md',
      'package.json',
    ]) {
      expect(shipped, file).toContain(file);
    }
    const checkoutOnly = shipped.filter((f) => /^(test|bench|build|docs|native\/tests)\/|^scripts\/(setup|prepack)/.test(f));
    expect(checkoutOnly).toEqual([]);
  });

  it('ships every source file CMakeLists.txt compiles into the addon, for the build from source', () => {
    const cmake = readFileSync(join(root, 'CMakeLists.txt'), 'utf8');
    const sources = [...cmake.matchAll(/\bnative\/[\w/.-]+\.(?:cpp|hpp)\b/g)].map((m) => m[0]).filter((f) => !f.startsWith('native/tests/'));
    expect(sources.length).toBeGreaterThan(30);
    expect(sources.filter((f) => !shipped.includes(f))).toEqual([]);
    // Headers are not listed there; every one under native/core and native/addon must ship.
    const headers = ['native/core', 'native/addon'].flatMap((dir) =>
      (readdirSync(join(root, dir), { recursive: true }) as string[]).filter((f) => f.endsWith('.hpp')).map((f) => `${dir}/${f}`),
    );
    expect(headers.length).toBeGreaterThan(20);
    expect(headers.filter((f) => !shipped.includes(f))).toEqual([]);
  });

  it('ships the sources its source maps point to', () => {
    const maps = shipped.filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(app, 'node_modules', 'nntk', map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const target = join(map, '..', source);
        if (!shipped.includes(target)) missing.push(`${map} -> ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('is installed with scripts disabled, and the ESM import takes an exact step on the prebuilt core', () => {
    expect(existsSync(join(app, 'node_modules', 'nntk', 'build'))).toBe(false); // nothing was compiled
    writeFileSync(
      join(app, 'step.mjs'),
      `import { TwoLayerNet, datasets, newtonStepSync } from 'nntk';
const net = TwoLayerNet.create({ width: 20, inputDim: 1, seed: 0 });
const r = newtonStepSync(net, datasets.paperFigure3(), { regularization: { gamma: 1e-3 }, solver: 'dense' });
console.log(JSON.stringify({ solver: r.solver, inertia: r.inertia, loss: r.loss }));
`,
    );
    const out = JSON.parse(ok(process.execPath, ['step.mjs'], app)) as { solver: string; inertia: Record<string, number>; loss: number };
    expect(out.solver).toMatch(/^dense-/);
    expect(out.inertia.positive! + out.inertia.negative! + out.inertia.zero!).toBe(20 * 3);
    expect(out.loss).toBeGreaterThan(0);
  });

  it('is required from CommonJS', () => {
    writeFileSync(
      join(app, 'use.cjs'),
      `const nntk = require('nntk');
const net = nntk.TwoLayerNet.create({ width: 4, inputDim: 1, seed: 1 });
console.log(typeof nntk.newtonStep, net.width);
`,
    );
    expect(ok(process.execPath, ['use.cjs'], app).trim()).toBe('function 4');
  });

  it('type-checks in a strict TypeScript project with node16 and with bundler resolution', { timeout: 180_000 }, () => {
    writeFileSync(
      join(app, 'use.mts'),
      `import { NntkError, TwoLayerNet, datasets, newtonStep, toNpy, train, type FactorizationName, type StepRecord, type StepResult } from 'nntk';
const net: TwoLayerNet = TwoLayerNet.create({ width: 8, inputDim: 1, seed: 0 });
const data = datasets.paperFigure3();
const r: StepResult = await newtonStep(net, data, { regularization: { gamma: 1e-3 } });
const solver: FactorizationName = r.solver;
// @ts-expect-error the factorization is a literal union, not any string
const unknownSolver: typeof r.solver = 'lu';
// @ts-expect-error results are readonly
r.loss = 0;
const bytes: Uint8Array = toNpy(new Float64Array(4), [2, 2]);
const code: string | undefined = new NntkError('E_ARGUMENT', 'm').code;
// @ts-expect-error the width is a number
TwoLayerNet.create({ width: '8', inputDim: 1, seed: 0 });
// Records are discriminated by method: a Newton run's records have lambda, a gd run's have none.
const newton = await train(net, data, { method: 'newton', iterations: 1 });
const lambda: number = newton.history[0]!.lambda;
const gd = await train(net, data, { method: 'gd', iterations: 1 });
// @ts-expect-error gd records have no lambda
const none = gd.history[0]!.lambda;
const shown = (s: StepRecord): number => (s.method === 'newton' || s.method === 'gauss-newton' ? s.lambda : s.loss);
// Arrays of numbers are inputs too.
const f: Float64Array = net.predict([0.25, 0.5]);
export { solver, unknownSolver, bytes, code, lambda, none, shown, f };
`,
    );
    const common = { strict: true, noEmit: true, target: 'ES2022', lib: ['ES2022'], types: ['node'], skipLibCheck: false };
    for (const [name, options] of [
      ['node16', { module: 'node16', moduleResolution: 'node16' }],
      ['bundler', { module: 'esnext', moduleResolution: 'bundler' }],
    ] as const) {
      const config = join(app, `tsconfig.${name}.json`);
      writeFileSync(config, JSON.stringify({ compilerOptions: { ...common, ...options }, files: ['use.mts'] }));
      ok(process.execPath, [bin('typescript', 'bin/tsc'), '-p', config], app);
    }
  });

  it('passes publint and @arethetypeswrong/cli', () => {
    ok(process.execPath, [bin('publint', 'src/cli.js'), '--strict', tarball], scratch);
    ok(process.execPath, [bin('@arethetypeswrong/cli', 'dist/index.js'), tarball, '--profile', 'esm-only', '--no-definitely-typed', '--format', 'ascii'], scratch);
  });
});

describe('the installed package without a prebuilt core for its system', () => {
  const prebuilds = () => join(app, 'node_modules', 'nntk', 'prebuilds');
  const install = () => join(app, 'node_modules', 'nntk', 'scripts', 'install.mjs');

  beforeAll(() => renameSync(prebuilds(), `${prebuilds()}.away`));
  afterAll(() => {
    if (existsSync(`${prebuilds()}.away`)) renameSync(`${prebuilds()}.away`, prebuilds());
  });

  it('still runs the pure-TypeScript functions, and the numerical ones say `npm rebuild nntk`', () => {
    writeFileSync(
      join(app, 'pure.mjs'),
      `import { chooseSolver, datasets, fromNpy, toNpy, fitPowerLaw, studentTQuantile, TwoLayerNet } from 'nntk';
const data = datasets.paperFigure3();
const back = fromNpy(toNpy(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]));
const fit = fitPowerLaw([1, 2, 4, 8], [3, 12, 48, 192], { bootstrap: 10 });
let error;
try { TwoLayerNet.create({ width: 4, inputDim: 1, seed: 0 }); } catch (e) { error = { code: e.code, message: e.message }; }
const solver = chooseSolver(3 * 1e6 + 1, 128, 1e6, 'inertia', false).solver;
console.log(JSON.stringify({ size: data.size, shape: back.shape, exponent: fit.exponent, t: studentTQuantile(0.975, 1e9), solver, error }));
`,
    );
    const out = JSON.parse(ok(process.execPath, ['pure.mjs'], app)) as {
      size: number; shape: number[]; exponent: number; t: number; solver: string; error: { code: string; message: string };
    };
    expect(out.size).toBe(128);
    expect(out.shape).toEqual([2, 3]);
    expect(out.exponent).toBeCloseTo(2, 12);
    expect(out.t).toBeCloseTo(1.959964, 5);
    expect(out.solver).toBe('structured');
    expect(out.error.code).toBe('E_NATIVE_LOAD');
    expect(out.error.message).toContain('No native build was found');
    expect(out.error.message).toContain('npm rebuild nntk');
    expect(out.error.message).toContain('libopenblas0-pthread');
  });

  it('has an install script that changes nothing and prints the commands (exit 0, or 1 when asked)', () => {
    const r = run(process.execPath, [install()], app);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('cmake-js and node-addon-api are not installed');
    expect(r.stderr).toContain('sudo apt-get install -y ');
    expect(r.stderr).toContain('npm install --no-save cmake-js node-addon-api');
    expect(r.stderr).toContain('npm rebuild nntk');
    expect(run(process.execPath, [install()], app, { NNTK_REQUIRE_NATIVE: '1' }).status).toBe(1);
  });

  it('has an install script that does nothing once the prebuilt core is back', () => {
    renameSync(`${prebuilds()}.away`, prebuilds());
    const r = run(process.execPath, [install()], app, { NNTK_REQUIRE_NATIVE: '1' });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: '', stderr: '' });
  });
});
