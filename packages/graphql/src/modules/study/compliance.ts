import { drizzleConnectionHelpers } from '@pothos/plugin-drizzle';
import { resolveOffsetConnection } from '@pothos/plugin-relay';
import type { cadres } from '@sixtype/db';
import { type SQL, sql } from 'drizzle-orm';
import type { GraphQLResolveInfo } from 'graphql';
import { builder } from '../../builder.ts';
import type { GraphQLContext } from '../../context.ts';
import { studyVisibility } from '../../context.ts';
import { graphQLError } from '../../errors.ts';
import { assertPageSize, extrasOf, loadRootPage, NODE_PATHS, totalCountField } from '../common/pagination.ts';
import { checkedArg } from '../common/validation.ts';
import { Cadre } from '../directory/cadre.ts';
import { type ComplianceQuery, type ComplianceRow, cadreInUnitSql, complianceRowsSql } from './compliance.sql.ts';
import {
  assertComplianceScopeExists,
  campaignCodeArg,
  complianceCsv,
  complianceExportRows,
  organizationComplianceRanking,
  orgCodeArg,
  yearArg,
} from './study.service.ts';
import { StudyMaterialKind } from './study.ts';
import { studyVisibleSql } from './visibility.ts';

/** The cadres row of a compliance entry, with its figures riding along as one JSON extra. */
interface ComplianceEntryRow {
  studyCompliance: ComplianceRow;
}
const figures = (row: unknown) => (row as ComplianceEntryRow).studyCompliance;

/**
 * A material as it rides inside the compliance figures. Not the StudyMaterial object: that one
 * would be reloaded by id (a second statement) because the planner did not select it.
 */
const StudyMaterialSummary = builder
  .objectRef<ComplianceRow['chosenMaterials'][number]>('StudyMaterialSummary')
  .implement({
    fields: (t) => ({
      code: t.exposeString('code'),
      title: t.exposeString('title'),
      kind: t.field({ type: StudyMaterialKind, resolve: (material) => material.kind }),
    }),
  });

/**
 * A cadre's standing against the year's study requirement. A variant of the cadres row, so the
 * cadre and the figures come from the same row of the same statement.
 */
export const StudyComplianceEntry = builder.drizzleObject('cadres', {
  variant: 'StudyComplianceEntry',
  select: {},
  fields: (t) => ({
    cadre: t.variant(Cadre),
    noteCharacters: t.int({
      description: 'Characters of notes written in the year up to the as-of day (Unicode code points).',
      resolve: (row) => figures(row).noteCharacters,
    }),
    hours: t.field({ type: 'Decimal', description: 'Study hours (学时).', resolve: (row) => figures(row).hours }),
    noteCharactersQuota: t.int({ resolve: (row) => figures(row).noteCharactersQuota }),
    hoursQuota: t.field({ type: 'Decimal', nullable: true, resolve: (row) => figures(row).hoursQuota }),
    quotaMet: t.boolean({
      description: 'The yearly note quota is reached.',
      resolve: (row) => figures(row).quotaMet,
    }),
    hoursQuotaMet: t.boolean({
      description: 'The hours quota is reached (true when the requirement has none).',
      resolve: (row) => figures(row).hoursQuotaMet,
    }),
    mandatoryMaterialsCovered: t.boolean({
      description: 'Every mandatory material (必学内容) has a record.',
      resolve: (row) => figures(row).mandatoryMaterialsCovered,
    }),
    choiceGroupsMet: t.boolean({
      description: 'Each "choose at least N" group has enough materials studied.',
      resolve: (row) => figures(row).choiceGroupsMet,
    }),
    chosenMaterials: t.field({
      type: [StudyMaterialSummary],
      description: 'The materials of the choice groups (the books) this cadre has studied.',
      resolve: (row) => figures(row).chosenMaterials,
    }),
    compliant: t.boolean({
      description: 'Quota, hours, mandatory materials and choice groups all met.',
      resolve: (row) => figures(row).compliant,
    }),
    expectedCharacters: t.int({
      description: 'The quota pro-rated to the as-of day: what a cadre on pace has written by then.',
      resolve: (row) => figures(row).expectedCharacters,
    }),
    charactersBehind: t.int({
      description: 'How many characters short of the pro-rated quota (0 when on pace).',
      resolve: (row) => figures(row).charactersBehind,
    }),
    hoursBehind: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Hours short of the pro-rated hours quota; null without an hours quota.',
      resolve: (row) => figures(row).hoursBehind,
    }),
  }),
});

