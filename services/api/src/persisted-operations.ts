import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { GraphQLContext, Viewer } from '@sixtype/graphql';
import { type DocumentNode, GraphQLError, visit } from 'graphql';
import type { GraphQLParams, Plugin, YogaInitialContext } from 'graphql-yoga';

/**
 * The manifest the SDK build writes (`npm run generate`): `{ "<sha256 of the printed document>":
 * "<printed document>" }`. It is read from disk, not imported, because the API may not depend on
 * the SDK package (ARCHITECTURE.md); deployments ship the file next to the server.
 */
export const DEFAULT_PERSISTED_OPERATIONS_FILE = fileURLToPath(
  new URL('../../../packages/sdk/src/generated/persisted-operations.json', import.meta.url),
);

/** Operation text by its SHA-256 (lowercase hex). */
export type PersistedOperations = ReadonlyMap<string, string>;

export const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export function loadPersistedOperations(file: string = DEFAULT_PERSISTED_OPERATIONS_FILE): PersistedOperations {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read the persisted-operation manifest ${file} (run \`npm run generate\`)`, {
      cause: error,
    });
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new Error(`${file} is not a persisted-operation manifest (an object of hash → document)`);
  }
  const operations = new Map<string, string>();
  for (const [hash, text] of Object.entries(manifest)) {
    // A hash that does not match its text would let a client run something other than what it named.
    if (typeof text !== 'string' || sha256Hex(text) !== hash) {
      throw new Error(`${file}: the entry ${hash} is not the SHA-256 of its document; regenerate the manifest`);
    }
    operations.set(hash, text);
  }
  return operations;
}

/**
 * The id a request names instead of sending text: the APQ convention
 * `extensions.persistedQuery.sha256Hash`, or GraphQL-over-HTTP's `documentId` (`sha256:<hex>` or
 * bare hex).
 */
function persistedOperationId(params: GraphQLParams): string | null {
  const documentId = (params as GraphQLParams & { documentId?: unknown }).documentId;
  if (typeof documentId === 'string') return documentId.replace(/^sha256:/, '').toLowerCase();
  const persistedQuery = params.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
  return typeof persistedQuery?.sha256Hash === 'string' ? persistedQuery.sha256Hash.toLowerCase() : null;
}

const isAdmin = (viewer: Viewer) => viewer.kind === 'USER' && viewer.role === 'ADMIN';

// yoga's parser cache hands back the same DocumentNode for the same text, so each document is
// walked once rather than on every request of a viewer who is not an admin.
const introspectionByDocument = new WeakMap<DocumentNode, boolean>();

function isIntrospection(document: DocumentNode): boolean {
  let found = introspectionByDocument.get(document);
  if (found === undefined) {
    found = containsIntrospection(document);
    introspectionByDocument.set(document, found);
  }
  return found;
}

function containsIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return false;
      }
      return undefined;
    },
  });
  return found;
}

export interface OperationPolicyOptions {
  operations: PersistedOperations;
  /** Introspection is open to everyone only in development; elsewhere to admins alone. */
  nodeEnv: 'development' | 'production' | 'test';
}

/**
 * Which documents a viewer may run:
 * - a persisted operation (sent by hash) — anyone, subject to the schema's auth rules;
 * - free text — everyone except API clients, which may run only the published SDK operations
 *   (PERSISTED_QUERY_ONLY), so a leaked key cannot be used to explore or scrape the API;
 * - introspection (`__schema`, `__type`) — admins (GraphiQL), and everyone when NODE_ENV=development.
 *
 * Resolving a hash happens before parsing (no viewer is needed for it). The viewer rules run just
 * before execution, after the context has authenticated the request once: a refused request has
 * been parsed and validated (bounded by the query limits) but runs no resolver.
 */
export function useOperationPolicy({ operations, nodeEnv }: OperationPolicyOptions): Plugin<GraphQLContext>[] {
  const sentByHash = new WeakSet<Request>();
  return [
    usePersistedOperations<GraphQLContext>({
      allowArbitraryOperations: true,
      extractPersistedOperationId: persistedOperationId,
      getPersistedOperation(hash, request) {
        const text = operations.get(hash) ?? null;
        if (text !== null) sentByHash.add(request);
        return text;
      },
      customErrors: {
        // The APQ message, so clients that follow that convention resend the text.
        notFound: {
          message: 'PersistedQueryNotFound',
          extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { status: 400, spec: true } },
        },
        keyNotFound: {
          message: 'Send a query, or the SHA-256 of a persisted operation in extensions.persistedQuery.sha256Hash',
          extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
        },
      },
    }),
    {
      onExecute({ args, setResultAndStopExecution }) {
        const context = args.contextValue as GraphQLContext & Partial<YogaInitialContext>;
        const error = refusal(context, args.document);
        if (error) setResultAndStopExecution({ errors: [error] });
      },
      onSubscribe({ args, setResultAndStopExecution }) {
        const context = args.contextValue as GraphQLContext & Partial<YogaInitialContext>;
        const error = refusal(context, args.document);
        if (error) setResultAndStopExecution({ errors: [error] });
      },
    },
  ];

  function refusal(
    context: GraphQLContext & Partial<YogaInitialContext>,
    document: DocumentNode,
  ): GraphQLError | undefined {
    const { viewer, request } = context;
    if (viewer.kind === 'API_CLIENT' && !(request && sentByHash.has(request))) {
      return new GraphQLError(
        'API clients may run only the persisted operations published with @sixtype/sdk: send ' +
          'extensions.persistedQuery.sha256Hash (or createClient({ persisted: true })) instead of the query text',
        { extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 403 } } },
      );
    }
    if (nodeEnv !== 'development' && !isAdmin(viewer) && isIntrospection(document)) {
      return new GraphQLError('Introspection is available to admins only', {
        extensions: { code: 'FORBIDDEN', http: { status: 403 } },
      });
    }
    return undefined;
  }
}
