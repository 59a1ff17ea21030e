// `npm run check:schema`: fails (exit 1) when packages/graphql/schema.graphql breaks the last
// released schema without the version bump and CHANGELOG entry the rule in schema-compat.ts asks for.
// `-- --release` rewrites released-schema.graphql from the current schema and version (run it when
// publishing). Paths can be given for tests: --released, --current, --package, --changelog.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkSchemaCompatibility, releasedVersionOf, snapshotOf } from './schema-compat.ts';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const { values } = parseArgs({
  options: {
    released: { type: 'string', default: here('../released-schema.graphql') },
    current: { type: 'string', default: here('../../graphql/schema.graphql') },
    package: { type: 'string', default: here('../package.json') },
    changelog: { type: 'string', default: here('../CHANGELOG.md') },
    release: { type: 'boolean', default: false },
  },
});

const currentSchema = readFileSync(values.current, 'utf8');
const currentVersion = (JSON.parse(readFileSync(values.package, 'utf8')) as { version: string }).version;

if (values.release) {
  writeFileSync(values.released, snapshotOf(currentSchema, currentVersion));
  console.log(`${values.released} now holds the schema released with ${currentVersion}.`);
  process.exit(0);
}

const snapshot = readFileSync(values.released, 'utf8');
const releasedVersion = releasedVersionOf(snapshot);
const report = checkSchemaCompatibility({
  releasedSchema: snapshot,
  releasedVersion,
  currentSchema,
  currentVersion,
  changelog: readFileSync(values.changelog, 'utf8'),
});

for (const change of report.dangerous) console.warn(`dangerous (not breaking): ${change.description}`);
for (const change of report.breaking) console.log(`breaking: ${change.description}`);
if (!report.ok) {
  for (const problem of report.problems) console.error(problem);
  console.error(
    'A breaking change needs the next major version (the next minor before 1.0) and a CHANGELOG.md ' +
      'section for it naming each change under "Breaking changes"; or make the change additive.',
  );
  process.exit(1);
}
console.log(
  report.breaking.length === 0
    ? `Schema compatible with the released ${releasedVersion} (${report.dangerous.length} dangerous changes).`
    : `Breaking changes since ${releasedVersion} are recorded for ${currentVersion}.`,
);
