import { drizzleConnectionHelpers } from '@pothos/plugin-drizzle';
import { organizationKinds, organizations } from '@sixtype/db';
import { and, sql } from 'drizzle-orm';
import { builder } from '../../builder.ts';
import { writeAccessOf } from '../../context.ts';
import { mutationErrors } from '../common/errors.ts';
import {
  enumFilterSql,
  type LogicalFilter,
  logicalFilterSql,
  StringFilter,
  type StringFilterInput,
  stringFilterSql,
} from '../common/filters.ts';
import { resolveRootConnection, totalCountField } from '../common/pagination.ts';
import {
  assertOrganizationExists,
  createOrganization,
  moveOrganization,
  type OrganizationRow,
  organizationScopeSql,
  orgCodeArg,
  updateOrganization,
} from './directory.service.ts';

export const OrganizationKind = builder.enumType('OrganizationKind', {
  description: 'ZONE is the root of a tree: the zone as a whole.',
  values: organizationKinds,
});

export const Organization = builder.drizzleNode('organizations', {
  name: 'Organization',
  description: 'A unit of the zone: the zone itself, its committees, departments, offices and sub-district offices.',
  id: { column: (org) => org.id },
  // The org chart is not personal data: metrics readers see the units their figures belong to.
  // Cadres under a unit keep their own rule (cadreVisible), so this opens no cadre.
  authScopes: { directoryRead: true, metricsRead: true },
  // Only the columns a query asks for, but the code and the name on every row, read straight off
  // it (as Cadre's number and name are, see there).
  select: { columns: { code: true, name: true } },
  fields: (t) => ({
    code: t.string({
      description: 'Stable natural key, used by other systems (ZONE, PETITION_OFFICE).',
      resolve: (org) => org.code,
    }),
    name: t.string({ resolve: (org) => org.name }),
    kind: t.expose('kind', { type: OrganizationKind }),
    sortOrder: t.exposeInt('sortOrder', { description: 'Position among its siblings.' }),
    depth: t.int({
      description: 'Steps below the root: 0 for a ZONE.',
      select: { columns: { path: true } },
      resolve: (org) => org.path.split('.').length - 1,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    parent: t.relation('parent', { nullable: true }),
    ancestors: t.relation('ancestors', {
      description: 'Units above this one, from the root down to the parent.',
      // A path sorts after each of its prefixes, so ascending path order runs root first.
      query: { orderBy: { path: 'asc' } },
    }),
    children: t.relation('children', {
      description: 'Units directly below, in their sort order.',
      query: { orderBy: { sortOrder: 'asc', id: 'asc' } },
    }),
  }),
});

export interface OrganizationFilterInput extends LogicalFilter<OrganizationFilterInput> {
  code?: StringFilterInput | null;
  name?: StringFilterInput | null;
  kind?: {
    equalTo?: (typeof organizationKinds)[number] | null;
    in?: readonly (typeof organizationKinds)[number][] | null;
  } | null;
}

const OrganizationKindFilter = builder.inputType('OrganizationKindFilter', {
  fields: (t) => ({
    equalTo: t.field({ type: OrganizationKind }),
    in: t.field({ type: [OrganizationKind] }),
  }),
});

export const OrganizationFilter = builder.inputRef<OrganizationFilterInput>('OrganizationFilter').implement({
  description: 'Conditions on units; fields, and/or/not all combine with AND.',
  fields: (t) => ({
    code: t.field({ type: StringFilter }),
    name: t.field({ type: StringFilter }),
    kind: t.field({ type: OrganizationKindFilter }),
    and: t.field({ type: [OrganizationFilter] }),
    or: t.field({ type: [OrganizationFilter] }),
    not: t.field({ type: OrganizationFilter }),
  }),
});

export function organizationFilterSql(table: typeof organizations, filter: OrganizationFilterInput | null | undefined) {
  return logicalFilterSql(filter, (f) => [
    stringFilterSql(table.code, f.code),
    stringFilterSql(table.name, f.name),
    enumFilterSql(table.kind, f.kind),
  ]);
}

const organizationPages = drizzleConnectionHelpers(builder, 'organizations', {
  query: () => ({ orderBy: { sortOrder: 'asc', id: 'asc' } }),
});

builder.queryFields((t) => ({
  organization: t.drizzleField({
    type: 'organizations',
    nullable: true,
    description: 'A unit by its code; null when no unit has it.',
    authScopes: { directoryRead: true },
    args: { code: t.arg.string({ required: true, validate: orgCodeArg }) },
    resolve: (query, _root, args, ctx) => ctx.db.query.organizations.findFirst(query({ where: { code: args.code } })),
  }),
  organizations: t.connection(
    {
      type: Organization,
      description:
        'Units matching `filter`, ordered by sort order. With `orgCode`, only that unit, or with `includeDescendants` the unit and everything below it.',
      authScopes: { directoryRead: true },
      args: {
        filter: t.arg({ type: OrganizationFilter }),
        orgCode: t.arg.string({ validate: orgCodeArg }),
        includeDescendants: t.arg.boolean({ defaultValue: false }),
      },
      resolve: (_root, args, ctx, info) =>
        resolveRootConnection({
          t,
          tableName: 'organizations',
          table: organizations,
          pages: organizationPages,
          args,
          ctx,
          info,
          condition: (table) =>
            and(organizationFilterSql(table, args.filter), organizationScopeSql(table, args)) ?? sql`true`,
          assertScopeExists: args.orgCode ? () => assertOrganizationExists(ctx.db, args.orgCode as string) : undefined,
        }),
    },
    {
      name: 'OrganizationConnection',
      fields: (c) => ({
        totalCount: c.int(totalCountField),
      }),
    },
  ),
}));

const CreateOrganizationInput = builder.inputType('CreateOrganizationInput', {
  fields: (t) => ({
    code: t.string({ required: true, description: 'Upper-case natural key; cannot be changed later.' }),
    name: t.string({ required: true }),
    kind: t.field({ type: OrganizationKind, required: true }),
    parentCode: t.string({ description: 'Required for every kind except ZONE.' }),
    sortOrder: t.int({ description: 'Defaults to after the last sibling.' }),
  }),
});

const UpdateOrganizationInput = builder.inputType('UpdateOrganizationInput', {
  fields: (t) => ({
    code: t.string({ required: true, description: 'The unit to change.' }),
    name: t.string(),
    kind: t.field({ type: OrganizationKind }),
    sortOrder: t.int(),
  }),
});

const MoveOrganizationInput = builder.inputType('MoveOrganizationInput', {
  fields: (t) => ({
    code: t.string({ required: true }),
    newParentCode: t.string({ required: true }),
    sortOrder: t.int({ description: 'Defaults to after the last sibling under the new parent.' }),
  }),
});

const OrganizationPayload = (name: string) =>
  builder.objectRef<{ organization: OrganizationRow }>(name).implement({
    fields: (t) => ({ organization: t.field({ type: Organization, resolve: (payload) => payload.organization }) }),
  });

builder.mutationFields((t) => ({
  createOrganization: t.field({
    type: OrganizationPayload('CreateOrganizationPayload'),
    authScopes: { directoryWrite: true },
    args: { input: t.arg({ type: CreateOrganizationInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'CreateOrganizationResult' } },
    resolve: async (_root, { input }, ctx) => ({
      organization: await createOrganization(ctx.db, writeAccessOf(ctx.viewer), input),
    }),
  }),
  updateOrganization: t.field({
    type: OrganizationPayload('UpdateOrganizationPayload'),
    authScopes: { directoryWrite: true },
    args: { input: t.arg({ type: UpdateOrganizationInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'UpdateOrganizationResult' } },
    resolve: async (_root, { input }, ctx) => ({
      organization: await updateOrganization(ctx.db, writeAccessOf(ctx.viewer), input),
    }),
  }),
  moveOrganization: t.field({
    type: OrganizationPayload('MoveOrganizationPayload'),
    description: 'Moves a unit with everything below it under another parent; refuses moves that would make a cycle.',
    authScopes: { directoryWrite: true },
    args: { input: t.arg({ type: MoveOrganizationInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'MoveOrganizationResult' } },
    resolve: async (_root, { input }, ctx) => ({
      organization: await moveOrganization(ctx.db, writeAccessOf(ctx.viewer), input),
    }),
  }),
}));
