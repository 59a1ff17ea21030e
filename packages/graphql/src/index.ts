export { PothosValidationError } from '@pothos/core';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './builder.ts';
export type {
  EventBus,
  EventTopics,
  GraphQLContext,
  MetricUpdateEvent,
  NotificationAddedEvent,
  ReportPeriod,
  ReportScope,
  ReportWriter,
  Viewer,
  WebhookSettings,
} from './context.ts';
export {
  type ApiScope,
  apiScopes,
  SYSTEM_ACCESS,
  type WriteAccess,
  writeAccessOf,
} from './context.ts';
export { ConflictError, ERROR_CODES, type ErrorCode, graphQLError, UserError, ValidationError } from './errors.ts';
export {
  authenticate,
  type Credentials,
  createApiClient,
  createUser,
  loadTokenSecret,
  login,
  revokeApiClient,
  rotateApiClientKey,
} from './modules/access/access.service.ts';
export {
  SESSION_CACHE_MAX,
  SESSION_CACHE_TTL_MS,
  SessionCache,
  sessionCacheOf,
} from './modules/access/session-cache.ts';
export { rowsOf } from './modules/common/rows.ts';
export { batchesUnderKeyPrefix, batchPayloadHash } from './modules/metrics/batches.ts';
export {
  BULK_CHUNK_ROWS,
  MAX_BULK_ERRORS_LISTED,
  MAX_BULK_ROWS,
  submitObservationsBulk,
} from './modules/metrics/bulk.ts';
export {
  type BatchResult,
  MAX_BATCH_ROWS,
  type ObservationInput,
  submitObservations,
} from './modules/metrics/metrics.service.ts';
export { answerableBy, METRICS_PER_SERIES } from './modules/metrics/rollup.sql.ts';
export { metricsAccessOf } from './modules/metrics/writes.ts';
export {
  DEMO_REMINDER_DAY,
  loadDemoReminders,
  type ReminderRunOutcome,
  reminderCountsByRule,
  runReminderRule,
} from './modules/notifications/reminders.service.ts';
export { type ReminderTaskPayload, reminderTaskNames, runReminderTask } from './modules/notifications/tasks.ts';
export { reminderToday } from './modules/notifications/today.ts';
export { reportDownloadPath } from './modules/report/report.ts';
export {
  DEFAULT_WEBHOOK_DELIVERY,
  retryDelayMs,
  startWebhookSender,
  type WebhookDeliverySettings,
  type WebhookSender,
} from './modules/webhooks/delivery.ts';
export { type DestinationPolicy, destinationProblem, parseAllowedHosts } from './modules/webhooks/destinations.ts';
export { webhookEncryptionKey } from './modules/webhooks/secrets.ts';
export { type WebhookEnv, webhookEnvShape, webhookSettingsOf } from './modules/webhooks/settings.ts';
export {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  enqueueWebhookEvents,
  redeliverWebhook,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  type WebhookEvent,
  webhookDeliveryCounts,
  webhookEventNames,
} from './modules/webhooks/webhooks.service.ts';
export { schema, sortedSchema } from './schema.ts';
export { ValuesOfCorrectTypeNamedRule, validationRules } from './validation-rules.ts';
