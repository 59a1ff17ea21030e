import { GraphQLError } from 'graphql';
import type postgres from 'postgres';

/** What each module of the naive server contributes to its schema. */
export interface NaiveModule {
  typeDefs: string;
  resolvers: Record<string, Record<string, unknown>>;
}

export type Sql = postgres.Sql;

export type Org = { id: number; code: string; name: string; path: string };
export type Cadre = {
  id: number;
  employee_number: string;
  name: string;
  position: string | null;
  organization_id: number;
};

export const ORG_COLUMNS = (sql: Sql) => sql`id, code, name, path::text`;
export const CADRE_COLUMNS = (sql: Sql) => sql`id, employee_number, name, position, organization_id`;

export const globalId = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');
export const page = (first: number | null | undefined, fallback = 20) => Math.min(first ?? fallback, 100);

export const notFound = (message: string) => new GraphQLError(message, { extensions: { code: 'NOT_FOUND' } });

/** The unit of `code`, or NOT_FOUND. */
export async function unitByCode(sql: Sql, code: string): Promise<Org> {
  const [unit] = await sql<Org[]>`select ${ORG_COLUMNS(sql)} from organizations where code = ${code}`;
  if (!unit) throw notFound(`Organization ${code} does not exist`);
  return unit;
}

/** The ids of a unit, or of its whole subtree, as a subquery. */
export const unitIdsSql = (sql: Sql, unit: Org, includeDescendants: boolean | null | undefined) =>
  includeDescendants
    ? sql`select id from organizations where path <@ ${unit.path}::ltree`
    : sql`select ${unit.id}::int`;

/**
 * One figure of one parent row, loaded on first use and shared by the fields that need it (as a
 * resolver-per-field server keeps it on the parent object), so a figure costs one query per row.
 */
export function memoized<Row extends object, T>(load: (row: Row) => Promise<T>): (row: Row) => Promise<T> {
  const cache = new WeakMap<Row, Promise<T>>();
  return (row) => {
    let value = cache.get(row);
    if (!value) {
      value = load(row);
      cache.set(row, value);
    }
    return value;
  };
}
