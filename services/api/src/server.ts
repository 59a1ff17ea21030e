import { createServer as createHttpServer, type Server } from 'node:http';
import type { DatabaseHandle } from '@sixtype/db';
import { type EventBus, type GraphQLContext, schema } from '@sixtype/graphql';
import { createYoga, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import { createContext } from './context.ts';
import type { Env } from './env.ts';
import { createErrorMasker } from './errors.ts';
import { createEventBus } from './events.ts';
import { CSRF_HEADER, MAX_REQUEST_BODY_BYTES, useQueryLimits, useRequestGuard, withRequestErrors } from './limits.ts';
import type { Logger } from './logger.ts';
import { useObservability } from './observability.ts';
import { loadPersistedOperations, useOperationPolicy } from './persisted-operations.ts';
import {
  createRateLimiter,
  DEFAULT_ANONYMOUS_RATE_LIMIT_PER_MINUTE,
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  type RateLimiter,
  useRateLimit,
} from './rate-limit.ts';

export const GRAPHIQL_DEFAULT_QUERY = `# Sign in first, then put the token in the Headers tab:
#   { "Authorization": "Bearer <token>" }
mutation SignIn {
  login(input: { username: "admin", password: "" }) {
    token
    expiresAt
  }
}

# The zone's units and the cadres of each (demo data).
query ZoneUnits {
  organization(code: "ZONE") {
    name
    children {
      code
      name
      cadres(first: 5) {
        totalCount
        nodes { name position }
      }
    }
  }
}
`;

export interface AppDependencies {
  database: DatabaseHandle;
  logger: Logger;
  /** Settings left out take their defaults (see env.ts). */
  env: Pick<Env, 'NODE_ENV'> &
    Partial<
      Pick<
        Env,
        | 'REDIS_URL'
        | 'RATE_LIMIT_PER_MINUTE'
        | 'RATE_LIMIT_ANONYMOUS_PER_MINUTE'
        | 'TRUST_PROXY'
        | 'PERSISTED_OPERATIONS_FILE'
      >
    >;
  /** Signs and checks session tokens (see loadTokenSecret). */
  tokenSecret: string;
  /** Counts requests per caller; built from env when absent. The app closes it on dispose. */
  rateLimiter?: RateLimiter;
  /** Where accepted figures are announced to metricUpdated subscribers; one in-process bus by default. */
  events?: EventBus;
}

export type App = YogaServerInstance<Record<string, never>, GraphQLContext>;

/** The GraphQL application without a socket: tests call `app.fetch` directly. */
export function createApp({ database, logger, env, tokenSecret, rateLimiter, events }: AppDependencies): App {
  const eventBus = events ?? createEventBus().bus;
  const limiter =
    rateLimiter ??
    createRateLimiter(
      {
        perMinute: env.RATE_LIMIT_PER_MINUTE ?? DEFAULT_RATE_LIMIT_PER_MINUTE,
        anonymousPerMinute: env.RATE_LIMIT_ANONYMOUS_PER_MINUTE ?? DEFAULT_ANONYMOUS_RATE_LIMIT_PER_MINUTE,
      },
      { redisUrl: env.REDIS_URL, logger },
    );
  return createYoga<Record<string, never>, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    batching: false,
    maxRequestBodySize: MAX_REQUEST_BODY_BYTES,
    // No file uploads; multipart bodies are refused by useRequestGuard.
    multipart: false,
    // GraphQL-over-HTTP's name for a persisted operation's id, beside the APQ extension.
    extraParamNames: ['documentId'],
    graphiql: {
      title: 'Six-Type Agency platform',
      defaultQuery: GRAPHIQL_DEFAULT_QUERY,
      method: 'POST',
      additionalHeaders: { [CSRF_HEADER]: 'graphiql' },
    },
    context: ({ request }) => createContext({ db: database.db, tokenSecret, events: eventBus }, request),
    maskedErrors: { maskError: withRequestErrors(createErrorMasker(logger)), isDev: env.NODE_ENV === 'development' },
    logging: {
      debug: (...args) => logger.debug({ args }, 'yoga'),
      info: (...args) => logger.info({ args }, 'yoga'),
      warn: (...args) => logger.warn({ args }, 'yoga'),
      error: (...args) => logger.error({ args }, 'yoga'),
    },
    plugins: [
      useReadinessCheck({
        endpoint: '/ready',
        check: async () => {
          try {
            await database.ping();
            return true;
          } catch (error) {
            logger.warn({ err: error }, 'readiness check failed');
            return false;
          }
        },
      }),
      ...useObservability({ logger }),
      useRequestGuard(),
      useQueryLimits(),
      useRateLimit({ limiter, trustProxy: env.TRUST_PROXY ?? false }),
      ...useOperationPolicy({
        operations: loadPersistedOperations(env.PERSISTED_OPERATIONS_FILE),
        nodeEnv: env.NODE_ENV,
      }),
    ],
  });
}

export interface RunningServer {
  server: Server;
  url: string;
  /** Stops taking connections, lets requests in flight finish, then resolves. */
  stop(): Promise<void>;
}

export async function listen(app: App, port: number, host = '0.0.0.0'): Promise<RunningServer> {
  const server = createHttpServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    url: `http://localhost:${actualPort}/graphql`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
