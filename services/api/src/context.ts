import { randomUUID } from 'node:crypto';
import type { Executor } from '@sixtype/db';
import {
  authenticate,
  type EventBus,
  type GraphQLContext,
  type ReportWriter,
  type WebhookSettings,
} from '@sixtype/graphql';
import { graphiqlSessionAuthorization } from './graphiql-session.ts';

export interface ContextDependencies {
  db: Executor;
  tokenSecret: string;
  events?: EventBus;
  webhooks?: WebhookSettings;
}

/**
 * Builds the per-request context in one place: the viewer named by the request's credentials
 * (`Authorization: Bearer <token>`, `Authorization: ApiKey <key>` or `x-api-key`; from GraphiQL
 * without an Authorization header, its session cookie: graphiql-session.ts), the database,
 * and a request id for the logs (the caller's `x-request-id` when it sends one).
 */
export async function createContext(deps: ContextDependencies, request: Request): Promise<GraphQLContext> {
  const viewer = await authenticate(deps.db, deps.tokenSecret, {
    authorization: request.headers.get('authorization') ?? graphiqlSessionAuthorization(request),
    apiKey: request.headers.get('x-api-key'),
  });
  const requestId = request.headers.get('x-request-id')?.slice(0, 100) || randomUUID();
  return {
    db: deps.db,
    viewer,
    requestId,
    tokenSecret: deps.tokenSecret,
    events: deps.events,
    reports,
    webhooks: deps.webhooks,
  };
}

// Loaded on the first report: charts and PDF fonts are not needed by a process that serves only queries.
const reports: ReportWriter = {
  markdown: async (scope, context) => (await import('@sixtype/report')).reportWriter.markdown(scope, context),
};
