import { auditEvents, metricDefinitions, metricObservations, organizations, webhookDeliveries } from '@sixtype/db';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { createApiClient, createUser, loadTokenSecret, login, SYSTEM_ACCESS } from '@sixtype/graphql';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from './server.ts';

let database: TestDatabase;
let app: App;
let adminToken: string;
let readOnlyKey: string;
let scopedKey: string;

beforeAll(async () => {
  database = await openTestDatabase();
  const tokenSecret = await loadTokenSecret(database.db);
  const { actor } = SYSTEM_ACCESS;
  await createUser(database.db, actor, { username: 'admin', password: 'admin password 1', role: 'ADMIN' });
  adminToken = (await login(database.db, tokenSecret, { username: 'admin', password: 'admin password 1' })).token;
  readOnlyKey = (await createApiClient(database.db, actor, { name: 'reader', scopes: ['metrics:read'] })).key;
  scopedKey = (
    await createApiClient(database.db, actor, {
      name: 'finance',
      scopes: ['metrics:write'],
      organizationCode: 'FINANCE_BUREAU',
    })
  ).key;
  app = createApp({
    database,
    logger: pino({ level: 'silent' }),
    env: { NODE_ENV: 'production' },
    tokenSecret,
  });
});

afterAll(async () => {
  await app?.dispose();
  await database?.close();
});

const upload = (
  body: string | ReadableStream<Uint8Array>,
  type: string,
  headers: Record<string, string> = { authorization: `Bearer ${adminToken}` },
) =>
  app.fetch('http://api.test/metrics/observations/bulk', {
    method: 'POST',
    headers: { 'content-type': type, ...headers },
    body,
    ...(typeof body === 'string' ? {} : { duplex: 'half' }),
  } as RequestInit);

const ndjson = (rows: object[]) => rows.map((row) => JSON.stringify(row)).join('\n');
const row = (periodStart: string, value: string, extra: object = {}) => ({
  metricCode: 'FISCAL_REVENUE_TOTAL',
  orgCode: 'FINANCE_BUREAU',
  periodStart,
  granularity: 'QUARTER',
  value,
  source: 'bulk test',
  ...extra,
});

const stored = async (source: string) =>
  (
    await database.db
      .select({
        period: metricObservations.periodStart,
        value: metricObservations.value,
        revision: metricObservations.revision,
      })
      .from(metricObservations)
      .where(eq(metricObservations.source, source))
      .orderBy(metricObservations.periodStart, metricObservations.revision)
  ).map((r) => `${r.period} ${Number(r.value)} r${r.revision}`);

const auditRows = async () =>
  (
    await database.db
      .select({ n: sql<number>`count(*)`.mapWith(Number) })
      .from(auditEvents)
      .where(eq(auditEvents.operation, 'submitMetricObservationsBulk'))
  )[0]?.n ?? 0;

