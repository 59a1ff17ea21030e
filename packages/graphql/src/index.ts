export { PothosValidationError } from '@pothos/core';
export { MAX_PAGE_SIZE } from './builder.ts';
export type { GraphQLContext, Viewer } from './context.ts';
export { type ErrorCode, graphQLError } from './errors.ts';
export { schema, sortedSchema } from './schema.ts';