const compliancePages = drizzleConnectionHelpers(builder, StudyComplianceEntry, {
  query: () => ({ orderBy: { employeeNumber: 'asc' } }),
});

interface ComplianceListArgs {
  campaignCode: string;
  year: number;
  orgCode?: string | null;
  includeDescendants?: boolean | null;
  asOfDate?: string | null;
  first?: number | null;
  last?: number | null;
  before?: string | null;
  after?: string | null;
}

/**
 * A compliance list's arguments checked: the requirement's campaign and year, the unit, and the
 * cadres selected (the unit's, the viewer may see) as a predicate on `c`.
 */
function complianceScope(args: ComplianceListArgs, ctx: GraphQLContext) {
  assertPageSize(args);
  const query: ComplianceQuery = {
    campaignCode: checkedArg(campaignCodeArg, args.campaignCode, 'campaignCode'),
    year: checkedArg(yearArg, args.year, 'year'),
    asOfDate: args.asOfDate ?? null,
  };
  const orgCode = args.orgCode ? checkedArg(orgCodeArg, args.orgCode, 'orgCode') : null;
  const selected = sql`${orgCode ? cadreInUnitSql(orgCode, args.includeDescendants ?? false) : sql`true`} and ${studyVisibleSql(
    studyVisibility(ctx.viewer),
    sql`c.id`,
    sql`c.organization_id`,
  )}`;
  return { query, orgCode, selected };
}

/**
 * One page of compliance entries in one statement: the cadres that qualify (in scope, visible,
 * under the requirement, matching `keep`) are picked by an uncorrelated set-based subquery over
 * all of them, `totalCount` counts the same set, and each cadre on the page carries its figures
 * as a JSON extra computed for that cadre alone.
 */
async function loadCompliancePage(
  args: ComplianceListArgs,
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  keep: (row: SQL) => SQL,
  fieldBuilder: { drizzleQueryFromInfo: (...a: never[]) => unknown },
) {
  const { query, orgCode, selected } = complianceScope(args, ctx);
  const matching = sql`select x."cadreId" from (${complianceRowsSql(query, selected)}) x where ${keep(sql`x`)}`;
  const planned = compliancePages.getQuery(args, ctx, (select) =>
    (fieldBuilder.drizzleQueryFromInfo as (table: unknown, options: unknown) => unknown)(StudyComplianceEntry, {
      ...(typeof select === 'object' ? select : {}),
      context: ctx,
      info,
      paths: NODE_PATHS,
    }),
  ) as { where?: object; extras?: object; orderBy?: object };
  const { rows, totalCount } = await loadRootPage({
    info,
    db: ctx.db,
    countQuery: sql`select count(*) from (${matching}) counted`,
    loadPage: (extras) =>
      ctx.db.query.cadres.findMany({
        ...(planned as object),
        where: {
          AND: [
            planned.where ?? {},
            // `= any(array(…))`, not `in (…)`: the set is evaluated once and the page's cadres are
            // read by key, where a semi-join would scan every cadre to match them against it.
            { RAW: (table: typeof cadres) => sql`${table.id} = any(array(${matching}))` },
          ],
        },
        extras: {
          ...extrasOf(planned),
          ...extras,
          studyCompliance: (table: typeof cadres) =>
            sql<ComplianceRow>`(select row_to_json(one) from (${complianceRowsSql(query, sql`c.id = ${table.id}`)}) one)`,
        },
      }),
    assertScopeExists: () => assertComplianceScopeExists(ctx.db, { ...query, orgCode }),
  });
  return { ...compliancePages.resolve(rows, args, ctx), totalCount };
}

/** How far behind a lagging cadre is: the order of the reminder list, worst first. */
const LAGGING_ORDER = sql`x."charactersBehind" desc, coalesce(x."hoursBehind"::numeric, 0) desc, lc.employee_number, lc.id`;

interface LaggingEntryRow extends ComplianceEntryRow {
  laggingEmployeeNumber: string;
  id: number;
}

/** The same order as LAGGING_ORDER, for the rows of one page. */
function byHowFarBehind(a: LaggingEntryRow, b: LaggingEntryRow): number {
  const [x, y] = [a.studyCompliance, b.studyCompliance];
  return (
    y.charactersBehind - x.charactersBehind ||
    Number(y.hoursBehind ?? 0) - Number(x.hoursBehind ?? 0) ||
    (a.laggingEmployeeNumber < b.laggingEmployeeNumber
      ? -1
      : a.laggingEmployeeNumber > b.laggingEmployeeNumber
        ? 1
        : 0) ||
    a.id - b.id
  );
}

