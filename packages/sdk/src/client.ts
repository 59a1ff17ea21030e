import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type DocumentNode, type GraphQLFormattedError, getOperationAST, type OperationTypeNode, print } from 'graphql';
import { codeOfGraphQLErrors, SixtypeError } from './errors.ts';
import persistedOperations from './generated/persisted-operations.json' with { type: 'json' };

/** The subset of `fetch` the client uses; pass your own to add a proxy agent, logging or a test fake. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** The GraphQL endpoint, e.g. `https://sixtype.example.gov.cn/graphql`. */
  url: string;
  /** Sent with every request. They override the client's own headers, `Authorization` included. */
  headers?: Record<string, string>;
  /** Defaults to the global `fetch` (Node.js 20+, browsers). */
  fetch?: FetchLike;
  /** For other systems: sent as `Authorization: ApiKey <key>`. */
  apiKey?: string;
  /** For people, from the `login` mutation: sent as `Authorization: Bearer <token>`. */
  token?: string;
  /**
   * Send the SDK's own operations as persisted operations — their SHA-256 in
   * `extensions.persistedQuery.sha256Hash` instead of their text. API keys may run nothing else.
   * - `true`: hashes from the first request;
   * - unset: text, until the server answers PERSISTED_QUERY_ONLY; then the request is resent by
   *   hash and the client keeps sending hashes;
   * - `false`: always text.
   * Documents that are not part of the SDK are always sent as text.
   */
  persisted?: boolean;
}

export interface RequestOptions {
  /** Aborting rejects the request with the signal's reason (an `AbortError`), not a SixtypeError. */
  signal?: AbortSignal;
  /** Override the client's headers for this request only. */
  headers?: Record<string, string>;
}

type Variables = { readonly [name: string]: unknown };

/** Variables may be left out only when the operation has no required variable. */
export type RequestArgs<TVars> = [Partial<TVars>] extends [TVars]
  ? [variables?: TVars, options?: RequestOptions]
  : [variables: TVars, options?: RequestOptions];

/** What `paginate` needs from a connection: our list operations select `nodes` and `pageInfo`. */
export interface ConnectionPage<TNode> {
  nodes: readonly TNode[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export interface SixtypeClient {
  /**
   * Runs one operation and resolves with its `data`. Throws {@link SixtypeError} when the response
   * carries GraphQL errors, is not a GraphQL response, or never arrives.
   */
  request<TData, TVars extends Variables>(
    document: TypedDocumentNode<TData, TVars>,
    ...args: RequestArgs<TVars>
  ): Promise<TData>;
  /**
   * Yields every node of a connection, page after page, following `pageInfo.endCursor` with
   * `after` until `hasNextPage` is false. Set the page size with `first` in `variables`.
   */
  paginate<TData, TVars extends Variables & { after?: string | null | undefined }, TNode>(
    document: TypedDocumentNode<TData, TVars>,
    variables: TVars,
    select: (data: TData) => ConnectionPage<TNode>,
    options?: RequestOptions,
  ): AsyncGenerator<TNode, void, undefined>;
}

interface PreparedOperation {
  query: string;
  /** The SHA-256 under which the server's manifest holds `query`; undefined for documents outside the SDK. */
  hash: string | undefined;
  operationName: string | undefined;
  /** Retries, when they come, are for queries only: a repeated mutation may apply twice. */
  operationType: OperationTypeNode;
}

interface GraphQLResponse {
  data?: unknown;
  errors?: readonly GraphQLFormattedError[];
}

// Documents are module-level constants, so printing each once is enough.
const prepared = new WeakMap<DocumentNode, PreparedOperation>();

// The manifest maps hash → printed document; the client prints the same generated AST, so an SDK
// document's text finds its hash here without hashing at run time.
let hashesByText: Map<string, string> | undefined;
function persistedHashOf(text: string): string | undefined {
  hashesByText ??= new Map(Object.entries(persistedOperations as Record<string, string>).map(([h, t]) => [t, h]));
  return hashesByText.get(text);
}

function prepare(document: DocumentNode): PreparedOperation {
  let operation = prepared.get(document);
  if (operation === undefined) {
    const definition = getOperationAST(document);
    if (!definition) {
      throw new TypeError('The document must contain exactly one operation (query, mutation or subscription).');
    }
    const query = print(document);
    operation = {
      query,
      hash: persistedHashOf(query),
      operationName: definition.name?.value,
      operationType: definition.operation,
    };
    prepared.set(document, operation);
  }
  return operation;
}

export function createClient(options: ClientOptions): SixtypeClient {
  if (options.apiKey !== undefined && options.token !== undefined) {
    throw new TypeError('Give either apiKey (systems) or token (people), not both.');
  }
  // Looked up per call and called unbound: browsers reject `fetch` called as a method of another object.
  const fetchImpl: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));

