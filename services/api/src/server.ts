import { createServer as createHttpServer, type Server } from 'node:http';
import { type DatabaseHandle, withQuerySignal } from '@sixtype/db';
import {
  type EventBus,
  type GraphQLContext,
  reminderCountsByRule,
  schema,
  sessionCacheOf,
  ValuesOfCorrectTypeNamedRule,
  validationRules,
  webhookDeliveryCounts,
  webhookSettingsOf,
} from '@sixtype/graphql';
import { type GraphQLError, Kind, parse, ValuesOfCorrectTypeRule } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { useBulkObservations } from './bulk-observations.ts';
import { createContext } from './context.ts';
import { useDatabaseRouting, withDatabaseErrors } from './database.ts';
import { documentCaches, useCompactDocumentErrors } from './document-cache.ts';
import type { Env } from './env.ts';
import { createErrorMasker, isClientError, wasLogged } from './errors.ts';
import { createEventBus } from './events.ts';
import { createGraphiQLRenderer, GRAPHIQL_EXAMPLES, graphiqlOptions } from './graphiql.ts';
import { createGraphiQLAssets, useGraphiQLAssets } from './graphiql-assets.ts';
import { useGraphiQLSession } from './graphiql-session.ts';
import {
  MAX_REQUEST_BODY_BYTES,
  useQueryLimits,
  useRequestBodyLimit,
  useRequestGuard,
  withRequestErrors,
} from './limits.ts';
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
import { useReportDownloads } from './report/route.ts';
import { shareSessionRevocations } from './sessions.ts';
import { createUploadSlots, DEFAULT_UPLOAD_QUEUE_TIMEOUT_MS, defaultUploadConcurrency } from './upload-slots.ts';

