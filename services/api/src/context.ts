import { randomUUID } from 'node:crypto';
import type { Executor } from '@sixtype/db';
import type { GraphQLContext, Viewer } from '@sixtype/graphql';

export interface ContextDependencies {
  db: Executor;
}

/**
 * Builds the per-request context in one place. Credentials (Bearer tokens, API keys) arrive with
 * the access issue; until then every HTTP caller is ANONYMOUS.
 */
export function createContext(deps: ContextDependencies, request: Request): GraphQLContext {
  const viewer: Viewer = { kind: 'ANONYMOUS' };
  const requestId = request.headers.get('x-request-id')?.slice(0, 100) || randomUUID();
  return { db: deps.db, viewer, requestId };
}
