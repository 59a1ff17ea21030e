import { createHash } from 'node:crypto';
import { type AuditActor, type Executor, metricBatches } from '@sixtype/db';
import { and, eq, sql } from 'drizzle-orm';
import type { BatchResult, ObservationInput } from './metrics.service.ts';

/**
 * SHA-256 of a batch's rows as sent: the same idempotency key with another payload is a conflict.
 * Text is hashed exactly as received (nothing is trimmed), like the decimal grammar reads it.
 */
export function batchPayloadHash(rows: readonly ObservationInput[]): string {
  const hasher = createPayloadHasher();
  for (const row of rows) hasher.add(row);
  return hasher.digest();
}

/**
 * batchPayloadHash row by row, for rows that arrive as a stream: the same rows hash the same
 * whether they came as a GraphQL batch or as a bulk upload.
 */
export function createPayloadHasher() {
  const hash = createHash('sha256').update('[');
  // Rows are hashed some hundred at a time: one update per row was a call into the hash per row.
  let pending: string[] = [];
  let first = true;
  const flush = () => {
    if (pending.length > 0) hash.update(pending.join(''));
    pending = [];
  };
  return {
    add(r: ObservationInput) {
      pending.push(
        `${first ? '' : ','}${JSON.stringify([r.metricCode, r.orgCode, r.granularity, r.periodStart, r.value, r.source])}`,
      );
      first = false;
      if (pending.length === 256) flush();
    },
    digest: () => {
      flush();
      return hash.update(']').digest('hex');
    },
  };
}

export interface StoredBatch {
  idempotencyKey: string;
  payloadHash: string;
  result: BatchResult;
}

/** The batches one sender wrote under keys that start with `prefix` (the CSV import's file key). */
export async function batchesUnderKeyPrefix(db: Executor, actor: AuditActor, prefix: string): Promise<StoredBatch[]> {
  const rows = await db
    .select({
      idempotencyKey: metricBatches.idempotencyKey,
      payloadHash: metricBatches.payloadHash,
      result: metricBatches.result,
    })
    .from(metricBatches)
    .where(
      and(
        eq(metricBatches.actorKind, actor.kind),
        sql`coalesce(${metricBatches.actorId}, '') = ${actor.id ?? ''}`,
        sql`starts_with(${metricBatches.idempotencyKey}, ${prefix})`,
      ),
    );
  return rows.map((row) => ({ ...row, result: row.result as BatchResult }));
}
