import { createServer as createHttpServer, type Server } from 'node:http';
import type { DatabaseHandle } from '@sixtype/db';
import { type GraphQLContext, schema } from '@sixtype/graphql';
import { createYoga, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import { createContext } from './context.ts';
import type { Env } from './env.ts';
import { createErrorMasker } from './errors.ts';
import type { Logger } from './logger.ts';

export const GRAPHIQL_DEFAULT_QUERY = `# The zone's units and the cadres of each (demo data).
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
  env: Pick<Env, 'NODE_ENV'>;
  /** Signs and checks session tokens (see loadTokenSecret). */
  tokenSecret: string;
}

export type App = YogaServerInstance<Record<string, never>, GraphQLContext>;

/** The GraphQL application without a socket: tests call `app.fetch` directly. */
export function createApp({ database, logger, env, tokenSecret }: AppDependencies): App {
  return createYoga<Record<string, never>, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    batching: false,
    graphiql: { title: 'Six-Type Agency platform', defaultQuery: GRAPHIQL_DEFAULT_QUERY },
    context: ({ request }) => createContext({ db: database.db, tokenSecret }, request),
    maskedErrors: { maskError: createErrorMasker(logger), isDev: env.NODE_ENV === 'development' },
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
