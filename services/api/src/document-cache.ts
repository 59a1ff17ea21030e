import type { DocumentNode } from 'graphql';
import { createLRUCache, type Plugin } from 'graphql-yoga';

/**
 * Parsed documents kept, with their validation results: the SDK's persisted operations and what
 * admins run in GraphiQL are a few hundred distinct documents at most. yoga's default (1,024 of
 * each, for an hour) lets a client sending ever new documents hold far more memory than the
 * server's own work needs.
 */
export const DOCUMENT_CACHE_SIZE = 256;
/** Parse errors kept, so the same malformed document is refused without parsing it again. */
export const PARSE_ERROR_CACHE_SIZE = 64;

/** yoga's `parserAndValidationCache` option, bounded as above. */
export function documentCaches() {
  return {
    documentCache: createLRUCache<DocumentNode>({ max: DOCUMENT_CACHE_SIZE }),
    errorCache: createLRUCache<Error>({ max: PARSE_ERROR_CACHE_SIZE }),
  };
}

/**
 * Turns the stack of every parse and validation error into its text as the error is made. V8 keeps
 * an error's stack frames unformatted until the stack is read, and the frames hold every function
 * on the stack with its scope, which here is the whole request (its body, headers and response).
 * yoga caches these errors with the document, so without this each cached error kept a request
 * alive. Clients never see the stack; the log shows it as before.
 */
export function useCompactDocumentErrors(): Plugin {
  return {
    onParse:
      () =>
      ({ result }) => {
        if (result instanceof Error) formatStack(result);
      },
    onValidate:
      () =>
      ({ result }) => {
        for (const error of result) formatStack(error);
      },
  };
}

/** Reading the stack accessor formats the frames once and lets V8 drop them. */
function formatStack(error: Error): string | undefined {
  return error.stack;
}
