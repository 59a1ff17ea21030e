import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type postgres from 'postgres';
import type { LoggedStatement } from '../api.ts';
import { BENCH_ADMIN } from '../sizes.ts';
import { batchProblem, DECIMAL_PATTERN, payloadHash, type SubmitInput } from './batch.ts';

/** A write of the floor: takes the GraphQL request body the API gets, answers the payload as JSON. */
export type FloorWrite = (body: { variables?: { input?: unknown } }) => Promise<unknown>;
/** An upload of the floor: reads the request's body as it arrives, answers a status and JSON. */
export type FloorUpload = (request: IncomingMessage) => Promise<{ status: number; body: unknown }>;

const PERIOD_PATTERN = '^\\d{4}-(0[1-9]|1[0-2])-01$';

/**
 * submitMetricObservations (S5) by hand, with the API's rules and answer: a write cannot be
 * replayed from captured statements, since every request brings other rows and a new key.
 *
 * After the credential lookup the API made (replayed as captured), one transaction holds one
 * statement: the rows arrive as arrays, their metric and unit codes are resolved and every row
 * rule is checked in SQL, duplicates keep their first row, and data-modifying CTEs insert the
 * batch (its key's unique index is the idempotency: ON CONFLICT waits for a concurrent sender of
 * the key, then writes nothing), the observations with the next revision each, and the audit row.
 * Only a key seen before costs a second statement, to answer the stored result. Per-row errors are
 * counted, not itemized (the bench sends valid rows).
 */
let rememberedViewer: Promise<Record<string, unknown> | undefined> | undefined;
const knownViewer = (sql: postgres.Sql) => {
  rememberedViewer ??= sql<{ id: number }[]>`select id from users where username = ${BENCH_ADMIN.username}`.then(
    ([row]) => row,
  );
  return rememberedViewer;
};

/**
 * The signed-in user as the API found it: the credential lookup it made replayed as captured, or,
 * when it answered the session from memory (no lookup captured), the user looked up once.
 */
async function viewerOf(sql: postgres.Sql, credentialLookup: LoggedStatement[], countStatement: () => void) {
  let viewer: Record<string, unknown> | undefined;
  for (const { query, params } of credentialLookup) {
    countStatement();
    [viewer] = await sql.unsafe(query, params as postgres.ParameterOrJSON<never>[], { prepare: true });
  }
  if (credentialLookup.length === 0) viewer = await knownViewer(sql);
  return viewer;
}

export function submitObservationsFloor(
  sql: postgres.Sql,
  credentialLookup: LoggedStatement[],
  countStatement: () => void,
): FloorWrite {
  return async (body) => {
    const input = body.variables?.input as SubmitInput;
    const problem = batchProblem(input);
    if (problem) return { errors: [{ message: problem }] };
    const viewer = await viewerOf(sql, credentialLookup, countStatement);
    if (!viewer) return { errors: [{ message: 'not signed in' }] };
    const actor = { kind: 'USER', id: String(viewer.id) };
    const key = input.idempotencyKey.trim();
    const hash = payloadHash(input.observations);
    const rows = input.observations;
    const column = (pick: (row: (typeof rows)[number]) => string) => rows.map(pick);

    countStatement();
    const answer = await sql
      .begin(async (tx) => {
        countStatement();
        const [written] = await tx<{ result: { accepted: number; rejected: number } }[]>`
        with input as (
          select * from unnest(${column((r) => r.metricCode)}::text[], ${column((r) => r.orgCode)}::text[],
                               ${column((r) => r.granularity)}::text[], ${column((r) => r.periodStart)}::text[],
                               ${column((r) => r.value.trim())}::text[], ${column((r) => r.source.trim())}::text[])
            with ordinality as i(metric_code, org_code, granularity, period_start, value, source, ordinality)
        ),
        checked as (
          select i.ordinality, m.id as metric_id, o.id as organization_id, m.reporting_granularity as granularity,
                 i.period_start::date as period_start, i.value::numeric as value, i.source
          from input i
          join metric_definitions m on m.code = i.metric_code
          join organizations o on o.code = i.org_code
          where m.derivation is null
            and i.granularity = m.reporting_granularity::text
            and case when i.period_start ~ ${PERIOD_PATTERN}
                     then (substr(i.period_start, 6, 2)::int - 1)
                            % (case m.reporting_granularity when 'MONTH' then 1 when 'QUARTER' then 3 else 12 end) = 0
                          and i.period_start <= to_char(now() at time zone 'UTC', 'YYYY-MM-DD')
                     else false end
            and i.value ~ ${DECIMAL_PATTERN.source}
            and char_length(i.source) between 1 and 200
        ),
        accepted as (
          select c.* from (
            select c.*, row_number() over (partition by c.metric_id, c.organization_id, c.period_start
                                           order by c.ordinality) as nth
            from checked c
          ) c
          where c.nth = 1
        ),
        batch as (
          insert into metric_batches (idempotency_key, actor_kind, actor_id, payload_hash, result)
          select ${key}, ${actor.kind}::actor_kind, ${actor.id}, ${hash},
                 jsonb_build_object('accepted', n, 'rejected', ${rows.length}::int - n, 'replayed', false)
          from (select count(*)::int as n from accepted) counted
          on conflict do nothing
          returning id, result
        ),
        observations as (
          insert into metric_observations
            (metric_id, organization_id, granularity, period_start, value, revision, source, batch_id,
             submitted_by_kind, submitted_by_id)
          select a.metric_id, a.organization_id, a.granularity, a.period_start, a.value,
                 coalesce((select max(o.revision) from metric_observations o
                           where o.metric_id = a.metric_id and o.organization_id = a.organization_id
                             and o.granularity = a.granularity and o.period_start = a.period_start), 0) + 1,
                 a.source, b.id, ${actor.kind}::actor_kind, ${actor.id}
          from accepted a cross join batch b
        ),
        audit as (
          insert into audit_events (actor_kind, actor_id, operation, entity_type, entity_id, after)
          select ${actor.kind}::actor_kind, ${actor.id}, 'submitMetricObservations', 'MetricBatch', b.id::text,
                 jsonb_build_object('idempotencyKey', ${key}::text, 'accepted', b.result -> 'accepted',
                                    'rejected', b.result -> 'rejected')
          from batch b
        )
        select b.result from batch b`;
        if (written) return { ...written.result, replayed: false };
        countStatement();
        const [previous] = await tx<{ payload_hash: string; result: { accepted: number; rejected: number } }[]>`
        select payload_hash, result from metric_batches
        where actor_kind = ${actor.kind}::actor_kind and coalesce(actor_id, '') = ${actor.id}
          and idempotency_key = ${key}`;
        if (previous?.payload_hash !== hash)
          return { conflict: `idempotency key ${key} was used for a different batch` };
        return { accepted: previous.result.accepted, rejected: previous.result.rejected, replayed: true };
      })
      .catch((error: unknown) => {
        // A concurrent batch wrote the same revision of a row first: the API answers this as a
        // ConflictError (HTTP 200), and so does the floor.
        if ((error as { code?: string }).code === '23505') return { conflict: String(error) };
        throw error;
      });
    countStatement();
    return 'conflict' in answer ? { errors: [{ message: answer.conflict }] } : { data: answer };
  };
}

