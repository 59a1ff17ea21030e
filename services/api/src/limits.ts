import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { GraphQLError, type ValidationContext } from 'graphql';
import { createGraphQLError, type FetchAPI, type Plugin } from 'graphql-yoga';
import { useQueryCost } from './query-cost.ts';

/**
 * What one GraphQL document may ask for. limits.test.ts runs every operation the SDK publishes
 * (packages/sdk/src/operations) and every GraphiQL tab through these limits and fails when one
 * exceeds them or leaves less room than below. The cost limit carries the weight (it multiplies by
 * each page asked for, query-cost.ts); depth only stops absurd nesting, and is sized for an
 * admin's natural round trip (organization → parent → children → cadres → nodes → studyRecords →
 * nodes → a field: 8) with room. Measured when set (fragments flattened):
 *
 * | limit          | deepest / largest SDK operation        | limit |
 * | -------------- | -------------------------------------- | ----- |
 * | depth          | 6 (OrganizationTree)                   | 10    |
 * | aliases        | 0                                      | 15    |
 * | directives     | 0                                      | 50    |
 * | tokens         | 120 (ListCadres; introspection: 184)   | 1000  |
 * | cost           | at most half the limit (test)          | 60000 |
 */
export const QUERY_LIMITS = {
  maxDepth: 10,
  maxAliases: 15,
  maxDirectives: 50,
  maxTokens: 1000,
  // A unit's subtree page with 20 cadres each (bench S2: 60 × 20 cadres, about 52,000) fits;
  // a page of 100 inside a page of 100 (about 250,000) does not.
  maxCost: 60_000,
} as const;

export type QueryLimit = keyof typeof QUERY_LIMITS;

/** Larger request bodies are refused before they are read to the end (HTTP 413). */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

/**
 * A browser cannot add a custom header to a cross-site request without a CORS preflight, so
 * requiring one (or a JSON content type, which also forces a preflight) stops CSRF.
 */
export const CSRF_HEADER = 'x-graphql-client';

export const queryTooComplex = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400, spec: true } } });

export const badRequest = (message: string, status = 400) =>
  new GraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status } } });

// graphql-armor words every rejection as a "Syntax Error"; ours say which limit was hit.
const reason = (error: GraphQLError) => error.message.replace(/^Syntax Error: /, '');

export interface QueryLimitOptions {
  /** Called with what each accepted document measured (tests size the limits with it). */
  onMeasure?: (limit: QueryLimit, measured: number) => void;
}

/**
 * graphql-armor's depth, alias, directive, token and cost limits, and hidden field suggestions.
 * Tokens are counted while parsing; the rest are validation rules, so a refused document never
 * reaches the context (no authentication query) or a resolver.
 */
export function useQueryLimits({ onMeasure }: QueryLimitOptions = {}): Plugin {
  const cost = useQueryCost({
    maxCost: QUERY_LIMITS.maxCost,
    // 400 whatever the Accept header: the document, not its execution, is refused.
    tooComplex: (message) =>
      new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } } }),
    onMeasure: onMeasure ? (measured) => onMeasure('maxCost', measured) : undefined,
  });
  const reportTooComplex = (context: ValidationContext | null, error: GraphQLError) => {
    // Validation rules report through the context; the token counter runs inside the parser,
    // which has no context, so throwing is how it stops the parse.
    if (context) context.reportError(queryTooComplex(reason(error)));
    else throw queryTooComplex(reason(error));
  };
  const callbacks = (limit: QueryLimit) => ({
    propagateOnRejection: false,
    onReject: [reportTooComplex],
    onAccept: onMeasure ? [(_context: unknown, details: { n: number }) => onMeasure(limit, details.n)] : [],
  });
  const armor = EnvelopArmorPlugin({
    maxDepth: { n: QUERY_LIMITS.maxDepth, flattenFragments: true, ...callbacks('maxDepth') },
    maxAliases: { n: QUERY_LIMITS.maxAliases, ...callbacks('maxAliases') },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives, ...callbacks('maxDirectives') },
    maxTokens: { n: QUERY_LIMITS.maxTokens, ...callbacks('maxTokens') },
    // Counted once the variables are known (query-cost.ts) instead.
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: true },
  }) as Plugin;
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(armor);
      addPlugin(cost);
    },
  };
}

const ACCEPTED_POST_TYPES = ['application/json', 'application/graphql+json', 'application/graphql'];

/**
 * HTTP-level rules for `/graphql`: a POST body must be JSON (or `application/graphql`), so
 * form-encoded and multipart requests — which a browser sends cross-site without a preflight, and
 * which we have no use for (no uploads) — are refused with 415. A GET (queries only; yoga refuses
 * mutations over GET) must carry the `x-graphql-client` header or a non-simple content type.
 */
