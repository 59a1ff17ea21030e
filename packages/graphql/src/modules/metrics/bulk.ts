import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { type Database, type Executor, metricBatches, today, writeAuditEvent } from '@sixtype/db';
import { eq, sql } from 'drizzle-orm';
import { from as copyFrom } from 'pg-copy-streams';
import { ConflictError, ValidationError } from '../../errors.ts';
import { rowsOf } from '../common/rows.ts';
import { inTransaction } from '../common/transactions.ts';
import { enqueueWebhookEvents } from '../webhooks/webhooks.service.ts';
import { createPayloadHasher } from './batches.ts';
import {
  type BatchResult,
  type CheckedObservation,
  checkObservation,
  claimIdempotencyKey,
  insertRevisions,
  isRevisionRace,
  loadObservationLookups,
  MAX_BATCH_ATTEMPTS,
  type MetricsAccess,
  type ObservationInput,
  type ObservationLookups,
  type RowError,
  repeatedRow,
} from './metrics.service.ts';

/** The most rows one bulk upload may carry. */
export const MAX_BULK_ROWS = 5_000_000;
/** Rows checked (and codes looked up) together; on PGlite also the rows of one staging insert. */
export const BULK_CHUNK_ROWS = 10_000;
/** Refused rows listed in the answer (all are counted in `rejected`). */
export const MAX_BULK_ERRORS_LISTED = 1_000;

/** Rolls the upload's transaction back and carries its answer out. */
class Refused extends Error {
  constructor(readonly result: BatchResult) {
    super('bulk upload refused');
  }
}

const NUL = '\u0000';

/**
 * A backfill of observations, all or nothing: every row is checked by the same rules as
 * submitMetricObservations (checkObservation), the rows that pass go to a staging table
 * (`COPY … FROM STDIN` on PostgreSQL, set-based inserts on PGlite), and when no row failed they
 * are merged in one statement (insertRevisions: each the next revision of its figure) with one
 * batch row and one audit row. A refused row refuses the upload: the answer lists the rows (`index`
 * from 0) and nothing is written. The idempotency key is shared with submitMetricObservations: the
 * same key and rows answer the first result with `replayed: true`, other rows are a ConflictError.
 * Rows are read as they arrive; only the current chunk and the codes seen are kept in memory.
 */
export async function submitObservationsBulk(
  db: Executor,
  access: MetricsAccess,
  input: { idempotencyKey: string; rows: AsyncIterable<ObservationInput> },
): Promise<BatchResult> {
  const key = input.idempotencyKey.trim();
  if (key.length < 1 || key.length > 200) throw ValidationError.of(['idempotencyKey'], 'must be 1 to 200 characters');
  try {
    return await inTransaction(db, (tx) => writeBulk(tx, access, key, input.rows), { passThrough: isRevisionRace });
  } catch (error) {
    if (error instanceof Refused) return error.result;
    if (isRevisionRace(error)) {
      throw new ConflictError(
        'figures of this upload were written by another batch at the same time; send the upload again',
        'observations',
      );
    }
    throw error;
  }
}

/**
 * The merge of the staged rows, run again (from a savepoint, the staging table kept) when another
 * batch took a revision this one computed: the next attempt reads the winner's rows and writes the
 * revision after it, as a batch of submitMetricObservations does by running its transaction again
 * (the body of an upload cannot be read twice).
 */
async function mergeStaged(tx: Executor, batchId: number, access: MetricsAccess): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await (tx as Database).transaction((merge) =>
        merge.execute(insertRevisions(sql`observation_staging r`, batchId, access.actor)),
      );
      return;
    } catch (error) {
      if (!isRevisionRace(error) || attempt >= MAX_BATCH_ATTEMPTS) throw error;
    }
  }
}

