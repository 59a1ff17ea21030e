import { drizzleConnectionHelpers } from '@pothos/plugin-drizzle';
import { cadreStatuses, cadres, genders } from '@sixtype/db';
import { and, sql } from 'drizzle-orm';
import { builder, type PothosTypes } from '../../builder.ts';
import { directorySubtree, writeAccessOf } from '../../context.ts';
import { mutationErrors } from '../common/errors.ts';
import {
  BooleanFilter,
  booleanFilterSql,
  enumFilterSql,
  type LogicalFilter,
  logicalFilterSql,
  StringFilter,
  type StringFilterInput,
  stringFilterSql,
} from '../common/filters.ts';
import { assertPageSize, resolveRootConnection, totalCountField } from '../common/pagination.ts';
import { unitScopeSql } from '../common/scope.ts';
import {
  assertOrganizationExists,
  type CadreRow,
  type CadreTransferRow,
  cadreVisibleSql,
  createCadre,
  employeeNumberArg,
  orgCodeArg,
  transferCadre,
  updateCadre,
} from './directory.service.ts';
import { Organization } from './organization.ts';

export const CadreStatus = builder.enumType('CadreStatus', { values: cadreStatuses });
export const Gender = builder.enumType('Gender', { values: genders });
export const CadreOrder = builder.enumType('CadreOrder', {
  description: 'Sort order of cadre lists; ties are broken by id so paging is stable.',
  values: {
    NAME: { value: 'name' },
    EMPLOYEE_NUMBER: { value: 'employeeNumber' },
  } as const,
});

/** What the type-level selection adds to every cadre row. */
interface VisibleCadre {
  employeeNumber: string;
  name: string;
  organizationPath: string;
}

/** 13800001234 → 138****1234: enough to recognise a number without disclosing it. */
export function maskPhone(phone: string | null): string | null {
  if (!phone) return null;
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 7) return '****';
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
}

