import type { AuditActor } from '@sixtype/db';
import {
  type Executor,
  type Granularity,
  granularities,
  isObservationRevisionKey,
  metricAggregations,
  metricBatches,
  metricDefinitions,
  metricDirections,
  metricKinds,
  metricReportings,
  metricTargets,
  organizations,
  pgErrorOf,
  today,
  writeAuditEvent,
} from '@sixtype/db';
import { and, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type MetricUpdateEvent, pathWithin } from '../../context.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.ts';
import { rowsOf } from '../common/rows.ts';
import { inTransaction } from '../common/transactions.ts';
import {
  CALENDAR_DAY_MESSAGE,
  calendarDay,
  DECIMAL_MESSAGE,
  decimalText,
  isCalendarDay,
  isDecimalText,
  parseInput,
  type Raw,
} from '../common/validation.ts';
import { enqueueWebhookEvents, type WebhookEvent } from '../webhooks/webhooks.service.ts';
import { batchPayloadHash } from './batches.ts';
import { parseDerivation } from './derivations.ts';
import { MONTHS_IN } from './series.sql.ts';

export type MetricDefinitionRow = typeof metricDefinitions.$inferSelect;

/** The most rows one batch may carry. */
export const MAX_BATCH_ROWS = 10_000;

export interface MetricsAccess {
  actor: AuditActor;
  /** Units whose figures the caller may write: null for all, a path for a subtree. */
  writable: string | null | undefined;
}

// ---------------------------------------------------------------------------------------------
// Periods

const pad = (n: number) => String(n).padStart(2, '0');

/** Labels as other systems read them: 2012, 2012-Q1, 2012-03. */
export function periodLabel(granularity: Granularity, periodStart: string): string {
  const year = periodStart.slice(0, 4);
  const month = Number(periodStart.slice(5, 7));
  if (granularity === 'YEAR') return year;
  if (granularity === 'QUARTER') return `${year}-Q${Math.floor((month - 1) / 3) + 1}`;
  return `${year}-${pad(month)}`;
}

export function isAlignedPeriod(granularity: Granularity, periodStart: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(periodStart);
  if (!match || !isCalendarDay(periodStart)) return false;
  const month = Number(match[2]);
  if (match[3] !== '01' || month < 1 || month > 12) return false;
  return (month - 1) % MONTHS_IN[granularity] === 0;
}

// ---------------------------------------------------------------------------------------------
// Catalogue

const metricCode = z
  .string()
  .trim()
  .regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'must be upper-case letters, digits and underscores, starting with a letter');