describe('POST /metrics/observations/bulk', () => {
  it('writes an NDJSON upload, with one audit row, and answers a replay without writing again', async () => {
    const body = ndjson([row('2001-01-01', '1.5'), row('2001-04-01', '2'), row('2001-07-01', '-3.25')]);
    const audits = await auditRows();
    const first = await upload(body, 'application/x-ndjson', {
      authorization: `Bearer ${adminToken}`,
      'idempotency-key': 'nd-1',
    });
    expect(first.status).toBe(200);
    const answer = await first.json();
    expect(answer).toMatchObject({ accepted: 3, rejected: 0, replayed: false, errors: [] });
    expect(await stored('bulk test')).toEqual(['2001-01-01 1.5 r1', '2001-04-01 2 r1', '2001-07-01 -3.25 r1']);
    expect(await auditRows()).toBe(audits + 1);

    const again = await upload(body, 'application/x-ndjson', {
      authorization: `Bearer ${adminToken}`,
      'idempotency-key': 'nd-1',
    });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ...answer, replayed: true });
    expect(await stored('bulk test')).toHaveLength(3);
    expect(await auditRows()).toBe(audits + 1);

    // The same key with other rows: a conflict, nothing written.
    const other = await upload(ndjson([row('2001-01-01', '9')]), 'application/x-ndjson', {
      authorization: `Bearer ${adminToken}`,
      'idempotency-key': 'nd-1',
    });
    expect(other.status).toBe(409);
    expect((await other.json()).errors[0].extensions.code).toBe('CONFLICT');
    expect(await stored('bulk test')).toHaveLength(3);

    // A figure sent again under another key is its next revision, as in a GraphQL batch.
    const revised = await upload(ndjson([row('2001-01-01', '4')]), 'application/x-ndjson', {
      authorization: `Bearer ${adminToken}`,
      'idempotency-key': 'nd-2',
    });
    expect(revised.status).toBe(200);
    expect(await stored('bulk test')).toEqual([
      '2001-01-01 1.5 r1',
      '2001-01-01 4 r2',
      '2001-04-01 2 r1',
      '2001-07-01 -3.25 r1',
    ]);
  });

  it('announces an accepted upload to webhooks: one event per unit, with its count and period range', async () => {
    const created = await app.fetch('http://api.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({
        query: `mutation { createWebhookEndpoint(input: { url: "https://oa.example/hooks", eventTypes: [OBSERVATION_BATCH_ACCEPTED] }) {
          ... on CreateWebhookEndpointPayload { webhookEndpoint { id } } } }`,
      }),
    });
    const endpointId = Number(
      Buffer.from((await created.json()).data.createWebhookEndpoint.webhookEndpoint.id, 'base64')
        .toString()
        .split(':')[1],
    );
    const body = ndjson([
      row('2003-01-01', '1', { source: 'bulk events' }),
      row('2003-04-01', '2', { source: 'bulk events' }),
      row('2003-01-01', '3', { source: 'bulk events', orgCode: 'CIVIL_AFFAIRS_BUREAU' }),
    ]);
    const answer = await upload(body, 'application/x-ndjson', {
      authorization: `Bearer ${adminToken}`,
      'idempotency-key': 'bulk-events',
    });
    expect(answer.status).toBe(200);
    const batchId = Number((await answer.json()).batchId);
    const events = (
      await database.db
        .select({ payload: webhookDeliveries.payload })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.endpointId, endpointId))
    )
      .map((row) => (row.payload as { data: Record<string, unknown> }).data)
      .sort((a, b) => String(a.organizationCode).localeCompare(String(b.organizationCode)));
    expect(events).toEqual([
      {
        batchId,
        bulk: true,
        observations: 1,
        firstPeriod: '2003-01-01',
        lastPeriod: '2003-01-01',
        organizationCode: 'CIVIL_AFFAIRS_BUREAU',
      },
      {
        batchId,
        bulk: true,
        observations: 2,
        firstPeriod: '2003-01-01',
        lastPeriod: '2003-04-01',
        organizationCode: 'FINANCE_BUREAU',
      },
    ]);
  });

  it('writes a CSV upload (header first, columns in any order, quoted cells, CRLF)', async () => {
    const csv = [
      'value,metricCode,orgCode,periodStart,granularity,source',
      '10,FISCAL_REVENUE_TOTAL,FINANCE_BUREAU,2002-01-01,quarter,"csv bulk, test"',
      '',
      '20.5,FISCAL_REVENUE_TOTAL,FINANCE_BUREAU,2002-04-01,QUARTER,"csv bulk, test"',
    ].join('\r\n');
    const response = await upload(csv, 'text/csv', { 'x-api-key': scopedKey, 'idempotency-key': 'csv-1' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ accepted: 2, rejected: 0 });
    expect(await stored('csv bulk, test')).toEqual(['2002-01-01 10 r1', '2002-04-01 20.5 r1']);

    const noHeader = await upload('a,b\n1,2\n', 'text/csv', { 'x-api-key': scopedKey, 'idempotency-key': 'csv-2' });
    expect(noHeader.status).toBe(400);
    expect((await noHeader.json()).errors[0].message).toContain('the CSV header lacks metricCode');
  });

  it('refuses the whole upload when a row fails, listing each bad row, and writes nothing', async () => {
    const audits = await auditRows();
    const body = ndjson([
      row('2003-01-01', '1', { source: 'refused upload' }),
      row('2003-01-01', '1', { source: 'refused upload', orgCode: 'NO_SUCH_UNIT' }),
      row('2003-02-01', '1', { source: 'refused upload' }),
      row('2003-04-01', ' 12', { source: 'refused upload' }),
      row('2003-07-01', '1', { source: 'refused upload', orgCode: 'CIVIL_AFFAIRS_BUREAU' }),
      row('2003-01-01', '2', { source: 'refused upload' }),
    ]);
    const response = await upload(body, 'application/x-ndjson', { 'x-api-key': scopedKey, 'idempotency-key': 'bad-1' });
    expect(response.status).toBe(422);
    const answer = await response.json();
    expect(answer).toMatchObject({ batchId: null, accepted: 0, rejected: 4, replayed: false });
    expect(
      answer.errors.map((e: { row: number; field: string; code: string }) => `${e.row} ${e.field} ${e.code}`),
    ).toEqual(['2 orgCode NOT_FOUND', '3 periodStart BAD_USER_INPUT', '4 value BAD_USER_INPUT', '5 orgCode FORBIDDEN']);
    expect(await stored('refused upload')).toEqual([]);
    expect(await auditRows()).toBe(audits);

    // Only a repeated figure: found across the staged rows, still nothing written.
    const repeated = await upload(
      ndjson([
        row('2003-01-01', '1', { source: 'refused upload' }),
        row('2003-01-01', '2', { source: 'refused upload' }),
      ]),
      'application/x-ndjson',
      { 'x-api-key': scopedKey, 'idempotency-key': 'bad-2' },
    );
    expect(repeated.status).toBe(422);
    expect((await repeated.json()).errors).toEqual([
      { row: 2, field: 'periodStart', code: 'BAD_USER_INPUT', message: 'repeats row 0 (same metric, unit and period)' },
    ]);
    expect(await stored('refused upload')).toEqual([]);
  });

  it('refuses callers without credentials or without the right to write figures', async () => {
    const body = ndjson([row('2004-01-01', '1', { source: 'unauthorized' })]);
    const anonymous = await upload(body, 'application/x-ndjson', { 'idempotency-key': 'u-1' });
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    for (const headers of [{ 'x-api-key': readOnlyKey }]) {
      const refused = await upload(body, 'application/x-ndjson', { ...headers, 'idempotency-key': 'u-1' });
      expect(refused.status).toBe(403);
      expect((await refused.json()).errors[0].extensions.code).toBe('FORBIDDEN');
    }
    const forged = await upload(body, 'application/x-ndjson', {
      authorization: 'Bearer forged',
      'idempotency-key': 'u-1',
    });
    expect(forged.status).toBe(401);
    expect(await stored('unauthorized')).toEqual([]);

    const noKey = await upload(body, 'application/x-ndjson');
    expect(noKey.status).toBe(400);
    const json = await upload(body, 'application/json', {
      authorization: `Bearer ${adminToken}`,
      'idempotency-key': 'u-2',
    });
    expect(json.status).toBe(415);
    expect(await stored('unauthorized')).toEqual([]);
  });

  it('refuses a body declared larger than 1 GiB before reading it', async () => {
    const response = await upload(ndjson([row('2004-01-01', '1', { source: 'too large' })]), 'application/x-ndjson', {
      authorization: `Bearer ${adminToken}`,
      'idempotency-key': 'big-1',
      'content-length': String(2 ** 30 + 1),
    });
    expect(response.status).toBe(413);
    expect(await stored('too large')).toEqual([]);
  });

  it('refuses a number sent for a decimal', async () => {
    const number = await upload('{"metricCode":"FISCAL_REVENUE_TOTAL","value":12}', 'application/x-ndjson', {
      authorization: `Bearer ${adminToken}`,
      'idempotency-key': 'n-1',
    });
    expect(number.status).toBe(400);
    expect((await number.json()).errors[0].message).toContain('send decimals as strings');
  });

  it('writes BULK_UPLOAD_CONCURRENCY uploads at once; one that waits past its turn is told to come back, unwritten', async () => {
    const oneAtATime = createApp({
      database,
      logger: pino({ level: 'silent' }),
      env: { NODE_ENV: 'production', BULK_UPLOAD_CONCURRENCY: 1, BULK_UPLOAD_QUEUE_TIMEOUT_MS: 500 },
      tokenSecret: await loadTokenSecret(database.db),
    });
    const send = (body: string | ReadableStream<Uint8Array>, key: string) =>
      oneAtATime.fetch('http://api.test/metrics/observations/bulk', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-ndjson',
          authorization: `Bearer ${adminToken}`,
          'idempotency-key': key,
        },
        body,
        ...(typeof body === 'string' ? {} : { duplex: 'half' }),
      } as RequestInit);
    try {
      // Signed in (an empty body is refused after the credential check), so the session is then
      // answered from memory: the waiting upload needs no statement to be refused.
      expect((await send('', 'turns-warm')).status).toBe(400);
      // An upload whose body stops after its first row, until `finish`: it keeps its turn.
      let reading = () => {};
      const firstRowRead = new Promise<void>((resolve) => {
        reading = resolve;
      });
      let finish = () => {};
      const finished = new Promise<void>((resolve) => {
        finish = resolve;
      });
      let pulls = 0;
      const held = new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            pulls += 1;
            if (pulls === 1) {
              controller.enqueue(
                new TextEncoder().encode(`${JSON.stringify(row('2005-01-01', '1', { source: 'turn held' }))}\n`),
              );
              reading();
              return;
            }
            await finished;
            controller.close();
          },
        },
        { highWaterMark: 0 },
      );
      const first = send(held, 'turns-1');
      await firstRowRead;
      const waited = await send(ndjson([row('2005-04-01', '2', { source: 'turn waited' })]), 'turns-2');
      expect(waited.status).toBe(503);
      expect(waited.headers.get('retry-after')).toBe('1');
      expect((await waited.json()).errors[0]).toEqual({
        message: 'Too many bulk uploads at once: send it again in a moment',
        extensions: { code: 'DATABASE_BUSY' },
      });
      finish();
      expect((await first).status).toBe(200);
      expect(await stored('turn held')).toEqual(['2005-01-01 1 r1']);
      expect(await stored('turn waited')).toEqual([]);
      // The turn is free again: the same upload sent again is written.
      const again = await send(ndjson([row('2005-04-01', '2', { source: 'turn waited' })]), 'turns-2');
      expect(again.status).toBe(200);
      expect(await stored('turn waited')).toEqual(['2005-04-01 2 r1']);
    } finally {
      await oneAtATime.dispose();
    }
  });

  it.runIf(process.env.TEST_DATABASE_URL)(
    'takes 100,000 rows sent as a stream, through COPY, in one batch',
    async () => {
      const metricCodes = (
        await database.db
          .select({ code: metricDefinitions.code })
          .from(metricDefinitions)
          .where(and(eq(metricDefinitions.reportingGranularity, 'QUARTER'), isNull(metricDefinitions.derivation)))
          .limit(5)
      ).map((m) => m.code);
      const orgCodes = (await database.db.select({ code: organizations.code }).from(organizations).limit(10)).map(
        (o) => o.code,
      );
      const quarters = Math.ceil(100_000 / (metricCodes.length * orgCodes.length));
      expect(quarters).toBeLessThan(4 * 1000);
      const total = metricCodes.length * orgCodes.length * quarters;
      const encoder = new TextEncoder();
      let q = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (q >= quarters) return controller.close();
          const year = 1000 + Math.floor(q / 4);
          const periodStart = `${year}-${String((q % 4) * 3 + 1).padStart(2, '0')}-01`;
          let text = '';
          for (const metricCode of metricCodes) {
            for (const orgCode of orgCodes) {
              text += `${JSON.stringify({ metricCode, orgCode, periodStart, granularity: 'QUARTER', value: `${q}.5`, source: 'large bulk' })}\n`;
            }
          }
          controller.enqueue(encoder.encode(text));
          q += 1;
        },
      });
      const response = await upload(stream, 'application/x-ndjson', {
        authorization: `Bearer ${adminToken}`,
        'idempotency-key': 'large-1',
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ accepted: total, rejected: 0 });
      const [count] = await database.db
        .select({
          n: sql<number>`count(*)`.mapWith(Number),
          batches: sql<number>`count(distinct batch_id)`.mapWith(Number),
        })
        .from(metricObservations)
        .where(eq(metricObservations.source, 'large bulk'));
      expect(count).toEqual({ n: total, batches: 1 });
    },
    120_000,
  );
});
