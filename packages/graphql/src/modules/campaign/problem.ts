import { drizzleConnectionHelpers } from '@pothos/plugin-drizzle';
import { problemSeverities, problemSources, problemStates, problems } from '@sixtype/db';
import { and, type SQL, sql } from 'drizzle-orm';
import { builder } from '../../builder.ts';
import { directorySubtree, writeAccessOf } from '../../context.ts';
import { InvalidTransitionError } from '../../errors.ts';
import { mutationErrors } from '../common/errors.ts';
import {
  enumFilterSql,
  type LogicalFilter,
  logicalFilterSql,
  StringFilter,
  type StringFilterInput,
  stringFilterSql,
} from '../common/filters.ts';
import { databaseIdOf } from '../common/ids.ts';
import { assertPageSize, resolveRootConnection, totalCountField } from '../common/pagination.ts';
import { rowsOf } from '../common/rows.ts';
import { assertOrganizationExists } from '../directory/directory.service.ts';
import { cadreColumnVisibleSql, codeArg } from './campaign.service.ts';
import {
  overdueSql,
  type ProblemRow,
  problemCountsSql,
  problemScopeSql,
  reportProblem,
  transitionProblem,
  updateProblem,
} from './problem.service.ts';

export const ProblemState = builder.enumType('ProblemState', {
  description:
    'Rectification ledger states: FOUND → RECTIFYING → AWAITING_ACCEPTANCE → CLOSED; CLOSED → REOPENED → RECTIFYING.',
  values: problemStates,
});
export const ProblemSource = builder.enumType('ProblemSource', { values: problemSources });
export const ProblemSeverity = builder.enumType('ProblemSeverity', { values: problemSeverities });

export const ProblemCategory = builder.drizzleObject('problemCategories', {
  name: 'ProblemCategory',
  description: 'A kind of problem the survey found (混, 怕, 推, 空, 散).',
  fields: (t) => ({
    code: t.exposeString('code'),
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    sortOrder: t.exposeInt('sortOrder'),
  }),
});