export function useRequestGuard(): Plugin {
  const csrf = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] });
  return {
    onRequestParse(payload) {
      const { request } = payload;
      if (request.method === 'POST') {
        const contentType = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
        if (!ACCEPTED_POST_TYPES.includes(contentType)) {
          throw badRequest(
            `Send GraphQL requests as application/json, not ${contentType || 'without a content type'}`,
            415,
          );
        }
        return;
      }
      try {
        return csrf.onRequestParse?.(payload);
      } catch {
        throw badRequest(
          `A GET request must carry the ${CSRF_HEADER} header (any value) or content-type application/json (CSRF prevention)`,
          403,
        );
      }
    },
  };
}

// yoga's own errors for a body past the limit and for a malformed Content-Length, word for word:
// withRequestErrors turns the first into BAD_REQUEST with status 413 and passes the second through.
const requestBodyTooLarge = () =>
  createGraphQLError('Request body too large', {
    extensions: { http: { status: 413 }, code: 'REQUEST_ENTITY_TOO_LARGE' },
  });
const invalidContentLength = () =>
  createGraphQLError('Content-Length header is invalid.', {
    extensions: { http: { status: 400 }, code: 'BAD_REQUEST' },
  });

/**
 * yoga's `maxRequestBodySize` check, without its cost on ordinary requests: yoga pipes every body
 * through a counting stream into a second Request, which (with the stream pipeline's abort
 * signal) costs more per request than our own plugins. Over HTTP a body that declares a
 * Content-Length cannot be longer than that: Node's parser hands on exactly that many bytes and
 * refuses a request that also says Transfer-Encoding (in-process `app.fetch` callers are trusted
 * with their own header). So a declared length is checked as yoga checks it (digits only, at most
 * `limit`), and only a body without one (chunked) is counted as it is read. Place it after every
 * plugin that chooses a request parser (server.ts: last), as yoga places its own.
 */
export function useRequestBodyLimit(limit: number = MAX_REQUEST_BODY_BYTES): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const contentLength = request.headers.get('content-length');
      if (contentLength != null) {
        if (!/^\d+$/.test(contentLength)) throw invalidContentLength();
        if (Number(contentLength) > limit) throw requestBodyTooLarge();
        return;
      }
      if (requestParser == null || request.body == null) return;
      const parse = requestParser;
      setRequestParser((unlimited) => parse(countedBody(unlimited, limit, fetchAPI)));
    },
  };
}

/** The request with a body that fails once more than `limit` bytes have been read (yoga's own way). */
function countedBody(request: Request, limit: number, fetchAPI: FetchAPI): Request {
  const body = request.body;
  if (!body) return request;
  // A native ReadableStream must go through the native TransformStream, a ponyfilled one through
  // the ponyfill's (graphql-hive/graphql-yoga#4583).
  const Transform = body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  let bytesRead = 0;
  const counted = body.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytesRead += chunk.byteLength;
        if (bytesRead > limit) {
          controller.error(requestBodyTooLarge());
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    body: counted,
    duplex: 'half',
  } as RequestInit);
}

type MaskError = (error: unknown, message: string, isDev?: boolean) => Error;

// Request-level refusals raised by yoga and by our own plugins: meant for the client as they are.
const requestErrorCodes = new Set([
  'BAD_REQUEST',
  'QUERY_TOO_COMPLEX',
  'RATE_LIMITED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_ONLY',
]);

const suggestion = /\s*Did you mean [^?]*\?/g;

/**
 * Wraps the error masker: request-level refusals (codes above; yoga's own too-large body becomes
 * BAD_REQUEST with status 413) reach the client unchanged, and "Did you mean …?" hints — which
 * graphql-js also adds to variable and enum errors outside validation — are removed from every
 * message, so the schema cannot be guessed field by field.
 */
export function withRequestErrors(maskError: MaskError): MaskError {
  return (error, message, isDev) => {
    const code = error instanceof GraphQLError ? error.extensions.code : undefined;
    let result: Error;
    if (code === 'REQUEST_ENTITY_TOO_LARGE') {
      result = badRequest(`The request body is larger than ${MAX_REQUEST_BODY_BYTES} bytes`, 413);
    } else if (error instanceof GraphQLError && typeof code === 'string' && requestErrorCodes.has(code)) {
      // yoga puts the JSON parser's own error (name and message) into a bad body's extensions:
      // a detail for development only.
      if (!isDev && 'originalError' in error.extensions) {
        const { originalError: _detail, ...extensions } = error.extensions;
        result = new GraphQLError(error.message, { nodes: error.nodes, extensions });
      } else result = error;
    } else {
      result = maskError(error, message, isDev);
    }
    const withoutSuggestion = result.message.replace(suggestion, '');
    if (withoutSuggestion !== result.message) result.message = withoutSuggestion;
    return result;
  };
}
