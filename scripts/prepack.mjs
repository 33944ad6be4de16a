#!/usr/bin/env node
// The `prepack` script (npm pack, npm publish): makes what the package ships from a checkout.
//   1. scripts/setup.mjs: the native addon and the TypeScript build, each only when out of date.
//   2. dist/: removes compiled files whose source under src/ is gone, so that none ships.
//   3. prebuilds/<platform>-<arch>/nntk.napi.<libc>.node: a copy of build/Release/nntk.node under the
//      name node-gyp-build looks for (linux-x64/nntk.napi.glibc.node on the machines nntk is released
//      from), so that an install with no compiler, or with scripts disabled, loads it.
//
// Plain Node ESM with no dependencies.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
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

const dist = join(root, 'dist');
for (const file of filesUnder(dist)) {
  const stem = file.replace(/(\.d)?\.(js|ts)(\.map)?$/, '');
  if (stem === file) continue;
  if (!existsSync(join(root, 'src', `${stem}.ts`))) rmSync(join(dist, file));
}
if (!existsSync(join(dist, 'index.js')) || !existsSync(join(dist, 'index.d.ts'))) fail('dist/index.js is missing after the build');

const addon = join(root, 'build', 'Release', 'nntk.node');
if (!existsSync(addon)) fail(`${addon} is missing after the build`);
const libc = process.platform !== 'linux' ? '' : existsSync('/etc/alpine-release') ? '.musl' : '.glibc';
const target = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
copyFileSync(addon, join(target, `nntk.napi${libc}.node`));
console.log(`nntk prepack: ${relative(root, join(target, `nntk.napi${libc}.node`))} from build/Release/nntk.node`);