const definitionFields = {
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  unit: z.string().trim().min(1, 'must not be empty').max(20, 'must be at most 20 characters'),
  kind: z.enum(metricKinds),
  aggregation: z.enum(metricAggregations),
  direction: z.enum(metricDirections),
  category: z.string().trim().max(64).nullish(),
  description: z.string().trim().max(2000).nullish(),
  reportingGranularity: z.enum(granularities),
  ownerOrgCode: z.string().nullish(),
  headline: z.boolean().nullish(),
};
const RATIO_SUMMED = 'a RATIO does not add up across units: use AVG, MAX, MIN or NONE';
const createDefinitionInput = z
  .object({
    code: metricCode,
    ...definitionFields,
    derivation: z.string().trim().nullish(),
    reportedAs: z.enum(metricReportings).nullish(),
    numeratorMetricCode: metricCode.nullish(),
    denominatorMetricCode: metricCode.nullish(),
    ratioMultiplier: decimalText.nullish(),
  })
  .superRefine((input, ctx) => {
    if (input.kind === 'RATIO' && input.aggregation === 'SUM') {
      ctx.addIssue({ code: 'custom', path: ['aggregation'], message: RATIO_SUMMED });
    }
    const parts = [input.numeratorMetricCode, input.denominatorMetricCode].filter((part) => part != null);
    if (parts.length === 1) {
      ctx.addIssue({
        code: 'custom',
        path: [input.numeratorMetricCode == null ? 'numeratorMetricCode' : 'denominatorMetricCode'],
        message: 'a recomputed ratio names both its numerator and its denominator',
      });
    }
    if (parts.length > 0 && input.kind !== 'RATIO') {
      ctx.addIssue({
        code: 'custom',
        path: ['kind'],
        message: 'only a RATIO is recomputed from a numerator and a denominator',
      });
    }
    if (parts.includes(input.code)) {
      ctx.addIssue({ code: 'custom', path: ['numeratorMetricCode'], message: 'a ratio cannot be its own part' });
    }
    if (input.ratioMultiplier != null && parts.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['ratioMultiplier'], message: 'applies to a recomputed ratio only' });
    }
    if (!input.derivation) return;
    if (parts.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['derivation'],
        message: 'a derived figure has no numerator and denominator',
      });
    }
    const parsed = parseDerivation(input.derivation);
    if ('error' in parsed) {
      ctx.addIssue({ code: 'custom', path: ['derivation'], message: parsed.error });
    } else {
      const { kind, aggregation } = parsed.derivation.requires ?? {};
      if (kind && input.kind !== kind) {
        ctx.addIssue({ code: 'custom', path: ['kind'], message: `${parsed.name} is a ${kind} figure` });
      }
      if (aggregation && input.aggregation !== aggregation) {
        ctx.addIssue({
          code: 'custom',
          path: ['aggregation'],
          message: `${parsed.name} needs aggregation ${aggregation}`,
        });
      }
    }
    if (input.reportingGranularity !== 'MONTH') {
      ctx.addIssue({
        code: 'custom',
        path: ['reportingGranularity'],
        message: 'a derived figure is computed by MONTH',
      });
    }
  });
const updateDefinitionInput = z.object({
  code: metricCode,
  name: definitionFields.name.optional(),
  unit: definitionFields.unit.optional(),
  aggregation: definitionFields.aggregation.optional(),
  direction: definitionFields.direction.optional(),
  category: definitionFields.category,
  description: definitionFields.description,
  ownerOrgCode: definitionFields.ownerOrgCode,
  // Left as it is when omitted or null.
  headline: definitionFields.headline.transform((value) => value ?? undefined),
});
export type CreateMetricDefinitionInput = Raw<z.input<typeof createDefinitionInput>>;
export type UpdateMetricDefinitionInput = Raw<z.input<typeof updateDefinitionInput>>;

async function organizationIdOf(tx: Executor, code: string | null | undefined) {
  if (!code) return null;
  const [row] = await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.code, code));
  if (!row) throw new NotFoundError('Organization', code);
  return row.id;
}

/** A recomputed ratio's part: an existing figure that is not itself a ratio. */
async function ratioPartId(tx: Executor, code: string | null | undefined, field: string) {
  if (!code) return null;
  const [part] = await tx.select().from(metricDefinitions).where(eq(metricDefinitions.code, code));
  if (!part) throw new NotFoundError('MetricDefinition', code);
  if (part.kind === 'RATIO')
    throw ValidationError.of(['input', field], `${code} is a RATIO; name a FLOW or STOCK figure`);
  return part.id;
}

