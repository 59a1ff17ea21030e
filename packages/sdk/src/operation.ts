import { type DocumentNode, getOperationAST, type OperationTypeNode, print } from 'graphql';
import { persistedHashOf } from './persisted.ts';

export type Variables = { readonly [name: string]: unknown };

/** A document as the client sends it: printed once, with the hash the server's manifest knows it by. */
export interface PreparedOperation {
  query: string;
  /** The SHA-256 under which the server's manifest holds `query`; undefined for documents outside the SDK. */
  hash: string | undefined;
  operationName: string | undefined;
  /** Retries are for queries (and idempotent mutations) only: a repeated mutation may apply twice. */
  operationType: OperationTypeNode;
}

// Documents are module-level constants, so printing each once is enough.
const prepared = new WeakMap<DocumentNode, PreparedOperation>();

export function prepare(document: DocumentNode): PreparedOperation {
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

/** The request body: the operation's text, or its hash as a persisted operation. */
export function payloadOf(operation: PreparedOperation, byHash: boolean, variables: Variables | undefined) {
  const { query, hash, operationName } = operation;
  return byHash && hash !== undefined
    ? { operationName, variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }
    : { query, operationName, variables };
}
