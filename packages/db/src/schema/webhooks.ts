import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  smallint,
  snakeCase,
  text,
  timestamp,
  varchar,
} from 'drizzle-orm/pg-core';
import { organizations } from './directory.ts';

/** What other systems can subscribe to. */
export const webhookEventTypes = [
  'REMINDER_CREATED',
  'PROBLEM_TRANSITIONED',
  'OBSERVATION_BATCH_ACCEPTED',
  'REPORT_READY',
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];
export const webhookEventType = pgEnum('webhook_event_type', webhookEventTypes);

/**
 * PENDING: not tried yet (or sent again by redeliverWebhook); FAILED: the last attempt failed and
 * another is scheduled; DELIVERED: answered 2xx; DEAD: the attempts ran out.
 */
export const webhookDeliveryStatuses = ['PENDING', 'FAILED', 'DELIVERED', 'DEAD'] as const;
export type WebhookDeliveryStatus = (typeof webhookDeliveryStatuses)[number];
export const webhookDeliveryStatus = pgEnum('webhook_delivery_status', webhookDeliveryStatuses);

/**
 * A URL of another system that receives events. The signing secret is kept encrypted (AES-256-GCM)
 * because signing needs it in plain text; the previous one stays usable until
 * `previous_secret_expires_at`, so a rotation does not break a receiver that has not switched yet.
 */
export const webhookEndpoints = snakeCase.table('webhook_endpoints', {
  id: integer().primaryKey().generatedAlwaysAsIdentity(),
  url: varchar({ length: 2000 }).notNull(),
  description: varchar({ length: 300 }).notNull().default(''),
  eventTypes: webhookEventType().array().notNull(),
  /** Only events of this unit's subtree; null for the whole zone. */
  organizationId: integer().references(() => organizations.id, { onDelete: 'restrict' }),
  active: boolean().notNull().default(true),
  secretCiphertext: text().notNull(),
  /** The first characters of the secret, to tell which one a receiver holds. */
  secretPrefix: varchar({ length: 16 }).notNull(),
  previousSecretCiphertext: text(),
  previousSecretExpiresAt: timestamp({ withTimezone: true, mode: 'string' }),
  createdAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
  updatedAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
});

/**
 * The outbox: one row per (event, endpoint), written in the transaction of the change that caused
 * the event, then sent by the worker (or the API's timer on the embedded database). `message_id` is
 * the `webhook-id` header: the same on every attempt and on a redelivery.
 */
export const webhookDeliveries = snakeCase.table(
  'webhook_deliveries',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    endpointId: integer()
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    messageId: varchar({ length: 64 }).notNull(),
    eventType: webhookEventType().notNull(),
    /** The JSON body, exactly as signed and sent. */
    payload: jsonb().notNull(),
    status: webhookDeliveryStatus().notNull().default('PENDING'),
    attempts: smallint().notNull().default(0),
    lastResponseCode: smallint(),
    lastError: varchar({ length: 500 }),
    lastAttemptAt: timestamp({ withTimezone: true, mode: 'string' }),
    nextAttemptAt: timestamp({ withTimezone: true, mode: 'string' }).default(sql`now()`),
    /** A sender's lease: no other sender takes the row before it passes (a sender that died). */
    lockedUntil: timestamp({ withTimezone: true, mode: 'string' }),
    deliveredAt: timestamp({ withTimezone: true, mode: 'string' }),
    createdAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
  },
  (t) => [
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.status} in ('PENDING', 'FAILED')`),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.id),
  ],
);