/** The upload was not well-formed NDJSON of string fields (answered 400). */
class BadUpload extends Error {}

const UPLOAD_FIELDS = ['metricCode', 'orgCode', 'granularity', 'periodStart', 'value', 'source'] as const;

/** COPY's text format: backslash, tab and line breaks escaped. */
const copyText = (text: string) =>
  /[\\\t\n\r]/.test(text)
    ? text.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] ?? c)
    : text;

/** NDJSON lines in, COPY text rows of the staging table out; the bytes are hashed as they pass. */
function ndjsonToCopy(hash: Hash): Transform {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lineNumber = 0;
  const rowsOf = (lines: string[]) => {
    let out = '';
    for (const line of lines) {
      lineNumber += 1;
      if (line.trim() === '') continue;
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line);
      } catch {
        throw new BadUpload(`line ${lineNumber} is not JSON`);
      }
      const cells = UPLOAD_FIELDS.map((field) => {
        const cell = record?.[field];
        if (typeof cell !== 'string') throw new BadUpload(`line ${lineNumber}: ${field} must be a string`);
        return copyText(cell);
      });
      out += `${cells.join('\t')}\n`;
    }
    return out;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      const lines = (rest + decoder.write(chunk)).split('\n');
      rest = lines.pop() ?? '';
      try {
        callback(null, rowsOf(lines));
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback) {
      try {
        callback(null, rowsOf([rest + decoder.end()]));
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/**
 * The bulk upload (S5B) as a person would write the loader by hand: one transaction on one
 * node-postgres connection that creates a temporary staging table, streams the NDJSON body into it
 * with `COPY … FROM STDIN` (pg-copy-streams; the body is parsed line by line as it arrives, never
 * held whole), and then one statement claims the idempotency key (the batch row, ON CONFLICT DO
 * NOTHING), inserts every staged row as the next revision of its figure and writes the audit row.
 * The checks are the essential ones: the staging table's types refuse a value that is not a
 * number, a period that is not a date and an unknown granularity; the insert joins the codes to
 * their metric (not derived, of that granularity) and unit and keeps periods that are the first day
 * of their granularity and not in the future, with a source of 1 to 200 characters. Fewer rows
 * inserted than staged (an unknown code, a row refused) refuses the upload (422, rolled back); a
 * figure repeated in the upload, or written by another upload at the same instant, is 409. The
 * key seen before costs one more statement, comparing the body's SHA-256 with the stored one. Unlike
 * the API it lists no refused rows and writes no webhook outbox rows (the S5 floor writes none).
 */
export function bulkUploadFloor(
  sql: postgres.Sql,
  pool: pg.Pool,
  credentialLookup: LoggedStatement[],
  countStatement: () => void,
): FloorUpload {
  return async (request) => {
    const key = String(request.headers['idempotency-key'] ?? '').trim();
    if (key.length < 1 || key.length > 200) {
      request.resume();
      return { status: 400, body: { errors: [{ message: 'send an Idempotency-Key header of 1 to 200 characters' }] } };
    }
    const viewer = await viewerOf(sql, credentialLookup, countStatement);
    if (!viewer) {
      request.resume();
      return { status: 401, body: { errors: [{ message: 'not signed in' }] } };
    }
    const actorId = String(viewer.id);
    const client = await pool.connect();
    const query = (text: string, params: unknown[] = []) => {
      countStatement();
      return client.query(text, params);
    };
    let broken = false;
    try {
      await query('begin');
      await query(`create temp table bulk_staging (
          metric_code text not null, org_code text not null, granularity granularity not null,
          period_start date not null, value numeric not null, source text not null) on commit drop`);
      const hash = createHash('sha256');
      countStatement();
      const copy = client.query(copyFrom('copy bulk_staging from stdin'));
      await pipeline(request, ndjsonToCopy(hash), copy);
      const staged = copy.rowCount;
      if (staged === 0) {
        await query('rollback');
        return { status: 400, body: { errors: [{ message: 'send at least one row' }] } };
      }
      const payloadHash = hash.digest('hex');
      const { rows } = await query(
        `with batch as (
          insert into metric_batches (idempotency_key, actor_kind, actor_id, payload_hash, result)
          values ($1::text, 'USER'::actor_kind, $2::text, $3::text, jsonb_build_object('accepted', $4::int, 'rejected', 0, 'replayed', false))
          on conflict do nothing
          returning id
        ),
        written as (
          insert into metric_observations
            (metric_id, organization_id, granularity, period_start, value, revision, source, batch_id,
             submitted_by_kind, submitted_by_id)
          select m.id, o.id, s.granularity, s.period_start, s.value,
                 coalesce((select max(x.revision) from metric_observations x
                           where x.metric_id = m.id and x.organization_id = o.id
                             and x.granularity = s.granularity and x.period_start = s.period_start), 0) + 1,
                 s.source, b.id, 'USER'::actor_kind, $2::text
          from bulk_staging s
          join metric_definitions m
            on m.code = s.metric_code and m.derivation is null and m.reporting_granularity = s.granularity
          join organizations o on o.code = s.org_code
          cross join batch b
          where s.period_start = date_trunc(s.granularity::text, s.period_start)::date
            and s.period_start <= current_date
            and char_length(s.source) between 1 and 200
          returning 1
        ),
        audit as (
          insert into audit_events (actor_kind, actor_id, operation, entity_type, entity_id, after)
          select 'USER'::actor_kind, $2::text, 'submitMetricObservationsBulk', 'MetricBatch', b.id::text,
                 jsonb_build_object('idempotencyKey', $1::text, 'accepted', $4::int, 'rejected', 0)
          from batch b
        )
        select (select id::text from batch) as batch_id, (select count(*)::int from written) as written`,
        [key, actorId, payloadHash, staged],
      );
      const { batch_id: batchId, written } = rows[0] as { batch_id: string | null; written: number };
      if (batchId === null) {
        const previous = await query(
          `select id::text, payload_hash, result from metric_batches
           where actor_kind = 'USER'::actor_kind and coalesce(actor_id, '') = $1::text and idempotency_key = $2::text`,
          [actorId, key],
        );
        await query('rollback');
        const stored = previous.rows[0] as
          | { id: string; payload_hash: string; result: { accepted: number } }
          | undefined;
        if (stored?.payload_hash !== payloadHash) {
          return { status: 409, body: { errors: [{ message: `idempotency key ${key} was used for another upload` }] } };
        }
        return {
          status: 200,
          body: { batchId: stored.id, accepted: stored.result.accepted, rejected: 0, replayed: true, errors: [] },
        };
      }
      if (written < staged) {
        await query('rollback');
        return {
          status: 422,
          body: { batchId: null, accepted: 0, rejected: staged - written, replayed: false, errors: [] },
        };
      }
      await query('commit');
      return { status: 200, body: { batchId, accepted: written, rejected: 0, replayed: false, errors: [] } };
    } catch (error) {
      await client.query('rollback').catch(() => {
        broken = true;
      });
      request.resume();
      const code = (error as { code?: string }).code ?? '';
      if (error instanceof BadUpload || code.startsWith('22')) {
        return { status: 400, body: { errors: [{ message: (error as Error).message }] } };
      }
      if (code === '23505' || code === '40P01') {
        return { status: 409, body: { errors: [{ message: String(error) }] } };
      }
      throw error;
    } finally {
      client.release(broken);
    }
  };
}
