import { drizzleConnectionHelpers } from '@pothos/plugin-drizzle';
import { cadencePeriods, campaigns, leadingGroupRoles } from '@sixtype/db';
import { sql } from 'drizzle-orm';
import { builder, parseCalendarDate } from '../../builder.ts';
import { directorySubtree, writeAccessOf } from '../../context.ts';
import { graphQLError } from '../../errors.ts';
import { mutationErrors } from '../common/errors.ts';
import { databaseIdOf } from '../common/ids.ts';
import { assertPageSize, extrasOf, loadRootPage, NODE_PATHS, totalCountField } from '../common/pagination.ts';
import { rowsOf } from '../common/rows.ts';
import { unitScopeSql } from '../common/scope.ts';
import { assertOrganizationExists } from '../directory/directory.service.ts';
import { ActivityKind } from './activity.ts';
import { cadenceGapsSql } from './cadence.sql.ts';
import {
  assertCampaignExists,
  cadreColumnVisibleSql,
  codeSchema,
  createCampaign,
  createLeadingGroup,
  organizationsWithoutLeadingGroupSql,
  orgColumnVisibleSql,
  setLeadingGroupMember,
} from './campaign.service.ts';

export const LeadingGroupRole = builder.enumType('LeadingGroupRole', {
  description: '组长, 副组长, 成员.',
  values: leadingGroupRoles,
});
export const CadencePeriod = builder.enumType('CadencePeriod', {
  description: 'HALF_MONTH: the 1st–15th and the 16th–last day of each month; MONTH: each calendar month.',
  values: cadencePeriods,
});

export const CampaignDimension = builder.drizzleObject('campaignDimensions', {
  name: 'CampaignDimension',
  description: 'One of the campaign’s types (学习型 …).',
  fields: (t) => ({
    code: t.exposeString('code'),
    name: t.exposeString('name'),
    sortOrder: t.exposeInt('sortOrder'),
  }),
});

builder.drizzleObject('campaignCapabilities', {
  name: 'Capability',
  description: 'A capability the campaign builds (五力: 学习力 …).',
  fields: (t) => ({
    code: t.exposeString('code'),
    name: t.exposeString('name'),
    sortOrder: t.exposeInt('sortOrder'),
  }),
});

builder.drizzleObject('campaignConductPairs', {
  name: 'ConductPair',
  description: 'One 少X多Y pair of the conduct code (十多十少).',
  fields: (t) => ({
    less: t.exposeString('less', { description: 'What to do less of (少应酬).' }),
    more: t.exposeString('more', { description: 'What to do more of (多学习).' }),
    text: t.string({
      description: 'The pair as the document writes it (少应酬、多学习).',
      select: { columns: { less: true, more: true } },
      resolve: (pair) => `${pair.less}、${pair.more}`,
    }),
  }),
});

builder.drizzleObject('supervisionCadences', {
  name: 'SupervisionCadence',
  description: 'A supervision rule: an activity of `activityKind` every `period` (半月一调度, 一月一检查).',
  fields: (t) => ({
    activityKind: t.expose('activityKind', { type: ActivityKind }),
    period: t.expose('period', { type: CadencePeriod }),
    description: t.exposeString('description', { nullable: true }),
  }),
});

builder.drizzleObject('leadingGroupMembers', {
  name: 'LeadingGroupMember',
  fields: (t) => ({
    role: t.expose('role', { type: LeadingGroupRole }),
    cadre: t.relation('cadre'),
  }),
});

export const LeadingGroup = builder.drizzleNode('leadingGroups', {
  name: 'LeadingGroup',
  description: '领导小组 of one unit for one campaign.',
  id: { column: (group) => group.id },
  authScopes: { directoryRead: true },
  fields: (t) => ({
    name: t.exposeString('name'),
    establishedOn: t.expose('establishedOn', { type: 'Date', nullable: true }),
    campaign: t.relation('campaign'),
    organization: t.relation('organization'),
    office: t.relation('office', { nullable: true, description: 'The unit doing the group’s daily work (办公室).' }),
    members: t.relation('members', {
      description: 'Leader first, then deputies, then members (those inside the viewer’s subtree).',
      query: (_args, ctx) => ({
        where: { RAW: (table) => cadreColumnVisibleSql(table.cadreId, directorySubtree(ctx.viewer)) ?? sql`true` },
        // The role enum is declared LEADER, DEPUTY_LEADER, MEMBER, so it sorts in rank order.
        orderBy: { role: 'asc', sortOrder: 'asc', id: 'asc' },
      }),
    }),
  }),
});