export async function createMetricDefinition(db: Executor, actor: AuditActor, rawInput: CreateMetricDefinitionInput) {
  const { ownerOrgCode, numeratorMetricCode, denominatorMetricCode, ratioMultiplier, reportedAs, ...input } =
    parseInput(createDefinitionInput, rawInput);
  return inTransaction(db, async (tx) => {
    const [existing] = await tx
      .select({ id: metricDefinitions.id })
      .from(metricDefinitions)
      .where(eq(metricDefinitions.code, input.code));
    if (existing) throw new ConflictError(`metric ${input.code} already exists`, 'code');
    const derived = input.derivation ? parseDerivation(input.derivation) : null;
    if (derived && !('error' in derived) && derived.argument !== null) {
      const problem = await derived.derivation.argument?.check?.(tx, derived.argument);
      if (problem) throw ValidationError.of(['input', 'derivation'], problem);
    }
    const ownerOrganizationId = await organizationIdOf(tx, ownerOrgCode);
    const numeratorMetricId = await ratioPartId(tx, numeratorMetricCode, 'numeratorMetricCode');
    const denominatorMetricId = await ratioPartId(tx, denominatorMetricCode, 'denominatorMetricCode');
    const [next] = await tx
      .select({ n: sql<number>`coalesce(max(${metricDefinitions.sortOrder}) + 1, 0)`.mapWith(Number) })
      .from(metricDefinitions);
    const [created] = await tx
      .insert(metricDefinitions)
      .values({
        ...input,
        category: input.category ?? null,
        description: input.description ?? null,
        derivation: input.derivation ?? null,
        reportedAs: reportedAs ?? 'OWN',
        numeratorMetricId,
        denominatorMetricId,
        ratioMultiplier: ratioMultiplier ?? '1',
        headline: input.headline ?? false,
        ownerOrganizationId,
        sortOrder: next?.n ?? 0,
      })
      .returning();
    if (!created) throw new Error('insert returned no row');
    await writeAuditEvent(tx, actor, {
      operation: 'createMetricDefinition',
      entityType: 'MetricDefinition',
      entityId: created.id,
      after: created,
    });
    return created;
  });
}

/** Kind and reporting granularity are fixed once figures exist: changing them would reinterpret every stored figure. */
export async function updateMetricDefinition(db: Executor, actor: AuditActor, rawInput: UpdateMetricDefinitionInput) {
  const { code, ownerOrgCode, ...changes } = parseInput(updateDefinitionInput, rawInput);
  return inTransaction(db, async (tx) => {
    const [before] = await tx.select().from(metricDefinitions).where(eq(metricDefinitions.code, code)).for('update');
    if (!before) throw new NotFoundError('MetricDefinition', code);
    const derived = before.derivation ? parseDerivation(before.derivation) : null;
    const required = derived && !('error' in derived) ? derived.derivation.requires?.aggregation : undefined;
    if (required && changes.aggregation !== undefined && changes.aggregation !== required) {
      throw ValidationError.of(['input', 'aggregation'], `${before.derivation} needs aggregation ${required}`);
    }
    if (before.kind === 'RATIO' && changes.aggregation === 'SUM') {
      throw ValidationError.of(['input', 'aggregation'], RATIO_SUMMED);
    }
    const set: Partial<typeof metricDefinitions.$inferInsert> = Object.fromEntries(
      Object.entries(changes).filter(([, value]) => value !== undefined),
    );
    if (ownerOrgCode !== undefined) set.ownerOrganizationId = await organizationIdOf(tx, ownerOrgCode);
    const [after] = await tx
      .update(metricDefinitions)
      .set({ ...set, updatedAt: sql`now()` })
      .where(eq(metricDefinitions.id, before.id))
      .returning();
    if (!after) throw new Error('update returned no row');
    await writeAuditEvent(tx, actor, {
      operation: 'updateMetricDefinition',
      entityType: 'MetricDefinition',
      entityId: after.id,
      before,
      after,
    });
    return after;
  });
}

// ---------------------------------------------------------------------------------------------
// Targets

const targetInput = z.object({
  metricCode,
  orgCode: z.string().trim().min(1),
  granularity: z.enum(granularities),
  periodStart: calendarDay,
  value: decimalText,
});
export type SetMetricTargetInput = z.input<typeof targetInput>;

/**
 * Sets the target of one unit for one period as its next revision: the old target stays, so a
 * series read `asOf` an earlier instant uses the target as it stood then.
 */