// The default tab's text, kept under its old name for importers of @sixtype/api.

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
        | 'BULK_UPLOAD_CONCURRENCY'
        | 'BULK_UPLOAD_QUEUE_TIMEOUT_MS'
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
  const webhooks = webhookSettingsOf(env, tokenSecret);
  const limiter =
    rateLimiter ??
    createRateLimiter(
      {
        perMinute: env.RATE_LIMIT_PER_MINUTE ?? DEFAULT_RATE_LIMIT_PER_MINUTE,
        anonymousPerMinute: env.RATE_LIMIT_ANONYMOUS_PER_MINUTE ?? DEFAULT_ANONYMOUS_RATE_LIMIT_PER_MINUTE,
      },
      { redisUrl: env.REDIS_URL, logger },
    );
  // The credential check answers known sessions from memory; logouts reach other processes through Redis.
  const revocations = shareSessionRevocations(sessionCacheOf(database.db), { redisUrl: env.REDIS_URL, logger });
  const operations = loadPersistedOperations(env.PERSISTED_OPERATIONS_FILE);
  // Labelled as themselves in /metrics: the SDK's operations and GraphiQL's examples.
  const knownOperations = [
    ...[...operations.values()].flatMap((text) =>
      parse(text).definitions.flatMap((definition) =>
        definition.kind === Kind.OPERATION_DEFINITION && definition.name ? [definition.name.value] : [],
      ),
    ),
    ...GRAPHIQL_EXAMPLES.map((example) => example.name),
  ];
  const graphiqlAssets = createGraphiQLAssets();
  const loggedClientErrors = new WeakSet<object>();
  return createYoga<Record<string, never>, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    batching: false,
    // Enforced by useRequestBodyLimit (limits.ts), which only streams bodies that declare no length.
    maxRequestBodySize: false,
    // Bounded to what clients really send (document-cache.ts).
    parserAndValidationCache: documentCaches(),
    // No file uploads; multipart bodies are refused by useRequestGuard.
    multipart: false,
    // GraphQL-over-HTTP's name for a persisted operation's id, beside the APQ extension.
    extraParamNames: ['documentId'],
    // Served by the API itself (no CDN), with the sign-in tab and example operations (graphiql.ts).
    graphiql: graphiqlOptions,
    renderGraphiQL: createGraphiQLRenderer(graphiqlAssets),
    // Any origin may call the API with headers, none with the browser's cookies: GraphiQL's session
    // cookie (graphiql-session.ts) is for GraphiQL's own page only.
    cors: { credentials: false },
    // Under the request's signal, like execution (useDatabaseRouting): a client that leaves cancels the credential check too.
    context: ({ request }) =>
      withQuerySignal(request.signal, () =>
        createContext({ db: database.db, tokenSecret, events: eventBus, webhooks }, request),
      ),
    maskedErrors: {
      maskError: withRequestErrors(withDatabaseErrors(createErrorMasker(logger), logger)),
      isDev: env.NODE_ENV === 'development',
    },
    logging: {
      debug: (...args) => logger.debug({ args }, 'yoga'),
      info: (...args) => logger.info({ args }, 'yoga'),
      warn: (...args) => logger.warn({ args }, 'yoga'),
      // yoga logs each error it masks (a request's error can pass its masking twice). A client's
      // mistake inside an operation is already in that operation's log line (its code); a request
      // refused before any operation ran gets one info line. An error the masker logged is not repeated.
      error: (...args) => {
        if (args.every(wasLogged)) return;
        if (!args.every(isClientError)) return logger.error({ args }, 'yoga');
        const [error] = args as GraphQLError[];
        if (!error || loggedClientErrors.has(error)) return;
        loggedClientErrors.add(error);
        if (error.path) return logger.debug({ err: error }, 'client error in an operation');
        logger.info({ code: error.extensions?.code, reason: error.message }, 'request refused');
      },
    },
    plugins: [
      useGraphiQLAssets(graphiqlAssets),
      useReadiness(
        '/ready',
        async () => {
          try {
            await database.ping();
            return true;
          } catch (error) {
            logger.warn({ err: error }, 'readiness check failed');
            return false;
          }
        },
        // Which database serves reads now: a stopped replica does not make the process unready
        // (its reads go to the primary), but an operator sees it here.
        () => ({ reads: database.readers(), replicas: database.replicaStates() }),
      ),
      ...useObservability({
        logger,
        database,
        knownOperations,
        webhookDeliveries: () => webhookDeliveryCounts(database.db),
        reminders: () => reminderCountsByRule(database.db),
      }),
      useCompactDocumentErrors(),
      useValidationRules(),
      useDatabaseRouting(database),
      { onDispose: () => revocations.close() },
      useRequestGuard(),
      useQueryLimits(),
      useRateLimit({ limiter, trustProxy: env.TRUST_PROXY ?? false }),
      // Reports read like queries: through the replicas when there are some.
      useReportDownloads({
        logger,
        createContext: (request) =>
          createContext({ db: database.reads, tokenSecret, events: eventBus, webhooks }, request),
      }),
      // Backfills write: on the primary.
      useBulkObservations({
        logger,
        createContext: (request) => createContext({ db: database.db, tokenSecret, events: eventBus }, request),
        slots: createUploadSlots(
          env.BULK_UPLOAD_CONCURRENCY ?? defaultUploadConcurrency(database),
          env.BULK_UPLOAD_QUEUE_TIMEOUT_MS ?? DEFAULT_UPLOAD_QUEUE_TIMEOUT_MS,
        ),
      }),
      ...useOperationPolicy({
        operations,
        nodeEnv: env.NODE_ENV,
      }),
      // After every plugin that may choose a request parser, where yoga puts its own limit.
      useRequestBodyLimit(MAX_REQUEST_BODY_BYTES),
      useGraphiQLSession(),
    ],
  });
}

/**
 * Validates with the schema's rules (validationRules), in which an invalid literal's error names
 * its argument (`input.from: Date must be …`). Rules other plugins add are kept.
 */
function useValidationRules(): Plugin {
  return {
    onValidate: ({ validateFn, setValidationFn }) => {
      setValidationFn((schema, document, rules, ...rest) =>
        validateFn(
          schema,
          document,
          rules
            ? rules.map((rule: unknown) => (rule === ValuesOfCorrectTypeRule ? ValuesOfCorrectTypeNamedRule : rule))
            : validationRules,
          ...rest,
        ),
      );
    },
  };
}

/**
 * yoga's useReadinessCheck for a check that answers true or false (with `describe()` in the JSON body), without the URLPattern test
 * that one runs on every request that is not for `endpoint`: that test matches exactly the paths
 * the pathname comparison before it matches, and costs more than several of our own plugins.
 */
function useReadiness(endpoint: string, check: () => Promise<boolean>, describe: () => object): Plugin {
  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (!request.url.endsWith(endpoint) && url.pathname !== endpoint) return;
      return check().then((ready) =>
        endResponse(
          new fetchAPI.Response(JSON.stringify({ ready, ...describe() }), {
            status: ready ? 200 : 503,
            headers: { 'content-type': 'application/json' },
          }),
        ),
      );
    },
  };
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
        // A keep-alive connection whose request finishes during the drain becomes idle only then:
        // close those as they appear, or the drain would wait for the client's keep-alive timeout.
        const idle = setInterval(() => server.closeIdleConnections(), 100);
        server.close((error) => {
          clearInterval(idle);
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