export const Campaign = builder.drizzleNode('campaigns', {
  name: 'Campaign',
  description:
    'A campaign (“六型机关”创建活动) with its dimensions, capabilities, expected changes and conduct code as data.',
  id: { column: (campaign) => campaign.id },
  authScopes: { directoryRead: true },
  fields: (t) => ({
    code: t.exposeString('code'),
    name: t.exposeString('name'),
    slogan: t.exposeString('slogan', { nullable: true, description: '奋斗目标' }),
    startsOn: t.expose('startsOn', { type: 'Date', nullable: true }),
    endsOn: t.expose('endsOn', { type: 'Date', nullable: true }),
    dimensions: t.relation('dimensions', { query: { orderBy: { sortOrder: 'asc', id: 'asc' } } }),
    capabilities: t.relation('capabilities', { query: { orderBy: { sortOrder: 'asc', id: 'asc' } } }),
    expectedChanges: t.stringList({
      description: '六个明显变化, in the plan’s order.',
      select: { with: { expectedChanges: { columns: { text: true }, orderBy: { sortOrder: 'asc', id: 'asc' } } } },
      resolve: (campaign) => campaign.expectedChanges.map((change) => change.text),
    }),
    conductCode: t.relation('conductPairs', {
      description: '十多十少, in the document’s order.',
      query: { orderBy: { sortOrder: 'asc', id: 'asc' } },
    }),
    supervisionCadences: t.relation('supervisionCadences', { query: { orderBy: { id: 'asc' } } }),
    leadingGroups: t.relation('leadingGroups', {
      description: 'Groups of units inside the viewer’s subtree, the zone’s first.',
      query: (_args, ctx) => ({
        where: {
          RAW: (table) => orgColumnVisibleSql(table.organizationId, directorySubtree(ctx.viewer)) ?? sql`true`,
        },
        orderBy: { id: 'asc' },
      }),
    }),
  }),
});

const campaignPages = drizzleConnectionHelpers(builder, 'campaigns', {
  query: () => ({ orderBy: { id: 'asc' } }),
});

interface CadenceGapRow {
  activity_kind: typeof import('@sixtype/db').activityKinds[number];
  period: (typeof cadencePeriods)[number];
  period_start: string;
  period_end: string;
  label: string;
}

const CadenceGap = builder.objectRef<CadenceGapRow>('CadenceGap').implement({
  description: 'A supervision period with no activity of the required kind.',
  fields: (t) => ({
    activityKind: t.expose('activity_kind', { type: ActivityKind }),
    period: t.expose('period', { type: CadencePeriod }),
    periodStart: t.field({ type: 'Date', resolve: (gap) => gap.period_start }),
    periodEnd: t.field({ type: 'Date', resolve: (gap) => gap.period_end }),
    label: t.exposeString('label', { description: '2012-03 for a month, 2012-03-H1 / 2012-03-H2 for its halves.' }),
  }),
});

interface MissingGroupRow {
  code: string;
  name: string;
}
const OrganizationWithoutLeadingGroup = builder
  .objectRef<MissingGroupRow>('OrganizationWithoutLeadingGroup')
  .implement({
    fields: (t) => ({ code: t.exposeString('code'), name: t.exposeString('name') }),
  });

