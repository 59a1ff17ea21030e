import { GraphQLError } from 'graphql';

/**
 * The codes the schema's fields answer with in `extensions.code` (DESIGN.md §5), each with the HTTP
 * status a request refused with it gets (the report download, the bulk upload). The API's own
 * refusals of a request add theirs in services/api/src/errors.ts; the SDK's published list
 * (`SIXTYPE_ERROR_CODES`) is checked against both by test/error-codes.test.ts.
 */
export const ERROR_CODES = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_TRANSITION: 409,
  QUERY_TOO_COMPLEX: 400,
  RATE_LIMITED: 429,
  INTERNAL_SERVER_ERROR: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldIssue {
  path: string[];
  message: string;
}

/** Expected failures of a mutation: returned as typed union members, never thrown to the client. */
export abstract class UserError extends Error {
  abstract readonly code: ErrorCode;
}

export class ValidationError extends UserError {
  readonly code = 'BAD_USER_INPUT' as const;
  constructor(readonly fieldErrors: FieldIssue[]) {
    super(fieldErrors.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') || 'Invalid input');
    this.name = 'ValidationError';
  }

  static of(path: string[], message: string) {
    return new ValidationError([{ path, message }]);
  }
}

export class NotFoundError extends UserError {
  readonly code = 'NOT_FOUND' as const;
  constructor(
    readonly entity: string,
    readonly key: string,
  ) {
    super(`${entity} ${key} does not exist`);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends UserError {
  readonly code = 'CONFLICT' as const;
  constructor(
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}

export class InvalidTransitionError extends UserError {
  readonly code = 'INVALID_TRANSITION' as const;
  constructor(
    readonly from: string,
    readonly to: string,
  ) {
    super(`cannot move from ${from} to ${to}`);
    this.name = 'InvalidTransitionError';
  }
}

/** A GraphQL error for queries, where failures are not part of the result type. */
export function graphQLError(code: ErrorCode, message: string) {
  return new GraphQLError(message, { extensions: { code } });
}
