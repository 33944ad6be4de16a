/**
 * A fuzz call's arguments as a small tree of source-code nodes. The tree is what the mutator edits;
 * rendered, it is the JavaScript that the child runs and the reproducer that a finding prints, so the
 * two can never disagree.
 */

/** What a leaf holds, so that the mutator can derive hostile values of the same kind. */
export type Meta =
  | { t: 'num'; v: number; int?: boolean }
  | { t: 'str'; v: string; options?: readonly string[] }
  | { t: 'bool' }
  | { t: 'f64'; n: number }
  | { t: 'net'; width: number; inputDim: number }
  | { t: 'data'; M: number; inputDim: number }
  | { t: 'fn' }
  | { t: 'signal' }
  | { t: 'any' };

export type Node =
  | { k: 'v'; code: string; meta?: Meta }
  | { k: 'o'; fields: [string, Node][] }
  | { k: 'a'; items: Node[] };

export const V = (code: string, meta?: Meta): Node => (meta ? { k: 'v', code, meta } : { k: 'v', code });
export const num = (v: number, int = Number.isInteger(v)): Node => V(numCode(v), { t: 'num', v, int });
export const str = (v: string, options?: readonly string[]): Node => V(JSON.stringify(v), options ? { t: 'str', v, options } : { t: 'str', v });
export const bool = (v: boolean): Node => V(String(v), { t: 'bool' });
/** An object node; undefined fields are left out. */
export function O(fields: Record<string, Node | undefined>): Node {
  return { k: 'o', fields: Object.entries(fields).filter((e): e is [string, Node] => e[1] !== undefined) };
}
export const A = (items: Node[]): Node => ({ k: 'a', items });

export function numCode(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function render(node: Node): string {
  switch (node.k) {
    case 'v':
      return node.code;
    case 'a':
      return `[${node.items.map(render).join(', ')}]`;
    case 'o':
      return node.fields.length === 0
        ? '{}'
        : `{ ${node.fields
            .map(([key, value]) => `${key.startsWith('[') || IDENT.test(key) ? key : JSON.stringify(key)}: ${render(value)}`)
            .join(', ')} }`;
  }
}

/** A path from an argument list into the tree: argument index, then field names and item indices. */
export type Path = (string | number)[];

/** Every node of the argument list with its path (objects and arrays included, before their children). */
export function allPaths(args: Node[]): { path: Path; node: Node }[] {
  const out: { path: Path; node: Node }[] = [];
  const walk = (node: Node, path: Path) => {
    out.push({ path, node });
    if (node.k === 'o') for (const [key, value] of node.fields) walk(value, [...path, key]);
    else if (node.k === 'a') node.items.forEach((item, k) => walk(item, [...path, k]));
  };
  args.forEach((a, k) => walk(a, [k]));
  return out;
}

/** A deep copy with the node at `path` replaced by `f(old)` (or removed, when f returns undefined, from an object). */
export function edit(args: Node[], path: Path, f: (old: Node) => Node | undefined): Node[] {
  const go = (node: Node, rest: Path): Node | undefined => {
    if (rest.length === 0) return f(node);
    const [head, ...tail] = rest;
    if (node.k === 'o') {
      const fields: [string, Node][] = [];
      for (const [key, value] of node.fields) {
        if (key !== head) fields.push([key, value]);
        else {
          const next = go(value, tail);
          if (next !== undefined) fields.push([key, next]);
        }
      }
      return { k: 'o', fields };
    }
    if (node.k === 'a') {
      return { k: 'a', items: node.items.map((item, k) => (k === head ? (go(item, tail) ?? V('undefined')) : item)) };
    }
    return node; // the path no longer exists (an earlier mutation replaced a parent)
  };
  return args.map((a, k) => (k === path[0] ? (go(a, path.slice(1)) ?? V('undefined')) : a));
}

export function find(args: Node[], path: Path): Node | undefined {
  let node: Node | undefined = args[path[0] as number];
  for (const key of path.slice(1)) {
    if (!node) return undefined;
    if (node.k === 'o') node = node.fields.find(([k]) => k === key)?.[1];
    else if (node.k === 'a') node = node.items[key as number];
    else return undefined;
  }
  return node;
}

export function pathText(path: Path): string {
  return path.map((p, k) => (k === 0 ? `arg${p}` : typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
}
