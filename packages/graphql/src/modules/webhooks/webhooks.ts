import { drizzleConnectionHelpers } from '@pothos/plugin-drizzle';
import {
  type WebhookEventType,
  webhookDeliveries,
  webhookDeliveryStatuses,
  webhookEndpoints,
  webhookEventTypes,
} from '@sixtype/db';
import { and, sql } from 'drizzle-orm';
import { builder } from '../../builder.ts';
import { auditActorOf, type GraphQLContext, type WebhookSettings } from '../../context.ts';
import { graphQLError } from '../../errors.ts';
import { mutationErrors } from '../common/errors.ts';
import { databaseIdOf } from '../common/ids.ts';
import { resolveRootConnection, totalCountField } from '../common/pagination.ts';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  redeliverWebhook,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  type WebhookEndpointRow,
  webhookEventNames,
} from './webhooks.service.ts';

export const WebhookEventTypeEnum = builder.enumType('WebhookEventType', {
  description: `REMINDER_CREATED (\`${webhookEventNames.REMINDER_CREATED}\`): a reminder rule found something new; PROBLEM_TRANSITIONED (\`${webhookEventNames.PROBLEM_TRANSITIONED}\`): a rectification problem changed state; OBSERVATION_BATCH_ACCEPTED (\`${webhookEventNames.OBSERVATION_BATCH_ACCEPTED}\`): submitMetricObservations wrote figures (one event per unit of the batch); REPORT_READY (\`${webhookEventNames.REPORT_READY}\`): the monthly campaign report of a unit was written and stored (its download links in the payload).`,
  values: webhookEventTypes,
});

const WebhookDeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', {
  description:
    'PENDING: not tried yet; FAILED: the last attempt failed and another is scheduled (nextAttemptAt); DELIVERED: answered 2xx; DEAD: the attempts ran out (redeliverWebhook sends it again).',
  values: webhookDeliveryStatuses,
});