const ProblemTransition = builder.drizzleObject('problemTransitions', {
  name: 'ProblemTransition',
  description: 'One state change of a problem: who, when, why. `from` is null for the entry that records the finding.',
  fields: (t) => ({
    from: t.expose('fromState', { type: ProblemState, nullable: true }),
    to: t.expose('toState', { type: ProblemState }),
    actorKind: t.exposeString('actorKind'),
    actorId: t.exposeString('actorId', { nullable: true }),
    comment: t.exposeString('comment', { nullable: true }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime' }),
  }),
});

export const Problem = builder.drizzleNode('problems', {
  name: 'Problem',
  description: 'An entry of the problem rectification ledger (查摆问题, 整改).',
  id: { column: (problem) => problem.id },
  // The unit's path travels with every row so the viewer's subtree is checked wherever a problem
  // is reached; the lists filter by the same rule in SQL.
  select: {
    extras: {
      organizationPath: (table) =>
        sql<string>`(select problem_unit.path::text from organizations problem_unit where problem_unit.id = ${table.organizationId})`,
    },
  },
  authScopes: (problem) => ({ cadreVisible: (problem as { organizationPath?: string }).organizationPath ?? '' }),
  fields: (t) => ({
    description: t.exposeString('description'),
    source: t.expose('source', { type: ProblemSource }),
    severity: t.expose('severity', { type: ProblemSeverity }),
    state: t.expose('state', { type: ProblemState }),
    deadline: t.expose('deadline', { type: 'Date', nullable: true }),
    measures: t.exposeString('measures', { nullable: true }),
    overdue: t.boolean({
      description:
        'Past its deadline and not closed: the deadline is before today in the installation’s time zone (TIME_ZONE).',
      select: { extras: { isOverdue: (table) => sql<boolean>`coalesce(${overdueSql(table)}, false)` } },
      resolve: (problem) => Boolean(problem.isOverdue),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    campaign: t.relation('campaign'),
    organization: t.relation('organization'),
    category: t.relation('category'),
    // A cadre outside the viewer's subtree reads as null here rather than failing the whole list.
    cadre: t.relation('cadre', {
      nullable: true,
      description: 'The cadre the problem is about, if any (null when outside the viewer’s subtree).',
      query: (_args, ctx) => ({
        where: { RAW: (table) => cadreColumnVisibleSql(table.id, directorySubtree(ctx.viewer)) ?? sql`true` },
      }),
    }),
    responsibleCadre: t.relation('responsibleCadre', {
      nullable: true,
      description: 'The cadre responsible for the rectification (null when outside the viewer’s subtree).',
      query: (_args, ctx) => ({
        where: { RAW: (table) => cadreColumnVisibleSql(table.id, directorySubtree(ctx.viewer)) ?? sql`true` },
      }),
    }),
    inspection: t.relation('inspection', { nullable: true, description: 'The inspection that found it.' }),
    transitions: t.relation('transitions', {
      description: 'Every state change, oldest first.',
      query: { orderBy: { id: 'asc' } },
    }),
    lastTransition: t.field({
      type: ProblemTransition,
      nullable: true,
      select: (_args, _ctx, nestedSelection) => ({
        with: { transitions: nestedSelection({ orderBy: { id: 'desc' }, limit: 1 }) },
      }),
      resolve: (problem) => problem.transitions[0] ?? null,
    }),
  }),
});

const ProblemStateFilter = builder.inputType('ProblemStateFilter', {
  fields: (t) => ({ equalTo: t.field({ type: ProblemState }), in: t.field({ type: [ProblemState] }) }),
});
const ProblemSourceFilter = builder.inputType('ProblemSourceFilter', {
  fields: (t) => ({ equalTo: t.field({ type: ProblemSource }), in: t.field({ type: [ProblemSource] }) }),
});
const ProblemSeverityFilter = builder.inputType('ProblemSeverityFilter', {
  fields: (t) => ({ equalTo: t.field({ type: ProblemSeverity }), in: t.field({ type: [ProblemSeverity] }) }),
});

type EnumFilter<T> = { equalTo?: T | null; in?: readonly T[] | null } | null;
export interface ProblemFilterInput extends LogicalFilter<ProblemFilterInput> {
  state?: EnumFilter<(typeof problemStates)[number]>;
  source?: EnumFilter<(typeof problemSources)[number]>;
  severity?: EnumFilter<(typeof problemSeverities)[number]>;
  categoryCode?: StringFilterInput | null;
  description?: StringFilterInput | null;
  overdue?: boolean | null;
}

export const ProblemFilter = builder.inputRef<ProblemFilterInput>('ProblemFilter').implement({
  description: 'Conditions on ledger entries; fields, and/or/not all combine with AND.',
  fields: (t) => ({
    state: t.field({ type: ProblemStateFilter }),
    source: t.field({ type: ProblemSourceFilter }),
    severity: t.field({ type: ProblemSeverityFilter }),
    categoryCode: t.field({ type: StringFilter }),
    description: t.field({ type: StringFilter }),
    overdue: t.boolean({ description: 'true: past the deadline and not closed; false: the others.' }),
    and: t.field({ type: [ProblemFilter] }),
    or: t.field({ type: [ProblemFilter] }),
    not: t.field({ type: ProblemFilter }),
  }),
});

function problemFilterSql(table: typeof problems, filter: ProblemFilterInput | null | undefined) {
  return logicalFilterSql(filter, (f) => [
    enumFilterSql(table.state, f.state),
    enumFilterSql(table.source, f.source),
    enumFilterSql(table.severity, f.severity),
    f.categoryCode
      ? sql`${table.categoryId} in (select filter_category.id from problem_categories filter_category where ${
          stringFilterSql(sql.raw('filter_category.code') as never, f.categoryCode) ?? sql`true`
        })`
      : undefined,
    stringFilterSql(table.description, f.description),
    f.overdue == null ? undefined : f.overdue ? overdueSql(table) : sql`not coalesce(${overdueSql(table)}, false)`,
  ]);
}

const problemPages = drizzleConnectionHelpers(builder, 'problems', {
  query: () => ({ orderBy: { id: 'asc' } }),
});

const ProblemCountsByCategory = builder
  .objectRef<{ code: string; name: string; count: number; overdue: number; closed: number }>('ProblemCountByCategory')
  .implement({
    fields: (t) => ({
      code: t.exposeString('code'),
      name: t.exposeString('name'),
      count: t.exposeInt('count'),
      overdue: t.exposeInt('overdue'),
      closed: t.exposeInt('closed', { description: 'Of `count`, those CLOSED.' }),
    }),
  });
const ProblemCountsByState = builder
  .objectRef<{ state: (typeof problemStates)[number]; count: number; overdue: number }>('ProblemCountByState')
  .implement({
    fields: (t) => ({
      state: t.expose('state', { type: ProblemState }),
      count: t.exposeInt('count'),
      overdue: t.exposeInt('overdue'),
    }),
  });
const ProblemCountsByOrganization = builder
  .objectRef<{ orgCode: string; orgName: string; count: number; overdue: number; closed: number }>(
    'ProblemCountByOrganization',
  )
  .implement({
    fields: (t) => ({
      orgCode: t.exposeString('orgCode'),
      orgName: t.exposeString('orgName'),
      count: t.exposeInt('count'),
      overdue: t.exposeInt('overdue'),
      closed: t.exposeInt('closed', { description: 'Of `count`, those CLOSED.' }),
    }),
  });

interface ProblemCountsShape {
  total: number;
  overdue: number;
  by_category: { code: string; name: string; count: number; overdue: number; closed: number }[];
  by_state: { state: (typeof problemStates)[number]; count: number; overdue: number }[];
  by_organization: { orgCode: string; orgName: string; count: number; overdue: number; closed: number }[];
}

const ProblemCounts = builder.objectRef<ProblemCountsShape>('ProblemCounts').implement({
  description: 'The ledger counted by category, by state and by unit (units with none are left out).',
  fields: (t) => ({
    total: t.int({ resolve: (c) => Number(c.total) }),
    overdue: t.int({ resolve: (c) => Number(c.overdue) }),
    byCategory: t.field({ type: [ProblemCountsByCategory], resolve: (c) => c.by_category }),
    byState: t.field({ type: [ProblemCountsByState], resolve: (c) => c.by_state }),
    byOrganization: t.field({ type: [ProblemCountsByOrganization], resolve: (c) => c.by_organization }),
  }),
});

builder.queryFields((t) => ({
  problemCategories: t.drizzleField({
    type: ['problemCategories'],
    description: 'The problem categories, in their order (混, 怕, 推, 空, 散).',
    authScopes: { directoryRead: true },
    resolve: (query, _root, _args, ctx) =>
      ctx.db.query.problemCategories.findMany(query({ orderBy: { sortOrder: 'asc', id: 'asc' } })),
  }),
  problems: t.connection(
    {
      type: Problem,
      description:
        'The rectification ledger, oldest first. With `orgCode`, that unit’s problems (and with `includeDescendants`, those of units below it). Only problems of units inside the viewer’s subtree.',
      authScopes: { directoryRead: true },
      args: {
        filter: t.arg({ type: ProblemFilter }),
        campaignCode: t.arg.string({ validate: codeArg }),
        orgCode: t.arg.string({ validate: codeArg }),
        includeDescendants: t.arg.boolean({ defaultValue: false }),
      },
      resolve: async (_root, args, ctx, info) => {
        assertPageSize(args);
        const readable = directorySubtree(ctx.viewer);
        const condition = (table: typeof problems): SQL =>
          and(
            problemFilterSql(table, args.filter),
            ...problemScopeSql(table, args, readable),
            args.campaignCode
              ? sql`${table.campaignId} = (select scope_campaign.id from campaigns scope_campaign where scope_campaign.code = ${args.campaignCode})`
              : undefined,
          ) ?? sql`true`;
        return resolveRootConnection({
          t,
          tableName: 'problems',
          table: problems,
          pages: problemPages,
          args,
          ctx,
          info,
          condition,
          assertScopeExists: args.orgCode ? () => assertOrganizationExists(ctx.db, args.orgCode as string) : undefined,
        }) as never;
      },
    },
    { name: 'ProblemConnection', fields: (c) => ({ totalCount: c.int(totalCountField) }) },
  ),
  problemCounts: t.field({
    type: ProblemCounts,
    description: 'Counts of the ledger by category, state and unit, in one statement.',
    authScopes: { directoryRead: true },
    args: {
      campaignCode: t.arg.string({ validate: codeArg }),
      orgCode: t.arg.string({ validate: codeArg }),
      includeDescendants: t.arg.boolean({ defaultValue: true }),
      today: t.arg({
        type: 'Date',
        description: 'The day `overdue` is counted on; defaults to today in the installation’s time zone.',
      }),
    },
    resolve: async (_root, args, ctx) => {
      const [row] = rowsOf<ProblemCountsShape>(
        await ctx.db.execute(problemCountsSql(args, directorySubtree(ctx.viewer))),
      );
      return row ?? { total: 0, overdue: 0, by_category: [], by_state: [], by_organization: [] };
    },
  }),
}));

const ReportProblemInput = builder.inputType('ReportProblemInput', {
  fields: (t) => ({
    campaignCode: t.string({ required: true }),
    orgCode: t.string({ required: true }),
    categoryCode: t.string({ required: true }),
    source: t.field({ type: ProblemSource, required: true }),
    description: t.string({ required: true }),
    severity: t.field({ type: ProblemSeverity, required: true }),
    cadreEmployeeNumber: t.string({ description: 'The cadre the problem is about, if any.' }),
    responsibleEmployeeNumber: t.string(),
    deadline: t.field({ type: 'Date' }),
    measures: t.string(),
    inspectionId: t.globalID({ description: 'The inspection (an Activity of kind INSPECTION) that found it.' }),
    comment: t.string(),
  }),
});

const TransitionProblemInput = builder.inputType('TransitionProblemInput', {
  fields: (t) => ({
    problemId: t.globalID({ required: true }),
    toState: t.field({ type: ProblemState, required: true }),
    comment: t.string(),
  }),
});

const UpdateProblemInput = builder.inputType('UpdateProblemInput', {
  description:
    'Fields left out stay as they are; `null` clears an optional field. The state changes only through transitionProblem.',
  fields: (t) => ({
    problemId: t.globalID({ required: true }),
    responsibleEmployeeNumber: t.string(),
    deadline: t.field({ type: 'Date' }),
    measures: t.string(),
    severity: t.field({ type: ProblemSeverity }),
  }),
});

/** A payload's problem is read back through the planner, so its selection is one query. */
const ProblemPayload = (name: string) =>
  builder.objectRef<{ problem: ProblemRow }>(name).implement({
    fields: (t) => ({
      problem: t.drizzleField({
        type: 'problems',
        resolve: (query, payload, _args, ctx) =>
          ctx.db.query.problems
            .findFirst(query({ where: { id: payload.problem.id } }))
            .then((row) => row ?? Promise.reject(new Error(`problem ${payload.problem.id} vanished after its write`))),
      }),
    }),
  });

builder.mutationFields((t) => ({
  reportProblem: t.field({
    type: ProblemPayload('ReportProblemPayload'),
    description: 'Records a problem found in a unit (state FOUND) with its first ledger entry.',
    authScopes: { directoryWrite: true },
    args: { input: t.arg({ type: ReportProblemInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'ReportProblemResult' } },
    resolve: async (_root, { input }, ctx) => {
      const { inspectionId, ...rest } = input;
      return {
        problem: await reportProblem(ctx.db, writeAccessOf(ctx.viewer), {
          ...rest,
          inspectionActivityId: databaseIdOf(inspectionId ?? null, 'Activity'),
        }),
      };
    },
  }),
  transitionProblem: t.field({
    type: ProblemPayload('TransitionProblemPayload'),
    description: 'Moves a problem along the ledger; a move the rules do not allow is an InvalidTransitionError.',
    authScopes: { directoryWrite: true },
    args: { input: t.arg({ type: TransitionProblemInput, required: true }) },
    errors: {
      types: [...mutationErrors, InvalidTransitionError],
      directResult: true,
      union: { name: 'TransitionProblemResult' },
    },
    resolve: async (_root, { input }, ctx) => ({
      problem: await transitionProblem(ctx.db, writeAccessOf(ctx.viewer), {
        problemId: databaseIdOf(input.problemId, 'Problem'),
        toState: input.toState,
        comment: input.comment,
      }),
    }),
  }),
  updateProblem: t.field({
    type: ProblemPayload('UpdateProblemPayload'),
    authScopes: { directoryWrite: true },
    args: { input: t.arg({ type: UpdateProblemInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'UpdateProblemResult' } },
    resolve: async (_root, { input }, ctx) => ({
      problem: await updateProblem(ctx.db, writeAccessOf(ctx.viewer), {
        ...input,
        problemId: databaseIdOf(input.problemId, 'Problem'),
      }),
    }),
  }),
}));
