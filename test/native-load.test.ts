/**
 * Loading the native core (src/native.ts): importing nntk never loads it, so the pure-TypeScript
 * functions work where it is missing, and the first numerical call throws E_NATIVE_LOAD saying how to
 * build it in this checkout. NNTK_PREBUILD (node-gyp-build's override of the package folder) points the
 * loader at an empty folder, in a child process so that this one keeps its addon. test/pack.test.ts
 * checks the same in a project that installed the packed package.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const empty = mkdtempSync(join(tmpdir(), 'nntk-no-addon-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

const script = `
import { datasets, fromNpy, toNpy, TwoLayerNet } from './src/index.ts';
const shape = fromNpy(toNpy(new Float64Array(6), [3, 2])).shape;
const size = datasets.paperFigure3().size;
let error = null;
try { TwoLayerNet.create({ width: 2, inputDim: 1, seed: 0 }); } catch (e) { error = { name: e.name, code: e.code, message: e.message }; }
console.log(JSON.stringify({ shape, size, error }));
`;

describe('without the native core', () => {
  it('runs the pure-TypeScript functions and throws E_NATIVE_LOAD with the checkout build command', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      env: { ...process.env, NNTK_PREBUILD: empty },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { shape: number[]; size: number; error: { name: string; code: string; message: string } };
    expect(out.shape).toEqual([3, 2]);
    expect(out.size).toBe(128);
    expect(out.error.name).toBe('NntkError');
    expect(out.error.code).toBe('E_NATIVE_LOAD');
    expect(out.error.message).toContain(`No native build was found`);
    expect(out.error.message).toContain(empty);
    expect(out.error.message).toContain('npm run build');
    expect(out.error.message).not.toContain('npm rebuild nntk'); // that one is for a dependent project
  });
});