export const Cadre = builder.drizzleNode('cadres', {
  name: 'Cadre',
  description: 'A cadre (干部) of one unit.',
  id: { column: (cadre) => cadre.id },
  // Every cadre row carries its unit's path, so each object is checked against the viewer's
  // subtree wherever it is reached (lists, relations, node(id), mutation payloads). The queries
  // already filter by the same rule in SQL; this check is the second lock on the same door.
  //
  // The number and the name are on every row: nearly every query asks for them, and a field read
  // straight off the row skips the drizzle plugin's per-field bookkeeping that an exposed column
  // of a selecting object pays on every row of a list (S2's 1,300 cadres).
  select: {
    columns: { employeeNumber: true, name: true },
    extras: {
      organizationPath: (table) =>
        sql<string>`(select cadre_unit.path::text from organizations cadre_unit where cadre_unit.id = ${table.organizationId})`,
    },
  },
  authScopes: (cadre) => ({ cadreVisible: cadre.organizationPath ?? '' }),
  fields: (t) => ({
    employeeNumber: t.string({ resolve: (cadre) => cadre.employeeNumber }),
    name: t.string({ resolve: (cadre) => cadre.name }),
    gender: t.expose('gender', { type: Gender }),
    position: t.exposeString('position', { nullable: true, description: '职务' }),
    rank: t.exposeString('rank', { nullable: true, description: '职级' }),
    isLeader: t.exposeBoolean('isLeader', { description: '领导干部' }),
    isPartyMember: t.exposeBoolean('isPartyMember', { description: '党员' }),
    status: t.expose('status', { type: CadreStatus }),
    phone: t.exposeString('phone', {
      nullable: true,
      description:
        'Personal data: null unless the viewer may read it (an admin, a manager of the unit, the cadre themself, or an API client with directory:personal).',
      authScopes: (cadre) => ({
        personalData: { id: cadre.id, organizationPath: (cadre as unknown as VisibleCadre).organizationPath },
      }),
      unauthorizedResolver: () => null,
    }),
    phoneMasked: t.string({
      nullable: true,
      description: 'The phone number with its middle digits hidden (138****1234), for lists and reminders.',
      select: { columns: { phone: true } },
      resolve: (cadre) => maskPhone(cadre.phone),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    organization: t.relation('organization'),
    transfers: t.relation('transfers', {
      description: 'Moves between units, oldest first.',
      query: { orderBy: { id: 'asc' } },
    }),
  }),
});

const CadreTransfer = builder.drizzleObject('cadreTransfers', {
  name: 'CadreTransfer',
  fields: (t) => ({
    fromOrganization: t.relation('fromOrganization'),
    toOrganization: t.relation('toOrganization'),
    effectiveOn: t.expose('effectiveOn', { type: 'Date' }),
    reason: t.exposeString('reason', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export interface CadreFilterInput extends LogicalFilter<CadreFilterInput> {
  name?: StringFilterInput | null;
  employeeNumber?: StringFilterInput | null;
  position?: StringFilterInput | null;
  status?: {
    equalTo?: (typeof cadreStatuses)[number] | null;
    in?: readonly (typeof cadreStatuses)[number][] | null;
  } | null;
  isLeader?: { equalTo?: boolean | null } | null;
  isPartyMember?: { equalTo?: boolean | null } | null;
}

const CadreStatusFilter = builder.inputType('CadreStatusFilter', {
  fields: (t) => ({
    equalTo: t.field({ type: CadreStatus }),
    in: t.field({ type: [CadreStatus] }),
  }),
});

export const CadreFilter = builder.inputRef<CadreFilterInput>('CadreFilter').implement({
  description: 'Conditions on cadres; fields, and/or/not all combine with AND.',
  fields: (t) => ({
    name: t.field({ type: StringFilter }),
    employeeNumber: t.field({ type: StringFilter }),
    position: t.field({ type: StringFilter }),
    status: t.field({ type: CadreStatusFilter }),
    isLeader: t.field({ type: BooleanFilter }),
    isPartyMember: t.field({ type: BooleanFilter }),
    and: t.field({ type: [CadreFilter] }),
    or: t.field({ type: [CadreFilter] }),
    not: t.field({ type: CadreFilter }),
  }),
});

export function cadreFilterSql(table: typeof cadres, filter: CadreFilterInput | null | undefined) {
  return logicalFilterSql(filter, (f) => [
    stringFilterSql(table.name, f.name),
    stringFilterSql(table.employeeNumber, f.employeeNumber),
    stringFilterSql(table.position, f.position),
    enumFilterSql(table.status, f.status),
    booleanFilterSql(table.isLeader, f.isLeader),
    booleanFilterSql(table.isPartyMember, f.isPartyMember),
  ]);
}

type CadreOrderKey = 'name' | 'employeeNumber';
const cadreOrderBy = (key: CadreOrderKey | null | undefined) => ({ [key ?? 'name']: 'asc' as const });

const cadreListArgs = {
  filter: builder.args((t) => ({ filter: t.field({ type: CadreFilter }) })),
};

builder.drizzleObjectField(Organization, 'cadres', (t) =>
  t.relatedConnection(
    'cadres',
    {
      description: 'Cadres of this unit (not of units below it).',
      totalCount: true,
      args: {
        ...cadreListArgs.filter,
        orderBy: t.arg({ type: CadreOrder, defaultValue: 'name' }),
      },
      query: (args, ctx) => {
        assertPageSize(args);
        return {
          where: {
            RAW: (table) =>
              and(cadreFilterSql(table, args.filter), cadreVisibleSql(table, directorySubtree(ctx.viewer))) ??
              sql`true`,
          },
          orderBy: cadreOrderBy(args.orderBy),
        };
      },
    },
    { name: 'OrganizationCadresConnection' },
  ),
);

const cadreOrderArgs = builder.args((t) => ({ orderBy: t.field({ type: CadreOrder, defaultValue: 'name' }) }));
type CadrePage = { edges: { cursor: string; node: VisibleCadre }[]; pageInfo: PageInfoShape; totalCount: number };
interface PageInfoShape {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

const cadrePages = drizzleConnectionHelpers(builder, 'cadres', {
  args: () => cadreOrderArgs,
  query: (args) => ({ orderBy: cadreOrderBy(args.orderBy) }),
});

builder.queryFields((t) => ({
  cadre: t.drizzleField({
    type: 'cadres',
    nullable: true,
    description: 'A cadre by employee number; null when there is none.',
    authScopes: { directoryRead: true },
    args: { employeeNumber: t.arg.string({ required: true, validate: employeeNumberArg }) },
    resolve: (query, _root, args, ctx) =>
      ctx.db.query.cadres.findFirst(
        query({
          where: {
            employeeNumber: args.employeeNumber,
            RAW: (table) => cadreVisibleSql(table, directorySubtree(ctx.viewer)) ?? sql`true`,
          },
        }),
      ),
  }),
  cadres: t.connection(
    {
      type: Cadre,
      description:
        'Cadres matching `filter`. With `orgCode`, only cadres of that unit, or with `includeDescendants` of that unit and every unit below it.',
      authScopes: { directoryRead: true },
      args: {
        ...cadrePages.getArgs(),
        filter: t.arg({ type: CadreFilter }),
        orgCode: t.arg.string({ validate: orgCodeArg }),
        includeDescendants: t.arg.boolean({ defaultValue: false }),
      },
      resolve: (_root, args, ctx, info) =>
        // The rows carry the Cadre type's own selection (organizationPath), planned from the
        // document; the helper's types only know the table's columns.
        resolveRootConnection({
          t,
          tableName: 'cadres',
          table: cadres,
          pages: cadrePages,
          args,
          ctx,
          info,
          condition: (table) =>
            and(
              cadreFilterSql(table, args.filter),
              unitScopeSql(table.organizationId, {
                orgCode: args.orgCode,
                includeDescendants: args.includeDescendants,
              }),
              cadreVisibleSql(table, directorySubtree(ctx.viewer)),
            ) ?? sql`true`,
          assertScopeExists: args.orgCode ? () => assertOrganizationExists(ctx.db, args.orgCode as string) : undefined,
        }) as unknown as Promise<CadrePage>,
    },
    {
      name: 'CadreConnection',
      fields: (c) => ({
        totalCount: c.int(totalCountField),
      }),
    },
  ),
}));

const CreateCadreInput = builder.inputType('CreateCadreInput', {
  fields: (t) => ({
    employeeNumber: t.string({ required: true }),
    organizationCode: t.string({ required: true }),
    name: t.string({ required: true }),
    gender: t.field({ type: Gender, required: true }),
    position: t.string(),
    rank: t.string(),
    isLeader: t.boolean(),
    isPartyMember: t.boolean(),
    phone: t.string(),
  }),
});

const UpdateCadreInput = builder.inputType('UpdateCadreInput', {
  description:
    'Fields left out stay as they are; `null` clears an optional field. Use transferCadre to change the unit.',
  fields: (t) => ({
    employeeNumber: t.string({ required: true, description: 'The cadre to change.' }),
    name: t.string(),
    gender: t.field({ type: Gender }),
    position: t.string(),
    rank: t.string(),
    isLeader: t.boolean(),
    isPartyMember: t.boolean(),
    status: t.field({ type: CadreStatus }),
    phone: t.string(),
  }),
});

const TransferCadreInput = builder.inputType('TransferCadreInput', {
  fields: (t) => ({
    employeeNumber: t.string({ required: true }),
    toOrganizationCode: t.string({ required: true }),
    effectiveOn: t.field({ type: 'Date', required: true }),
    reason: t.string(),
  }),
});

/**
 * A payload's cadre is read back through the planner, after the write, so that it carries what
 * every Cadre carries (its unit's path for the visibility check) and its selection is one query.
 */
const reloadedCadre = (t: PayloadFieldBuilder) =>
  t.drizzleField({
    type: 'cadres',
    resolve: (query, payload, _args, ctx) =>
      ctx.db.query.cadres
        .findFirst(query({ where: { id: payload.cadre.id } }))
        .then((row) => row ?? Promise.reject(new Error(`cadre ${payload.cadre.id} vanished after its write`))),
  });
type PayloadFieldBuilder = PothosSchemaTypes.ObjectFieldBuilder<
  PothosSchemaTypes.ExtendDefaultTypes<PothosTypes>,
  { cadre: CadreRow }
>;

const CadrePayload = (name: string) =>
  builder.objectRef<{ cadre: CadreRow }>(name).implement({
    fields: (t) => ({ cadre: reloadedCadre(t) }),
  });

const TransferCadrePayload = builder
  .objectRef<{ cadre: CadreRow; transfer: CadreTransferRow }>('TransferCadrePayload')
  .implement({
    fields: (t) => ({
      cadre: reloadedCadre(t),
      transfer: t.field({ type: CadreTransfer, resolve: (payload) => payload.transfer }),
    }),
  });

builder.mutationFields((t) => ({
  createCadre: t.field({
    type: CadrePayload('CreateCadrePayload'),
    authScopes: { directoryWrite: true },
    args: { input: t.arg({ type: CreateCadreInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'CreateCadreResult' } },
    resolve: async (_root, { input }, ctx) => ({ cadre: await createCadre(ctx.db, writeAccessOf(ctx.viewer), input) }),
  }),
  updateCadre: t.field({
    type: CadrePayload('UpdateCadrePayload'),
    authScopes: { directoryWrite: true },
    args: { input: t.arg({ type: UpdateCadreInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'UpdateCadreResult' } },
    resolve: async (_root, { input }, ctx) => ({ cadre: await updateCadre(ctx.db, writeAccessOf(ctx.viewer), input) }),
  }),
  transferCadre: t.field({
    type: TransferCadrePayload,
    description: 'Moves a cadre to another unit and records the move in the cadre’s transfers.',
    authScopes: { directoryWrite: true },
    args: { input: t.arg({ type: TransferCadreInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'TransferCadreResult' } },
    resolve: (_root, { input }, ctx) => transferCadre(ctx.db, writeAccessOf(ctx.viewer), input),
  }),
}));