async function writeBulk(
  tx: Executor,
  access: MetricsAccess,
  key: string,
  rows: AsyncIterable<ObservationInput>,
): Promise<BatchResult> {
  const hasher = createPayloadHasher();
  const previous = await claimIdempotencyKey(tx, access, key);
  if (previous) {
    for await (const row of rows) hasher.add(row);
    if (previous.payloadHash !== hasher.digest()) {
      throw new ConflictError(`idempotency key ${key} was used for a different batch`, 'idempotencyKey');
    }
    return { ...(previous.result as BatchResult), replayed: true };
  }

  await tx.execute(sql`create temp table observation_staging (
      ord int not null, metric_id int not null, organization_id int not null, granularity granularity not null,
      period_start date not null, value numeric not null, source text not null) on commit drop`);
  const stage = stagingWriter(tx);
  const lookups: ObservationLookups = { metrics: new Map(), orgs: new Map() };
  const looked = { metrics: new Set<string>(), orgs: new Set<string>() };
  const errors: RowError[] = [];
  let rejected = 0;
  let count = 0;
  const now = today();
  let chunk: ObservationInput[] = [];

  const flush = async () => {
    const first = count - chunk.length;
    const metricCodes = chunk.map((row) => row.metricCode).filter((code) => !looked.metrics.has(code));
    const orgCodes = chunk.map((row) => row.orgCode).filter((code) => !looked.orgs.has(code));
    if (metricCodes.length > 0 || orgCodes.length > 0) {
      await stage.end();
      const found = await loadObservationLookups(tx, metricCodes, orgCodes);
      for (const [code, metric] of found.metrics) lookups.metrics.set(code, metric);
      for (const [code, org] of found.orgs) lookups.orgs.set(code, org);
      for (const code of metricCodes) looked.metrics.add(code);
      for (const code of orgCodes) looked.orgs.add(code);
    }
    const staged: (CheckedObservation & { ord: number })[] = [];
    const chunkErrors: RowError[] = [];
    for (let i = 0; i < chunk.length; i += 1) {
      const row = chunk[i] as ObservationInput;
      const index = first + i;
      if (row.source.includes(NUL)) {
        chunkErrors.push({
          index,
          field: 'source',
          code: 'BAD_USER_INPUT',
          message: 'must not contain the NUL character',
        });
        continue;
      }
      const checked = checkObservation(row, index, lookups, access, now, chunkErrors);
      if (checked && rejected + chunkErrors.length === 0) staged.push({ ...checked, ord: index });
    }
    rejected += chunkErrors.length;
    for (const error of chunkErrors) if (errors.length < MAX_BULK_ERRORS_LISTED) errors.push(error);
    // Once a row failed nothing will be written: the rest is only checked.
    if (rejected === 0) await stage.write(staged);
    chunk = [];
  };

  try {
    for await (const row of rows) {
      count += 1;
      if (count > MAX_BULK_ROWS) {
        throw ValidationError.of(['observations'], `must hold at most ${MAX_BULK_ROWS} rows; split the upload`);
      }
      hasher.add(row);
      chunk.push(row);
      if (chunk.length >= BULK_CHUNK_ROWS) await flush();
    }
    if (chunk.length > 0) await flush();
    await stage.end();
  } catch (error) {
    stage.abort(error);
    throw error;
  }
  if (count === 0) throw ValidationError.of(['observations'], 'must hold at least one row');

  if (rejected === 0) {
    // A figure sent twice in one upload: every later row names the first, as in a batch.
    const repeats = rowsOf<{ ord: number; first: number; total: number }>(
      await tx.execute(sql`
        select ord, first, count(*) over ()::int as total from (
          select ord, min(ord) over (partition by metric_id, organization_id, period_start) as first
          from observation_staging) s
        where ord <> first order by ord limit ${MAX_BULK_ERRORS_LISTED}`),
    );
    rejected = repeats[0]?.total ?? 0;
    for (const repeat of repeats) errors.push({ index: repeat.ord, ...repeatedRow(repeat.first) });
  }
  if (rejected > 0) {
    errors.sort((a, b) => a.index - b.index);
    throw new Refused({ batchId: null, accepted: 0, rejected, replayed: false, errors });
  }

  const result: BatchResult = { batchId: null, accepted: count, rejected: 0, replayed: false, errors: [] };
  const [batch] = await tx
    .insert(metricBatches)
    .values({
      idempotencyKey: key,
      actorKind: access.actor.kind,
      actorId: access.actor.id,
      payloadHash: hasher.digest(),
      result: {},
    })
    .returning({ id: metricBatches.id });
  if (!batch) throw new Error('batch row was not written');
  result.batchId = batch.id;
  await mergeStaged(tx, batch.id, access);
  await tx.update(metricBatches).set({ result }).where(eq(metricBatches.id, batch.id));
  await writeAuditEvent(tx, access.actor, {
    operation: 'submitMetricObservationsBulk',
    entityType: 'MetricBatch',
    entityId: batch.id,
    after: { idempotencyKey: key, accepted: result.accepted, rejected: 0 },
  });
  // One OBSERVATION_BATCH_ACCEPTED per unit, as for a batch, but with the unit's count and period
  // range instead of its rows (an upload may hold millions): a receiver reads the figures back.
  const units = rowsOf<{ organizationId: number; observations: number; firstPeriod: string; lastPeriod: string }>(
    await tx.execute(sql`
      select organization_id as "organizationId", count(*)::int as observations,
             min(period_start)::text as "firstPeriod", max(period_start)::text as "lastPeriod"
      from observation_staging group by organization_id`),
  );
  await enqueueWebhookEvents(
    tx,
    units.map(({ organizationId, ...data }) => ({
      type: 'OBSERVATION_BATCH_ACCEPTED' as const,
      organizationId,
      data: { batchId: batch.id, bulk: true, ...data },
    })),
  );
  return result;
}

