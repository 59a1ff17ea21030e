export type {
  ClientOptions,
  ConnectionPage,
  FetchLike,
  RequestArgs,
  RequestOptions,
  RetryEvent,
  RetryOptions,
  SixtypeClient,
  SubscribeOptions,
  TokenProvider,
} from './client.ts';
export { createClient } from './client.ts';
export type { SixtypeErrorCode, SixtypeErrorDetails } from './errors.ts';
export { isSixtypeErrorCode, isTransientError, SIXTYPE_ERROR_CODES, SixtypeError } from './errors.ts';
export * from './generated/graphql.ts';
export type { DateString, DateTimeString, DecimalString, Id } from './scalars.ts';
export { asId } from './scalars.ts';
export type { VerifyWebhookOptions, WebhookEvent, WebhookHeaders } from './webhooks.ts';
export { verifyWebhook, WebhookVerificationError } from './webhooks.ts';
