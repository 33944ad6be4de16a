/**
 * A package-lock.json for a scratch project that depends on a packed nntk, made from the checkout's own
 * lockfile: the same versions and integrity hashes the checkout installed, at the same places in the
 * tree, with the registry's tarball address written out where the checkout's lockfile leaves it to npm.
 * With it `npm ci --offline` needs only npm's cache of package tarballs, which the checkout's install
 * filled; without it npm would ask the registry for each package's version list (its packument).
 */

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  dev?: boolean;
  [key: string]: unknown;
}

interface Lockfile {
  name: string;
  version: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

/** The lock entry path node's resolution finds for `name` required from the package at `from`. */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = `${dir === '' ? '' : `${dir}/`}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (dir === '') return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut < 0 ? '' : dir.slice(0, cut);
  }
}

/** Where the registry keeps a package's tarball: <registry>/<name>/-/<name without scope>-<version>.tgz. */
function tarballUrl(registry: string, path: string, version: string): string {
  const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  return `${registry.replace(/\/?$/, '/')}${name}/-/${name.split('/').pop()}-${version}.tgz`;
}

/**
 * The lockfile of a project named `appName` whose dependencies are `tarballSpec` (nntk, as the
 * `file:` path to its tarball) and `extra` (names of other packages in the checkout's lockfile).
 */
export function scratchLockfile(
  checkoutLock: Lockfile,
  nntkManifest: LockEntry & { name: string; version: string },
  tarballSpec: string,
  appName: string,
  extra: string[],
  registry: string,
): { lock: Lockfile; dependencies: Record<string, string> } {
  const source = checkoutLock.packages;
  const packages: Record<string, LockEntry> = {};
  const visit = (path: string) => {
    if (packages[path]) return;
    const { dev: _dev, ...entry } = source[path]!;
    packages[path] = { ...entry, resolved: entry.resolved ?? tarballUrl(registry, path, entry.version!) };
    for (const deps of [entry.dependencies, entry.optionalDependencies, entry.peerDependencies]) {
      for (const name of Object.keys(deps ?? {})) {
        const found = resolveIn(source, path, name);
        if (found) visit(found);
        else if (!entry.optionalDependencies?.[name] && !entry.peerDependencies?.[name]) {
          throw new Error(`the checkout's lockfile has no ${name} for ${path}`);
        }
      }
    }
  };
  for (const name of Object.keys(nntkManifest.dependencies ?? {})) visit(`node_modules/${name}`);
  const dependencies: Record<string, string> = { [nntkManifest.name]: tarballSpec };
  for (const name of extra) {
    visit(`node_modules/${name}`);
    dependencies[name] = source[`node_modules/${name}`]!.version!;
  }
  packages[`node_modules/${nntkManifest.name}`] = {
    version: nntkManifest.version,
    resolved: tarballSpec,
    hasInstallScript: true,
    license: nntkManifest.license,
    dependencies: nntkManifest.dependencies,
    engines: nntkManifest.engines,
    os: nntkManifest.os,
    bin: nntkManifest.bin,
  };
  const rootEntry: LockEntry = { name: appName, version: '1.0.0', dependencies };
  return {
    lock: { name: appName, version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': rootEntry, ...packages } },
    dependencies,
  };
}
