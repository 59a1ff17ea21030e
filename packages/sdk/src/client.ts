import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { DocumentNode } from 'graphql';
import { downloadReport } from './download.ts';
import { prepare, type Variables } from './operation.ts';
import type { ClientOptions, RequestArgs, RequestOptions, SubscribeOptions } from './options.ts';
import { type ConnectionPage, paginate } from './paginate.ts';
import { createPersistedMode } from './persisted.ts';
import { withRetries } from './retry.ts';
import { subscribe } from './subscribe.ts';
import { createTransport } from './transport.ts';
import { type BulkUploadResult, type UploadOptions, type UploadRows, uploadObservations } from './upload.ts';

export interface SixtypeClient {
  /**
   * Runs one query or mutation and resolves with its `data`. Throws {@link SixtypeError} when the
   * response carries GraphQL errors, is not a GraphQL response, or never arrives.
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
  /**
   * Runs a subscription over server-sent events (GraphQL over SSE, distinct connections) and yields
   * the `data` of each event. The connection opens on the first `next()` and closes when the loop
   * ends (`break`, `return`), the signal aborts (rejecting with its reason) or the server completes
   * the stream. An error event, or a connection lost mid-stream (NETWORK_ERROR), rejects; resubscribe
   * to continue (events in between are not replayed).
   */
  subscribe<TData, TVars extends Variables>(
    document: TypedDocumentNode<TData, TVars>,
    ...args: RequestArgs<TVars, SubscribeOptions>
  ): AsyncGenerator<TData, void, undefined>;
  /**
   * Downloads a campaign report: `path` is `campaignReport.downloadUrl` (`/reports/…`), fetched from
   * the API's origin with this client's credentials. Resolves with the file's bytes; a refusal
   * (FORBIDDEN, NOT_FOUND, UNAUTHENTICATED, BAD_USER_INPUT) throws {@link SixtypeError} with its code.
   */
  downloadReport(path: string, options?: Omit<RequestOptions, 'retry'>): Promise<Uint8Array>;
  /**
   * Uploads figures in bulk (`POST /metrics/observations/bulk`, NDJSON) with this client's
   * credentials, all or nothing under `idempotencyKey`: an array is sent as one body, rows from a
   * function are streamed (the function is called again for a retry). Transient failures, such as
   * 503 `DATABASE_BUSY` while other uploads hold their turns, are retried under `retry`, which the
   * key makes safe. Refused rows resolve as `rejected` and `errors` (nothing written); other
   * refusals (UNAUTHENTICATED, FORBIDDEN, CONFLICT for a key used with other rows, …) throw
   * {@link SixtypeError}.
   */
  uploadObservations(rows: UploadRows, options: UploadOptions): Promise<BulkUploadResult>;
}

// The client puts together HTTP and credentials (transport.ts), retries (retry.ts), paging
// (paginate.ts), subscriptions (subscribe.ts), persisted operations (persisted.ts) and bulk
// uploads (upload.ts).
export function createClient(options: ClientOptions): SixtypeClient {
  const persisted = createPersistedMode(options.persisted);
  const transport = createTransport(options, persisted);

  async function execute(
    document: DocumentNode,
    variables: Variables | undefined,
    requestOptions: RequestOptions | undefined,
  ): Promise<unknown> {
    const operation = prepare(document);
    if (operation.operationType === 'subscription') {
      throw new TypeError(`${operation.operationName ?? 'The operation'} is a subscription: use subscribe()`);
    }
    const retry = requestOptions?.retry ?? options.retry ?? {};
    return withRetries(operation, variables, retry, requestOptions?.signal, () =>
      transport.send(operation, variables, requestOptions),
    );
  }

  return {
    request<TData, TVars extends Variables>(
      document: TypedDocumentNode<TData, TVars>,
      ...[variables, requestOptions]: RequestArgs<TVars>
    ): Promise<TData> {
      // The document's type is the contract: the server validated `data` against this selection.
      return execute(document, variables, requestOptions) as Promise<TData>;
    },

    paginate<TData, TVars extends Variables & { after?: string | null | undefined }, TNode>(
      document: TypedDocumentNode<TData, TVars>,
      variables: TVars,
      select: (data: TData) => ConnectionPage<TNode>,
      requestOptions?: RequestOptions,
    ): AsyncGenerator<TNode, void, undefined> {
      return paginate(variables, async (pageVariables) =>
        select((await execute(document, pageVariables, requestOptions)) as TData),
      );
    },

    subscribe<TData, TVars extends Variables>(
      document: TypedDocumentNode<TData, TVars>,
      ...[variables, subscribeOptions]: RequestArgs<TVars, SubscribeOptions>
    ): AsyncGenerator<TData, void, undefined> {
      return subscribe(transport, persisted, document, variables, subscribeOptions) as AsyncGenerator<
        TData,
        void,
        undefined
      >;
    },

    downloadReport: (path, requestOptions) => downloadReport(transport, path, requestOptions),

    uploadObservations: (rows, uploadOptions) => uploadObservations(transport, rows, uploadOptions, options.retry),
  };
}
