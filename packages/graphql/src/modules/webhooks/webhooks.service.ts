import { randomUUID } from 'node:crypto';
import {
  type AuditActor,
  type Executor,
  now,
  organizations,
  type WebhookDeliveryStatus,
  type WebhookEventType,
  webhookDeliveries,
  webhookDeliveryStatuses,
  webhookEndpoints,
  webhookEventTypes,
  writeAuditEvent,
} from '@sixtype/db';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { WebhookSettings } from '../../context.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { inTransaction } from '../common/transactions.ts';
import { parseInput } from '../common/validation.ts';
import { destinationProblem } from './destinations.ts';
import { encryptSecret, generateWebhookSecret, secretPrefixOf } from './secrets.ts';

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;

/** The `type` of each event's JSON body (Standard Webhooks' `type`, `timestamp`, `data` envelope). */
export const webhookEventNames: Readonly<Record<WebhookEventType, string>> = {
  REMINDER_CREATED: 'reminder.created',
  PROBLEM_TRANSITIONED: 'problem.transitioned',
  OBSERVATION_BATCH_ACCEPTED: 'observation_batch.accepted',
  REPORT_READY: 'report.ready',
};

/** An event as the write that caused it describes it; its unit decides which endpoints see it. */
export interface WebhookEvent {
  type: WebhookEventType;
  /** The unit the event is about: an endpoint restricted to a subtree sees it only if the unit is inside. */
  organizationId: number;
  /** The campaign it belongs to, if any: its code is added as `data.campaignCode`. */
  campaignId?: number;
  data: Record<string, unknown>;
}

/**
 * Writes the outbox rows of events, one per (event, active endpoint whose types include the
 * event's and whose subtree holds its unit), in one statement of the caller's transaction: the
 * deliveries exist exactly when the change committed. `data.organizationCode` (and
 * `data.campaignCode` for an event naming its campaign) are filled in here, by the same statement.
 */
export async function enqueueWebhookEvents(tx: Executor, events: readonly WebhookEvent[]): Promise<void> {
  if (events.length === 0) return;
  const timestamp = now().toISOString();
  const rows = events.map((event) => ({
    message_id: `msg_${randomUUID().replaceAll('-', '')}`,
    event_type: event.type,
    organization_id: event.organizationId,
    campaign_id: event.campaignId ?? null,
    payload: { type: webhookEventNames[event.type], timestamp, data: event.data },
  }));
  await tx.execute(sql`
insert into webhook_deliveries (endpoint_id, message_id, event_type, payload)
select e.id, ev.message_id, ev.event_type::webhook_event_type,
       case when campaign.id is null then with_unit.payload
            else jsonb_set(with_unit.payload, '{data,campaignCode}', to_jsonb(campaign.code::text)) end
from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
       as ev(message_id text, event_type text, organization_id int, campaign_id int, payload jsonb)
join organizations subject on subject.id = ev.organization_id
left join campaigns campaign on campaign.id = ev.campaign_id
cross join lateral (
  select jsonb_set(ev.payload, '{data,organizationCode}', to_jsonb(subject.code::text)) as payload
) with_unit
join webhook_endpoints e on e.active and ev.event_type::webhook_event_type = any(e.event_types)
left join organizations scope on scope.id = e.organization_id
where e.organization_id is null or subject.path <@ scope.path`);
}

// ---------------------------------------------------------------------------------------------
// Endpoints

/** What the audit log keeps of an endpoint: everything but the secrets. */
function auditedEndpoint(row: WebhookEndpointRow) {
  const { secretCiphertext: _secret, previousSecretCiphertext: _previous, ...visible } = row;
  return visible;
}

const eventTypesSchema = z
  .array(z.enum(webhookEventTypes))
  .min(1, 'name at least one event type')
  .transform((types) => [...new Set(types)]);