export async function setMetricTarget(db: Executor, access: MetricsAccess, rawInput: SetMetricTargetInput) {
  const input = parseInput(targetInput, rawInput);
  if (!isAlignedPeriod(input.granularity, input.periodStart)) {
    throw ValidationError.of(['input', 'periodStart'], `must be the first day of a ${input.granularity.toLowerCase()}`);
  }
  return inTransaction(db, async (tx) => {
    const [metric] = await tx.select().from(metricDefinitions).where(eq(metricDefinitions.code, input.metricCode));
    if (!metric) throw new NotFoundError('MetricDefinition', input.metricCode);
    const [org] = await tx.select().from(organizations).where(eq(organizations.code, input.orgCode));
    if (!org) throw new NotFoundError('Organization', input.orgCode);
    if (!pathWithin(org.path, access.writable))
      throw ValidationError.of(['input', 'orgCode'], 'outside the units you may set figures for');
    // One writer per target at a time, so two concurrent changes become consecutive revisions.
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtext(${`metric_target:${metric.id}:${org.id}:${input.granularity}:${input.periodStart}`}))`,
    );
    const [before] = await tx
      .select()
      .from(metricTargets)
      .where(
        and(
          eq(metricTargets.metricId, metric.id),
          eq(metricTargets.organizationId, org.id),
          eq(metricTargets.granularity, input.granularity),
          eq(metricTargets.periodStart, input.periodStart),
        ),
      )
      .orderBy(desc(metricTargets.revision))
      .limit(1);
    const [after] = await tx
      .insert(metricTargets)
      .values({
        metricId: metric.id,
        organizationId: org.id,
        granularity: input.granularity,
        periodStart: input.periodStart,
        value: input.value,
        revision: (before?.revision ?? 0) + 1,
      })
      .returning();
    if (!after) throw new Error('target write returned no row');
    await writeAuditEvent(tx, access.actor, {
      operation: 'setMetricTarget',
      entityType: 'MetricTarget',
      entityId: after.id,
      before: before ?? null,
      after,
    });
    return after;
  });
}

// ---------------------------------------------------------------------------------------------
// Batch submission

export interface ObservationInput {
  metricCode: string;
  orgCode: string;
  periodStart: string;
  granularity: Granularity;
  value: string;
  source: string;
}

export interface RowError {
  index: number;
  field: string;
  code: 'BAD_USER_INPUT' | 'NOT_FOUND' | 'FORBIDDEN';
  message: string;
}

export interface BatchResult {
  batchId: number | null;
  accepted: number;
  rejected: number;
  /** True when the idempotency key was seen before with this payload: nothing was written now. */
  replayed: boolean;
  errors: RowError[];
}

/** The rows this call wrote (none for a replay), for announcing them once the transaction commits. */
export type WrittenObservation = MetricUpdateEvent;

/**
 * Writes a batch of observations from another system. Every row is checked; rows that pass are
 * written in one transaction as new revisions, rows that fail come back with their index, and the
 * batch is remembered under its idempotency key: the same key and payload answer the first result
 * again and write nothing, the same key with another payload is a ConflictError.
 */
export async function submitObservations(
  db: Executor,
  access: MetricsAccess,
  input: { idempotencyKey: string; observations: readonly ObservationInput[] },
): Promise<BatchResult & { written: WrittenObservation[] }> {
  const key = input.idempotencyKey.trim();
  if (key.length < 1 || key.length > 200)
    throw ValidationError.of(['input', 'idempotencyKey'], 'must be 1 to 200 characters');
  if (input.observations.length === 0)
    throw ValidationError.of(['input', 'observations'], 'must hold at least one row');
  if (input.observations.length > MAX_BATCH_ROWS) {
    throw ValidationError.of(['input', 'observations'], `must hold at most ${MAX_BATCH_ROWS} rows; split the batch`);
  }
  const payloadHash = batchPayloadHash(input.observations);

  for (let attempt = 1; ; attempt += 1) {
    try {
      return await inTransaction(db, (tx) => writeBatch(tx, access, key, payloadHash, input.observations), {
        passThrough: isRevisionRace,
      });
    } catch (error) {
      if (!isRevisionRace(error)) throw error;
      if (attempt >= MAX_BATCH_ATTEMPTS) {
        throw new ConflictError(
          'figures of the same metric, unit and period kept being written at the same time; send the batch again',
          'observations',
        );
      }
    }
  }
}

/**
 * Another batch took the revision this one computed (`max + 1` in the same instant; the unique
 * index waits for that batch to commit, then refuses), or, should it ever happen, the two waited
 * on each other. Either way the whole transaction runs again: it then reads the winner's rows and
 * writes the next revision. Rows are inserted in one order, so two batches never deadlock.
 */
export const isRevisionRace = (error: unknown) => {
  const pg = pgErrorOf(error);
  return (pg?.code === '23505' && isObservationRevisionKey(pg.constraint)) || pg?.code === '40P01';
};
/** A batch loses each attempt only to a batch that committed, so a few attempts are plenty. */
export const MAX_BATCH_ATTEMPTS = 8;

/**
 * Takes the sender's idempotency key for this transaction (one writer per key at a time; the
 * second waits, then finds the first's batch) and answers the batch written under it before, if any.
 */
export async function claimIdempotencyKey(tx: Executor, access: MetricsAccess, key: string) {
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtext(${`${access.actor.kind}:${access.actor.id ?? ''}:${key}`}))`,
  );
  const [previous] = await tx
    .select({ payloadHash: metricBatches.payloadHash, result: metricBatches.result })
    .from(metricBatches)
    .where(
      and(
        eq(metricBatches.actorKind, access.actor.kind),
        sql`coalesce(${metricBatches.actorId}, '') = ${access.actor.id ?? ''}`,
        eq(metricBatches.idempotencyKey, key),
      ),
    );
  return previous;
}

