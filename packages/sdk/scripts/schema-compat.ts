// The rule CI applies to packages/graphql/schema.graphql (see CHANGELOG.md, "Versioning"): the
// schema other systems run against is the SDK's contract, so it is versioned by the SDK's semver.
// A change graphql-js calls breaking (a removed field, a narrowed type, a new required argument…)
// may ship only in a release that says so: the next major version (the next minor while the major
// is 0, as semver allows before 1.0), with a CHANGELOG section for that version that names every
// broken schema coordinate under a "Breaking" heading.
import {
  type BreakingChange,
  buildSchema,
  type DangerousChange,
  findBreakingChanges,
  findDangerousChanges,
} from 'graphql';

export interface SchemaCompatibilityInput {
  /** SDL of the last released schema (packages/sdk/released-schema.graphql). */
  releasedSchema: string;
  /** The version that snapshot was released with. */
  releasedVersion: string;
  /** SDL of the schema about to ship (packages/graphql/schema.graphql). */
  currentSchema: string;
  /** packages/sdk/package.json's version. */
  currentVersion: string;
  /** packages/sdk/CHANGELOG.md. */
  changelog: string;
}

export interface SchemaCompatibilityReport {
  ok: boolean;
  breaking: BreakingChange[];
  dangerous: DangerousChange[];
  /** Why the check failed (empty when ok). */
  problems: string[];
}

interface Version {
  major: number;
  minor: number;
  patch: number;
}

export function parseVersion(text: string): Version {
  const match = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a semver version`);
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

/** The lowest version allowed to carry a breaking change after `released`. */
export function nextBreakingVersion(released: string): string {
  const { major, minor } = parseVersion(released);
  return major === 0 ? `0.${minor + 1}.0` : `${major + 1}.0.0`;
}

function compare(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/**
 * The schema coordinate a breaking change is about (`Query.metricSeries`, `MetricGranularity`),
 * which the changelog entry must name. graphql-js puts it first in most descriptions.
 */
export function subjectOf(description: string): string {
  const added = /^A required (?:arg|field) \S+ on (?:input type |directive )?(\S+?) was added\.$/.exec(description);
  if (added?.[1]) return added[1];
  const flag = /^Repeatable flag was removed from (\S+?)\.$/.exec(description);
  if (flag?.[1]) return flag[1];
  return (description.split(' ')[0] ?? description).replace(/\.$/, '');
}

/** The text of `## <version>` (e.g. `## 0.2.0 — 2026-12-01`, `## [0.2.0]`) up to the next `## `. */
export function changelogSection(changelog: string, version: string): string | undefined {
  const lines = changelog.split(/\r?\n/);
  const escaped = version.replace(/[.+]/g, '\\$&');
  const heading = new RegExp(`^##\\s+\\[?v?${escaped}\\]?(?:\\s|$)`);
  const start = lines.findIndex((line) => heading.test(line));
  if (start === -1) return undefined;
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => /^##\s/.test(line));
  return rest.slice(0, end === -1 ? undefined : end).join('\n');
}

export function checkSchemaCompatibility(input: SchemaCompatibilityInput): SchemaCompatibilityReport {
  const released = buildSchema(input.releasedSchema);
  const current = buildSchema(input.currentSchema);
  const breaking = findBreakingChanges(released, current);
  const dangerous = findDangerousChanges(released, current);
  const problems: string[] = [];
  if (breaking.length > 0) {
    const required = nextBreakingVersion(input.releasedVersion);
    if (compare(parseVersion(input.currentVersion), parseVersion(required)) < 0) {
      problems.push(
        `Breaking schema changes since ${input.releasedVersion} need version ${required} or later ` +
          `(packages/sdk/package.json says ${input.currentVersion}).`,
      );
    }
    const section = changelogSection(input.changelog, input.currentVersion);
    if (section === undefined) {
      problems.push(`CHANGELOG.md has no "## ${input.currentVersion}" section recording the breaking changes.`);
    } else if (!/breaking/i.test(section)) {
      problems.push(`CHANGELOG.md's ${input.currentVersion} section has no "Breaking changes" heading.`);
    } else {
      for (const change of breaking) {
        const subject = subjectOf(change.description);
        if (!section.includes(subject)) {
          problems.push(
            `CHANGELOG.md's ${input.currentVersion} section does not mention ${subject}: ${change.description}`,
          );
        }
      }
    }
  }
  return { ok: problems.length === 0, breaking, dangerous, problems };
}

/** released-schema.graphql starts with `# @sixtype/sdk <version>`: the release the snapshot belongs to. */
export function releasedVersionOf(snapshot: string): string {
  const match = /^# @sixtype\/sdk (\S+)/m.exec(snapshot);
  if (!match?.[1]) throw new Error('released-schema.graphql lacks its "# @sixtype/sdk <version>" first line');
  return match[1];
}

export function snapshotOf(schema: string, version: string): string {
  return (
    `# @sixtype/sdk ${version}\n` +
    '# The schema as released with this SDK version: the baseline `npm run check:schema` compares\n' +
    '# packages/graphql/schema.graphql with. Rewritten by `npm run check:schema -- --release` when a\n' +
    '# version is published; never edited by hand.\n\n' +
    schema
  );
}
