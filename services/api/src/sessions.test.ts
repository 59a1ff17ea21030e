import { createDb, type DatabaseHandle } from '@sixtype/db';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { createUser, loadTokenSecret, login, SESSION_CACHE_TTL_MS, SYSTEM_ACCESS } from '@sixtype/graphql';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type App, createApp } from './server.ts';
import { SESSION_ENDED_CHANNEL } from './sessions.ts';

const logger = pino({ level: 'silent' });
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const credentials = { username: 'session.user', password: 'session password 1' };

async function redisAnswers(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}
const redisReachable = await redisAnswers(redisUrl);

let database: TestDatabase;
let tokenSecret: string;
const statements: string[] = [];
const apps: App[] = [];
const handles: DatabaseHandle[] = [];

beforeAll(async () => {
  database = await openTestDatabase({ demo: false, logger: { logQuery: (query) => statements.push(query) } });
  tokenSecret = await loadTokenSecret(database.db);
  await createUser(database.db, SYSTEM_ACCESS.actor, { ...credentials, role: 'ADMIN' });
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await Promise.all(apps.map((app) => app.dispose()));
  await Promise.all(handles.map((handle) => handle.close()));
  await database.close();
});

/** An API instance as a process has it: a database handle (so a session cache) of its own. */
async function openApp(options: { ownHandle?: boolean; redis?: boolean } = {}) {
  let handle: DatabaseHandle = database;
  if (options.ownHandle) {
    handle = await createDb({ databaseUrl: database.url, maxConnections: 2 });
    handles.push(handle);
  }
  const app = createApp({
    database: handle,
    logger,
    tokenSecret,
    env: { NODE_ENV: 'production', ...(options.redis ? { REDIS_URL: redisUrl } : {}) },
  });
  apps.push(app);
  return app;
}

async function ask(app: App, token: string, query = '{ __typename }') {
  const response = await app.fetch('http://api.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  const json = (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
  return json.errors?.[0]?.extensions?.code ?? 'OK';
}

const signIn = async () => (await login(database.db, tokenSecret, credentials)).token;

describe('sessions answered from memory', () => {
  it('looks a session up once, then answers it with no statement, and refuses it at once after logout', async () => {
    const app = await openApp();
    const token = await signIn();
    statements.length = 0;
    expect(await ask(app, token)).toBe('OK');
    expect(statements).toHaveLength(1);
    statements.length = 0;
    expect(await ask(app, token)).toBe('OK');
    expect(await ask(app, token)).toBe('OK');
    expect(statements).toHaveLength(0);

    expect(await ask(app, token, 'mutation { logout { sessionEnded } }')).toBe('OK');
    expect(await ask(app, token)).toBe('UNAUTHENTICATED');
  });

  it('looks the session up again once its entry is older than the bound', async () => {
    const app = await openApp();
    const token = await signIn();
    vi.useFakeTimers({ toFake: ['Date'] });
    expect(await ask(app, token)).toBe('OK');
    statements.length = 0;
    vi.setSystemTime(Date.now() + SESSION_CACHE_TTL_MS - 100);
    expect(await ask(app, token)).toBe('OK');
    expect(statements).toHaveLength(0);
    vi.setSystemTime(Date.now() + 200);
    expect(await ask(app, token)).toBe('OK');
    expect(statements).toHaveLength(1);
  });
});

// Two API processes need two connections to one database: PostgreSQL only.
describe.runIf(process.env.TEST_DATABASE_URL)('sessions across two API processes', () => {
  it('without Redis, the other process refuses an ended session once its entry runs out', async () => {
    const one = await openApp({ ownHandle: true });
    const two = await openApp({ ownHandle: true });
    const token = await signIn();
    vi.useFakeTimers({ toFake: ['Date'] });
    expect(await ask(one, token)).toBe('OK');
    expect(await ask(two, token)).toBe('OK');
    expect(await ask(one, token, 'mutation { logout { sessionEnded } }')).toBe('OK');
    expect(await ask(one, token)).toBe('UNAUTHENTICATED');
    // The documented bound: the other process may still answer from memory until then, not after.
    vi.setSystemTime(Date.now() + SESSION_CACHE_TTL_MS + 1);
    expect(await ask(two, token)).toBe('UNAUTHENTICATED');
  });

  describe.skipIf(!redisReachable)(`with Redis${redisReachable ? '' : ` (SKIPPED: no Redis at ${redisUrl})`}`, () => {
    it('the other process refuses an ended session at once, well within the bound', async () => {
      const inspector = new Redis(redisUrl);
      const listeners = async () => Number((await inspector.pubsub('NUMSUB', SESSION_ENDED_CHANNEL))[1]);
      const before = await listeners();
      const one = await openApp({ ownHandle: true, redis: true });
      const two = await openApp({ ownHandle: true, redis: true });
      await expect.poll(listeners).toBeGreaterThanOrEqual(before + 2);
      inspector.disconnect();

      const token = await signIn();
      expect(await ask(one, token)).toBe('OK');
      const cachedAt = Date.now();
      expect(await ask(two, token)).toBe('OK');
      expect(await ask(one, token, 'mutation { logout { sessionEnded } }')).toBe('OK');
      expect(await ask(one, token)).toBe('UNAUTHENTICATED');
      await expect.poll(() => ask(two, token), { timeout: 2_000, interval: 20 }).toBe('UNAUTHENTICATED');
      // Sooner than `two`'s entry could have run out: the revocation reached it through Redis.
      expect(Date.now() - cachedAt).toBeLessThan(SESSION_CACHE_TTL_MS);
    });
  });
});
