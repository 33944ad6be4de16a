/**
 * The shipped API, read with the TypeScript compiler as an editor shows it to a user:
 * - every field of every exported options type (an interface named *Options, *Init or *Setting reachable
 *   from src/index.ts, inherited fields included) has JSDoc, and every optional field's JSDoc says what
 *   happens when it is absent ("default", "absent" or "none");
 * - the shipped declarations, dist/nntk.d.ts (rolled up by API Extractor, api-extractor.json), export exactly
 *   what src/index.ts exports and declare none of the internal helpers (the values other modules export
 *   for each other).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = join(root, 'src', 'index.ts');
const rollup = join(root, 'dist', 'nntk.d.ts');
const OPTION_TYPE = /(Options|Init|Setting)$/;
const SAYS_DEFAULT = /\bdefault|\babsent|\bnone\b/i;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const program = ts.createProgram(sources(join(root, 'src')), {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  strict: true,
  noEmit: true,
});
const checker = program.getTypeChecker();
const resolve = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
const exportsOf = (file: string) => {
  const module = checker.getSymbolAtLocation(program.getSourceFile(file)!);
  return module ? checker.getExportsOfModule(module) : [];
};
const publicExports = exportsOf(entry);
const publicSymbols = new Set(publicExports.map(resolve));

describe('the public API', () => {
  it('documents every field of its option types, and the default of every optional one', () => {
    const types: string[] = [];
    const findings: string[] = [];
    for (const exported of publicExports) {
      const symbol = resolve(exported);
      if (!(symbol.flags & ts.SymbolFlags.Interface) || !OPTION_TYPE.test(exported.name)) continue;
      types.push(exported.name);
      for (const field of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol))) {
        const doc = ts.displayPartsToString(field.getDocumentationComment(checker)).trim();
        const optional = (field.flags & ts.SymbolFlags.Optional) !== 0;
        if (doc === '') findings.push(`${exported.name}.${field.name}: no JSDoc`);
        else if (optional && !SAYS_DEFAULT.test(doc)) findings.push(`${exported.name}.${field.name}: optional, but its JSDoc names no default ("${doc.slice(0, 60)}")`);
      }
    }
    expect(types.length).toBeGreaterThan(15);
    expect(types).toContain('TrainOptions');
    expect(findings).toEqual([]);
  }, 60_000);

  it.skipIf(!existsSync(rollup))('ships one declaration file with exactly the public names and no internal helper', () => {
    const text = readFileSync(rollup, 'utf8');
    const shipped = ts.createSourceFile(rollup, text, ts.ScriptTarget.ES2022, true);
    const exported = new Set<string>();
    const declared = new Set<string>();
    for (const statement of shipped.statements) {
      if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
        for (const e of statement.exportClause.elements) exported.add(e.name.text);
      }
      const name = (statement as { name?: ts.Node }).name;
      if (name && ts.isIdentifier(name)) {
        declared.add(name.text);
        if (ts.getCombinedModifierFlags(statement as unknown as ts.Declaration) & ts.ModifierFlags.Export) exported.add(name.text);
      }
      if (ts.isVariableStatement(statement)) {
        for (const d of statement.declarationList.declarations) {
          if (ts.isIdentifier(d.name)) {
            declared.add(d.name.text);
            if (ts.getCombinedModifierFlags(statement as unknown as ts.Declaration) & ts.ModifierFlags.Export) exported.add(d.name.text);
          }
        }
      }
    }
    expect([...exported].sort()).toEqual(publicExports.map((s) => s.name).sort());
    // Values that modules export to each other (functions, constants, classes) but src/index.ts does not.
    const internal = new Set<string>();
    for (const file of sources(join(root, 'src'))) {
      for (const s of exportsOf(file)) {
        const symbol = resolve(s);
        if (publicSymbols.has(symbol) || !(symbol.flags & ts.SymbolFlags.Value)) continue;
        if (!publicExports.some((p) => p.name === s.name)) internal.add(s.name);
      }
    }
    expect(internal.size).toBeGreaterThan(100);
    expect([...internal].filter((name) => declared.has(name))).toEqual([]);
  }, 60_000);
});