/**
 * One page of the lagging list, worst first, in one statement: the cadres behind are ranked by
 * how far behind in an uncorrelated subquery (evaluated once), the page's window of that ranking
 * picks the rows, and each row's figures ride along as in `loadCompliancePage`. Cursors are
 * positions in the ranking (the ranking moves as records are written, so a key would not hold).
 */
async function loadLaggingPage(
  args: ComplianceListArgs,
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  fieldBuilder: { drizzleQueryFromInfo: (...a: never[]) => unknown },
) {
  const { query, orgCode, selected } = complianceScope(args, ctx);
  const behind = sql`from (${complianceRowsSql(query, selected)}) x join cadres lc on lc.id = x."cadreId"
    where x."charactersBehind" > 0 or coalesce(x."hoursBehind"::numeric, 0) > 0`;
  const planned = (fieldBuilder.drizzleQueryFromInfo as (table: unknown, options: unknown) => unknown)(
    StudyComplianceEntry,
    { context: ctx, info, paths: NODE_PATHS },
  ) as object;
  let totalCount = 0;
  const connection = await resolveOffsetConnection({ args }, async ({ offset, limit }) => {
    const page = await loadRootPage({
      info,
      db: ctx.db,
      countQuery: sql`select count(*) ${behind}`,
      loadPage: (extras) =>
        ctx.db.query.cadres.findMany({
          ...planned,
          where: {
            RAW: (table: typeof cadres) => sql`${table.id} = any(array(
              select ranked."cadreId" from (
                select x."cadreId", row_number() over (order by ${LAGGING_ORDER}) as position ${behind}
              ) ranked
              where ranked.position > ${offset} and ranked.position <= ${offset + limit}))`,
          },
          extras: {
            ...extrasOf(planned),
            ...extras,
            laggingEmployeeNumber: (table: typeof cadres) => sql<string>`${table.employeeNumber}`,
            studyCompliance: (table: typeof cadres) =>
              sql<ComplianceRow>`(select row_to_json(one) from (${complianceRowsSql(query, sql`c.id = ${table.id}`)}) one)`,
          },
        }),
      assertScopeExists: () => assertComplianceScopeExists(ctx.db, { ...query, orgCode }),
    });
    totalCount = page.totalCount;
    return [...page.rows].sort(byHowFarBehind);
  });
  return { ...connection, totalCount };
}

builder.queryFields((t) => ({
  studyCompliance: t.connection(
    {
      type: StudyComplianceEntry,
      description:
        'Each cadre’s standing against the campaign’s study requirement for the year (characters, hours, materials, compliant), computed in SQL in one statement. `asOfDate` counts records up to that day (default: the whole year). A cadre sees their own row, a manager their subtree, an admin everyone.',
      authScopes: { studyRead: true },
      args: {
        ...compliancePages.getArgs(),
        campaignCode: t.arg.string({ required: true }),
        year: t.arg.int({ required: true }),
        orgCode: t.arg.string(),
        includeDescendants: t.arg.boolean({ defaultValue: false }),
        onlyNonCompliant: t.arg.boolean({ defaultValue: false }),
        asOfDate: t.arg({ type: 'Date' }),
      },
      resolve: (_root, args, ctx, info) =>
        loadCompliancePage(args, ctx, info, (x) => (args.onlyNonCompliant ? sql`not ${x}."compliant"` : sql`true`), t),
    },
    { name: 'StudyComplianceConnection', fields: (c) => ({ totalCount: c.int(totalCountField) }) },
  ),
  studyLagging: t.connection(
    {
      type: StudyComplianceEntry,
      description:
        'Cadres behind the pro-rated quota on `asOfDate` (characters, or hours when there is an hours quota), with how far behind, furthest behind first (then by employee number): the reminder list. One statement.',
      authScopes: { studyRead: true },
      args: {
        ...compliancePages.getArgs(),
        campaignCode: t.arg.string({ required: true }),
        year: t.arg.int({ required: true }),
        asOfDate: t.arg({ type: 'Date', required: true }),
        orgCode: t.arg.string(),
        includeDescendants: t.arg.boolean({ defaultValue: false }),
      },
      resolve: (_root, args, ctx, info) => loadLaggingPage(args, ctx, info, t),
    },
    { name: 'StudyLaggingConnection', fields: (c) => ({ totalCount: c.int(totalCountField) }) },
  ),
}));

