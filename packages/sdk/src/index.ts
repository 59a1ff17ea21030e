export type { ClientOptions, ConnectionPage, FetchLike, RequestArgs, RequestOptions, SixtypeClient } from './client.ts';
export { createClient } from './client.ts';
export type { SixtypeErrorCode, SixtypeErrorDetails } from './errors.ts';
export { isSixtypeErrorCode, SIXTYPE_ERROR_CODES, SixtypeError } from './errors.ts';
export * from './generated/graphql.ts';
