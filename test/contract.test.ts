/**
 * The contract between TypeScript and the native core is declared once per side: the enum names and
 * limits of src/contract.ts must equal the tables the addon exports (native/core/names.hpp and the
 * EnumNames<E> next to each enum), error codes included; and the loader sits at the bottom of src/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENUMS, ERROR_CODES, LIMITS } from '../src/contract.js';
import { NntkError } from '../src/index.js';
import { native } from '../src/native.js';

describe('the native contract', () => {
  const contract = native().contract();

  it('every enum has the same names on both sides', () => {
    for (const [kind, names] of Object.entries(ENUMS)) {
      expect([...(contract.enums[kind] ?? [])].sort(), kind).toEqual([...names].sort());
    }
  });

  it('the addon declares no enum that TypeScript does not know', () => {
    for (const kind of Object.keys(contract.enums)) expect(Object.keys(ENUMS), kind).toContain(kind);
  });

  it('the size limits agree', () => {
    expect(contract.limits).toEqual(LIMITS);
  });

  it('an unknown name is refused by the addon with the accepted names', () => {
    const net = { width: 1, inputDim: 1, beta: 0.5, activation: 'relu', W: new Float64Array(1), b: new Float64Array(1), c: new Float64Array(1) };
    const data = { size: 1, inputDim: 1, x: new Float64Array(1), y: new Float64Array(1) };
    let error: unknown;
    try {
      native().loss(net as never, data);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NntkError);
    expect((error as NntkError).code).toBe('E_ARGUMENT');
    expect((error as NntkError).message).toContain("'tanh'");
  });

  it('NntkError keeps the declared codes and maps anything else to E_INTERNAL', () => {
    for (const code of ERROR_CODES) expect(new NntkError(code, 'm').code).toBe(code);
    expect(new NntkError('E_BOGUS' as never, 'm').code).toBe('E_INTERNAL');
  });
});

/** Relative imports of every module under src/ (type-only imports included). */
function importGraph(): Map<string, string[]> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) files.push(path);
    }
  };
  walk('src');
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const deps = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)].map((m) =>
      relative('.', resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts'))),
    );
    graph.set(file, deps);
  }
  return graph;
}

describe('module structure', () => {
  const graph = importGraph();

  it('the loader imports only the contract and the error class, which import nothing else', () => {
    expect(graph.get(join('src', 'native.ts'))!.sort()).toEqual([join('src', 'contract.ts'), join('src', 'errors.ts')]);
    expect(graph.get(join('src', 'contract.ts'))).toEqual([]);
    expect(graph.get(join('src', 'errors.ts'))).toEqual([join('src', 'contract.ts')]);
  });

  it('there is no import circle anywhere in src/', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, stack: string[]) => {
      state.set(file, 'open');
      stack.push(file);
      for (const dep of graph.get(file) ?? []) {
        if (state.get(dep) === 'open') cycles.push([...stack.slice(stack.indexOf(dep)), dep].join(' -> '));
        else if (!state.has(dep)) visit(dep, stack);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file, []);
    expect(cycles).toEqual([]);
  });
});

describe('the code cites the mathematics it implements', () => {
  it('every "MATH.md section N" cited under native/ and src/ is a section of docs/MATH.md', () => {
    const sections = new Set([...readFileSync('docs/MATH.md', 'utf8').matchAll(/^## (\d+)\./gm)].map((m) => Number(m[1])));
    const cited: { file: string; section: number }[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.(ts|cpp|hpp)$/.test(path)) {
          for (const m of readFileSync(path, 'utf8').matchAll(/MATH\.md,? sections? ((?:\d+(?:\s*(?:-|,|and)\s*)?)+)/g)) {
            for (const n of m[1]!.match(/\d+/g)!) cited.push({ file: path, section: Number(n) });
          }
        }
      }
    };
    walk('src');
    walk('native');
    expect(cited.length).toBeGreaterThan(50);
    expect(cited.filter((c) => !sections.has(c.section))).toEqual([]);
  });
});