export interface ObservationLookups {
  metrics: Map<string, MetricDefinitionRow>;
  orgs: Map<string, { id: number; code: string; path: string }>;
}

/** The definitions and units a set of rows names, by code (two statements). */
export async function loadObservationLookups(
  tx: Executor,
  metricCodes: readonly string[],
  orgCodes: readonly string[],
): Promise<ObservationLookups> {
  const metricList = [...new Set(metricCodes)];
  const orgList = [...new Set(orgCodes)];
  const metricRows =
    metricList.length > 0
      ? await tx.select().from(metricDefinitions).where(inArray(metricDefinitions.code, metricList))
      : [];
  const orgRows =
    orgList.length > 0
      ? await tx
          .select({ id: organizations.id, code: organizations.code, path: organizations.path })
          .from(organizations)
          .where(inArray(organizations.code, orgList))
      : [];
  return {
    metrics: new Map(metricRows.map((m) => [m.code, m])),
    orgs: new Map(orgRows.map((o) => [o.code, o])),
  };
}

/** A row that passed every check, with its codes resolved. */
export interface CheckedObservation {
  metricId: number;
  organizationId: number;
  granularity: Granularity;
  periodStart: string;
  value: string;
  source: string;
}

/** The error of a row repeating row `first` (same metric, unit and period). */
export const repeatedRow = (first: number): Omit<RowError, 'index'> => ({
  field: 'periodStart',
  code: 'BAD_USER_INPUT',
  message: `repeats row ${first} (same metric, unit and period)`,
});

/**
 * The input rules of one observation (every path that writes observations checks rows here):
 * the row resolved, or its first error pushed onto `errors` under `index`. A repeated row is the
 * caller's to find, since it depends on the rows before it.
 */
