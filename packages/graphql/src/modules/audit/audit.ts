import { drizzleConnectionHelpers } from '@pothos/plugin-drizzle';
import { type ActorKind, actorKinds, auditEvents } from '@sixtype/db';
import { gte, lt, sql } from 'drizzle-orm';
import { builder } from '../../builder.ts';
import {
  enumFilterSql,
  type LogicalFilter,
  logicalFilterSql,
  StringFilter,
  type StringFilterInput,
  stringFilterSql,
} from '../common/filters.ts';
import { resolveRootConnection, totalCountField } from '../common/pagination.ts';

export const AuditActorKind = builder.enumType('AuditActorKind', {
  description: 'Who made a change: a signed-in person, an API client, the system itself (CLI, demo loader).',
  values: actorKinds,
});

export const AuditEvent = builder.drizzleNode('auditEvents', {
  name: 'AuditEvent',
  description:
    'One change, written in the transaction that made it. `before`/`after` are the changed record as JSON; secrets (password and key hashes) are never part of them.',
  id: { column: (event) => event.id },
  // Only the columns a query asks for: before/after can be large and a list rarely needs them.
  select: {},
  authScopes: { admin: true },
  fields: (t) => ({
    occurredAt: t.expose('occurredAt', { type: 'DateTime' }),
    actorKind: t.expose('actorKind', { type: AuditActorKind }),
    actorId: t.exposeString('actorId', {
      nullable: true,
      description: 'The user id or API client id (as stored), or the name of a SYSTEM caller such as `cli:<account>`.',
    }),
    operation: t.exposeString('operation', { description: 'The mutation or command: createCadre, login, …' }),
    entityType: t.exposeString('entityType', { description: 'Organization, Cadre, User, ApiClient, Session, …' }),
    entityId: t.exposeString('entityId', { description: 'The changed row’s database id (not a global id).' }),
    before: t.field({
      type: 'JSON',
      nullable: true,
      select: { columns: { before: true } },
      resolve: (event) => event.before,
    }),
    after: t.field({
      type: 'JSON',
      nullable: true,
      select: { columns: { after: true } },
      resolve: (event) => event.after,
    }),
  }),
});

export interface DateTimeRangeInput {
  from?: string | null;
  to?: string | null;
}

export const DateTimeRange = builder.inputRef<DateTimeRangeInput>('DateTimeRange').implement({
  description: 'Instants from `from` (inclusive) to `to` (exclusive); either end may be left open.',
  fields: (t) => ({
    from: t.field({ type: 'DateTime' }),
    to: t.field({ type: 'DateTime' }),
  }),
});

const AuditActorKindFilter = builder.inputType('AuditActorKindFilter', {
  fields: (t) => ({
    equalTo: t.field({ type: AuditActorKind }),
    in: t.field({ type: [AuditActorKind] }),
  }),
});

export interface AuditEventFilterInput extends LogicalFilter<AuditEventFilterInput> {
  entityType?: StringFilterInput | null;
  entityId?: StringFilterInput | null;
  operation?: StringFilterInput | null;
  actorKind?: { equalTo?: ActorKind | null; in?: readonly ActorKind[] | null } | null;
  actorId?: StringFilterInput | null;
  occurredAt?: DateTimeRangeInput | null;
}

export const AuditEventFilter = builder.inputRef<AuditEventFilterInput>('AuditEventFilter').implement({
  description: 'Conditions on audit events; fields, and/or/not all combine with AND.',
  fields: (t) => ({
    entityType: t.field({ type: StringFilter }),
    entityId: t.field({ type: StringFilter }),
    operation: t.field({ type: StringFilter }),
    actorKind: t.field({ type: AuditActorKindFilter }),
    actorId: t.field({ type: StringFilter }),
    occurredAt: t.field({ type: DateTimeRange }),
    and: t.field({ type: [AuditEventFilter] }),
    or: t.field({ type: [AuditEventFilter] }),
    not: t.field({ type: AuditEventFilter }),
  }),
});

export function auditEventFilterSql(table: typeof auditEvents, filter: AuditEventFilterInput | null | undefined) {
  return logicalFilterSql(filter, (f) => [
    stringFilterSql(table.entityType, f.entityType),
    stringFilterSql(table.entityId, f.entityId),
    stringFilterSql(table.operation, f.operation),
    enumFilterSql(table.actorKind, f.actorKind),
    stringFilterSql(table.actorId, f.actorId),
    f.occurredAt?.from != null ? gte(table.occurredAt, f.occurredAt.from) : undefined,
    f.occurredAt?.to != null ? lt(table.occurredAt, f.occurredAt.to) : undefined,
  ]);
}

// Newest first. The identity id follows insertion order and is the primary key, so it alone is a
// stable cursor (occurred_at is the transaction's start and can tie or run out of order).
const auditEventPages = drizzleConnectionHelpers(builder, 'auditEvents', {
  query: () => ({ orderBy: { id: 'desc' } }),
});

builder.queryFields((t) => ({
  auditEvents: t.connection(
    {
      type: AuditEvent,
      description:
        'The audit log, newest first: who changed what, when, with the record before and after. Admins only.',
      authScopes: { admin: true },
      args: { filter: t.arg({ type: AuditEventFilter }) },
      resolve: (_root, args, ctx, info) =>
        resolveRootConnection({
          t,
          tableName: 'auditEvents',
          table: auditEvents,
          pages: auditEventPages,
          args,
          ctx,
          info,
          condition: (table) => auditEventFilterSql(table, args.filter) ?? sql`true`,
        }),
    },
    {
      name: 'AuditEventConnection',
      fields: (c) => ({
        totalCount: c.int(totalCountField),
      }),
    },
  ),
}));