const endpointFields = (settings: WebhookSettings) => ({
  url: z
    .string()
    .trim()
    .max(2000, 'must be at most 2000 characters')
    .superRefine((url, ctx) => {
      const problem = destinationProblem(url, settings.destinations);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  description: z.string().trim().max(300, 'must be at most 300 characters'),
  eventTypes: eventTypesSchema,
  organizationCode: z.string().trim().min(1).nullable(),
  active: z.boolean(),
});

export interface CreateWebhookEndpointInput {
  url: string;
  description?: string | null;
  eventTypes: readonly WebhookEventType[];
  organizationCode?: string | null;
  active?: boolean | null;
}

async function organizationIdOf(tx: Executor, code: string | null | undefined): Promise<number | null> {
  if (!code) return null;
  const [unit] = await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.code, code));
  if (!unit) throw ValidationError.of(['input', 'organizationCode'], `no unit ${code}`);
  return unit.id;
}

/** Registers an endpoint and returns its secret, which is never readable again. */
export async function createWebhookEndpoint(
  db: Executor,
  actor: AuditActor,
  settings: WebhookSettings,
  rawInput: CreateWebhookEndpointInput,
): Promise<{ endpoint: WebhookEndpointRow; secret: string }> {
  const fields = endpointFields(settings);
  const input = parseInput(
    z.object({
      url: fields.url,
      description: fields.description.nullish(),
      eventTypes: fields.eventTypes,
      organizationCode: fields.organizationCode.optional(),
      active: fields.active.nullish(),
    }),
    rawInput,
  );
  const secret = generateWebhookSecret();
  return inTransaction(db, async (tx) => {
    const [endpoint] = await tx
      .insert(webhookEndpoints)
      .values({
        url: input.url,
        description: input.description ?? '',
        eventTypes: input.eventTypes,
        organizationId: await organizationIdOf(tx, input.organizationCode),
        active: input.active ?? true,
        secretCiphertext: encryptSecret(settings.secretKey, secret),
        secretPrefix: secretPrefixOf(secret),
      })
      .returning();
    if (!endpoint) throw new Error('endpoint was not written');
    await writeAuditEvent(tx, actor, {
      operation: 'createWebhookEndpoint',
      entityType: 'WebhookEndpoint',
      entityId: endpoint.id,
      after: auditedEndpoint(endpoint),
    });
    return { endpoint, secret };
  });
}

export interface UpdateWebhookEndpointInput {
  url?: string | null;
  description?: string | null;
  eventTypes?: readonly WebhookEventType[] | null;
  /** A unit's code to restrict the endpoint to its subtree; null for the whole zone; absent: unchanged. */
  organizationCode?: string | null;
  active?: boolean | null;
}

async function lockEndpoint(tx: Executor, id: number): Promise<WebhookEndpointRow> {
  const [row] = await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).for('update');
  if (!row) throw new NotFoundError('WebhookEndpoint', String(id));
  return row;
}

export async function updateWebhookEndpoint(
  db: Executor,
  actor: AuditActor,
  settings: WebhookSettings,
  id: number,
  rawInput: UpdateWebhookEndpointInput,
): Promise<WebhookEndpointRow> {
  const fields = endpointFields(settings);
  const input = parseInput(
    z.object({
      url: fields.url.nullish(),
      description: fields.description.nullish(),
      eventTypes: fields.eventTypes.nullish(),
      organizationCode: fields.organizationCode.optional(),
      active: fields.active.nullish(),
    }),
    rawInput,
  );
  return inTransaction(db, async (tx) => {
    const before = await lockEndpoint(tx, id);
    const [after] = await tx
      .update(webhookEndpoints)
      .set({
        ...(input.url != null ? { url: input.url } : {}),
        ...(input.description != null ? { description: input.description } : {}),
        ...(input.eventTypes != null ? { eventTypes: input.eventTypes } : {}),
        ...(input.organizationCode !== undefined
          ? { organizationId: await organizationIdOf(tx, input.organizationCode) }
          : {}),
        ...(input.active != null ? { active: input.active } : {}),
        updatedAt: sql`now()`,
      })
      .where(eq(webhookEndpoints.id, id))
      .returning();
    if (!after) throw new Error('endpoint was not updated');
    await writeAuditEvent(tx, actor, {
      operation: 'updateWebhookEndpoint',
      entityType: 'WebhookEndpoint',
      entityId: id,
      before: auditedEndpoint(before),
      after: auditedEndpoint(after),
    });
    return after;
  });
}

