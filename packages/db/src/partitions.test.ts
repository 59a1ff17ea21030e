import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgErrorOf } from './errors.ts';
import { ensureMetricPartition, isObservationRevisionKey, maintainMetricPartitions } from './partitions.ts';
import { openTestDatabase, type TestDatabase } from './testing.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database.close();
});

const rows = async <T>(query: ReturnType<typeof sql>) => (await database.db.execute(query)) as unknown as { rows: T[] };

/** Where each observation of `period` is stored. */
const storedIn = async (period: string) =>
  (
    await rows<{ part: string }>(sql`select tableoid::regclass::text as part from metric_observations
                                      where period_start = ${period}::date order by id`)
  ).rows.map((row) => row.part);

const insertObservation = (period: string, revision = 1) =>
  database.db.execute(sql`insert into metric_observations
      (metric_id, organization_id, granularity, period_start, value, revision, source, submitted_by_kind)
    select (select min(id) from metric_definitions), (select min(id) from organizations), 'MONTH',
           ${period}::date, 1, ${revision}, 'partition test', 'SYSTEM'
    returning id`);

describe('metric_observations partitioned by year', () => {
  it('is a partitioned table whose demo figures sit in their years’ partitions, not the default one', async () => {
    const parent = await rows<{ kind: string }>(
      sql`select relkind::text as kind from pg_class where relname = 'metric_observations'`,
    );
    expect(parent.rows).toEqual([{ kind: 'p' }]);
    const placed = await rows<{
      part: string;
      n: number;
    }>(sql`select tableoid::regclass::text as part, count(*)::int as n
                                                               from metric_observations where submitted_by_id = 'demo' group by 1 order by 1`);
    expect(placed.rows.map((row) => row.part)).toEqual(['metric_observations_y2011', 'metric_observations_y2012']);
    const thisYear = new Date().getFullYear();
    const partitions = await rows<{ name: string }>(sql`select c.relname::text as name from pg_inherits i
        join pg_class c on c.oid = i.inhrelid where i.inhparent = 'metric_observations'::regclass order by 1`);
    expect(partitions.rows.map((row) => row.name)).toEqual(
      expect.arrayContaining([
        'metric_observations_default',
        `metric_observations_y${thisYear}`,
        `metric_observations_y${thisYear + 1}`,
      ]),
    );
  });

  it('keeps a year without a partition in the default one until maintenance gives it its own, ids unchanged', async () => {
    const inserted = await insertObservation('2041-05-01');
    const id = (inserted as unknown as { rows: { id: number | string }[] }).rows[0]?.id;
    expect(await storedIn('2041-05-01')).toEqual(['metric_observations_default']);

    expect(await maintainMetricPartitions(database.db)).toEqual(['metric_observations_y2041']);
    expect(await storedIn('2041-05-01')).toEqual(['metric_observations_y2041']);
    const moved = await rows<{ id: number | string }>(
      sql`select id from metric_observations where period_start = '2041-05-01'`,
    );
    expect(moved.rows.map((row) => String(row.id))).toEqual([String(id)]);
    // Nothing left to do: a second run makes nothing.
    expect(await maintainMetricPartitions(database.db)).toEqual([]);
    // A new row of that year goes straight to its partition; the identity goes on after the moved row.
    await insertObservation('2041-06-01');
    expect(await storedIn('2041-06-01')).toEqual(['metric_observations_y2041']);
  });

  it('makes a loader’s year on request, once', async () => {
    expect(await ensureMetricPartition(database.db, 1999)).toBe('metric_observations_y1999');
    expect(await ensureMetricPartition(database.db, 1999)).toBe('metric_observations_y1999');
    await insertObservation('1999-12-01');
    expect(await storedIn('1999-12-01')).toEqual(['metric_observations_y1999']);
  });

  it('names the revision key of the partition a duplicate revision hits, which isObservationRevisionKey knows', async () => {
    await insertObservation('2012-07-01', 9);
    const error = await insertObservation('2012-07-01', 9).then(
      () => undefined,
      (e: unknown) => e,
    );
    const pg = pgErrorOf(error);
    expect(pg?.code).toBe('23505');
    expect(pg?.constraint).toBe('metric_observations_y2012_revision_key');
    expect(isObservationRevisionKey(pg?.constraint)).toBe(true);
    expect(isObservationRevisionKey('metric_observations_revision_key')).toBe(true);
    expect(isObservationRevisionKey('metric_targets_revision_key')).toBe(false);
    expect(isObservationRevisionKey(undefined)).toBe(false);
  });
});
