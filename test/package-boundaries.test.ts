import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The table in ARCHITECTURE.md, as data. */
const allowed: Record<string, { folder: string; mayImport: string[] }> = {
  '@sixtype/db': { folder: 'packages/db', mayImport: [] },
  '@sixtype/graphql': { folder: 'packages/graphql', mayImport: ['@sixtype/db'] },
  '@sixtype/api': { folder: 'services/api', mayImport: ['@sixtype/db', '@sixtype/graphql'] },
  '@sixtype/worker': { folder: 'services/worker', mayImport: ['@sixtype/db', '@sixtype/graphql'] },
  '@sixtype/sdk': { folder: 'packages/sdk', mayImport: [] },
};

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

  it('finds the sources it checks (a wrong folder would make the test pass vacuously)', () => {
    for (const { folder } of Object.values(allowed)) {
      expect(sourceFiles(join(root, folder)).length).toBeGreaterThan(1);
    }
  });
});
