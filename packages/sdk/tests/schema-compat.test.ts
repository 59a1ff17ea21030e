import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  changelogSection,
  checkSchemaCompatibility,
  nextBreakingVersion,
  releasedVersionOf,
  snapshotOf,
  subjectOf,
} from '../scripts/schema-compat.ts';

const released = /* GraphQL */ `
  type Query {
    metricSeries(input: MetricSeriesInput!): [MetricSeries!]!
    organization(code: String!): Organization
  }
  input MetricSeriesInput { metricCodes: [String!]! granularity: Granularity! }
  enum Granularity { MONTH QUARTER YEAR }
  type MetricSeries { value: String target: String }
  type Organization { code: String! name: String! }
`;
const additive = released.replace('name: String! }', 'name: String! shortName: String }');
const breaking = released.replace('value: String target: String', 'value: String');

const changelog = (version: string, body: string) =>
  `# Changelog\n\n## ${version} — 2026-12-01\n\n${body}\n\n## 0.1.0\n\nFirst.\n`;
const check = (currentSchema: string, currentVersion: string, log = changelog(currentVersion, '- nothing')) =>
  checkSchemaCompatibility({
    releasedSchema: released,
    releasedVersion: '0.1.0',
    currentSchema,
    currentVersion,
    changelog: log,
  });

describe('schema compatibility rule', () => {
  it('passes an additive change without a version bump', () => {
    const report = check(additive, '0.1.0');
    expect(report).toMatchObject({ ok: true, breaking: [], problems: [] });
  });

  it('fails a removed field when the version is not bumped', () => {
    const report = check(breaking, '0.1.0');
    expect(report.ok).toBe(false);
    expect(report.breaking.map((change) => change.description)).toEqual(['MetricSeries.target was removed.']);
    expect(report.problems.join('\n')).toContain('need version 0.2.0 or later');
  });

  it('fails a patch bump before 1.0: a breaking change needs the next minor', () => {
    const log = changelog('0.1.1', '### Breaking changes\n\n- `MetricSeries.target` was removed.');
    expect(check(breaking, '0.1.1', log).ok).toBe(false);
  });

  it('passes the next minor before 1.0 when the changelog names the change under Breaking changes', () => {
    const log = changelog(
      '0.2.0',
      '### Breaking changes\n\n- `MetricSeries.target` was removed: read targets from `metricTargets`.',
    );
    expect(check(breaking, '0.2.0', log)).toMatchObject({ ok: true, problems: [] });
  });

  it('fails when the changelog section is missing, lacks a Breaking heading or omits a change', () => {
    expect(check(breaking, '0.2.0', '# Changelog\n\n## 0.1.0\n').problems[0]).toMatch(/no "## 0.2.0" section/);
    expect(check(breaking, '0.2.0', changelog('0.2.0', '- `MetricSeries.target` removed')).problems[0]).toMatch(
      /no "Breaking changes" heading/,
    );
    expect(check(breaking, '0.2.0', changelog('0.2.0', '### Breaking changes\n\n- other things')).problems[0]).toMatch(
      /does not mention MetricSeries.target/,
    );
  });

  it('needs a major bump from 1.0 on', () => {
    expect(nextBreakingVersion('0.4.2')).toBe('0.5.0');
    expect(nextBreakingVersion('1.4.2')).toBe('2.0.0');
    const input = (currentVersion: string) => ({
      releasedSchema: released,
      releasedVersion: '1.4.2',
      currentSchema: breaking,
      currentVersion,
      changelog: changelog(currentVersion, '### Breaking changes\n\n- MetricSeries.target was removed.'),
    });
    expect(checkSchemaCompatibility(input('1.5.0')).ok).toBe(false);
    expect(checkSchemaCompatibility(input('2.0.0')).ok).toBe(true);
  });

  it('names the coordinate of each kind of breaking change', () => {
    expect(subjectOf('Query.organization arg code was removed.')).toBe('Query.organization');
    expect(subjectOf('A required arg orgCode on Query.metricSeries was added.')).toBe('Query.metricSeries');
    expect(subjectOf('A required field asOf on input type MetricSeriesInput was added.')).toBe('MetricSeriesInput');
    expect(subjectOf('YEAR was removed from enum type Granularity.')).toBe('YEAR');
    expect(subjectOf('Organization was removed.')).toBe('Organization');
  });

  it('reads the released version from the snapshot and finds sections by version', () => {
    expect(releasedVersionOf(snapshotOf('type Query { a: Int }', '0.3.1'))).toBe('0.3.1');
    expect(changelogSection('## [0.2.0]\nA\n## 0.1.0\nB', '0.2.0')).toBe('A');
    expect(changelogSection('## 0.2.0\nA', '0.2.1')).toBeUndefined();
  });
});

describe('npm run check:schema', () => {
  const script = fileURLToPath(new URL('../scripts/check-schema-compat.ts', import.meta.url));
  const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
  const folder = mkdtempSync(join(tmpdir(), 'sixtype-schema-compat-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  async function run(currentSchema: string, version: string, log: string) {
    const paths = {
      released: join(folder, 'released.graphql'),
      current: join(folder, 'schema.graphql'),
      package: join(folder, 'package.json'),
      changelog: join(folder, 'CHANGELOG.md'),
    };
    writeFileSync(paths.released, snapshotOf(released, '0.1.0'));
    writeFileSync(paths.current, currentSchema);
    writeFileSync(paths.package, JSON.stringify({ version }));
    writeFileSync(paths.changelog, log);
    const args = Object.entries(paths).flatMap(([name, path]) => [`--${name}`, path]);
    try {
      const { stdout } = await promisify(execFile)(tsx, [script, ...args]);
      return { code: 0, output: stdout };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, output: failed.stdout + failed.stderr };
    }
  }

  it('exits 0 on an additive change and 1 on an unrecorded breaking change', async () => {
    const passing = await run(additive, '0.1.0', changelog('0.1.0', '- x'));
    expect(passing).toMatchObject({ code: 0 });
    expect(passing.output).toContain('Schema compatible with the released 0.1.0');

    const failing = await run(breaking, '0.1.0', changelog('0.1.0', '- x'));
    expect(failing.code).toBe(1);
    expect(failing.output).toContain('breaking: MetricSeries.target was removed.');
  });

  it('--release rewrites the snapshot with the current schema and version', async () => {
    const released = join(folder, 'released.graphql');
    await run(additive, '0.2.0', changelog('0.2.0', '- x'));
    await promisify(execFile)(tsx, [
      script,
      '--release',
      '--released',
      released,
      '--current',
      join(folder, 'schema.graphql'),
      '--package',
      join(folder, 'package.json'),
    ]);
    const snapshot = readFileSync(released, 'utf8');
    expect(releasedVersionOf(snapshot)).toBe('0.2.0');
    expect(snapshot).toContain('shortName: String');
  });
});
