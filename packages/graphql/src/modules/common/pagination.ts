import { type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { type FieldNode, type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';
import { MAX_PAGE_SIZE } from '../../builder.ts';
import type { GraphQLContext } from '../../context.ts';
import { graphQLError } from '../../errors.ts';

export interface PageArgs {
  first?: number | null;
  last?: number | null;
}

/** Relay paging arguments beyond the limit are refused rather than silently cut. */
export function assertPageSize(args: PageArgs) {
  for (const name of ['first', 'last'] as const) {
    const value = args[name];
    if (value != null && (value < 0 || value > MAX_PAGE_SIZE)) {
      throw graphQLError('BAD_USER_INPUT', `${name} must be between 0 and ${MAX_PAGE_SIZE}`);
    }
  }
}

/** Whether the field being resolved selects `name` directly (through fragments too). */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  const visit = (selectionSet: SelectionSetNode | undefined): boolean =>
    (selectionSet?.selections ?? []).some((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value === name;
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet);
      return visit(info.fragments[selection.name.value]?.selectionSet);
    });
  return info.fieldNodes.some((node: FieldNode) => visit(node.selectionSet));
}

/**
 * `totalCount` of a root connection, computed inside the page query as an uncorrelated scalar
 * subquery (PostgreSQL evaluates it once), so a page with its count is still one statement.
 */
export function totalCountExtra(countQuery: SQL) {
  return sql<number>`(${countQuery})`.mapWith(Number);
}

/** The query a connection helper planned, seen only for its extras (its exact type is a union). */
export function extrasOf(query: object): Record<string, SQL | (() => SQL)> {
  return (query as { extras?: Record<string, SQL | (() => SQL)> }).extras ?? {};
}

export interface RootPageOptions<Row> {
  info: GraphQLResolveInfo;
  /** `select count(*) from … where …` with the list's filter and scope, without the cursor. */
  countQuery: SQL;
  /** Runs the planned page query with the given extras merged into it. */
  loadPage: (extras: Record<string, () => SQL>) => Promise<Row[]>;
  /** Runs only when the page is empty: tells a missing scope unit from an empty result. */
  assertScopeExists?: (() => Promise<void>) | undefined;
  db: { execute: (query: SQL) => Promise<unknown> };
}

/**
 * Loads one page of a root connection and its `totalCount` in one statement. Only an empty page
 * (past the end, or nothing matches) needs a second statement, to count and to check the scope.
 */
export async function loadRootPage<Row>(options: RootPageOptions<Row>): Promise<{ rows: Row[]; totalCount: number }> {
  const wantsTotal = selectsField(options.info, 'totalCount');
  const rows = await options.loadPage(wantsTotal ? { totalCount: () => totalCountExtra(options.countQuery) } : {});
  const first = rows[0] as { totalCount?: number } | undefined;
  if (first) return { rows, totalCount: first.totalCount ?? 0 };
  await options.assertScopeExists?.();
  if (!wantsTotal) return { rows, totalCount: 0 };
  const result = (await options.db.execute(sql`select (${options.countQuery})::int as n`)) as unknown;
  const resultRows = Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? []);
  return { rows, totalCount: Number((resultRows[0] as { n?: unknown } | undefined)?.n ?? 0) };
}

/** The `totalCount` field of a root connection built with loadRootPage. */
export const totalCountField = {
  description: 'Matching rows across all pages.',
  resolve: (connection: unknown) => (connection as { totalCount: number }).totalCount,
};

/** Where a connection's nodes sit in a selection: the `nodes` shortcut and `edges { node }`. */
export const NODE_PATHS = [['nodes'], ['edges', 'node']];

/** What `drizzleConnectionHelpers` returns, as far as a root connection needs it. */
interface ConnectionPages<Args, Result> {
  getQuery(args: Args, ctx: GraphQLContext, nestedSelection: (select: unknown) => unknown): object;
  resolve(rows: never[], args: Args, ctx: GraphQLContext): Result;
}

export interface RootConnectionOptions<Table extends PgTable, Args extends PageArgs, Result> {
  /** The field builder of the query field, for planning the selection under the nodes. */
  t: { drizzleQueryFromInfo(type: never, options: never): unknown };
  /** The table's key in `db.query` (and its Drizzle object's name). */
  tableName: string;
  table: Table;
  pages: ConnectionPages<Args, Result>;
  args: Args;
  ctx: GraphQLContext;
  info: GraphQLResolveInfo;
  /** Filter, scope and visibility of the list, on the (possibly aliased) table. */
  condition: (table: Table) => SQL;
  /** Runs only for an empty page: tells a missing scope unit from an empty list. */
  assertScopeExists?: (() => Promise<void>) | undefined;
  /**
   * The table's key column, for a list whose filter matches many rows: the page's keys are then
   * chosen first (filter, order and limit on the table alone, which an index can answer), and
   * the relations under `nodes` are joined for those rows only. Without it PostgreSQL builds the
   * nested JSON for every matching row before the sort keeps one page (17,588 rows for 51 in S3).
   */
  pageKey?: ((table: Table) => SQL | PgColumn) | undefined;
}

