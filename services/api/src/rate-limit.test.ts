import { randomBytes } from 'node:crypto';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { createApiClient, createUser, loadTokenSecret, login, SYSTEM_ACCESS } from '@sixtype/graphql';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPersistedOperations } from './persisted-operations.ts';
import { createRateLimiter, type RateLimiter, rateLimitKey } from './rate-limit.ts';
import { type App, createApp, listen } from './server.ts';

const logger = pino({ level: 'silent' });
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether Redis answers PING within a second; the Redis tests need it and say so when it does not. */
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
let clientA: string;
let clientB: string;
let userToken: string;
const statements: string[] = [];
const organizationByCode = [...loadPersistedOperations()].find(([, text]) =>
  text.startsWith('query OrganizationByCode('),
)?.[0];

beforeAll(async () => {
  database = await openTestDatabase({ logger: { logQuery: (query) => statements.push(query) } });
  tokenSecret = await loadTokenSecret(database.db);
  const { actor } = SYSTEM_ACCESS;
  clientA = (await createApiClient(database.db, actor, { name: 'client A', scopes: ['directory:read'] })).key;
  clientB = (await createApiClient(database.db, actor, { name: 'client B', scopes: ['directory:read'] })).key;
  await createUser(database.db, actor, { username: 'admin', password: 'admin password 1', role: 'ADMIN' });
  userToken = (await login(database.db, tokenSecret, { username: 'admin', password: 'admin password 1' })).token;
});

afterAll(async () => {
  await database.close();
});

/** One SDK operation by hash (what an API client sends), or free text for people. */
async function request(app: App, authorization: string | undefined, body?: unknown) {
  const response = await app.fetch('http://api.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(
      body ?? {
        variables: { code: 'ZONE' },
        extensions: { persistedQuery: { version: 1, sha256Hash: organizationByCode } },
      },
    ),
  });
  const json = (await response.json()) as {
    data?: unknown;
    errors?: { message: string; extensions?: { code?: string; retryAfterSeconds?: number } }[];
  };
  return { response, json, code: json.errors?.[0]?.extensions?.code };
}

function appWith(rateLimiter?: RateLimiter) {
  return createApp({
    database,
    logger,
    tokenSecret,
    env: { NODE_ENV: 'production', RATE_LIMIT_PER_MINUTE: 3, RATE_LIMIT_ANONYMOUS_PER_MINUTE: 2 },
    rateLimiter,
  });
}

describe('rate limits over HTTP (in-memory store)', () => {
  let app: App;
  beforeAll(() => {
    app = appWith();
  });
  afterAll(() => app.dispose());

  it('refuses an API client after N requests with 429, RATE_LIMITED and Retry-After, and not another client', async () => {
    for (let i = 0; i < 3; i += 1) {
      const { code, json } = await request(app, `ApiKey ${clientA}`);
      expect(code, `request ${i + 1}`).toBeUndefined();
      expect(json.data).toMatchObject({ organization: { code: 'ZONE' } });
    }
    statements.length = 0;
    const { response, json, code } = await request(app, `ApiKey ${clientA}`);
    expect(response.status).toBe(429);
    expect(code).toBe('RATE_LIMITED');
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(json.errors?.[0]?.extensions?.retryAfterSeconds).toBe(retryAfter);
    expect(json.data ?? null).toBeNull();
    // Only the key's authentication ran: no resolver.
    expect(statements).toHaveLength(1);

    const other = await request(app, `ApiKey ${clientB}`);
    expect(other.code).toBeUndefined();
    expect(other.json.data).toMatchObject({ organization: { code: 'ZONE' } });
  });

  it('counts a signed-in user in a bucket of their own', async () => {
    const query = { query: '{ viewer { username } }' };
    for (let i = 0; i < 3; i += 1) expect((await request(app, `Bearer ${userToken}`, query)).code).toBeUndefined();
    expect((await request(app, `Bearer ${userToken}`, query)).code).toBe('RATE_LIMITED');
  });

  it('counts anonymous requests per address, with a limit of their own', async () => {
    const query = { query: '{ __typename }' };
    for (let i = 0; i < 2; i += 1) expect((await request(app, undefined, query)).code).toBeUndefined();
    expect((await request(app, undefined, query)).code).toBe('RATE_LIMITED');
    // API clients are not in the anonymous bucket.
    expect((await request(app, `ApiKey ${clientB}`)).code).toBeUndefined();
  });

  it('tells anonymous callers apart by socket address when served over a socket', async () => {
    // In-process requests (no socket) have used up the shared bucket above; this one has its own.
    const running = await listen(app, 0, '127.0.0.1');
    try {
      const post = () =>
        fetch(running.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ __typename }' }),
        });
      expect((await post()).status).toBe(200);
      expect((await post()).status).toBe(200);
      expect((await post()).status).toBe(429);
    } finally {
      await running.stop();
    }
  });
});

