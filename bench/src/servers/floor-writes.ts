import type postgres from 'postgres';
import type { LoggedStatement } from '../api.ts';
import { BENCH_ADMIN } from '../sizes.ts';
import { batchProblem, DECIMAL_PATTERN, payloadHash, type SubmitInput } from './batch.ts';

/** A write of the floor: takes the GraphQL request body the API gets, answers the payload as JSON. */
export type FloorWrite = (body: { variables?: { input?: unknown } }) => Promise<unknown>;

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

export function submitObservationsFloor(
  sql: postgres.Sql,
  credentialLookup: LoggedStatement[],
  countStatement: () => void,
): FloorWrite {
  return async (body) => {
    const input = body.variables?.input as SubmitInput;
    const problem = batchProblem(input);
    if (problem) return { errors: [{ message: problem }] };
    let viewer: Record<string, unknown> | undefined;
    for (const { query, params } of credentialLookup) {
      countStatement();
      [viewer] = await sql.unsafe(query, params as postgres.ParameterOrJSON<never>[], { prepare: true });
    }
    // The API answered the session from memory (no lookup captured): so does the floor, after
    // looking its user up once.
    if (credentialLookup.length === 0) viewer = await knownViewer(sql);
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
