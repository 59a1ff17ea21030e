import type { activityKinds } from '@sixtype/db';
import { type SQL, sql } from 'drizzle-orm';
import { builder } from '../../builder.ts';
import { directorySubtree } from '../../context.ts';
import { graphQLError } from '../../errors.ts';
import { rowsOf } from '../common/rows.ts';
import { activityScopeConditions } from './activity.service.ts';
import { ActivityKind } from './activity.ts';
import { codeArg } from './campaign.service.ts';

interface ActivityCountsQuery {
  campaignCode?: string | null;
  orgCode?: string | null;
  includeDescendants?: boolean | null;
  from: string;
  to: string;
}

type Kind = (typeof activityKinds)[number];

interface ActivityCountsRow {
  held: number;
  activities: number;
  by_kind: { kind: Kind; held: number; activities: number }[];
  by_dimension: { code: string; name: string; held: number; activities: number }[];
}

/**
 * Sessions held in [from, to] (zone days; each occurrence of a recurring activity counts, as
 * ACTIVITIES_HELD does) and the activities behind them, in total, by kind and by dimension served:
 * one statement with grouping sets folded into JSON.
 */
export function activityCountsSql(q: ActivityCountsQuery, readable: string | null | undefined): SQL {
  const conditions = [sql`occ.day between ${q.from}::date and ${q.to}::date`, ...activityScopeConditions(q, readable)];
  return sql`
with held as (
  select a.id as activity_id, a.kind::text as kind, a.campaign_id, occ.day
  from activity_occurrences occ
  join activities a on a.id = occ.activity_id
  join organizations o on o.id = a.organizer_organization_id
  where ${sql.join(conditions, sql` and `)}
),
by_kind as (
  select kind, count(*)::int as held, count(distinct activity_id)::int as activities from held group by kind
),
by_dimension as (
  select d.code, d.name, d.sort_order, count(*)::int as held, count(distinct h.activity_id)::int as activities
  from held h
  join activity_dimensions ad on ad.activity_id = h.activity_id
  join campaign_dimensions d on d.id = ad.dimension_id
  group by d.campaign_id, d.code, d.name, d.sort_order
)
select (select count(*)::int from held) as held,
       (select count(distinct activity_id)::int from held) as activities,
       coalesce((select json_agg(json_build_object('kind', kind, 'held', held, 'activities', activities) order by held desc, kind)
                 from by_kind), '[]'::json) as by_kind,
       coalesce((select json_agg(json_build_object('code', code, 'name', name, 'held', held, 'activities', activities) order by sort_order, code)
                 from by_dimension), '[]'::json) as by_dimension`;
}

const ActivityCountByKind = builder.objectRef<ActivityCountsRow['by_kind'][number]>('ActivityCountByKind').implement({
  fields: (t) => ({
    kind: t.expose('kind', { type: ActivityKind }),
    held: t.exposeInt('held', { description: 'Sessions held (occurrences) in the range.' }),
    activities: t.exposeInt('activities', { description: 'Distinct activities behind them.' }),
  }),
});

const ActivityCountByDimension = builder
  .objectRef<ActivityCountsRow['by_dimension'][number]>('ActivityCountByDimension')
  .implement({
    fields: (t) => ({
      code: t.exposeString('code'),
      name: t.exposeString('name'),
      held: t.exposeInt('held', { description: 'Sessions held that serve this dimension.' }),
      activities: t.exposeInt('activities'),
    }),
  });

const ActivityCounts = builder.objectRef<ActivityCountsRow>('ActivityCounts').implement({
  description: 'Activity sessions held in a range, in total, by kind (most first) and by dimension (campaign order).',
  fields: (t) => ({
    held: t.exposeInt('held'),
    activities: t.exposeInt('activities'),
    byKind: t.field({ type: [ActivityCountByKind], resolve: (row) => row.by_kind }),
    byDimension: t.field({
      type: [ActivityCountByDimension],
      description: 'An activity serving several dimensions counts under each.',
      resolve: (row) => row.by_dimension,
    }),
  }),
});

const MAX_RANGE_DAYS = 732;

builder.queryField('activityCounts', (t) =>
  t.field({
    type: ActivityCounts,
    description:
      'Activity sessions held in [from, to] (each occurrence of a recurring activity counts), by kind and by dimension, for the activities a unit (and with includeDescendants, any unit below it) organized. One statement.',
    authScopes: { directoryRead: true },
    args: {
      campaignCode: t.arg.string({ validate: codeArg }),
      orgCode: t.arg.string({ validate: codeArg }),
      includeDescendants: t.arg.boolean({ defaultValue: true }),
      from: t.arg({ type: 'Date', required: true }),
      to: t.arg({ type: 'Date', required: true }),
    },
    resolve: async (_root, args, ctx) => {
      const days = (Date.parse(args.to) - Date.parse(args.from)) / 86_400_000;
      if (days < 0) throw graphQLError('BAD_USER_INPUT', '`to` must not be before `from`');
      if (days > MAX_RANGE_DAYS)
        throw graphQLError('BAD_USER_INPUT', `a range may span at most ${MAX_RANGE_DAYS} days`);
      const [row] = rowsOf<ActivityCountsRow>(
        await ctx.db.execute(activityCountsSql(args, directorySubtree(ctx.viewer))),
      );
      return row ?? { held: 0, activities: 0, by_kind: [], by_dimension: [] };
    },
  }),
);
