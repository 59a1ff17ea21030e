// Writes src/generated/persisted-operations.json: every document the SDK exports, keyed by the
// SHA-256 of its printed text. Run by codegen.ts after the typed documents are written, so the
// manifest is built from exactly the documents the client sends (the client prints the same AST
// and looks its hash up in this file). The server loads the file: API clients may run only these.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type DocumentNode, Kind, print } from 'graphql';
import * as generated from '../src/generated/graphql.ts';

const output = fileURLToPath(new URL('../src/generated/persisted-operations.json', import.meta.url));

const isDocument = (value: unknown): value is DocumentNode =>
  typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === Kind.DOCUMENT;

const manifest = new Map<string, string>();
for (const [name, value] of Object.entries(generated)) {
  if (!name.endsWith('Document') || !isDocument(value)) continue;
  const text = print(value);
  manifest.set(createHash('sha256').update(text, 'utf8').digest('hex'), text);
}
if (manifest.size === 0) throw new Error('No documents found in src/generated/graphql.ts');

// Sorted by hash so the file only changes when an operation does (CI diffs it).
const sorted = Object.fromEntries([...manifest].sort(([a], [b]) => (a < b ? -1 : 1)));
writeFileSync(output, `${JSON.stringify(sorted, null, 2)}\n`);