/** Whether the page query the connection helper planned has a cursor condition (after/before). */
function hasCursor(where: unknown): boolean {
  return where !== undefined && where !== null && Object.keys(where).length > 0;
}

/**
 * Runs a relational page query behind `with page_keys as materialized (…)`, so that the page's
 * keys and the count (`count(*) over ()` beside each key) come from one pass over the matching
 * rows: an uncorrelated subquery for each would be planned, and run, twice. drizzle's relational
 * queries take no WITH clause, so the statement it builds is prefixed before it is prepared; its
 * own row mapping is kept.
 */
function sharedPageKeys<Query>(page: Query, pageKeys: SQL): Query {
  const relational = page as unknown as { _getQuery(): { sql: SQL } };
  const build = relational._getQuery.bind(relational);
  relational._getQuery = () => {
    const built = build();
    return { ...built, sql: sql`with page_keys as materialized (${pageKeys}) ${built.sql}` };
  };
  return page;
}

/**
 * Resolves a root connection in one statement: the page planned from the document under `nodes`
 * and `edges.node`, the list's condition, and `totalCount` as a scalar subquery beside it.
 */
export async function resolveRootConnection<Table extends PgTable, Args extends PageArgs, Result>(
  options: RootConnectionOptions<Table, Args, Result>,
): Promise<Result & { totalCount: number }> {
  const { t, tableName, table, pages, args, ctx, info, condition } = options;
  assertPageSize(args);
  // The helper alone plans only `edges.node`; the nested selection here covers `nodes` too.
  const planNodes = t.drizzleQueryFromInfo as (type: string, options: object) => unknown;
  const query = pages.getQuery(args, ctx, (select) =>
    planNodes.call(t, tableName, {
      ...(typeof select === 'object' ? select : {}),
      context: ctx,
      info,
      paths: NODE_PATHS,
    }),
  ) as { where?: object };
  const relational = ctx.db.query as unknown as Record<
    string,
    { findMany(config: object): Promise<unknown[]> & { getSQL(): SQL } }
  >;
  const finder = relational[tableName];
  if (!finder) throw new Error(`no relational query for ${tableName}`);
  const { pageKey } = options;
  const where = { AND: [query.where ?? {}, { RAW: (aliased: Table) => condition(aliased) }] };
  // A first page with its count: one pass over the matching rows gives both its keys and their
  // count (see sharedPageKeys). A page after a cursor counts without the cursor, on its own.
  const sharedCount = pageKey !== undefined && !hasCursor(query.where) && selectsField(info, 'totalCount');
  // The same filter, cursor, order and limit as the page, selecting the key only (see pageKey).
  const pageKeys = pageKey
    ? finder
        .findMany({
          columns: {},
          extras: {
            pageKey: (aliased: Table) => pageKey(aliased),
            ...(sharedCount ? { total: () => sql`count(*) over ()` } : {}),
          },
          where,
          orderBy: (query as { orderBy?: unknown }).orderBy,
          limit: (query as { limit?: unknown }).limit,
        })
        .getSQL()
    : undefined;
  const keys = sharedCount ? sql`page_keys` : sql`(${pageKeys}) as page`;
  const { rows, totalCount } = await loadRootPage({
    info,
    db: ctx.db,
    countQuery: sql`select count(*) from ${table} where ${condition(table)}`,
    loadPage: (extras) => {
      const page = finder.findMany({
        ...query,
        where: pageKeys
          ? { AND: [where, { RAW: (aliased: Table) => sql`${pageKey?.(aliased)} in (select "pageKey" from ${keys})` }] }
          : where,
        extras: {
          ...extrasOf(query),
          ...extras,
          ...(sharedCount
            ? { totalCount: () => sql<number>`(select "total" from page_keys limit 1)`.mapWith(Number) }
            : {}),
        },
      });
      return sharedCount && pageKeys ? sharedPageKeys(page, pageKeys) : page;
    },
    assertScopeExists: options.assertScopeExists,
  });
  return { ...pages.resolve(rows as never[], args, ctx), totalCount };
}
