export { PothosValidationError } from '@pothos/core';
export { MAX_PAGE_SIZE } from './builder.ts';
export type {
  EventBus,
  GraphQLContext,
  MetricUpdateEvent,
  ReportPeriod,
  ReportScope,
  ReportWriter,
  Viewer,
} from './context.ts';
export {
  type ApiScope,
  apiScopes,
  SYSTEM_ACCESS,
  type WriteAccess,
  writeAccessOf,
} from './context.ts';
export { type ErrorCode, graphQLError } from './errors.ts';
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
  MAX_BATCH_ROWS,
  type ObservationInput,
  submitObservations,
} from './modules/metrics/metrics.service.ts';
export { reportDownloadPath } from './modules/report/report.ts';
export { schema, sortedSchema } from './schema.ts';
