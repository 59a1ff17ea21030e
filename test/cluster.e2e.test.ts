// Scale-out: several API processes over one PostgreSQL database with Redis between them, and
// reads sent to a replica. PostgreSQL only (TEST_DATABASE_URL); Redis at REDIS_URL or 127.0.0.1:6379.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp, listen } from '@sixtype/api';
import { createDb, organizations } from '@sixtype/db';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { createUser, loadTokenSecret, SYSTEM_ACCESS } from '@sixtype/graphql';
import {
  CreateOrganizationDocument,
  createClient,
  LoginDocument,
  MetricUpdatedDocument,
  OrganizationByCodeDocument,
  SubmitMetricObservationsDocument,
} from '@sixtype/sdk';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiProcess } from './api-process.ts';
import { ADMIN } from './support.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function signIn(url: string) {
  const { login } = await createClient({ url }).request(LoginDocument, { input: ADMIN });
  return createClient({ url, token: login.token });
}

describe.runIf(process.env.TEST_DATABASE_URL)('several API processes', () => {
  let env: Record<string, string>;

  beforeAll(async () => {
    const database = await openTestDatabase();
    cleanups.push(() => database.close());
    await createUser(database.db, SYSTEM_ACCESS.actor, { ...ADMIN, role: 'ADMIN' });
    env = {
      DATABASE_URL: database.url ?? '',
      REDIS_URL,
      TOKEN_SECRET: 'cluster e2e token secret, long enough for the check',
      RATE_LIMIT_PER_MINUTE: '0',
    };
  });

  const started = async (options?: Parameters<typeof startApiProcess>[1], extra: Record<string, string> = {}) => {
    const api = await startApiProcess({ ...env, ...extra }, options);
    cleanups.push(() => api.kill());
    return api;
  };

  it('delivers a figure written through one process to a metricUpdated subscriber on another', async () => {
    const [first, second] = await Promise.all([started(), started()]);
    expect(first.url).not.toBe(second.url);
    const subscriber = await signIn(first.url);
    const writer = await signIn(second.url);
    const source = `cluster e2e ${randomUUID()}`;

    const stop = new AbortController();
    let connected = false;
    const received = (async () => {
      const events = subscriber.subscribe(
        MetricUpdatedDocument,
        { metricCodes: ['NEW_PROJECT_CONTRACTS'], orgCode: 'ZONE' },
        { signal: stop.signal, onConnected: () => (connected = true) },
      );
      for await (const { metricUpdated } of events) {
        if (metricUpdated.source === source) return metricUpdated;
      }
      return undefined;
    })();
    await expect.poll(() => connected).toBe(true);

    // Written again until it arrives: the subscriber's Redis SUBSCRIBE completes just after its stream opens.
    let delivered: Awaited<typeof received>;
    void received.then((event) => (delivered = event));
    for (let attempt = 0; delivered === undefined && attempt < 20; attempt += 1) {
      const { submitMetricObservations: result } = await writer.request(SubmitMetricObservationsDocument, {
        input: {
          idempotencyKey: `${source} ${attempt}`,
          observations: [
            {
              metricCode: 'NEW_PROJECT_CONTRACTS',
              orgCode: 'ZONE',
              periodStart: '2012-10-01',
              granularity: 'QUARTER',
              value: '7',
              source,
            },
          ],
        },
      });
      expect(result).toMatchObject({ __typename: 'SubmitMetricObservationsPayload', accepted: 1 });
      await sleep(250);
    }
    const event = await received;
    stop.abort();
    expect(event).toMatchObject({
      metricCode: 'NEW_PROJECT_CONTRACTS',
      orgCode: 'ZONE',
      periodStart: '2012-10-01',
      source,
    });
    expect(Number(event?.value)).toBe(7);
  }, 60_000);

  it('npm run start:cluster serves from N processes on one port and stops them all on SIGTERM', async () => {
    const api = await started(
      { entry: 'src/cluster.ts', ready: /API cluster ready: 2 processes at (http:\/\/localhost:\d+\/graphql)/ },
      { CLUSTER_WORKERS: '2' },
    );
    expect(api.output().match(/GraphiQL at http:\/\/localhost:\d+\/graphql/g)).toHaveLength(2);
    const client = await signIn(api.url);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => client.request(OrganizationByCodeDocument, { code: 'ZONE' })),
    );
    expect(answers.map((answer) => answer.organization?.name)).toEqual(Array(6).fill('经济开发区'));

    api.child.kill('SIGTERM');
    expect(await api.exited()).toBe(0);
    expect(api.output().match(/"msg":"stopped"/g)).toHaveLength(2);
    expect(api.output()).toContain('cluster stopped');
  }, 60_000);
});

describe.runIf(process.env.TEST_DATABASE_URL)('read replicas (DATABASE_REPLICA_URLS)', () => {
  let primary: TestDatabase;
  let replica: TestDatabase;
  let url: string;

  beforeAll(async () => {
    // Two databases stand in for a primary and its replica; the "replica" is told apart by its data.
    [primary, replica] = await Promise.all([openTestDatabase(), openTestDatabase()]);
    cleanups.push(
      () => primary.close(),
      () => replica.close(),
    );
    await replica.db.update(organizations).set({ name: '经济开发区（副本）' }).where(eq(organizations.code, 'ZONE'));
    await createUser(primary.db, SYSTEM_ACCESS.actor, { ...ADMIN, role: 'ADMIN' });
    const database = await createDb({ databaseUrl: primary.url, replicaUrls: [replica.url ?? ''] });
    cleanups.push(() => database.close());
    const tokenSecret = await loadTokenSecret(database.db);
    const app = createApp({ database, logger: pino({ level: 'silent' }), env: { NODE_ENV: 'test' }, tokenSecret });
    const running = await listen(app, 0, '127.0.0.1');
    cleanups.push(() => running.stop());
    url = running.url;
  });

  it('reads nothing from a server that is not a standby in recovery, and runs mutations on the primary', async () => {
    // A real standby is tested in replica.e2e.test.ts. This "replica" is a second, unrelated
    // database: not in recovery, so its data may have forked from the primary's and it serves no reads.
    const client = await signIn(url);
    expect((await client.request(OrganizationByCodeDocument, { code: 'ZONE' })).organization?.name).toBe('经济开发区');
    expect(await (await fetch(url.replace('/graphql', '/ready'))).json()).toMatchObject({
      ready: true,
      reads: ['primary'],
      replicas: [{ name: 'replica1', up: false }],
    });

    const { createOrganization } = await client.request(CreateOrganizationDocument, {
      input: { code: 'REPLICA_TEST_OFFICE', name: '副本测试办公室（演示）', kind: 'OFFICE', parentCode: 'ZONE' },
    });
    expect(createOrganization).toMatchObject({ organization: { code: 'REPLICA_TEST_OFFICE' } });
    const where = eq(organizations.code, 'REPLICA_TEST_OFFICE');
    expect(await primary.db.select().from(organizations).where(where)).toHaveLength(1);
    expect(await replica.db.select().from(organizations).where(where)).toHaveLength(0);
    expect((await client.request(OrganizationByCodeDocument, { code: 'REPLICA_TEST_OFFICE' })).organization?.code).toBe(
      'REPLICA_TEST_OFFICE',
    );
  });
});
