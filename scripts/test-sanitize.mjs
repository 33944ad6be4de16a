#!/usr/bin/env node
// `npm run test:sanitize`: builds the C++ core and its tests (native/tests) with AddressSanitizer and
// UndefinedBehaviorSanitizer in build-sanitize/ (plain CMake, no cmake-js, no addon) and runs them under
// CTest with every sanitizer report fatal. Exits non-zero on a build failure, a failing case or any
// sanitizer finding.
//
// OpenBLAS and LAPACK come from Debian's uninstrumented builds: ASan intercepts their malloc/free and
// checks our own code's accesses to what they return, but a bug inside them goes unseen here. Nothing
// inside them has produced a report (LeakSanitizer included), so no suppression is set; one would go in
// ASAN_OPTIONS / LSAN_OPTIONS below, limited to frames in libopenblas, with a comment saying why.
//
// Plain Node ESM with no dependencies.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build-sanitize');
const sanitize = '-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all';

function run(command, args, env = process.env) {
  console.log(`test:sanitize: ${command} ${args.join(' ')}`);
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (r.error) {
    console.error(`test:sanitize: could not run ${command}: ${r.error.message}`);
    process.exit(1);
  }
  return r.status;
}

function have(command) {
  const r = spawnSync(command, ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

const configure = [
  '-S', root,
  '-B', buildDir,
  // -O1 -g: the usual sanitizer build, fast enough and with exact line numbers in reports.
  '-DCMAKE_BUILD_TYPE=Debug',
  '-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g',
  `-DCMAKE_CXX_FLAGS=${sanitize}`,
  `-DCMAKE_EXE_LINKER_FLAGS=${sanitize}`,
  '-DNNTK_BUILD_TESTS=ON',
  '-DNNTK_BUILD_ADDON=OFF',
];
if (!existsSync(join(buildDir, 'CMakeCache.txt')) && have('ninja')) configure.push('-G', 'Ninja');
if (run('cmake', configure) !== 0) {
  console.error('test:sanitize: configuring failed (is cmake installed? sudo apt-get install -y cmake g++)');
  process.exit(1);
}
if (run('cmake', ['--build', buildDir, '--target', 'nntk_core_tests']) !== 0) {
  console.error('test:sanitize: the sanitizer build failed');
  process.exit(1);
}

// Any report ends the process with a non-zero status: ASan stops at the first error (halt_on_error),
// UBSan cannot recover (-fno-sanitize-recover=all) and prints the stack, LeakSanitizer fails the exit.
const env = {
  ...process.env,
  ASAN_OPTIONS: [
    'halt_on_error=1',
    'detect_leaks=1',
    'detect_stack_use_after_return=1',
    'check_initialization_order=1',
    'strict_init_order=1',
    'detect_invalid_pointer_pairs=1',
    'strict_string_checks=1',
  ].join(':'),
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1:report_error_type=1',
  OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? '2',
};
// The canaries: a build that silently lost its instrumentation must not pass.
const exe = join(buildDir, 'nntk_core_tests');
for (const [kind, report] of [['address', 'AddressSanitizer: heap-buffer-overflow'], ['undefined', 'runtime error: signed integer overflow']]) {
  const r = spawnSync(exe, ['--canary', kind], { cwd: root, env, encoding: 'utf8' });
  if (r.status === 0 || !`${r.stderr}`.includes(report)) {
    console.error(`test:sanitize: the ${kind} sanitizer is not active (the canary ran without "${report}")`);
    process.exit(1);
  }
}
console.log('test:sanitize: both canaries were caught; running the suites');
const status = run('ctest', ['--test-dir', buildDir, '--output-on-failure'], env);
if (status !== 0) {
  console.error('test:sanitize: FAILED (see the sanitizer reports or failing checks above)');
  process.exit(1);
}
console.log('test:sanitize: no sanitizer findings, every case passed');