export function checkObservation(
  row: ObservationInput,
  index: number,
  lookups: ObservationLookups,
  access: MetricsAccess,
  now: string,
  errors: RowError[],
): CheckedObservation | undefined {
  const fail = (field: string, code: RowError['code'], message: string) => {
    errors.push({ index, field, code, message });
    return undefined;
  };
  const metric = lookups.metrics.get(row.metricCode);
  if (!metric) return fail('metricCode', 'NOT_FOUND', `no metric ${row.metricCode}`);
  const org = lookups.orgs.get(row.orgCode);
  if (!org) return fail('orgCode', 'NOT_FOUND', `no unit ${row.orgCode}`);
  if (metric.derivation) {
    return fail(
      'metricCode',
      'BAD_USER_INPUT',
      `${metric.code} is computed from the platform's data (${metric.derivation})`,
    );
  }
  if (!pathWithin(org.path, access.writable)) {
    return fail('orgCode', 'FORBIDDEN', `${row.orgCode} is outside the units you may report for`);
  }
  if (row.granularity !== metric.reportingGranularity) {
    return fail('granularity', 'BAD_USER_INPUT', `${metric.code} is reported by ${metric.reportingGranularity}`);
  }
  if (!isCalendarDay(row.periodStart)) return fail('periodStart', 'BAD_USER_INPUT', CALENDAR_DAY_MESSAGE);
  if (!isAlignedPeriod(row.granularity, row.periodStart)) {
    return fail('periodStart', 'BAD_USER_INPUT', `must be the first day of a ${row.granularity.toLowerCase()}`);
  }
  if (row.periodStart > now) return fail('periodStart', 'BAD_USER_INPUT', 'the period has not started yet');
  if (!isDecimalText(row.value)) return fail('value', 'BAD_USER_INPUT', DECIMAL_MESSAGE);
  const source = row.source.trim();
  if (source.length === 0 || source.length > 200)
    return fail('source', 'BAD_USER_INPUT', 'must be 1 to 200 characters');
  return {
    metricId: metric.id,
    organizationId: org.id,
    granularity: row.granularity,
    periodStart: row.periodStart,
    value: row.value,
    source,
  };
}

/**
 * The one statement that writes observations, for every path that does: the checked rows of
 * `rows` (a FROM item naming metric_id, organization_id, granularity, period_start, value and
 * source) as the next revision of each (metric, unit, period) — a figure sent again is a new
 * revision, never an overwrite. The caller may append a RETURNING clause.
 */
export function insertRevisions(rows: SQL, batchId: number, actor: AuditActor): SQL {
  return sql`insert into metric_observations
      (metric_id, organization_id, granularity, period_start, value, revision, source, batch_id, submitted_by_kind, submitted_by_id)
    select r.metric_id, r.organization_id, r.granularity, r.period_start, r.value,
           coalesce((select max(o.revision) from metric_observations o
                     where o.metric_id = r.metric_id and o.organization_id = r.organization_id
                       and o.granularity = r.granularity and o.period_start = r.period_start), 0) + 1,
           r.source, ${batchId}, ${actor.kind}::actor_kind, ${actor.id}
    from ${rows}
    -- One order for every batch: two batches writing the same figures meet at the first one.
    order by r.metric_id, r.organization_id, r.granularity, r.period_start`;
}