/** Removes an endpoint and its delivery log; deliveries not yet sent are dropped. */
export async function deleteWebhookEndpoint(db: Executor, actor: AuditActor, id: number): Promise<WebhookEndpointRow> {
  return inTransaction(db, async (tx) => {
    const before = await lockEndpoint(tx, id);
    await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id));
    await writeAuditEvent(tx, actor, {
      operation: 'deleteWebhookEndpoint',
      entityType: 'WebhookEndpoint',
      entityId: id,
      before: auditedEndpoint(before),
    });
    return before;
  });
}

/**
 * Gives an endpoint a new secret (returned once). For `settings.rotationOverlapMs` after it, every
 * delivery is signed with both the new and the previous secret (two `v1,` signatures in
 * `webhook-signature`), so the receiver can switch in its own time.
 */
export async function rotateWebhookSecret(
  db: Executor,
  actor: AuditActor,
  settings: WebhookSettings,
  id: number,
): Promise<{ endpoint: WebhookEndpointRow; secret: string }> {
  const secret = generateWebhookSecret();
  return inTransaction(db, async (tx) => {
    const before = await lockEndpoint(tx, id);
    const [endpoint] = await tx
      .update(webhookEndpoints)
      .set({
        secretCiphertext: encryptSecret(settings.secretKey, secret),
        secretPrefix: secretPrefixOf(secret),
        previousSecretCiphertext: before.secretCiphertext,
        previousSecretExpiresAt: sql`now() + make_interval(secs => ${settings.rotationOverlapMs / 1000})`,
        updatedAt: sql`now()`,
      })
      .where(eq(webhookEndpoints.id, id))
      .returning();
    if (!endpoint) throw new Error('endpoint was not updated');
    await writeAuditEvent(tx, actor, {
      operation: 'rotateWebhookSecret',
      entityType: 'WebhookEndpoint',
      entityId: id,
      before: auditedEndpoint(before),
      after: auditedEndpoint(endpoint),
    });
    return { endpoint, secret };
  });
}

/**
 * Sends a delivery again as a new row of the log with the same `webhook-id`, body and endpoint
 * (the receiver can tell it is the same message), its attempts counted afresh.
 */
export async function redeliverWebhook(
  db: Executor,
  actor: AuditActor,
  deliveryId: number,
): Promise<WebhookDeliveryRow> {
  return inTransaction(db, async (tx) => {
    const [original] = await tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId));
    if (!original) throw new NotFoundError('WebhookDelivery', String(deliveryId));
    const [copy] = await tx
      .insert(webhookDeliveries)
      .values({
        endpointId: original.endpointId,
        messageId: original.messageId,
        eventType: original.eventType,
        payload: original.payload,
      })
      .returning();
    if (!copy) throw new Error('delivery was not written');
    await writeAuditEvent(tx, actor, {
      operation: 'redeliverWebhook',
      entityType: 'WebhookDelivery',
      entityId: copy.id,
      before: { deliveryId: original.id, status: original.status, attempts: original.attempts },
      after: { deliveryId: copy.id, messageId: copy.messageId, endpointId: copy.endpointId },
    });
    return copy;
  });
}

/** Deliveries by status, for /metrics (one statement when scraped). */
export async function webhookDeliveryCounts(db: Executor): Promise<Record<WebhookDeliveryStatus, number>> {
  const rows = await db
    .select({ status: webhookDeliveries.status, n: sql<number>`count(*)`.mapWith(Number) })
    .from(webhookDeliveries)
    .groupBy(webhookDeliveries.status);
  const counts = Object.fromEntries(webhookDeliveryStatuses.map((status) => [status, 0])) as Record<
    WebhookDeliveryStatus,
    number
  >;
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}