interface StagingWriter {
  write(rows: readonly (CheckedObservation & { ord: number })[]): Promise<void>;
  /** Finishes the rows written so far (another write may follow). */
  end(): Promise<void>;
  abort(error: unknown): void;
}

interface CopyClient {
  query(stream: Writable): Writable;
}

/** node-postgres' connection under a drizzle transaction; PGlite has none (and no COPY FROM STDIN). */
function copyClientOf(tx: Executor): CopyClient | undefined {
  const client = (tx as unknown as { session?: { client?: unknown } }).session?.client as
    | (CopyClient & { connection?: unknown })
    | undefined;
  return client && typeof client.query === 'function' && client.connection ? client : undefined;
}

/** COPY's text format: backslash, tab and line breaks escaped (the rows hold no NUL). */
const copyText = (text: string) =>
  /[\\\t\n\r]/.test(text)
    ? text.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] ?? c)
    : text;

function stagingWriter(tx: Executor): StagingWriter {
  const client = copyClientOf(tx);
  if (client) {
    // One COPY open while rows come; closed before the connection runs another statement (a code
    // lookup), and opened again on the next write.
    let open: { stream: Writable; done: Promise<void> } | undefined;
    const start = () => {
      const stream = client.query(
        copyFrom(
          'copy observation_staging (ord, metric_id, organization_id, granularity, period_start, value, source) from stdin',
        ),
      );
      const done = new Promise<void>((resolve, reject) => {
        stream.on('finish', resolve);
        stream.on('error', reject);
      });
      // Seen by `end` (or lost with the aborted transaction): never an unhandled rejection.
      done.catch(() => {});
      return { stream, done };
    };
    return {
      async write(rows) {
        if (rows.length === 0) return;
        open ??= start();
        let text = '';
        for (const r of rows) {
          text += `${r.ord}\t${r.metricId}\t${r.organizationId}\t${r.granularity}\t${r.periodStart}\t${r.value}\t${copyText(r.source)}\n`;
        }
        if (!open.stream.write(text)) await Promise.race([once(open.stream, 'drain'), open.done]);
      },
      async end() {
        if (!open) return;
        const { stream, done } = open;
        open = undefined;
        stream.end();
        await done;
      },
      abort(error) {
        // Sends CopyFail, so the connection leaves COPY and the transaction can roll back.
        open?.stream.destroy(error instanceof Error ? error : new Error(String(error)));
        open = undefined;
      },
    };
  }
  return {
    async write(rows) {
      if (rows.length === 0) return;
      await tx.execute(sql`insert into observation_staging
        select * from unnest(
          ${sql.param(rows.map((r) => r.ord))}::int[],
          ${sql.param(rows.map((r) => r.metricId))}::int[],
          ${sql.param(rows.map((r) => r.organizationId))}::int[],
          ${sql.param(rows.map((r) => r.granularity))}::text[]::granularity[],
          ${sql.param(rows.map((r) => r.periodStart))}::text[]::date[],
          ${sql.param(rows.map((r) => r.value))}::text[]::numeric[],
          ${sql.param(rows.map((r) => r.source))}::text[])`);
    },
    async end() {},
    abort() {},
  };
}