// ---------------------------------------------------------------------------------------------
// Units: compliant counts, rates and a ranking

interface OrganizationComplianceShape {
  orgCode: string;
  orgName: string;
  cadres: number;
  compliant: number;
  complianceRate: string | null;
  rank: number | null;
}

const StudyOrganizationCompliance = builder
  .objectRef<OrganizationComplianceShape>('StudyOrganizationCompliance')
  .implement({
    description: 'A unit’s study compliance with its whole subtree rolled up.',
    fields: (t) => ({
      orgCode: t.exposeString('orgCode'),
      orgName: t.exposeString('orgName'),
      cadres: t.exposeInt('cadres', { description: 'Cadres the requirement applies to.' }),
      compliant: t.exposeInt('compliant'),
      complianceRate: t.field({
        type: 'Decimal',
        nullable: true,
        description: 'compliant / cadres as a fraction rounded to 4 places; null without cadres.',
        resolve: (unit) => unit.complianceRate,
      }),
      rank: t.exposeInt('rank', {
        nullable: true,
        description:
          'Place among the units below the parent by rate (ties share a place); null for units without cadres.',
      }),
    }),
  });

const StudyComplianceRanking = builder
  .objectRef<{ parent: OrganizationComplianceShape; entries: OrganizationComplianceShape[] }>('StudyComplianceRanking')
  .implement({
    fields: (t) => ({
      parent: t.field({ type: StudyOrganizationCompliance, resolve: (ranking) => ranking.parent }),
      entries: t.field({
        type: [StudyOrganizationCompliance],
        description: 'The units directly below the parent, best rate first.',
        resolve: (ranking) => ranking.entries,
      }),
    }),
  });

builder.queryFields((t) => ({
  studyComplianceRanking: t.field({
    type: StudyComplianceRanking,
    description:
      'The number and rate of compliant cadres for a unit and for each unit directly below it (subtrees rolled up), ranked by rate. One statement.',
    authScopes: { studyRead: true, metricsRead: true },
    args: {
      campaignCode: t.arg.string({ required: true }),
      year: t.arg.int({ required: true }),
      parentOrgCode: t.arg.string({ defaultValue: 'ZONE' }),
      asOfDate: t.arg({ type: 'Date' }),
    },
    resolve: async (_root, args, ctx) => {
      const parentOrgCode = checkedArg(orgCodeArg, args.parentOrgCode ?? 'ZONE', 'parentOrgCode');
      const query = {
        campaignCode: checkedArg(campaignCodeArg, args.campaignCode, 'campaignCode'),
        year: checkedArg(yearArg, args.year, 'year'),
        asOfDate: args.asOfDate ?? null,
        parentOrgCode,
      };
      const rows = await organizationComplianceRanking(ctx.db, query);
      const parent = rows.find((row) => row.isParent);
      if (!parent) throw graphQLError('NOT_FOUND', `Organization ${parentOrgCode} does not exist`);
      if (parent.cadres === 0) await assertComplianceScopeExists(ctx.db, query);
      return { parent, entries: rows.filter((row) => !row.isParent) };
    },
  }),
  studyComplianceCsv: t.string({
    description:
      'The year’s compliance of a unit’s subtree as CSV text (UTF-8, header row, CRLF), one row per cadre the viewer may see, for filing.',
    authScopes: { studyRead: true },
    args: {
      campaignCode: t.arg.string({ required: true }),
      year: t.arg.int({ required: true }),
      orgCode: t.arg.string({ required: true }),
      includeDescendants: t.arg.boolean({ defaultValue: true }),
      asOfDate: t.arg({ type: 'Date' }),
    },
    resolve: async (_root, args, ctx) => {
      const query = {
        campaignCode: checkedArg(campaignCodeArg, args.campaignCode, 'campaignCode'),
        year: checkedArg(yearArg, args.year, 'year'),
        asOfDate: args.asOfDate ?? null,
        orgCode: checkedArg(orgCodeArg, args.orgCode, 'orgCode'),
        includeDescendants: args.includeDescendants ?? true,
      };
      const rows = await complianceExportRows(ctx.db, studyVisibility(ctx.viewer), query);
      if (rows.length === 0) await assertComplianceScopeExists(ctx.db, query);
      return complianceCsv(rows);
    },
  }),
}));
