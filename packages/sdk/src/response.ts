import type { GraphQLFormattedError } from 'graphql';
import { codeOfGraphQLErrors, SixtypeError } from './errors.ts';

export interface GraphQLResponse {
  data?: unknown;
  errors?: readonly GraphQLFormattedError[];
}

/** A response body as a GraphQL response, or undefined when it is not one (a proxy's HTML page, an empty 500). */
export function parseGraphQLResponse(text: string): GraphQLResponse | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  if (!('data' in value) && !('errors' in value)) return undefined;
  const errors = 'errors' in value ? value.errors : undefined;
  if (errors !== undefined && !Array.isArray(errors)) return undefined;
  return value as GraphQLResponse;
}

/** The SixtypeError a response's GraphQL errors stand for (the first error's code and message). */
export function errorOfGraphQLErrors(
  errors: readonly GraphQLFormattedError[],
  details: { status?: number; data?: unknown } = {},
): SixtypeError {
  return new SixtypeError(codeOfGraphQLErrors(errors), errors[0]?.message ?? 'GraphQL error', {
    errors,
    ...details,
    data: details.data ?? undefined,
  });
}

/** The `data` of a parsed response, or the SixtypeError it stands for. */
export function dataOf(body: GraphQLResponse | undefined, response: Response, url: string): unknown {
  const status = response.status;
  if (body === undefined) {
    throw new SixtypeError('HTTP_ERROR', `HTTP ${status} from ${url} is not a GraphQL response`, { status });
  }
  if (body.errors?.length) throw errorOfGraphQLErrors(body.errors, { status, data: body.data });
  if (body.data === undefined || body.data === null || !response.ok) {
    throw new SixtypeError('HTTP_ERROR', `HTTP ${status} from ${url} carries no data and no errors`, { status });
  }
  return body.data;
}
