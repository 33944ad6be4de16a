#!/usr/bin/env node
// The package's `install` script.
//
// In a project that depends on nntk it never changes the system: when the prebuilt native core that the
// package ships (prebuilds/<platform>-<arch>/, found by node-gyp-build) loads, it does nothing; otherwise
// it tries to build the core from source with cmake-js, when cmake-js and node-addon-api are installed,
// and never runs apt-get or sudo. When that fails too it prints the exact commands to run and exits 0, so
// that the project's `npm install` still succeeds: the pure-TypeScript parts of nntk work without the
// core, and the numerical functions throw E_NATIVE_LOAD with the same commands. NNTK_REQUIRE_NATIVE=1
// makes it exit 1 instead.
//
// In a checkout of the repository (scripts/setup.mjs is there; the package does not ship it) it runs
// scripts/setup.mjs, the development set-up, as before.
//
// Plain Node ESM that imports only node: modules and scripts/system-checks.mjs: it runs before node_modules
// is complete.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_PACKAGES, cmakeJsEnvironment, missingDebianPackages } from './system-checks.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const setup = join(root, 'scripts', 'setup.mjs');

if (existsSync(setup)) {
  const result = spawnSync(process.execPath, [setup, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

const RUNTIME_PACKAGE = 'libopenblas0-pthread';
const requireNative = process.env.NNTK_REQUIRE_NATIVE === '1';
const local = createRequire(join(root, 'package.json'));

function say(message) {
  console.log(`nntk install: ${message}`);
}

/** The addon node-gyp-build would load, or the reason there is none. */
function findAddon() {
  try {
    return { path: local('node-gyp-build').resolve(root) };
  } catch (error) {
    return { problem: String(error.message).trim() };
  }
}

/** Undefined when the addon at `path` loads in this process, else the loader's message. */
function loadProblem(path) {
  try {
    local(path);
    return undefined;
  } catch (error) {
    return String(error.message).trim();
  }
}

function resolvable(name) {
  try {
    local.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** Builds build/Release/nntk.node with cmake-js; returns undefined on success, else why it did not. */
function buildFromSource() {
  const tools = ['cmake-js', 'node-addon-api'].filter((name) => !resolvable(name));
  if (tools.length > 0) return `${tools.join(' and ')} ${tools.length > 1 ? 'are' : 'is'} not installed`;
  const cmake = spawnSync('cmake', ['--version'], { stdio: 'ignore' });
  if (cmake.error || cmake.status !== 0) return 'cmake is not installed';

  say('building the native core from source (cmake-js compile; about a minute)');
  const pkgDir = dirname(local.resolve('cmake-js/package.json'));
  const bin = join(pkgDir, 'bin', 'cmake-js');
  const result = spawnSync(process.execPath, [bin, 'compile', '--out', 'build'], { cwd: root, stdio: 'inherit', env: cmakeJsEnvironment() });
  if (result.error) return `could not run cmake-js: ${result.error.message}`;
  if (result.status !== 0) return 'cmake-js compile failed (see its output above)';
  const built = findAddon();
  if (!built.path) return built.problem;
  return loadProblem(built.path);
}

function giveUp(lines) {
  for (const line of lines) console.error(`nntk install: ${line}`);
  console.error(
    'nntk install: the pure-TypeScript parts of nntk work without the native core; the numerical functions ' +
      'throw E_NATIVE_LOAD until it is built.',
  );
  process.exit(requireNative ? 1 : 0);
}

const found = findAddon();
if (found.path) {
  const problem = loadProblem(found.path);
  if (problem === undefined) process.exit(0);
  if (/cannot open shared object file/.test(problem)) {
    // The prebuild is fine but a library it links to is missing: a source build would need more of the same.
    giveUp([
      `the prebuilt native core does not load: ${problem}`,
      `Install the OpenBLAS runtime library: sudo apt-get install -y ${RUNTIME_PACKAGE}`,
    ]);
  }
  say(`the prebuilt native core does not load here (${problem}); trying a build from source`);
} else {
  say(`no prebuilt native core for this system (${found.problem.split('\n')[0]}); trying a build from source`);
}

const failure = buildFromSource();
if (failure === undefined) {
  say('built the native core from source');
  process.exit(0);
}
let missing = null;
try {
  missing = missingDebianPackages(BUILD_PACKAGES);
} catch {
  // dpkg-query failed: name every package.
}
giveUp([
  `could not build the native core from source: ${failure}`,
  'To build it, run in the project that depends on nntk:',
  `  sudo apt-get install -y ${(missing?.length ? missing : BUILD_PACKAGES).join(' ')}` +
    '   (elsewhere: OpenBLAS with LAPACK and the LAPACKE headers, CMake 3.20+, a C++20 compiler)',
  '  npm install --no-save cmake-js node-addon-api',
  '  npm rebuild nntk',
]);
