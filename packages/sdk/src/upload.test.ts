import { describe, expect, it } from 'vitest';
import { createClient, type MetricObservationInput, type RetryEvent, SixtypeError } from './index.ts';
import type { FetchLike } from './options.ts';

const url = 'https://sixtype.example.test/graphql';

interface SentUpload {
  url: string;
  headers: Headers;
  body: string;
}

/** A fetch that reads each upload's body (a string or a stream) and answers with `respond`'s Response. */
function fakeFetch(respond: (upload: SentUpload, attempt: number) => Response) {
  const sent: SentUpload[] = [];
  const fetch: FetchLike = async (requestUrl, init) => {
    const body = await new Response(init.body).text();
    const upload = { url: requestUrl, headers: new Headers(init.headers), body };
    sent.push(upload);
    return respond(upload, sent.length);
  };
  return { fetch, sent };
}

const row = (month: number): MetricObservationInput => ({
  metricCode: 'FISCAL_REVENUE_TOTAL',
  orgCode: 'FINANCE_BUREAU',
  periodStart: `2001-${String(month).padStart(2, '0')}-01`,
  granularity: 'MONTH',
  value: `${month}.5` as `${number}`,
  source: '演示 upload',
});
const rows = (count: number) => Array.from({ length: count }, (_, i) => row((i % 12) + 1));

const accepted = (count: number) =>
  Response.json({ batchId: '7', accepted: count, rejected: 0, replayed: false, errors: [] });
const busy = () =>
  Response.json(
    {
      errors: [
        { message: 'Too many bulk uploads at once: send it again in a moment', extensions: { code: 'DATABASE_BUSY' } },
      ],
    },
    { status: 503, headers: { 'retry-after': '1' } },
  );

describe('client.uploadObservations', () => {
  it('sends the rows as NDJSON to the bulk path with the credentials and the idempotency key', async () => {
    const { fetch, sent } = fakeFetch((upload) => accepted(upload.body.split('\n').length - 1));
    const client = createClient({ url, apiKey: 'sxk_abcdefgh_0123456789abcdefghijklmnop', fetch });

    const result = await client.uploadObservations([row(1), row(2)], { idempotencyKey: 'backfill-2001' });

    expect(result).toEqual({ batchId: '7', accepted: 2, rejected: 0, replayed: false, errors: [] });
    expect(sent).toHaveLength(1);
    const [upload] = sent;
    expect(upload?.url).toBe('https://sixtype.example.test/metrics/observations/bulk');
    expect(upload?.headers.get('content-type')).toBe('application/x-ndjson');
    expect(upload?.headers.get('idempotency-key')).toBe('backfill-2001');
    expect(upload?.headers.get('authorization')).toBe('ApiKey sxk_abcdefgh_0123456789abcdefghijklmnop');
    expect(upload?.body.split('\n').map((line) => (line ? JSON.parse(line) : line))).toEqual([row(1), row(2), '']);
  });

  it('streams rows from a function as the same bytes an array sends, past one chunk of a thousand', async () => {
    const { fetch, sent } = fakeFetch((upload) => accepted(upload.body.split('\n').length - 1));
    const client = createClient({ url, token: 't', fetch });
    const many = rows(2_500);

    await client.uploadObservations(many, { idempotencyKey: 'array' });
    const streamed = await client.uploadObservations(
      async function* () {
        yield* many;
      },
      { idempotencyKey: 'streamed' },
    );

    expect(streamed.accepted).toBe(2_500);
    expect(sent[1]?.body).toBe(sent[0]?.body);
    expect(sent[0]?.body.split('\n')).toHaveLength(2_501);
  });

  it('retries a 503 DATABASE_BUSY, asking the function for its rows again', async () => {
    const { fetch, sent } = fakeFetch((_upload, attempt) => (attempt === 1 ? busy() : accepted(3)));
    const retries: RetryEvent[] = [];
    const client = createClient({ url, token: 't', fetch, retry: { minDelayMs: 1, onRetry: (e) => retries.push(e) } });
    let asked = 0;

    const result = await client.uploadObservations(
      () => {
        asked += 1;
        return rows(3);
      },
      { idempotencyKey: 'retried' },
    );

    expect(result.accepted).toBe(3);
    expect(asked).toBe(2);
    expect(sent.map((upload) => upload.headers.get('idempotency-key'))).toEqual(['retried', 'retried']);
    expect(sent[1]?.body).toBe(sent[0]?.body);
    expect(retries.map((event) => [event.operationName, event.error.code, event.error.status])).toEqual([
      ['uploadObservations', 'DATABASE_BUSY', 503],
    ]);
  });

  it('throws DATABASE_BUSY with its status when retrying is off', async () => {
    const { fetch, sent } = fakeFetch(() => busy());
    const client = createClient({ url, token: 't', fetch });

    const failure = await client
      .uploadObservations([row(1)], { idempotencyKey: 'no-retry', retry: false })
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(SixtypeError);
    expect(failure).toMatchObject({ code: 'DATABASE_BUSY', status: 503 });
    expect(sent).toHaveLength(1);
  });

  it('resolves an upload with refused rows (422) with its errors, and throws a conflict without retrying', async () => {
    const refused = { row: 2, field: 'orgCode', code: 'NOT_FOUND', message: 'no unit NOWHERE' };
    const { fetch, sent } = fakeFetch((_upload, attempt) =>
      attempt === 1
        ? Response.json(
            { batchId: null, accepted: 0, rejected: 1, replayed: false, errors: [refused] },
            { status: 422 },
          )
        : Response.json(
            { errors: [{ message: 'the key was used for other rows', extensions: { code: 'CONFLICT' } }] },
            { status: 409 },
          ),
    );
    const client = createClient({ url, token: 't', fetch, retry: { minDelayMs: 1 } });

    expect(await client.uploadObservations([row(1), row(2)], { idempotencyKey: 'refused' })).toEqual({
      batchId: null,
      accepted: 0,
      rejected: 1,
      replayed: false,
      errors: [refused],
    });
    const conflict = await client.uploadObservations([row(1)], { idempotencyKey: 'refused' }).catch((e: unknown) => e);
    expect(conflict).toMatchObject({ code: 'CONFLICT', status: 409 });
    expect(sent).toHaveLength(2);
  });

  it('refuses an upload without a key, or rows that cannot be sent again, before sending anything', async () => {
    const { fetch, sent } = fakeFetch(() => accepted(0));
    const client = createClient({ url, token: 't', fetch });

    await expect(client.uploadObservations([row(1)], { idempotencyKey: '' })).rejects.toThrow(TypeError);
    await expect(
      client.uploadObservations(rows(1).values() as unknown as MetricObservationInput[], { idempotencyKey: 'k' }),
    ).rejects.toThrow(/an array, or a function/);
    expect(sent).toHaveLength(0);
  });
});
