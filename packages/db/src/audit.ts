import type { Executor } from './client.ts';
import type { ActorKind } from './schema/system.ts';
import { auditEvents } from './schema/system.ts';

export interface AuditActor {
  kind: ActorKind;
  id: string | null;
}

export interface AuditEntry {
  operation: string;
  entityType: string;
  entityId: string | number;
  before?: unknown;
  after?: unknown;
}

/** Writes one audit row; call it inside the transaction of the change it records. */
export async function writeAuditEvent(tx: Executor, actor: AuditActor, entry: AuditEntry): Promise<void> {
  await tx.insert(auditEvents).values({
    actorKind: actor.kind,
    actorId: actor.id,
    operation: entry.operation,
    entityType: entry.entityType,
    entityId: String(entry.entityId),
    before: entry.before ?? null,
    after: entry.after ?? null,
  });
}