async function writeBatch(
  tx: Executor,
  access: MetricsAccess,
  key: string,
  payloadHash: string,
  observations: readonly ObservationInput[],
): Promise<BatchResult & { written: WrittenObservation[] }> {
  const previous = await claimIdempotencyKey(tx, access, key);
  if (previous) {
    if (previous.payloadHash !== payloadHash) {
      throw new ConflictError(`idempotency key ${key} was used for a different batch`, 'idempotencyKey');
    }
    return { ...(previous.result as BatchResult), replayed: true, written: [] };
  }

  const { metrics, orgs } = await loadObservationLookups(
    tx,
    observations.map((row) => row.metricCode),
    observations.map((row) => row.orgCode),
  );
  const errors: RowError[] = [];
  const accepted: CheckedObservation[] = [];
  const seen = new Map<string, number>();
  const now = today();
  for (const [index, row] of observations.entries()) {
    const checked = checkObservation(row, index, { metrics, orgs }, access, now, errors);
    if (!checked) continue;
    const identity = `${checked.metricId}|${checked.organizationId}|${checked.periodStart}`;
    const first = seen.get(identity);
    if (first !== undefined) {
      errors.push({ index, ...repeatedRow(first) });
      continue;
    }
    seen.set(identity, index);
    accepted.push(checked);
  }

  const [batch] = await tx
    .insert(metricBatches)
    .values({ idempotencyKey: key, actorKind: access.actor.kind, actorId: access.actor.id, payloadHash, result: {} })
    .returning({ id: metricBatches.id });
  if (!batch) throw new Error('batch row was not written');

  let revisions: { ordinality: number; revision: number }[] = [];
  if (accepted.length > 0) {
    // One statement for all rows: each gets the next revision of its (metric, unit, period).
    const inserted = await tx.execute(sql`
      with written as (${insertRevisions(
        sql`unnest(
          ${sql.param(accepted.map((r) => r.metricId))}::int[],
          ${sql.param(accepted.map((r) => r.organizationId))}::int[],
          ${sql.param(accepted.map((r) => r.granularity))}::text[]::granularity[],
          ${sql.param(accepted.map((r) => r.periodStart))}::text[]::date[],
          ${sql.param(accepted.map((r) => r.value))}::text[]::numeric[],
          ${sql.param(accepted.map((r) => r.source))}::text[]
        ) as r(metric_id, organization_id, granularity, period_start, value, source)`,
        batch.id,
        access.actor,
      )} returning revision, metric_id, organization_id, period_start)
      select r.ordinality::int as ordinality, w.revision
      from written w
      join unnest(${sql.param(accepted.map((r) => r.metricId))}::int[],
                  ${sql.param(accepted.map((r) => r.organizationId))}::int[],
                  ${sql.param(accepted.map((r) => r.periodStart))}::text[]::date[])
           with ordinality as r(metric_id, organization_id, period_start, ordinality)
        on r.metric_id = w.metric_id and r.organization_id = w.organization_id and r.period_start = w.period_start`);
    revisions = rowsOf<{ ordinality: number; revision: number }>(inserted);
  }

  const result: BatchResult = {
    batchId: batch.id,
    accepted: accepted.length,
    rejected: errors.length,
    replayed: false,
    errors,
  };
  await tx.update(metricBatches).set({ result }).where(eq(metricBatches.id, batch.id));
  await writeAuditEvent(tx, access.actor, {
    operation: 'submitMetricObservations',
    entityType: 'MetricBatch',
    entityId: batch.id,
    after: { idempotencyKey: key, accepted: result.accepted, rejected: result.rejected },
  });
  const revisionAt = new Map(revisions.map((row) => [Number(row.ordinality), Number(row.revision)]));
  const codeOfMetric = new Map([...metrics.values()].map((m) => [m.id, m.code]));
  const unitById = new Map([...orgs.values()].map((o) => [o.id, o]));
  const written = accepted.map((row, index) => ({
    metricCode: codeOfMetric.get(row.metricId) ?? '',
    orgCode: unitById.get(row.organizationId)?.code ?? '',
    orgPath: unitById.get(row.organizationId)?.path ?? '',
    granularity: row.granularity,
    periodStart: row.periodStart,
    value: row.value,
    revision: revisionAt.get(index + 1) ?? 1,
    source: row.source,
    batchId: batch.id,
  }));
  await enqueueWebhookEvents(tx, batchAcceptedEvents(batch.id, accepted, written));
  return { ...result, written };
}

/** One OBSERVATION_BATCH_ACCEPTED event per unit of a batch, so an endpoint's subtree decides which figures it sees. */
function batchAcceptedEvents(
  batchId: number,
  accepted: readonly { organizationId: number }[],
  written: readonly WrittenObservation[],
): WebhookEvent[] {
  const byUnit = new Map<number, WrittenObservation[]>();
  written.forEach((row, index) => {
    const unitId = accepted[index]?.organizationId;
    if (unitId === undefined) return;
    byUnit.set(unitId, [...(byUnit.get(unitId) ?? []), row]);
  });
  return [...byUnit].map(([organizationId, rows]) => ({
    type: 'OBSERVATION_BATCH_ACCEPTED',
    organizationId,
    data: {
      batchId,
      observations: rows.map((row) => ({
        metricCode: row.metricCode,
        granularity: row.granularity,
        periodStart: row.periodStart,
        value: row.value,
        revision: row.revision,
        source: row.source,
      })),
    },
  }));
}
