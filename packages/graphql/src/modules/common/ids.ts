/** A decoded global id, as Pothos hands `t.globalID()` arguments to resolvers. */
export interface GlobalId {
  typename: string;
  id: string;
}

/**
 * The database id behind a global id of `typename`; -1 for an id of another type or shape, which
 * the services refuse as invalid. A left-out id stays `undefined` and an explicit null stays null.
 */
export function databaseIdOf(globalId: GlobalId, typename: string): number;
export function databaseIdOf<Absent extends null | undefined>(
  globalId: GlobalId | Absent,
  typename: string,
): number | Absent;
export function databaseIdOf(globalId: GlobalId | null | undefined, typename: string): number | null | undefined {
  if (globalId == null) return globalId;
  return globalId.typename === typename && /^\d+$/.test(globalId.id) ? Number(globalId.id) : -1;
}
