#!/usr/bin/env node
// Makes a checkout of nntk ready to use: system libraries, npm dependencies, the native addon and the
// compiled TypeScript. `npm test`, `npm run demo` and `npm run bench` run it first; `npm run build`
// runs it with --build. Each step is skipped when it is already done, so that a second run costs a
// few milliseconds and prints nothing.
//
// Plain Node ESM with no dependencies: it runs before node_modules exists.
//
// This is the checkout's set-up, for development (it may install Debian packages as root). It is not
// shipped: in a project that depends on nntk the install script is scripts/install.mjs, which never
// touches the system.
//
// Options:   --build   rebuild the native addon and the TypeScript even if they look up to date
//            --test    also make sure Debian's chromium (the browser tests) and redis-server (the Redis job
//                      queue tests) are there (installed when running as root; otherwise the command is
//                      printed and those tests are skipped)
// Env:       NNTK_SKIP_SYSTEM_PACKAGES=1   do not check the Debian packages (libraries installed otherwise)
//            NNTK_SETUP_EXTRA_PACKAGES     extra package names to require (testing the missing-package path)

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_PACKAGES, cmakeJsEnvironment, missingDebianPackages } from './system-checks.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const force = args.includes('--build');
const forTests = args.includes('--test');
const isWindows = process.platform === 'win32';
const inCI = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';

const APT_HINT = `sudo apt-get install -y ${BUILD_PACKAGES.join(' ')}`;

const started = Date.now();
let didSomething = false;
let nonDebianNote = false; // set when there is no dpkg; said only if the native addon must be built

function say(message) {
  didSomething = true;
  console.log(`nntk setup: ${message}`);
}

function fail(message, solutions = []) {
  console.error(`nntk setup: ${message}`);
  if (solutions.length > 0) {
    console.error('Possible solutions:');
    for (const s of solutions) console.error(`- ${s}`);
  }
  process.exit(1);
}

/** Runs a command with its output streamed to ours; returns true when it exited with status 0. */
function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, {
    cwd: root,
    stdio: 'inherit',
    shell: isWindows && !command.endsWith('.exe') && command !== process.execPath,
    ...options,
  });
  if (result.error) {
    console.error(`nntk setup: could not run ${command}: ${result.error.message}`);
    return false;
  }
  return result.status === 0;
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -Infinity;
  }
}

/** The newest modification time of the given files and of every file under the given directories. */
function newest(paths) {
  let latest = -Infinity;
  const visit = (path) => {
    let st;
    try {
      st = statSync(path);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const entry of readdirSync(path)) visit(join(path, entry));
    } else {
      latest = Math.max(latest, st.mtimeMs);
    }
  };
  for (const p of paths) visit(p);
  return latest;
}

function touch(path) {
  const now = new Date();
  try {
    utimesSync(path, now, now);
  } catch {
    writeFileSync(path, '');
  }
}

// ---------------------------------------------------------------------------------------------------
// 1. System packages (Debian/Ubuntu).

function canSudoWithoutPassword() {
  if (isWindows) return false;
  const result = spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' });
  return !result.error && result.status === 0;
}