builder.queryFields((t) => ({
  campaign: t.drizzleField({
    type: 'campaigns',
    nullable: true,
    description: 'A campaign by its code (SIX_TYPE_2012); null when there is none.',
    authScopes: { directoryRead: true },
    args: { code: t.arg.string({ required: true, validate: codeSchema }) },
    resolve: (query, _root, args, ctx) => ctx.db.query.campaigns.findFirst(query({ where: { code: args.code } })),
  }),
  campaigns: t.connection(
    {
      type: Campaign,
      description: 'Every campaign, oldest first.',
      authScopes: { directoryRead: true },
      resolve: async (_root, args, ctx, info) => {
        assertPageSize(args);
        const query = campaignPages.getQuery(args, ctx, (select) =>
          t.drizzleQueryFromInfo('campaigns', {
            ...(typeof select === 'object' ? select : {}),
            context: ctx,
            info,
            paths: NODE_PATHS,
          }),
        );
        const { rows, totalCount } = await loadRootPage({
          info,
          db: ctx.db,
          countQuery: sql`select count(*) from ${campaigns}`,
          loadPage: (extras) =>
            ctx.db.query.campaigns.findMany({ ...query, extras: { ...extrasOf(query), ...extras } }),
        });
        return { ...campaignPages.resolve(rows, args, ctx), totalCount } as never;
      },
    },
    { name: 'CampaignConnection', fields: (c) => ({ totalCount: c.int(totalCountField) }) },
  ),
  cadenceGaps: t.field({
    type: [CadenceGap],
    description:
      'Supervision periods in [from, to] lacking their activity (半月一调度: a DISPATCH_MEETING each half month; 一月一检查: an INSPECTION each month), for activities organized by the unit or, with includeDescendants, any unit below it; every occurrence of a recurring activity counts. Only periods the campaign runs in (at least one day between its startsOn and endsOn) that have begun by today in the installation’s time zone are listed; the period under way is listed until its activity is held.',
    authScopes: { directoryRead: true },
    args: {
      campaignCode: t.arg.string({ required: true, validate: codeSchema }),
      orgCode: t.arg.string({ required: true, validate: codeSchema }),
      includeDescendants: t.arg.boolean({ defaultValue: true }),
      from: t.arg({ type: 'Date', required: true }),
      to: t.arg({ type: 'Date', required: true }),
    },
    resolve: async (_root, args, ctx) => {
      parseCalendarDate(args.from);
      if (args.to < args.from) throw graphQLError('BAD_USER_INPUT', '`to` must not be before `from`');
      if (Date.parse(args.to) - Date.parse(args.from) > 5 * 366 * 86_400_000) {
        throw graphQLError('BAD_USER_INPUT', 'a range may span at most five years');
      }
      const rows = rowsOf<CadenceGapRow>(
        await ctx.db.execute(cadenceGapsSql({ ...args, includeDescendants: args.includeDescendants ?? true })),
      );
      if (rows.length === 0) {
        await assertCampaignExists(ctx.db, args.campaignCode);
        await assertOrganizationExists(ctx.db, args.orgCode);
      }
      return rows;
    },
  }),
  organizationsWithoutLeadingGroup: t.field({
    type: [OrganizationWithoutLeadingGroup],
    description:
      'Sub-district offices, departments and offices (inside the viewer’s subtree) that have not yet set up their own leading group for the campaign.',
    authScopes: { directoryRead: true },
    args: {
      campaignCode: t.arg.string({ required: true, validate: codeSchema }),
      orgCode: t.arg.string({ validate: codeSchema.nullish(), description: 'Only this unit and the units below it.' }),
    },
    resolve: async (_root, args, ctx) => {
      const readable = directorySubtree(ctx.viewer);
      const visible =
        readable === undefined ? sql`false` : readable === null ? sql`true` : sql`o.path <@ ${readable}::ltree`;
      const within = unitScopeSql(sql`o.id`, { orgCode: args.orgCode, includeDescendants: true }) ?? sql`true`;
      return rowsOf<MissingGroupRow>(
        await ctx.db.execute(organizationsWithoutLeadingGroupSql(args.campaignCode, sql`${visible} and ${within}`)),
      );
    },
  }),
}));

const NamedCodeInput = builder.inputType('CampaignCodedNameInput', {
  fields: (t) => ({ code: t.string({ required: true }), name: t.string({ required: true }) }),
});
const ConductPairInput = builder.inputType('ConductPairInput', {
  fields: (t) => ({ less: t.string({ required: true }), more: t.string({ required: true }) }),
});
const SupervisionCadenceInput = builder.inputType('SupervisionCadenceInput', {
  fields: (t) => ({
    activityKind: t.field({ type: ActivityKind, required: true }),
    period: t.field({ type: CadencePeriod, required: true }),
    description: t.string(),
  }),
});

