// The SDK's bulk upload against a real API over HTTP: what it sends is what the server reads, an
// upload with refused rows comes back as a result, and an upload refused 503 while another holds
// the only turn is sent again under its key and written once.
import { createApp, listen } from '@sixtype/api';
import { metricObservations } from '@sixtype/db';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { createUser, loadTokenSecret, login, SYSTEM_ACCESS } from '@sixtype/graphql';
import { createClient, type MetricObservationInput, type RetryEvent, SixtypeError } from '@sixtype/sdk';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN } from './support.ts';

let database: TestDatabase;
let running: Awaited<ReturnType<typeof listen>>;
let token: string;

beforeAll(async () => {
  database = await openTestDatabase();
  const tokenSecret = await loadTokenSecret(database.db);
  await createUser(database.db, SYSTEM_ACCESS.actor, { ...ADMIN, role: 'ADMIN' });
  ({ token } = await login(database.db, tokenSecret, ADMIN));
  // One upload at a time, and a short wait for the turn, so that a second upload is refused 503.
  const app = createApp({
    database,
    logger: pino({ level: 'silent' }),
    env: { NODE_ENV: 'test', BULK_UPLOAD_CONCURRENCY: 1, BULK_UPLOAD_QUEUE_TIMEOUT_MS: 100 },
    tokenSecret,
  });
  running = await listen(app, 0, '127.0.0.1');
});

afterAll(async () => {
  await running?.stop();
  await database?.close();
});

const row = (
  periodStart: string,
  value: string,
  source: string,
  orgCode = 'FINANCE_BUREAU',
): MetricObservationInput => ({
  metricCode: 'FISCAL_REVENUE_TOTAL',
  orgCode,
  periodStart,
  granularity: 'QUARTER',
  value: value as `${number}`,
  source,
});

const stored = async (source: string) =>
  (
    await database.db
      .select({ period: metricObservations.periodStart, value: metricObservations.value })
      .from(metricObservations)
      .where(eq(metricObservations.source, source))
      .orderBy(metricObservations.periodStart, metricObservations.revision)
  ).map((r) => `${r.period} ${Number(r.value)}`);

describe('client.uploadObservations against the API', () => {
  it('writes an array and a streamed generator, answers a replay without writing, and returns refused rows', async () => {
    const client = createClient({ url: running.url, token });
    const figures = [row('2003-01-01', '1.5', 'sdk array'), row('2003-04-01', '-2', 'sdk array')];

    const first = await client.uploadObservations(figures, { idempotencyKey: 'sdk-array' });
    expect(first).toMatchObject({ accepted: 2, rejected: 0, replayed: false, errors: [] });
    expect(first.batchId).toMatch(/^\d+$/);
    expect(await client.uploadObservations(figures, { idempotencyKey: 'sdk-array' })).toEqual({
      ...first,
      replayed: true,
    });
    expect(await stored('sdk array')).toEqual(['2003-01-01 1.5', '2003-04-01 -2']);

    const streamed = await client.uploadObservations(
      async function* () {
        for (const quarter of ['01', '04', '07', '10']) yield row(`2004-${quarter}-01`, '3', 'sdk streamed');
      },
      { idempotencyKey: 'sdk-streamed' },
    );
    expect(streamed).toMatchObject({ accepted: 4, rejected: 0 });
    expect(await stored('sdk streamed')).toHaveLength(4);

    const refused = await client.uploadObservations(
      [row('2005-01-01', '1', 'sdk refused'), row('2005-04-01', '1', 'sdk refused', 'NO_SUCH_UNIT')],
      { idempotencyKey: 'sdk-refused' },
    );
    expect(refused).toMatchObject({ batchId: null, accepted: 0, rejected: 1 });
    expect(refused.errors).toEqual([expect.objectContaining({ row: 2, field: 'orgCode', code: 'NOT_FOUND' })]);
    expect(await stored('sdk refused')).toEqual([]);

    const conflict = await client
      .uploadObservations([row('2003-01-01', '9', 'sdk array')], { idempotencyKey: 'sdk-array' })
      .catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(SixtypeError);
    expect(conflict).toMatchObject({ code: 'CONFLICT', status: 409 });
  });

  it('sends an upload refused 503 DATABASE_BUSY again once the upload holding the turn is written', async () => {
    let finish = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    let firstRowSent = () => {};
    const holding = new Promise<void>((resolve) => {
      firstRowSent = resolve;
    });
    // Sent by hand: its body stops after the first row until `finish`, so it keeps the only turn.
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          pulls += 1;
          if (pulls === 1) {
            controller.enqueue(new TextEncoder().encode(`${JSON.stringify(row('2006-01-01', '1', 'sdk held'))}\n`));
            firstRowSent();
            return;
          }
          await finished;
          controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    const held = fetch(new URL('/metrics/observations/bulk', running.url), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/x-ndjson',
        'idempotency-key': 'sdk-held',
      },
      body,
      duplex: 'half',
    } as RequestInit);
    await holding;
    // The first row is on its way: give the server a moment to take the turn for it.
    await new Promise((resolve) => setTimeout(resolve, 100));

    const retries: RetryEvent[] = [];
    const waiting = createClient({
      url: running.url,
      token,
      retry: {
        retries: 5,
        minDelayMs: 50,
        onRetry: (event) => {
          retries.push(event);
          finish();
        },
      },
    });
    const result = await waiting.uploadObservations([row('2006-04-01', '2', 'sdk waited')], {
      idempotencyKey: 'sdk-waited',
    });

    expect(retries[0]?.error).toMatchObject({ code: 'DATABASE_BUSY', status: 503 });
    expect(result).toMatchObject({ accepted: 1, rejected: 0, replayed: false });
    expect((await held).status).toBe(200);
    expect(await stored('sdk held')).toEqual(['2006-01-01 1']);
    expect(await stored('sdk waited')).toEqual(['2006-04-01 2']);
  });
});