function ensureSystemPackages() {
  if (process.env.NNTK_SKIP_SYSTEM_PACKAGES === '1') return;
  const extra = (process.env.NNTK_SETUP_EXTRA_PACKAGES ?? '').split(/[\s,]+/).filter(Boolean);
  const wanted = [...BUILD_PACKAGES, ...extra];
  const missing = missingDebianPackages(wanted);
  if (missing === null) {
    nonDebianNote = true; // not Debian: said in buildNative, when the libraries are about to be needed
    return;
  }
  if (missing.length === 0) return;

  const installArgs = ['install', '-y', '--no-install-recommends', ...missing];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  // A non-root CI runner usually has password-less sudo (GitHub Actions does); use it there, but never
  // ask a person for a password from inside npm test.
  const sudo = !isRoot && inCI && canSudoWithoutPassword() ? ['sudo', '-n'] : null;
  if (!isRoot && !sudo) {
    fail(`missing system packages: ${missing.join(' ')}`, [
      `Install them (then run this again): sudo apt-get install -y ${missing.join(' ')}`,
      'If the libraries are installed some other way, set NNTK_SKIP_SYSTEM_PACKAGES=1',
    ]);
  }

  say(`installing system packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (aptArgs) =>
    sudo
      ? run(sudo[0], [...sudo.slice(1), 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...aptArgs], { env })
      : run('apt-get', aptArgs, { env });
  if (!apt(['update'])) console.error('nntk setup: apt-get update failed; trying the install anyway');
  const ok = apt(installArgs);
  const still = missingDebianPackages(wanted) ?? [];
  if (!ok || still.length > 0) {
    fail(`could not install system packages: ${(still.length > 0 ? still : missing).join(' ')}`, [
      `Install them by hand: ${sudo ? 'sudo ' : ''}apt-get update && ${sudo ? 'sudo ' : ''}apt-get install -y ${missing.join(' ')}`,
      'Check the network connection and the apt sources (/etc/apt/sources.list*)',
    ]);
  }
}

/**
 * The browser tests drive Debian's chromium (never a downloaded browser). Missing it is not fatal: the
 * tests that need it are skipped with the reason printed.
 */
function ensureBrowser() {
  if (!forTests || process.env.NNTK_SKIP_SYSTEM_PACKAGES === '1') return;
  if (existsSync('/usr/bin/chromium')) return;
  const missing = missingDebianPackages(['chromium']);
  if (missing === null || missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.log('nntk setup: the browser tests will be skipped: chromium is not installed (sudo apt-get install -y chromium)');
    return;
  }
  say('installing chromium for the browser tests (apt-get install chromium)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { env })) {
    run('apt-get', ['update'], { env });
    if (!run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { env })) {
      console.log('nntk setup: could not install chromium; the browser tests will be skipped');
    }
  }
}

/**
 * The Redis job queue tests start Debian's redis-server on a loopback port. Missing it is not fatal
 * either: those tests are skipped with the reason printed.
 */
function ensureRedis() {
  if (!forTests || process.env.NNTK_SKIP_SYSTEM_PACKAGES === '1') return;
  if (existsSync('/usr/bin/redis-server')) return;
  const missing = missingDebianPackages(['redis-server']);
  if (missing === null || missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.log('nntk setup: the Redis queue tests will be skipped: redis-server is not installed (sudo apt-get install -y redis-server)');
    return;
  }
  say('installing redis-server for the Redis queue tests (apt-get install redis-server)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!run('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server'], { env })) {
    run('apt-get', ['update'], { env });
    if (!run('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server'], { env })) {
      console.log('nntk setup: could not install redis-server; the Redis queue tests will be skipped');
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// 2. npm dependencies.

/** True when this package sits inside another project's node_modules (installed as a dependency). */
function installedAsDependency() {
  const parent = basename(dirname(root));
  return parent === 'node_modules' || (parent.startsWith('@') && basename(dirname(dirname(root))) === 'node_modules');
}

function npmCommand() {
  // Use the npm that is running us when there is one, so that versions and config match.
  const execpath = process.env.npm_execpath;
  if (execpath && /npm-cli\.js$/.test(execpath) && existsSync(execpath)) return [process.execPath, execpath];
  return [isWindows ? 'npm.cmd' : 'npm'];
}

function declaredDependenciesPresent() {
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  } catch {
    return true;
  }
  const names = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
  return names.every((name) => existsSync(join(root, 'node_modules', name, 'package.json')));
}

function ensureNodeModules() {
  const lifecycle = process.env.npm_lifecycle_event ?? '';
  if (/^(pre|post)?install$/.test(lifecycle) || installedAsDependency()) return; // npm is installing us

  const modules = join(root, 'node_modules');
  const lock = join(root, 'package-lock.json');
  const hiddenLock = join(modules, '.package-lock.json');
  const haveLock = existsSync(lock);
  // npm install (not npm ci): it installs exactly what package-lock.json pins, and unlike npm 11's ci it
  // accepts a lockfile without other platforms' optional packages (npm/cli#4828 and relatives).
  let mode = null;
  if (!existsSync(modules)) mode = 'install';
  else if (haveLock && mtime(lock) > mtime(hiddenLock)) mode = 'install';
  else if (!declaredDependenciesPresent()) mode = 'install';
  if (mode === null) return;

  const [cmd, ...pre] = npmCommand();
  say('installing npm dependencies (npm install)');
  if (mode === 'install' && !run(cmd, [...pre, 'install', '--no-audit', '--no-fund'])) {
    fail('npm install failed', [
      'Check the network connection and the npm registry settings',
      'Retry from scratch: rm -rf node_modules && npm install',
    ]);
  }
  // npm leaves the hidden lockfile alone when nothing changed; mark it so the next run does not reinstall.
  if (existsSync(hiddenLock)) touch(hiddenLock);
}

// ---------------------------------------------------------------------------------------------------
// 3. Native addon.

/** [command, ...args] running a package's bin script with this Node, or npx when it cannot be found. */
function binCommand(pkgName, binName) {
  try {
    // Look in our node_modules, then in the parents' (where npm hoists them when nntk is a dependency).
    const pkgDir = dirname(findUp(join('node_modules', pkgName, 'package.json')));
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    const rel = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.[binName];
    if (rel) return [process.execPath, join(pkgDir, rel)];
  } catch {
    // fall through
  }
  return [isWindows ? 'npx.cmd' : 'npx', '--no', binName];
}

function findUp(relative) {
  let dir = root;
  for (;;) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error(`${relative} not found`);
    dir = up;
  }
}

function buildNative() {
  const addon = join(root, 'build', 'Release', 'nntk.node');
  // Written after each successful compile: a source change that rebuilds nothing (an unused header)
  // must not make every later run call cmake-js again.
  const stamp = join(root, 'build', '.nntk-setup-stamp');
  const built = existsSync(addon) ? Math.max(mtime(addon), mtime(stamp)) : -Infinity;
  const sources = newest([join(root, 'native'), join(root, 'CMakeLists.txt')]);
  if (!force && built >= sources) return;

  if (nonDebianNote) {
    say(`note: not a Debian system; OpenBLAS, LAPACK(E), CMake and a C++20 compiler must be installed with the system's package manager`);
  }
  say(existsSync(addon) ? 'rebuilding the native addon (cmake-js compile)' : 'building the native addon (cmake-js compile)');
  const env = cmakeJsEnvironment();
  const [cmd, ...pre] = binCommand('cmake-js', 'cmake-js');
  if (!run(cmd, [...pre, 'compile', '--out', 'build'], { env }) || !existsSync(addon)) {
    fail('building the native addon failed (see the output above)', [
      `Install the system libraries: ${APT_HINT}`,
      'Build from scratch: rm -rf build && npm run build',
    ]);
  }
  touch(stamp);
}

