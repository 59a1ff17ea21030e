export type { SixtypeClient } from './client.ts';
export { createClient } from './client.ts';
export type { SixtypeErrorCode, SixtypeErrorDetails } from './errors.ts';
export { isSixtypeErrorCode, isTransientError, SIXTYPE_ERROR_CODES, SixtypeError } from './errors.ts';
export * from './generated/graphql.ts';
export type {
  ClientOptions,
  FetchLike,
  RequestArgs,
  RequestOptions,
  SubscribeOptions,
  TokenProvider,
} from './options.ts';
export type { ConnectionPage } from './paginate.ts';
export type { RetryEvent, RetryOptions } from './retry.ts';
export type { DateString, DateTimeString, DecimalString, Id } from './scalars.ts';
export { asId } from './scalars.ts';
export type { BulkUploadResult, BulkUploadRowError, UploadOptions, UploadRows } from './upload.ts';
export type { VerifyWebhookOptions, WebhookEvent, WebhookHeaders } from './webhooks.ts';
export { verifyWebhook, WebhookVerificationError } from './webhooks.ts';
