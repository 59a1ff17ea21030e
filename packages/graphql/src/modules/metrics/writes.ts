// The metrics mutations: observations, targets and definitions.
import { builder } from '../../builder.ts';
import { auditActorOf, metricsSubtree } from '../../context.ts';
import { mutationErrors } from '../common/errors.ts';
import {
  type BatchResult,
  createMetricDefinition,
  type RowError,
  setMetricTarget,
  submitObservations,
  updateMetricDefinition,
} from './metrics.service.ts';
import {
  GranularityEnum,
  MetricAggregation,
  MetricDefinition,
  type MetricDefinitionShape,
  MetricDirection,
  MetricKind,
  MetricReporting,
} from './metrics.ts';

const ObservationInput = builder.inputType('MetricObservationInput', {
  fields: (t) => ({
    metricCode: t.string({ required: true }),
    orgCode: t.string({ required: true }),
    periodStart: t.string({ required: true, description: 'First day of the period, YYYY-MM-DD.' }),
    granularity: t.field({ type: GranularityEnum, required: true }),
    value: t.field({ type: 'Decimal', required: true }),
    source: t.string({ required: true, description: 'Where the figure comes from, e.g. the reporting system.' }),
  }),
});

const SubmitInput = builder.inputType('SubmitMetricObservationsInput', {
  fields: (t) => ({
    idempotencyKey: t.string({
      required: true,
      description: 'Chosen by the sender; sending the same batch again with it writes nothing.',
    }),
    observations: t.field({ type: [ObservationInput], required: true }),
  }),
});

const ObservationError = builder.objectRef<RowError>('MetricObservationError').implement({
  description: 'A row that was not written, by its index in the submitted list.',
  fields: (t) => ({
    index: t.exposeInt('index'),
    field: t.exposeString('field'),
    code: t.exposeString('code'),
    message: t.exposeString('message'),
  }),
});

const SubmitPayload = builder.objectRef<BatchResult>('SubmitMetricObservationsPayload').implement({
  description: 'Valid rows are written (as new revisions), invalid rows are reported; both in one answer.',
  fields: (t) => ({
    batchId: t.id({ nullable: true, resolve: (result) => result.batchId }),
    accepted: t.exposeInt('accepted'),
    rejected: t.exposeInt('rejected'),
    replayed: t.exposeBoolean('replayed', {
      description: 'The key was seen before with this batch: this is the first answer again, and nothing was written.',
    }),
    errors: t.field({ type: [ObservationError], resolve: (result) => result.errors }),
  }),
});

export const metricsAccessOf = (viewer: Parameters<typeof auditActorOf>[0]) => ({
  actor: auditActorOf(viewer),
  writable: metricsSubtree(viewer, 'write'),
});

builder.mutationField('submitMetricObservations', (t) =>
  t.field({
    type: SubmitPayload,
    description: 'Writes a batch of figures from another system, at most 10,000 rows, idempotent by key.',
    authScopes: { metricsWrite: true },
    args: { input: t.arg({ type: SubmitInput, required: true }) },
    errors: {
      types: [...mutationErrors],
      directResult: true,
      union: { name: 'SubmitMetricObservationsResult' },
    },
    resolve: async (_root, { input }, ctx) => {
      const { written, ...result } = await submitObservations(ctx.db, metricsAccessOf(ctx.viewer), input);
      // Announced only after the transaction committed: a subscriber never sees a figure that
      // could still roll back.
      for (const event of written) ctx.events?.publish('metricUpdated', event);
      return result;
    },
  }),
);

const TargetInput = builder.inputType('SetMetricTargetInput', {
  fields: (t) => ({
    metricCode: t.string({ required: true }),
    orgCode: t.string({ required: true }),
    granularity: t.field({ type: GranularityEnum, required: true }),
    periodStart: t.string({ required: true }),
    value: t.field({ type: 'Decimal', required: true }),
  }),
});

