import { filter, pipe } from '@graphql-yoga/subscription';
import { builder } from '../../builder.ts';
import { type MetricUpdateEvent, pathWithin } from '../../context.ts';
import { graphQLError } from '../../errors.ts';
import { periodLabel } from './metrics.service.ts';
import { GranularityEnum } from './metrics.ts';
import { readableFigures } from './series.ts';

const MetricUpdate = builder.objectRef<MetricUpdateEvent>('MetricUpdate').implement({
  description: 'A figure just accepted by submitMetricObservations.',
  fields: (t) => ({
    metricCode: t.exposeString('metricCode'),
    orgCode: t.exposeString('orgCode'),
    granularity: t.expose('granularity', { type: GranularityEnum }),
    periodStart: t.expose('periodStart', { type: 'Date' }),
    periodLabel: t.string({ resolve: (event) => periodLabel(event.granularity, event.periodStart) }),
    value: t.expose('value', { type: 'Decimal' }),
    revision: t.exposeInt('revision'),
    source: t.exposeString('source'),
    batchId: t.id({ resolve: (event) => event.batchId }),
  }),
});

builder.subscriptionType({});

builder.subscriptionField('metricUpdated', (t) =>
  t.field({
    type: MetricUpdate,
    description:
      'Each figure accepted from now on (over SSE): for the given metrics (all when omitted) and for the unit `orgCode` and the units below it (all the caller may read when omitted).',
    authScopes: { metricsRead: true },
    args: {
      metricCodes: t.arg.stringList(),
      orgCode: t.arg.string(),
    },
    subscribe: async (_root, args, ctx) => {
      if (!ctx.events) throw graphQLError('INTERNAL_SERVER_ERROR', 'this server publishes no events');
      const readable = readableFigures(ctx.viewer);
      let unitPath: string | null = null;
      if (args.orgCode) {
        const unit = await ctx.db.query.organizations.findFirst({
          where: { code: args.orgCode },
          columns: { path: true },
        });
        // A unit outside the reader's subtree is answered as if it did not exist, as in metricSeries.
        if (!unit || !pathWithin(unit.path, readable)) {
          throw graphQLError('NOT_FOUND', `Organization ${args.orgCode} does not exist`);
        }
        unitPath = unit.path;
      }
      const codes = args.metricCodes && args.metricCodes.length > 0 ? new Set(args.metricCodes) : null;
      return pipe(
        ctx.events.subscribe('metricUpdated'),
        filter(
          (event: MetricUpdateEvent) =>
            (codes === null || codes.has(event.metricCode)) &&
            pathWithin(event.orgPath, unitPath) &&
            pathWithin(event.orgPath, readable),
        ),
      );
    },
    resolve: (event) => event,
  }),
);
