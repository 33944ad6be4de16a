// What the two set-up scripts ask of the system, declared once: scripts/setup.mjs (the checkout's) and
// scripts/install.mjs (the package's, which ships this file too). Plain Node ESM, node: imports only.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The Debian packages a build of the native core from source needs. */
export const BUILD_PACKAGES = ['libopenblas-dev', 'liblapacke-dev', 'cmake', 'g++'];

/** The packages of `names` that dpkg does not report as installed, or null when there is no dpkg. */
export function missingDebianPackages(names) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Package}\t${Status}\n', ...names], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error) {
    if (result.error.code === 'ENOENT') return null;
    throw result.error;
  }
  const installed = new Set();
  for (const line of result.stdout.split('\n')) {
    const [name, status] = line.split('\t');
    // Multi-arch packages may be listed as name:arch.
    if (status === 'install ok installed') installed.add(name.split(':')[0]);
  }
  return names.filter((name) => !installed.has(name));
}

/**
 * The environment for cmake-js: without "binary": {"napi_versions": [...]} in package.json, cmake-js
 * downloads Node's full headers from nodejs.org unless npm_config_nodedir names a local copy; this Node's
 * own are used when it has them (Debian's nodejs and the nodejs.org tarballs both do), so that no network
 * is needed.
 */
export function cmakeJsEnvironment() {
  const env = { ...process.env };
  const prefix = dirname(dirname(process.execPath));
  if (!env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = prefix;
  return env;
}
