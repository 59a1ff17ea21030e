import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Each workspace package's name and folder, from the root package.json's workspaces. */
function workspacePackages(): Map<string, string> {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  const folders = workspaces.flatMap((pattern) =>
    pattern.endsWith('/*')
      ? readdirSync(join(root, pattern.slice(0, -2))).map((entry) => `${pattern.slice(0, -2)}/${entry}`)
      : [pattern],
  );
  const packages = new Map<string, string>();
  for (const folder of folders) {
    const manifest = join(root, folder, 'package.json');
    if (!statSync(join(root, folder)).isDirectory() || !existsSync(manifest)) continue;
    packages.set((JSON.parse(readFileSync(manifest, 'utf8')) as { name: string }).name, folder);
  }
  return packages;
}

/**
 * The "Who may import whom" table of ARCHITECTURE.md, read from the document itself (its one
 * copy): `any` leaves a package unchecked, a cell without a package name allows none.
 */
function importRules(): Map<string, string[] | 'any'> {
  const text = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');
  const section = text.slice(text.indexOf('## Who may import whom'));
  const table = section.slice(0, section.indexOf('\n## ', 3));
  const rules = new Map<string, string[] | 'any'>();
  for (const line of table.split('\n').filter((l) => l.startsWith('| `@sixtype/'))) {
    const [, packageCell = '', mayImport = ''] = line.split('|').map((cell) => cell.trim());
    const name = packageCell.replaceAll('`', '');
    rules.set(
      name,
      mayImport === 'any' ? 'any' : [...mayImport.matchAll(/`(@sixtype\/[a-z0-9-]+)`/g)].map((m) => m[1] as string),
    );
  }
  return rules;
}

const packages = workspacePackages();
const rules = importRules();
const allowed = Object.fromEntries(
  [...rules].flatMap(([name, mayImport]) =>
    mayImport === 'any' ? [] : [[name, { folder: packages.get(name) ?? `(no workspace package ${name})`, mayImport }]],
  ),
) as Record<string, { folder: string; mayImport: string[] }>;

function sourceFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((entry) => {
    const path = join(folder, entry);
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(entry) ? [path] : [];
  });
}

const internalImport = /(?:from\s+|import\s*\(\s*|import\s+)['"](@sixtype\/[a-z0-9-]+)/g;

describe('package boundaries (ARCHITECTURE.md)', () => {
  for (const [name, { folder, mayImport }] of Object.entries(allowed)) {
    it(`${name} imports only ${mayImport.join(', ') || 'no internal package'}`, () => {
      const offending: string[] = [];
      for (const file of sourceFiles(join(root, folder))) {
        for (const match of readFileSync(file, 'utf8').matchAll(internalImport)) {
          const target = match[1] as string;
          if (target !== name && !mayImport.includes(target)) offending.push(`${relative(root, file)} → ${target}`);
        }
      }
      const manifest = JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8'));
      const declared = Object.keys({
        ...manifest.dependencies,
        ...manifest.devDependencies,
        ...manifest.peerDependencies,
      });
      for (const dependency of declared.filter((dep) => dep.startsWith('@sixtype/'))) {
        if (!mayImport.includes(dependency)) offending.push(`package.json → ${dependency}`);
      }
      expect(offending).toEqual([]);
    });
  }

  it('reads a rule for every workspace package from ARCHITECTURE.md', () => {
    expect([...packages.keys()].filter((name) => !rules.has(name))).toEqual([]);
    expect(Object.keys(allowed).length).toBeGreaterThanOrEqual(5);
  });

  it('finds the sources it checks (a wrong folder would make the test pass vacuously)', () => {
    for (const { folder } of Object.values(allowed)) {
      expect(sourceFiles(join(root, folder)).length).toBeGreaterThan(1);
    }
  });
});