// ---------------------------------------------------------------------------------------------------
// 4. TypeScript.

function buildTypeScript() {
  const src = join(root, 'src');
  if (!existsSync(src)) return; // an installed package ships dist/ only
  const output = join(root, 'dist', 'index.js');
  const sources = newest([src, join(root, 'tsconfig.json')]);
  if (!force && mtime(output) >= sources) return;

  say('compiling TypeScript (tsc)');
  const [cmd, ...pre] = binCommand('typescript', 'tsc');
  if (!run(cmd, [...pre, '-p', 'tsconfig.json'])) {
    // tsc emits even when it reports errors; age the output so the next run compiles (and fails) again.
    if (existsSync(output)) utimesSync(output, new Date(0), new Date(0));
    fail('compiling the TypeScript failed (see the errors above)', ['Check the types: npm run typecheck']);
  }
  // The shipped declarations: one file, dist/nntk.d.ts, rolled up from build/types by API Extractor, that
  // holds the public API (what src/index.ts exports) and nothing internal (api-extractor.json).
  say('rolling up the declarations (api-extractor)');
  const [ae, ...aePre] = binCommand('@microsoft/api-extractor', 'api-extractor');
  if (!run(ae, [...aePre, 'run', '--local'])) {
    if (existsSync(output)) utimesSync(output, new Date(0), new Date(0));
    fail('rolling up the declarations failed (see the messages above)', [
      'A public type that names an unexported one (ae-forgotten-export): export that type from src/index.ts',
    ]);
  }
}

// ---------------------------------------------------------------------------------------------------

ensureSystemPackages();
ensureBrowser();
ensureRedis();
ensureNodeModules();
buildNative();
buildTypeScript();
if (didSomething) say(`ready (${((Date.now() - started) / 1000).toFixed(1)} s)`);