export const WebhookEndpoint = builder.drizzleNode('webhookEndpoints', {
  name: 'WebhookEndpoint',
  description: 'A URL of another system that receives signed events. Admins only; the secret is never readable.',
  id: { column: (endpoint) => endpoint.id },
  authScopes: { admin: true },
  fields: (t) => ({
    url: t.exposeString('url'),
    description: t.exposeString('description'),
    eventTypes: t.field({ type: [WebhookEventTypeEnum], resolve: (endpoint) => endpoint.eventTypes }),
    organization: t.relation('organization', {
      nullable: true,
      description: 'Only events of this unit’s subtree are sent; null for the whole zone.',
    }),
    active: t.exposeBoolean('active', { description: 'An inactive endpoint gets no new deliveries.' }),
    secretPrefix: t.exposeString('secretPrefix', {
      description: 'The first characters of the current secret, to tell which one a receiver holds.',
    }),
    previousSecretExpiresAt: t.expose('previousSecretExpiresAt', {
      type: 'DateTime',
      nullable: true,
      description: 'After a rotation: until then deliveries carry a signature with the previous secret too.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

export const WebhookDelivery = builder.drizzleNode('webhookDeliveries', {
  name: 'WebhookDelivery',
  description: 'One event for one endpoint, with its attempts so far. Admins only.',
  id: { column: (delivery) => delivery.id },
  authScopes: { admin: true },
  fields: (t) => ({
    endpoint: t.relation('endpoint'),
    webhookId: t.exposeString('messageId', {
      description: 'The `webhook-id` header: the same on every attempt and on a redelivery.',
    }),
    eventType: t.expose('eventType', { type: WebhookEventTypeEnum }),
    payload: t.expose('payload', { type: 'JSON', description: 'The body as sent.' }),
    status: t.expose('status', { type: WebhookDeliveryStatusEnum }),
    attempts: t.exposeInt('attempts'),
    lastResponseCode: t.exposeInt('lastResponseCode', { nullable: true }),
    lastError: t.exposeString('lastError', {
      nullable: true,
      description: 'Why the last attempt failed: the status, a timeout, a refused connection.',
    }),
    lastAttemptAt: t.expose('lastAttemptAt', { type: 'DateTime', nullable: true }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const endpointPages = drizzleConnectionHelpers(builder, 'webhookEndpoints', {
  query: () => ({ orderBy: { id: 'asc' } }),
});
const deliveryPages = drizzleConnectionHelpers(builder, 'webhookDeliveries', {
  query: () => ({ orderBy: { id: 'desc' } }),
});

builder.queryFields((t) => ({
  webhookEndpoints: t.connection(
    {
      type: WebhookEndpoint,
      description: 'The registered webhook endpoints, oldest first. Admins only.',
      authScopes: { admin: true },
      resolve: (_root, args, ctx, info) =>
        resolveRootConnection({
          t,
          tableName: 'webhookEndpoints',
          table: webhookEndpoints,
          pages: endpointPages,
          args,
          ctx,
          info,
          condition: () => sql`true`,
        }) as never,
    },
    { name: 'WebhookEndpointConnection', fields: (c) => ({ totalCount: c.int(totalCountField) }) },
  ),
  webhookDeliveries: t.connection(
    {
      type: WebhookDelivery,
      description: 'The delivery log, newest first: of one endpoint, in one status, or all. Admins only.',
      authScopes: { admin: true },
      args: {
        endpointId: t.arg.globalID({ description: 'A WebhookEndpoint’s id.' }),
        status: t.arg({ type: WebhookDeliveryStatusEnum }),
      },
      resolve: (_root, args, ctx, info) => {
        const endpointId = databaseIdOf(args.endpointId, 'WebhookEndpoint');
        return resolveRootConnection({
          t,
          tableName: 'webhookDeliveries',
          table: webhookDeliveries,
          pages: deliveryPages,
          args,
          ctx,
          info,
          condition: (table) =>
            and(
              endpointId == null ? undefined : sql`${table.endpointId} = ${endpointId}`,
              args.status ? sql`${table.status} = ${args.status}` : undefined,
            ) ?? sql`true`,
        }) as never;
      },
    },
    { name: 'WebhookDeliveryConnection', fields: (c) => ({ totalCount: c.int(totalCountField) }) },
  ),
}));

function settingsOf(ctx: GraphQLContext): WebhookSettings {
  if (!ctx.webhooks) throw graphQLError('INTERNAL_SERVER_ERROR', 'this server is not set up for webhooks');
  return ctx.webhooks;
}

const CreateWebhookEndpointInput = builder.inputType('CreateWebhookEndpointInput', {
  fields: (t) => ({
    url: t.string({
      required: true,
      description: 'https:// (http:// only for hosts on WEBHOOK_ALLOWED_HOSTS); private addresses need the allow-list.',
    }),
    description: t.string(),
    eventTypes: t.field({ type: [WebhookEventTypeEnum], required: true }),
    organizationCode: t.string({ description: 'Restricts the endpoint to this unit’s subtree.' }),
    active: t.boolean({ description: 'Default true.' }),
  }),
});

const UpdateWebhookEndpointInput = builder.inputType('UpdateWebhookEndpointInput', {
  description: 'Fields left out stay as they are; `organizationCode: null` lifts the subtree restriction.',
  fields: (t) => ({
    id: t.globalID({ required: true, description: 'The WebhookEndpoint’s id.' }),
    url: t.string(),
    description: t.string(),
    eventTypes: t.field({ type: [WebhookEventTypeEnum] }),
    organizationCode: t.string(),
    active: t.boolean(),
  }),
});

const WebhookEndpointIdInput = (name: string) =>
  builder.inputType(name, {
    fields: (t) => ({ id: t.globalID({ required: true, description: 'The WebhookEndpoint’s id.' }) }),
  });

const WebhookEndpointWithSecretPayload = (name: string) =>
  builder.objectRef<{ endpoint: WebhookEndpointRow; secret: string }>(name).implement({
    fields: (t) => ({
      webhookEndpoint: t.field({ type: WebhookEndpoint, resolve: (payload) => payload.endpoint }),
      secret: t.exposeString('secret', {
        description:
          'The signing secret (Standard Webhooks, `whsec_…`), shown only in this response: give it to the receiver now.',
      }),
    }),
  });

const WebhookEndpointPayload = (name: string) =>
  builder.objectRef<{ endpoint: WebhookEndpointRow }>(name).implement({
    fields: (t) => ({ webhookEndpoint: t.field({ type: WebhookEndpoint, resolve: (payload) => payload.endpoint }) }),
  });

const RedeliverWebhookInput = builder.inputType('RedeliverWebhookInput', {
  fields: (t) => ({ deliveryId: t.globalID({ required: true, description: 'The WebhookDelivery’s id.' }) }),
});

const RedeliverWebhookPayload = builder
  .objectRef<{ delivery: typeof webhookDeliveries.$inferSelect }>('RedeliverWebhookPayload')
  .implement({
    fields: (t) => ({
      delivery: t.field({
        type: WebhookDelivery,
        description: 'The new delivery: the same webhook-id and body, attempts counted afresh.',
        resolve: (payload) => payload.delivery,
      }),
    }),
  });

const errors = (name: string) => ({
  types: [...mutationErrors],
  directResult: true as const,
  union: { name },
});

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.field({
    type: WebhookEndpointWithSecretPayload('CreateWebhookEndpointPayload'),
    description: 'Registers an endpoint and returns its signing secret, which is never shown again. Admins only.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateWebhookEndpointInput, required: true }) },
    errors: errors('CreateWebhookEndpointResult'),
    resolve: (_root, { input }, ctx) =>
      createWebhookEndpoint(ctx.db, auditActorOf(ctx.viewer), settingsOf(ctx), {
        ...input,
        eventTypes: input.eventTypes as WebhookEventType[],
      }),
  }),
  updateWebhookEndpoint: t.field({
    type: WebhookEndpointPayload('UpdateWebhookEndpointPayload'),
    description: 'Changes an endpoint’s URL, event types, subtree or active flag. Admins only.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: UpdateWebhookEndpointInput, required: true }) },
    errors: errors('UpdateWebhookEndpointResult'),
    resolve: async (_root, { input }, ctx) => {
      const { id, ...fields } = input;
      return {
        endpoint: await updateWebhookEndpoint(
          ctx.db,
          auditActorOf(ctx.viewer),
          settingsOf(ctx),
          databaseIdOf(id, 'WebhookEndpoint'),
          { ...fields, eventTypes: fields.eventTypes as WebhookEventType[] | null | undefined },
        ),
      };
    },
  }),
  deleteWebhookEndpoint: t.field({
    type: WebhookEndpointPayload('DeleteWebhookEndpointPayload'),
    description: 'Removes an endpoint with its delivery log (deliveries not yet sent are dropped). Admins only.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: WebhookEndpointIdInput('DeleteWebhookEndpointInput'), required: true }) },
    errors: errors('DeleteWebhookEndpointResult'),
    resolve: async (_root, { input }, ctx) => ({
      endpoint: await deleteWebhookEndpoint(
        ctx.db,
        auditActorOf(ctx.viewer),
        databaseIdOf(input.id, 'WebhookEndpoint'),
      ),
    }),
  }),
  rotateWebhookSecret: t.field({
    type: WebhookEndpointWithSecretPayload('RotateWebhookSecretPayload'),
    description:
      'Gives an endpoint a new secret (returned once). The previous one keeps signing beside it until previousSecretExpiresAt. Admins only.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: WebhookEndpointIdInput('RotateWebhookSecretInput'), required: true }) },
    errors: errors('RotateWebhookSecretResult'),
    resolve: (_root, { input }, ctx) =>
      rotateWebhookSecret(ctx.db, auditActorOf(ctx.viewer), settingsOf(ctx), databaseIdOf(input.id, 'WebhookEndpoint')),
  }),
  redeliverWebhook: t.field({
    type: RedeliverWebhookPayload,
    description: 'Sends a delivery again with the same webhook-id and body, as a new row of the log. Admins only.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: RedeliverWebhookInput, required: true }) },
    errors: errors('RedeliverWebhookResult'),
    resolve: async (_root, { input }, ctx) => ({
      delivery: await redeliverWebhook(
        ctx.db,
        auditActorOf(ctx.viewer),
        databaseIdOf(input.deliveryId, 'WebhookDelivery'),
      ),
    }),
  }),
}));
