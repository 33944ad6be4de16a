#!/usr/bin/env node
// The `prepack` script (npm pack, npm publish): makes what the package ships from a checkout.
//   1. scripts/setup.mjs: the native addon and the TypeScript build, each only when out of date.
//   2. dist/: removes what tsc left from sources that are gone, so that only the build of src/ and the
//      rolled-up declarations (dist/nntk.d.ts) ship.
//   3. prebuilds/<platform>-<arch>/nntk.napi.<libc>.node: a copy of build/Release/nntk.node under the
//      name node-gyp-build looks for (linux-x64/nntk.napi.glibc.node on the machines nntk is released
//      from), so that an install with no compiler, or with scripts disabled, loads it.
//
// Plain Node ESM with no dependencies.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  console.error(`nntk prepack: ${message}`);
  process.exit(1);
}

const setup = spawnSync(process.execPath, [join(root, 'scripts', 'setup.mjs')], { cwd: root, stdio: 'inherit' });
if (setup.status !== 0) fail('scripts/setup.mjs failed (see above)');

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir) {
  const out = [];
  const visit = (path) => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      if (statSync(full).isDirectory()) visit(full);
      else out.push(relative(dir, full));
    }
  };
  if (existsSync(dir)) visit(dir);
  return out;
}

// What package.json points at: the code (dist/index.js) and the declarations API Extractor rolled up
// into one file (dist/nntk.d.ts).
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const entry of [manifest.main, manifest.types]) {
  if (!existsSync(join(root, entry))) fail(`${entry} (package.json) is missing after the build`);
}
// tsc never deletes: a compiled file whose source is gone, or a per-file declaration from before the
// rollup, would ship unless removed here. Files that tsc does not write are left alone.
const dist = join(root, 'dist');
const rollup = relative(dist, join(root, manifest.types));
for (const file of filesUnder(dist)) {
  if (file === rollup) continue;
  if (/\.d\.ts(\.map)?$/.test(file)) rmSync(join(dist, file));
  const compiled = /^(.*)\.js(\.map)?$/.exec(file);
  if (compiled && !existsSync(join(root, 'src', `${compiled[1]}.ts`))) rmSync(join(dist, file));
}

const addon = join(root, 'build', 'Release', 'nntk.node');
if (!existsSync(addon)) fail(`${addon} is missing after the build`);
const libc = process.platform !== 'linux' ? '' : existsSync('/etc/alpine-release') ? '.musl' : '.glibc';
const target = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
copyFileSync(addon, join(target, `nntk.napi${libc}.node`));
console.log(`nntk prepack: ${relative(root, join(target, `nntk.napi${libc}.node`))} from build/Release/nntk.node`);
