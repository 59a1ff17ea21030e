import { createDb, type DatabaseHandle, metricObservations } from '@sixtype/db';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { asc, eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACCESS } from '../../context.ts';
import { rowsOf } from '../common/rows.ts';
import { submitObservationsBulk } from './bulk.ts';
import { createMetricDefinition, type ObservationInput, submitObservations } from './metrics.service.ts';

// Two API processes writing at once, as two pools on one PostgreSQL database. PGlite has one
// connection, so nothing there runs concurrently: PostgreSQL only, as in CI's PostgreSQL pass.
describe.runIf(process.env.TEST_DATABASE_URL)('concurrent batches on PostgreSQL', () => {
  let database: TestDatabase;
  let second: DatabaseHandle;
  let gate: DatabaseHandle;
  const METRIC = 'CONCURRENT_FLOW';

  // A database of its own for each test: both commit for real, on three connections.
  beforeEach(async () => {
    database = await openTestDatabase();
    second = await createDb({ databaseUrl: database.url, maxConnections: 2 });
    gate = await createDb({ databaseUrl: database.url, maxConnections: 2 });
    await createMetricDefinition(database.db, SYSTEM_ACCESS.actor, {
      code: METRIC,
      name: METRIC,
      unit: '元',
      kind: 'FLOW',
      aggregation: 'SUM',
      direction: 'HIGHER_IS_BETTER',
      reportingGranularity: 'MONTH',
    });
  });
  afterEach(async () => {
    await gate?.close();
    await second?.close();
    await database?.close();
  });

  const rows = (value: string, source: string): ObservationInput[] =>
    ['FINANCE_BUREAU', 'CIVIL_AFFAIRS_BUREAU'].flatMap((orgCode) =>
      Array.from({ length: 12 }, (_, month) => ({
        metricCode: METRIC,
        orgCode,
        periodStart: `2013-${String(month + 1).padStart(2, '0')}-01`,
        granularity: 'MONTH' as const,
        value,
        source,
      })),
    );

  /** A promise and its resolve, to hand a moment from one transaction to another (Promise.withResolvers needs Node 22). */
  const deferred = () => {
    let resolve!: () => void;
    const promise = new Promise<void>((done) => {
      resolve = done;
    });
    return { promise, resolve };
  };

  const waiting = async (locktype: 'relation' | 'advisory' | 'transactionid') =>
    Number(
      rowsOf<{ n: number }>(
        // By the waiting backend's database: a transaction id lock has none of its own.
        await gate.db.execute(sql`select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
          where not l.granted and l.locktype = ${locktype} and a.datname = current_database()`),
      )[0]?.n,
    );

  /**
   * Runs both submissions so that they overlap for certain: a third connection holds the
   * observations table until each is waiting (for the table, or for the other's key), then lets
   * both go at the same instant, so both read the same highest revision.
   */
  async function together<T>(
    a: () => Promise<T>,
    b: () => Promise<T>,
    expected: Record<'relation' | 'advisory', number>,
  ) {
    const released = deferred();
    const held = deferred();
    const locker = gate.db.transaction(async (tx) => {
      await tx.execute(sql`lock table metric_observations in exclusive mode`);
      held.resolve();
      await released.promise;
    });
    await held.promise;
    const answers = Promise.allSettled([a(), b()]);
    await expect.poll(() => waiting('relation'), { timeout: 10_000 }).toBe(expected.relation);
    await expect.poll(() => waiting('advisory'), { timeout: 10_000 }).toBe(expected.advisory);
    released.resolve();
    await locker;
    return answers;
  }

  const stored = (source: string) =>
    database.db
      .select({
        org: metricObservations.organizationId,
        period: metricObservations.periodStart,
        revision: metricObservations.revision,
        value: metricObservations.value,
      })
      .from(metricObservations)
      .where(eq(metricObservations.source, source))
      .orderBy(asc(metricObservations.revision));

  it('writes two batches with different keys for the same figures as consecutive revisions', async () => {
    const source = 'concurrent different keys';
    const [first, other] = await together(
      () =>
        submitObservations(database.db, SYSTEM_ACCESS, { idempotencyKey: 'race-a', observations: rows('1.5', source) }),
      () =>
        submitObservations(second.db, SYSTEM_ACCESS, { idempotencyKey: 'race-b', observations: rows('2.5', source) }),
      { relation: 2, advisory: 0 },
    );
    expect(first).toMatchObject({ status: 'fulfilled', value: { accepted: 24, rejected: 0, replayed: false } });
    expect(other).toMatchObject({ status: 'fulfilled', value: { accepted: 24, rejected: 0, replayed: false } });

    const written = await stored(source);
    expect(written).toHaveLength(48);
    // Every figure has revisions 1 and 2, one from each batch; the later batch is the current one.
    const byFigure = new Map<string, typeof written>();
    for (const row of written)
      byFigure.set(`${row.org}|${row.period}`, [...(byFigure.get(`${row.org}|${row.period}`) ?? []), row]);
    expect(byFigure.size).toBe(24);
    for (const revisions of byFigure.values()) {
      expect(revisions.map((row) => row.revision)).toEqual([1, 2]);
      expect(new Set(revisions.map((row) => row.value))).toEqual(new Set(['1.5', '2.5']));
    }
    // One batch is wholly revision 2: the retried one read the winner's rows, all of them.
    const latest = new Set(written.filter((row) => row.revision === 2).map((row) => row.value));
    expect(latest.size).toBe(1);
  });

  it('writes two bulk uploads of the same figures as consecutive revisions: the loser merges again', async () => {
    const source = 'concurrent bulk uploads';
    const upload = (db: DatabaseHandle['db'], key: string, value: string) => () =>
      submitObservationsBulk(db, SYSTEM_ACCESS, {
        idempotencyKey: key,
        rows: (async function* () {
          yield* rows(value, source);
        })(),
      });
    const [first, other] = await together(
      upload(database.db, 'bulk-race-a', '4.5'),
      upload(second.db, 'bulk-race-b', '5.5'),
      { relation: 2, advisory: 0 },
    );
    expect(first).toMatchObject({ status: 'fulfilled', value: { accepted: 24, rejected: 0, replayed: false } });
    expect(other).toMatchObject({ status: 'fulfilled', value: { accepted: 24, rejected: 0, replayed: false } });
    const written = await stored(source);
    expect(written).toHaveLength(48);
    expect(written.filter((row) => row.revision === 1)).toHaveLength(24);
    // The upload merged again is wholly revision 2: it read all of the winner's rows.
    expect(new Set(written.filter((row) => row.revision === 2).map((row) => row.value)).size).toBe(1);
  });

  it('merges an upload again when a writer it waited for at the revision key commits the same figures', async () => {
    const source = 'bulk after an uncommitted writer';
    // Revision 1 of every figure of the upload, written and not yet committed (as a batch in
    // flight holds them): the upload computes revision 1 too, waits for this transaction at the
    // revision key, and must merge again, from its savepoint, once it commits.
    const committed = deferred();
    const inserted = deferred();
    const writer = gate.db.transaction(async (tx) => {
      await tx.execute(sql`insert into metric_observations
          (metric_id, organization_id, granularity, period_start, value, revision, source, submitted_by_kind)
        select m.id, o.id, 'MONTH', p::date, 9.5, 1, ${source}, 'SYSTEM'
        from metric_definitions m, organizations o,
             generate_series('2013-01-01'::date, '2013-12-01'::date, interval '1 month') p
        where m.code = ${METRIC} and o.code in ('FINANCE_BUREAU', 'CIVIL_AFFAIRS_BUREAU')`);
      inserted.resolve();
      await committed.promise;
    });
    await inserted.promise;
    const answer = submitObservationsBulk(second.db, SYSTEM_ACCESS, {
      idempotencyKey: 'bulk-after-writer',
      rows: (async function* () {
        yield* rows('6.5', source);
      })(),
    });
    await expect.poll(() => waiting('transactionid'), { timeout: 10_000 }).toBe(1);
    committed.resolve();
    await writer;
    expect(await answer).toMatchObject({ accepted: 24, rejected: 0, replayed: false });
    const written = await stored(source);
    expect(written).toHaveLength(48);
    expect(new Set(written.filter((row) => row.revision === 1).map((row) => row.value))).toEqual(new Set(['9.5']));
    expect(new Set(written.filter((row) => row.revision === 2).map((row) => row.value))).toEqual(new Set(['6.5']));
  });

  it('writes a batch sent twice at once with one key once, and answers the second as a replay', async () => {
    const source = 'concurrent same key';
    const send = (db: DatabaseHandle['db']) => () =>
      submitObservations(db, SYSTEM_ACCESS, { idempotencyKey: 'race-same', observations: rows('3', source) });
    const answers = await together(send(database.db), send(second.db), { relation: 1, advisory: 1 });
    const values = answers.map((answer) => {
      expect(answer.status).toBe('fulfilled');
      return answer.status === 'fulfilled' ? answer.value : null;
    });
    expect(values.map((value) => value?.replayed).sort()).toEqual([false, true]);
    expect(values.map((value) => value?.accepted)).toEqual([24, 24]);
    expect(values[0]?.batchId).toBe(values[1]?.batchId);
    const written = await stored(source);
    expect(written).toHaveLength(24);
    expect(written.every((row) => row.revision === 1)).toBe(true);
  });
});