describe('rate limit buckets', () => {
  const context = (headers: Record<string, string>, remoteAddress?: string) => ({
    request: new Request('http://api.test/graphql', { headers }),
    ...(remoteAddress ? { req: { socket: { remoteAddress } } } : {}),
  });

  it('keys API clients and users by id, anonymous callers by socket address', () => {
    const client = { kind: 'API_CLIENT', clientId: 7 } as const;
    expect(rateLimitKey(client as never, context({}), false)).toEqual({ key: 'client:7', anonymous: false });
    const user = { kind: 'USER', userId: 3 } as const;
    expect(rateLimitKey(user as never, context({}), false)).toEqual({ key: 'user:3', anonymous: false });
    expect(rateLimitKey({ kind: 'ANONYMOUS' }, context({}, '10.0.0.9'), false)).toEqual({
      key: 'address:10.0.0.9',
      anonymous: true,
    });
    expect(rateLimitKey({ kind: 'SYSTEM', name: 'cli' }, context({}), false)).toBeUndefined();
  });

  it('ignores x-forwarded-for unless TRUST_PROXY, then takes the entry our proxy appended', () => {
    const forwarded = context({ 'x-forwarded-for': '6.6.6.6, 203.0.113.5' }, '10.0.0.1');
    expect(rateLimitKey({ kind: 'ANONYMOUS' }, forwarded, false)?.key).toBe('address:10.0.0.1');
    expect(rateLimitKey({ kind: 'ANONYMOUS' }, forwarded, true)?.key).toBe('address:203.0.113.5');
  });
});

describe('in-memory store', () => {
  it('allows N per minute per key, then tells how long to wait', async () => {
    const limiter = createRateLimiter({ perMinute: 2, anonymousPerMinute: 1 }, { logger });
    expect(limiter.store).toBe('memory');
    expect(await limiter.consume('client:1', false)).toMatchObject({ allowed: true });
    expect(await limiter.consume('client:1', false)).toMatchObject({ allowed: true });
    const refused = await limiter.consume('client:1', false);
    expect(refused).toMatchObject({ allowed: false, limit: 2 });
    expect(refused?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused?.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(await limiter.consume('client:2', false)).toMatchObject({ allowed: true });
    expect(await limiter.consume('address:x', true)).toMatchObject({ allowed: true });
    expect(await limiter.consume('address:x', true)).toMatchObject({ allowed: false, limit: 1 });
  });

  it('turns a limit off with 0', async () => {
    const limiter = createRateLimiter({ perMinute: 0, anonymousPerMinute: 0 }, { logger });
    expect(await limiter.consume('client:1', false)).toBeUndefined();
  });
});

describe.skipIf(!redisReachable)(
  `Redis store (${redisReachable ? redisUrl : `SKIPPED: no Redis answers at ${redisUrl}; start one or set REDIS_URL`})`,
  () => {
    // A prefix of this run's own: test runs (PGlite, then PostgreSQL) reuse client ids within a minute.
    const keyPrefix = `sixtype-test:${randomBytes(6).toString('hex')}`;
    const limiters: RateLimiter[] = [];
    const redisLimiter = async (perMinute: number) => {
      const limiter = createRateLimiter({ perMinute, anonymousPerMinute: perMinute }, { logger, redisUrl, keyPrefix });
      limiters.push(limiter);
      // Counting must happen in Redis, not in the per-process fallback used while connecting.
      await limiter.ready();
      return limiter;
    };
    const inspector = new Redis(redisUrl);

    afterAll(async () => {
      const keys = await inspector.keys(`${keyPrefix}*`);
      if (keys.length > 0) await inspector.del(...keys);
      inspector.disconnect();
      await Promise.all(limiters.map((limiter) => limiter.close()));
    });

    it('shares one count between API processes', async () => {
      const first = await redisLimiter(3);
      const second = await redisLimiter(3);
      expect(first.store).toBe('redis');
      expect(await first.consume('client:42', false)).toMatchObject({ allowed: true });
      expect(await second.consume('client:42', false)).toMatchObject({ allowed: true });
      expect(await first.consume('client:42', false)).toMatchObject({ allowed: true });
      expect(await second.consume('client:42', false)).toMatchObject({ allowed: false, limit: 3 });
      expect(await inspector.get(`${keyPrefix}:identified:client:42`)).toBe('4');
      const ttl = await inspector.pttl(`${keyPrefix}:identified:client:42`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('limits an API client across two apps over HTTP, and not another client', async () => {
      const one = appWith(await redisLimiter(3));
      const two = appWith(await redisLimiter(3));
      expect((await request(one, `ApiKey ${clientA}`)).code).toBeUndefined();
      expect((await request(two, `ApiKey ${clientA}`)).code).toBeUndefined();
      expect((await request(one, `ApiKey ${clientA}`)).code).toBeUndefined();
      const refused = await request(two, `ApiKey ${clientA}`);
      expect(refused.response.status).toBe(429);
      expect(refused.code).toBe('RATE_LIMITED');
      expect(Number(refused.response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await request(two, `ApiKey ${clientB}`)).code).toBeUndefined();
    });
  },
);

describe('Redis unreachable', () => {
  it('keeps limiting per process instead of failing requests', async () => {
    const limiter = createRateLimiter(
      { perMinute: 1, anonymousPerMinute: 1 },
      { logger, redisUrl: 'redis://127.0.0.1:1', keyPrefix: 'unreachable' },
    );
    try {
      expect(limiter.store).toBe('redis');
      expect(await limiter.consume('client:1', false)).toMatchObject({ allowed: true });
      expect(await limiter.consume('client:1', false)).toMatchObject({ allowed: false });
    } finally {
      await limiter.close();
    }
  });
});