  function headersFor(requestOptions: RequestOptions | undefined): Headers {
    const headers = new Headers({
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
    });
    if (options.apiKey !== undefined) headers.set('authorization', `ApiKey ${options.apiKey}`);
    if (options.token !== undefined) headers.set('authorization', `Bearer ${options.token}`);
    for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
    for (const [name, value] of Object.entries(requestOptions?.headers ?? {})) headers.set(name, value);
    return headers;
  }

  /**
   * One HTTP attempt. Every failure leaves as a SixtypeError whose `code` and `status` tell a
   * caller (or a future retry wrapper around this function) whether trying again can help; an
   * abort leaves as the caller's own abort reason.
   */
  async function attempt(
    operation: PreparedOperation,
    byHash: boolean,
    variables: Variables | undefined,
    requestOptions: RequestOptions | undefined,
  ): Promise<unknown> {
    const signal = requestOptions?.signal;
    const { query, hash, operationName } = operation;
    const payload =
      byHash && hash !== undefined
        ? { operationName, variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }
        : { query, operationName, variables };
    let response: Response;
    let text: string;
    try {
      response = await fetchImpl(options.url, {
        method: 'POST',
        headers: headersFor(requestOptions),
        body: JSON.stringify(payload),
        signal: signal ?? null,
      });
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new SixtypeError('NETWORK_ERROR', `Request to ${options.url} failed: ${messageOf(error)}`, {
        cause: error,
      });
    }

    const body = parseGraphQLResponse(text);
    const status = response.status;
    if (body === undefined) {
      throw new SixtypeError('HTTP_ERROR', `HTTP ${status} from ${options.url} is not a GraphQL response`, { status });
    }
    const [firstError] = body.errors ?? [];
    if (firstError !== undefined) {
      const errors = body.errors ?? [];
      throw new SixtypeError(codeOfGraphQLErrors(errors), firstError.message, {
        errors,
        status,
        data: body.data ?? undefined,
      });
    }
    if (body.data === undefined || body.data === null || !response.ok) {
      throw new SixtypeError('HTTP_ERROR', `HTTP ${status} from ${options.url} carries no data and no errors`, {
        status,
      });
    }
    return body.data;
  }

  let sendHashes = options.persisted === true;

  // The one place a retry policy will go: around `attempt`, for `operationType === 'query'` only.
  // The resends below are safe for mutations too: the server refuses PERSISTED_QUERY_ONLY and
  // PERSISTED_QUERY_NOT_FOUND before anything runs.
  async function execute(
    document: DocumentNode,
    variables: Variables | undefined,
    requestOptions: RequestOptions | undefined,
  ): Promise<unknown> {
    const operation = prepare(document);
    const persistable = operation.hash !== undefined && options.persisted !== false;
    const byHash = persistable && sendHashes;
    try {
      return await attempt(operation, byHash, variables, requestOptions);
    } catch (error) {
      if (!persistable || !(error instanceof SixtypeError)) throw error;
      if (!byHash && error.code === 'PERSISTED_QUERY_ONLY') {
        // This caller (an API key) may send hashes only: switch for good.
        sendHashes = true;
        return attempt(operation, true, variables, requestOptions);
      }
      if (byHash && error.code === 'PERSISTED_QUERY_NOT_FOUND') {
        // A server older than this SDK: its manifest lacks the operation, so try the text once.
        return attempt(operation, false, variables, requestOptions);
      }
      throw error;
    }
  }

  return {
    request<TData, TVars extends Variables>(
      document: TypedDocumentNode<TData, TVars>,
      ...[variables, requestOptions]: RequestArgs<TVars>
    ): Promise<TData> {
      // The document's type is the contract: the server validated `data` against this selection.
      return execute(document, variables, requestOptions) as Promise<TData>;
    },

    async *paginate<TData, TVars extends Variables & { after?: string | null | undefined }, TNode>(
      document: TypedDocumentNode<TData, TVars>,
      variables: TVars,
      select: (data: TData) => ConnectionPage<TNode>,
      requestOptions?: RequestOptions,
    ): AsyncGenerator<TNode, void, undefined> {
      let pageVariables: Variables = variables;
      let after = variables.after ?? null;
      for (;;) {
        const page = select((await execute(document, pageVariables, requestOptions)) as TData);
        yield* page.nodes;
        if (!page.pageInfo.hasNextPage) return;
        const next = page.pageInfo.endCursor;
        // Without a new cursor the next request would fetch the same page again, forever.
        if (next === null || next === after) {
          throw new SixtypeError('INTERNAL_SERVER_ERROR', 'The connection has a next page but no new endCursor');
        }
        after = next;
        pageVariables = { ...variables, after };
      }
    },
  };
}

function parseGraphQLResponse(text: string): GraphQLResponse | undefined {
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

// Node's fetch rejects with a bare "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND) is its cause.
function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}
