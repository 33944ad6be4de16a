/**
 * Runs the C++ core's own test suite (native/tests, built next to the addon as build/nntk_core_tests)
 * so that `npm test` fails when any of its cases does. One vitest test per suite; the executable's
 * output is shown on failure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const exe = join(root, 'build', process.platform === 'win32' ? 'nntk_core_tests.exe' : 'nntk_core_tests');

function run(args: string[]): { status: number | null; output: string } {
  // One OpenBLAS thread: the suites are small, and the machine may be shared.
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1' };
  const r = spawnSync(exe, args, { encoding: 'utf8', env, timeout: 120000 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

describe('C++ core tests (native/tests)', () => {
  if (!existsSync(exe)) {
    it('the test executable is built', () => {
      expect.fail(
        `${exe} is missing: build it with \`npx cmake-js compile --out build\` (NNTK_BUILD_TESTS is on in a git checkout)`,
      );
    });
    return;
  }
  const list = run(['--list']);
  const suites = list.status === 0 ? list.output.split('\n').filter((s) => s.length > 0) : [];

  it('lists its suites', () => {
    expect(list.status, list.output).toBe(0);
    expect(suites).toEqual(expect.arrayContaining(['deflation', 'kernels', 'small_eigen', 'structured', 'symmetric_factor']));
  });

  for (const suite of suites) {
    it(suite, () => {
      const r = run([suite]);
      expect(r.status, r.output).toBe(0);
      expect(r.output).toMatch(/ 0 failed cases\n$/);
    });
  }
});
