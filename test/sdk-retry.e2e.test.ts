// Retries against a real server through a TCP proxy that drops connections the way a load balancer
// restart or a flaky network does: the request reaches the API (and a mutation is applied), then
// the connection closes before the response arrives. Only what is safe to repeat is repeated.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { metricObservations, organizations } from '@sixtype/db';
import { login } from '@sixtype/graphql';
import {
  CreateOrganizationDocument,
  createClient,
  OrganizationByCodeDocument,
  type RetryEvent,
  SubmitMetricObservationsDocument,
} from '@sixtype/sdk';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startTestServer, type TestServer } from './support.ts';

let api: TestServer;
let proxy: Server;
let proxyUrl: string;
/** How many of the next responses the proxy swallows, closing the connection instead. */
let responsesToDrop = 0;
let token: string;
/** Requests that reached the proxy (each starts a chunk with `POST `). */
let requestsSeen = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  api = await startTestServer();
  ({ token } = await login(api.database.db, api.tokenSecret, ADMIN));
  const target = new URL(api.url);
  proxy = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => {
      if (chunk.subarray(0, 5).toString() === 'POST ') requestsSeen += 1;
    });
    client.pipe(upstream);
    upstream.on('data', (chunk) => {
      if (responsesToDrop > 0) {
        responsesToDrop -= 1;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    upstream.on('end', () => client.end());
    for (const socket of [client, upstream]) {
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy has no address');
  proxyUrl = `http://127.0.0.1:${address.port}${target.pathname}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => proxy?.close(resolve));
  await api?.close();
});

describe('retries through a connection that drops', () => {
  it('retries a query after a dropped connection and returns its data', async () => {
    const retries: RetryEvent[] = [];
    const client = createClient({
      url: proxyUrl,
      token,
      retry: { minDelayMs: 10, onRetry: (event) => retries.push(event) },
    });
    responsesToDrop = 1;

    const { organization } = await client.request(OrganizationByCodeDocument, { code: 'ZONE' });

    expect(organization?.name).toBe('经济开发区');
    expect(retries.map((event) => event.error.code)).toEqual(['NETWORK_ERROR']);
  });

  it('does not retry a mutation without an idempotency key: exactly one row is written', async () => {
    const client = createClient({ url: proxyUrl, token, retry: { minDelayMs: 10 } });
    responsesToDrop = 1;
    const before = requestsSeen;

    const failure = await client
      .request(CreateOrganizationDocument, {
        input: { code: 'RETRY_TEST_OFFICE', name: '重试测试办公室', kind: 'OFFICE', parentCode: 'ZONE' },
      })
      .catch((error) => error);

    expect(failure).toMatchObject({ code: 'NETWORK_ERROR' });
    expect(requestsSeen - before).toBe(1);
    const [row] = await api.database.db
      .select({ n: count() })
      .from(organizations)
      .where(eq(organizations.code, 'RETRY_TEST_OFFICE'));
    expect(row?.n).toBe(1);
  });

  it('retries a batch submission with its idempotency key: applied once, answered as a replay', async () => {
    const client = createClient({ url: proxyUrl, token, retry: { minDelayMs: 10 } });
    const rows = async () =>
      (
        await api.database.db
          .select({ n: count() })
          .from(metricObservations)
          .where(eq(metricObservations.source, 'retry e2e'))
      )[0]?.n;
    responsesToDrop = 1;
    const before = requestsSeen;

    const { submitMetricObservations: result } = await client.request(SubmitMetricObservationsDocument, {
      input: {
        idempotencyKey: 'retry-e2e-1',
        observations: [
          {
            metricCode: 'NEW_PROJECT_CONTRACTS',
            orgCode: 'ZONE',
            periodStart: '2012-07-01',
            granularity: 'QUARTER',
            value: '3',
            source: 'retry e2e',
          },
        ],
      },
    });

    // The first attempt was applied before its response was lost; the retry is recognised by its key.
    expect(result).toMatchObject({ __typename: 'SubmitMetricObservationsPayload', accepted: 1, replayed: true });
    expect(requestsSeen - before).toBe(2);
    expect(await rows()).toBe(1);
  });
});