const CreateCampaignInput = builder.inputType('CreateCampaignInput', {
  description: 'A campaign with its catalogue; every list keeps the order given.',
  fields: (t) => ({
    code: t.string({ required: true }),
    name: t.string({ required: true }),
    slogan: t.string(),
    startsOn: t.field({ type: 'Date' }),
    endsOn: t.field({ type: 'Date' }),
    dimensions: t.field({ type: [NamedCodeInput], required: true }),
    capabilities: t.field({ type: [NamedCodeInput] }),
    expectedChanges: t.stringList(),
    conductCode: t.field({ type: [ConductPairInput] }),
    supervisionCadences: t.field({ type: [SupervisionCadenceInput] }),
  }),
});

const LeadingGroupMemberInput = builder.inputType('LeadingGroupMemberInput', {
  fields: (t) => ({
    employeeNumber: t.string({ required: true }),
    role: t.field({ type: LeadingGroupRole, required: true }),
  }),
});

const CreateLeadingGroupInput = builder.inputType('CreateLeadingGroupInput', {
  fields: (t) => ({
    campaignCode: t.string({ required: true }),
    orgCode: t.string({ required: true }),
    name: t.string({ required: true }),
    officeOrgCode: t.string({ description: 'The unit doing the group’s daily work (办公室).' }),
    establishedOn: t.field({ type: 'Date' }),
    members: t.field({ type: [LeadingGroupMemberInput] }),
  }),
});

const SetLeadingGroupMemberInput = builder.inputType('SetLeadingGroupMemberInput', {
  fields: (t) => ({
    leadingGroupId: t.globalID({ required: true }),
    employeeNumber: t.string({ required: true }),
    role: t.field({ type: LeadingGroupRole, description: 'The new role; null removes the cadre from the group.' }),
  }),
});

const CreateCampaignPayload = builder.objectRef<{ campaign: { id: number } }>('CreateCampaignPayload').implement({
  fields: (t) => ({
    campaign: t.drizzleField({
      type: 'campaigns',
      resolve: (query, payload, _args, ctx) =>
        ctx.db.query.campaigns
          .findFirst(query({ where: { id: payload.campaign.id } }))
          .then((row) => row ?? Promise.reject(new Error(`campaign ${payload.campaign.id} vanished after its write`))),
    }),
  }),
});

const LeadingGroupPayload = (name: string) =>
  builder.objectRef<{ leadingGroup: { id: number } }>(name).implement({
    fields: (t) => ({
      leadingGroup: t.drizzleField({
        type: 'leadingGroups',
        resolve: (query, payload, _args, ctx) =>
          ctx.db.query.leadingGroups
            .findFirst(query({ where: { id: payload.leadingGroup.id } }))
            .then(
              (row) => row ?? Promise.reject(new Error(`group ${payload.leadingGroup.id} vanished after its write`)),
            ),
      }),
    }),
  });

builder.mutationFields((t) => ({
  createCampaign: t.field({
    type: CreateCampaignPayload,
    description: 'A new campaign (another year, another place’s 四型/五型 variant) with its catalogue. Admins only.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateCampaignInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'CreateCampaignResult' } },
    resolve: async (_root, { input }, ctx) => ({
      campaign: await createCampaign(ctx.db, writeAccessOf(ctx.viewer), input),
    }),
  }),
  createLeadingGroup: t.field({
    type: LeadingGroupPayload('CreateLeadingGroupPayload'),
    description: 'Sets up a unit’s leading group for a campaign (one per unit and campaign).',
    authScopes: { directoryWrite: true },
    args: { input: t.arg({ type: CreateLeadingGroupInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'CreateLeadingGroupResult' } },
    resolve: async (_root, { input }, ctx) => ({
      leadingGroup: await createLeadingGroup(ctx.db, writeAccessOf(ctx.viewer), input),
    }),
  }),
  setLeadingGroupMember: t.field({
    type: LeadingGroupPayload('SetLeadingGroupMemberPayload'),
    description: 'Adds a cadre to a leading group, changes their role, or with `role: null` removes them.',
    authScopes: { directoryWrite: true },
    args: { input: t.arg({ type: SetLeadingGroupMemberInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'SetLeadingGroupMemberResult' } },
    resolve: async (_root, { input }, ctx) => ({
      leadingGroup: await setLeadingGroupMember(ctx.db, writeAccessOf(ctx.viewer), {
        ...input,
        leadingGroupId: databaseIdOf(input.leadingGroupId, 'LeadingGroup'),
      }),
    }),
  }),
}));
