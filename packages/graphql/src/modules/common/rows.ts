/** The rows of `db.execute`: `{ rows }` on node-postgres and PGlite; a bare array from other drivers. */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? [])) as T[];
}