const TargetPayload = builder
  .objectRef<{ metricCode: string; orgCode: string; periodStart: string; value: string }>('SetMetricTargetPayload')
  .implement({
    fields: (t) => ({
      metricCode: t.exposeString('metricCode'),
      orgCode: t.exposeString('orgCode'),
      periodStart: t.expose('periodStart', { type: 'Date' }),
      value: t.expose('value', { type: 'Decimal' }),
    }),
  });

builder.mutationField('setMetricTarget', (t) =>
  t.field({
    type: TargetPayload,
    authScopes: { metricsWrite: true },
    args: { input: t.arg({ type: TargetInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'SetMetricTargetResult' } },
    resolve: async (_root, { input }, ctx) => {
      const target = await setMetricTarget(ctx.db, metricsAccessOf(ctx.viewer), input);
      return {
        metricCode: input.metricCode,
        orgCode: input.orgCode,
        periodStart: target.periodStart,
        value: target.value,
      };
    },
  }),
);

const DefinitionInput = builder.inputType('CreateMetricDefinitionInput', {
  fields: (t) => ({
    code: t.string({ required: true }),
    name: t.string({ required: true }),
    unit: t.string({ required: true }),
    kind: t.field({ type: MetricKind, required: true }),
    aggregation: t.field({ type: MetricAggregation, required: true }),
    direction: t.field({ type: MetricDirection, required: true }),
    category: t.string(),
    description: t.string(),
    reportingGranularity: t.field({ type: GranularityEnum, required: true }),
    ownerOrgCode: t.string(),
    derivation: t.string({
      description:
        'Computes the figure from the platform’s data (see the derivations listed in the error for an unknown name); needs MONTH reporting.',
    }),
    reportedAs: t.field({ type: MetricReporting, description: 'OWN when omitted.' }),
    headline: t.boolean({ description: 'A figure the progress report shows; false when omitted.' }),
    numeratorMetricCode: t.string({
      description: 'For a RATIO recomputed from two figures (with denominatorMetricCode): a FLOW or STOCK metric.',
    }),
    denominatorMetricCode: t.string(),
    ratioMultiplier: t.field({
      type: 'Decimal',
      description: 'numerator ÷ denominator × this; 1 when omitted, 100 for a percentage.',
    }),
  }),
});

const UpdateDefinitionInput = builder.inputType('UpdateMetricDefinitionInput', {
  description: 'Kind and reporting granularity cannot change: stored figures would mean something else.',
  fields: (t) => ({
    code: t.string({ required: true }),
    name: t.string(),
    unit: t.string(),
    aggregation: t.field({ type: MetricAggregation }),
    direction: t.field({ type: MetricDirection }),
    category: t.string(),
    description: t.string(),
    ownerOrgCode: t.string(),
    headline: t.boolean(),
  }),
});

const DefinitionPayload = (name: string) =>
  builder.objectRef<{ metric: MetricDefinitionShape }>(name).implement({
    fields: (t) => ({ metric: t.field({ type: MetricDefinition, resolve: (payload) => payload.metric }) }),
  });

builder.mutationFields((t) => ({
  createMetricDefinition: t.field({
    type: DefinitionPayload('CreateMetricDefinitionPayload'),
    authScopes: { admin: true },
    args: { input: t.arg({ type: DefinitionInput, required: true }) },
    errors: {
      types: [...mutationErrors],
      directResult: true,
      union: { name: 'CreateMetricDefinitionResult' },
    },
    resolve: async (_root, { input }, ctx) => ({
      metric: await createMetricDefinition(ctx.db, auditActorOf(ctx.viewer), input),
    }),
  }),
  updateMetricDefinition: t.field({
    type: DefinitionPayload('UpdateMetricDefinitionPayload'),
    authScopes: { admin: true },
    args: { input: t.arg({ type: UpdateDefinitionInput, required: true }) },
    errors: {
      types: [...mutationErrors],
      directResult: true,
      union: { name: 'UpdateMetricDefinitionResult' },
    },
    resolve: async (_root, { input }, ctx) => ({
      metric: await updateMetricDefinition(ctx.db, auditActorOf(ctx.viewer), input),
    }),
  }),
}));
