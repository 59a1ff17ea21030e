import type { GraphQLContext, Viewer } from '@sixtype/graphql';
import { GraphQLError } from 'graphql';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from './logger.ts';

export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;
export const DEFAULT_ANONYMOUS_RATE_LIMIT_PER_MINUTE = 120;

export interface RateLimitSettings {
  /** Requests per minute for each API client and for each signed-in user; 0 turns the limit off. */
  perMinute: number;
  /** Requests per minute for anonymous callers, per client address; 0 turns the limit off. */
  anonymousPerMinute: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** Requests allowed per minute in this bucket. */
  limit: number;
  /** Whole seconds until the bucket has room again (0 when allowed). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  readonly store: 'memory' | 'redis';
  /** Counts one request against `key`; undefined when that kind of caller is not limited. */
  consume(key: string, anonymous: boolean): Promise<RateLimitDecision | undefined>;
  /** Resolves once the store answers (at once in memory); until then Redis limiters count per process. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface RateLimiterOptions {
  /** Shared counters across API processes; per-process memory when absent. */
  redisUrl?: string | undefined;
  /** Prefix of the counters' keys (tests use their own, so runs never share counters). */
  keyPrefix?: string;
  logger: Logger;
}

/**
 * Fixed one-minute windows per caller (rate-limiter-flexible). With Redis, each counter is one
 * atomic INCR+PEXPIRE shared by every API process; if Redis is unreachable each process falls back
 * to its own in-memory counters (the insurance limiter) rather than refusing or letting everything
 * through.
 */
export function createRateLimiter(settings: RateLimitSettings, options: RateLimiterOptions): RateLimiter {
  const keyPrefix = options.keyPrefix ?? 'sixtype:rate';
  let redis: Redis | undefined;
  if (options.redisUrl) {
    // No offline queue: while Redis is away a command fails at once (and the insurance limiter
    // answers) instead of holding the request until Redis returns.
    redis = new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    let lastLogged = 0;
    redis.on('error', (error: Error) => {
      if (Date.now() - lastLogged < 60_000) return;
      lastLogged = Date.now();
      options.logger.warn({ err: error }, 'rate limit store (Redis) unavailable; counting per process meanwhile');
    });
  }

  const limiterFor = (points: number, bucket: string): RateLimiterAbstract | undefined => {
    if (points <= 0) return undefined;
    const common = { points, duration: 60, keyPrefix: `${keyPrefix}:${bucket}` };
    if (!redis) return new RateLimiterMemory(common);
    return new RateLimiterRedis({
      ...common,
      storeClient: redis,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory(common),
    });
  };
  const identified = limiterFor(settings.perMinute, 'identified');
  const anonymous = limiterFor(settings.anonymousPerMinute, 'anonymous');

  return {
    store: redis ? 'redis' : 'memory',
    async consume(key, isAnonymous) {
      const limiter = isAnonymous ? anonymous : identified;
      if (!limiter) return undefined;
      try {
        await limiter.consume(key);
        return { allowed: true, limit: limiter.points, retryAfterSeconds: 0 };
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) {
          return {
            allowed: false,
            limit: limiter.points,
            retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
          };
        }
        // Neither Redis nor the insurance limiter answered: serve the request rather than fail it.
        options.logger.error({ err: rejection }, 'rate limiter failed; request let through');
        return undefined;
      }
    },
    ready() {
      if (!redis || redis.status === 'ready') return Promise.resolve();
      const client = redis;
      return new Promise((resolve) => client.once('ready', () => resolve()));
    },
    async close() {
      if (!redis) return;
      // QUIT waits for a reply, which a client still (re)connecting would never get.
      if (redis.status === 'ready') await redis.quit().catch(() => redis?.disconnect());
      else redis.disconnect();
    },
  };
}

/**
 * The address an anonymous request came from. Behind a proxy the socket shows the proxy, so with
 * `trustProxy` the last `x-forwarded-for` entry (the one our proxy appended) is used instead; by
 * default the header is ignored, since any client can send it. Without a socket (in-process
 * `app.fetch`) all anonymous requests share one bucket.
 */
function clientAddress(context: Partial<YogaInitialContext>, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = context.request?.headers.get('x-forwarded-for');
    const last = forwarded?.split(',').at(-1)?.trim();
    if (last) return last;
  }
  const socket = (context as { req?: { socket?: { remoteAddress?: string } } }).req?.socket;
  return socket?.remoteAddress ?? 'unknown';
}

/** The bucket a request is counted in; undefined for in-process callers (SYSTEM). */
export function rateLimitKey(
  viewer: Viewer,
  context: Partial<YogaInitialContext>,
  trustProxy: boolean,
): { key: string; anonymous: boolean } | undefined {
  switch (viewer.kind) {
    case 'API_CLIENT':
      return { key: `client:${viewer.clientId}`, anonymous: false };
    case 'USER':
      return { key: `user:${viewer.userId}`, anonymous: false };
    case 'ANONYMOUS':
      return { key: `address:${clientAddress(context, trustProxy)}`, anonymous: true };
    default:
      return undefined;
  }
}

export function rateLimited({ limit, retryAfterSeconds }: RateLimitDecision): GraphQLError {
  return new GraphQLError(`Rate limit of ${limit} requests per minute reached; retry in ${retryAfterSeconds} s`, {
    extensions: {
      code: 'RATE_LIMITED',
      retryAfterSeconds,
      http: { status: 429, headers: { 'Retry-After': String(retryAfterSeconds) } },
    },
  });
}

export interface RateLimitPluginOptions {
  limiter: RateLimiter;
  trustProxy: boolean;
}

/**
 * Counts every operation that reaches execution against its caller's bucket: after the context has
 * authenticated the request (so the bucket is the real client or user), before any resolver runs.
 * Documents refused by the query limits never get this far and cost only parsing and validation.
 */
export function useRateLimit({ limiter, trustProxy }: RateLimitPluginOptions): Plugin<GraphQLContext> {
  const check = async (context: GraphQLContext & Partial<YogaInitialContext>) => {
    const bucket = rateLimitKey(context.viewer, context, trustProxy);
    if (!bucket) return undefined;
    const decision = await limiter.consume(bucket.key, bucket.anonymous);
    return decision && !decision.allowed ? rateLimited(decision) : undefined;
  };
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const error = await check(args.contextValue);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const error = await check(args.contextValue);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onDispose: () => limiter.close(),
  };
}
