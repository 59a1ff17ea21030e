import type { SixtypeError } from './errors.ts';
import persistedOperations from './generated/persisted-operations.json' with { type: 'json' };
import type { PreparedOperation } from './operation.ts';

// The manifest maps hash → printed document; the client prints the same generated AST, so an SDK
// document's text finds its hash here without hashing at run time.
let hashesByText: Map<string, string> | undefined;
export function persistedHashOf(text: string): string | undefined {
  hashesByText ??= new Map(Object.entries(persistedOperations as Record<string, string>).map(([h, t]) => [t, h]));
  return hashesByText.get(text);
}

/** How one client sends the SDK's own operations: by text or by hash (`ClientOptions.persisted`). */
export interface PersistedMode {
  /** Whether this operation goes by hash now. */
  byHash(operation: PreparedOperation): boolean;
  /**
   * After a refusal of an operation sent by hash (`byHash`) or by text: whether to resend it by hash
   * (true), by text (false), or not at all (undefined). A switch to hashes is kept for every later
   * operation of the client. The resends are safe for mutations too: the server refuses
   * PERSISTED_QUERY_ONLY and PERSISTED_QUERY_NOT_FOUND before anything runs.
   */
  fallback(operation: PreparedOperation, error: SixtypeError, byHash: boolean): boolean | undefined;
}

export function createPersistedMode(setting: boolean | undefined): PersistedMode {
  let sendHashes = setting === true;
  const persistable = (operation: PreparedOperation) => operation.hash !== undefined && setting !== false;
  return {
    byHash: (operation) => persistable(operation) && sendHashes,
    fallback(operation, error, byHash) {
      if (!persistable(operation)) return undefined;
      // This caller (an API key) may send hashes only: switch for good.
      if (!byHash && error.code === 'PERSISTED_QUERY_ONLY') {
        sendHashes = true;
        return true;
      }
      // A server older than this SDK: its manifest lacks the operation, so try the text once.
      if (byHash && error.code === 'PERSISTED_QUERY_NOT_FOUND') return false;
      return undefined;
    },
  };
}
