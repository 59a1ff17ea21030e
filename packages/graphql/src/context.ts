import type { AuditActor, Executor } from '@sixtype/db';

/**
 * Who is asking. Accounts and API keys arrive with the access issue; until then the API serves
 * anonymous callers and in-process callers (CLI, tests) act as SYSTEM.
 */
export type Viewer = { kind: 'ANONYMOUS' } | { kind: 'SYSTEM'; name: string };

export interface GraphQLContext {
  /** The executor every resolver uses; a test may hand in a transaction. */
  db: Executor;
  viewer: Viewer;
  requestId: string;
}

export function auditActorOf(viewer: Viewer): AuditActor {
  return viewer.kind === 'SYSTEM' ? { kind: 'SYSTEM', id: viewer.name } : { kind: 'ANONYMOUS', id: null };
}
