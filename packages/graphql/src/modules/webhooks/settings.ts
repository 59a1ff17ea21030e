import { z } from 'zod';
import { DEFAULT_WEBHOOK_DELIVERY, type WebhookDeliverySettings } from './delivery.ts';
import { parseAllowedHosts } from './destinations.ts';
import { webhookEncryptionKey } from './secrets.ts';

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));
const milliseconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * The webhook variables, one definition for the API's and the worker's environment (each reads
 * process.env in its own env.ts and spreads this in).
 */
export const webhookEnvShape = {
  /** Encrypts the stored signing secrets; when unset, derived from the token secret. */
  WEBHOOK_SECRET_KEY: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  /** Host names, `.suffixes`, addresses and CIDR networks webhooks may go to (comma-separated). */
  WEBHOOK_ALLOWED_HOSTS: optionalText.superRefine((value, ctx) => {
    try {
      parseAllowedHosts(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  }),
  WEBHOOK_TIMEOUT_MS: milliseconds(DEFAULT_WEBHOOK_DELIVERY.timeoutMs),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(30).default(DEFAULT_WEBHOOK_DELIVERY.maxAttempts),
  WEBHOOK_BACKOFF_BASE_MS: milliseconds(DEFAULT_WEBHOOK_DELIVERY.backoffBaseMs),
  WEBHOOK_BACKOFF_MAX_MS: milliseconds(DEFAULT_WEBHOOK_DELIVERY.backoffMaxMs),
  WEBHOOK_CONCURRENCY: z.coerce.number().int().positive().default(DEFAULT_WEBHOOK_DELIVERY.concurrency),
  WEBHOOK_POLL_MS: milliseconds(DEFAULT_WEBHOOK_DELIVERY.pollMs),
  WEBHOOK_ROTATION_OVERLAP_MS: milliseconds(DEFAULT_WEBHOOK_DELIVERY.rotationOverlapMs),
};

const webhookEnvSchema = z.object(webhookEnvShape);
export type WebhookEnv = z.output<typeof webhookEnvSchema>;

const defaults: WebhookEnv = webhookEnvSchema.parse({});

/** The settings of webhook administration and delivery from the environment's values (defaults for those absent). */
export function webhookSettingsOf(values: object, tokenSecret: string): WebhookDeliverySettings {
  const env = { ...defaults };
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && key in webhookEnvShape) Object.assign(env, { [key]: value });
  }
  return {
    secretKey: webhookEncryptionKey(env.WEBHOOK_SECRET_KEY, tokenSecret),
    destinations: parseAllowedHosts(env.WEBHOOK_ALLOWED_HOSTS),
    rotationOverlapMs: env.WEBHOOK_ROTATION_OVERLAP_MS,
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
    backoffBaseMs: env.WEBHOOK_BACKOFF_BASE_MS,
    backoffMaxMs: env.WEBHOOK_BACKOFF_MAX_MS,
    concurrency: env.WEBHOOK_CONCURRENCY,
    pollMs: env.WEBHOOK_POLL_MS,
  };
}
