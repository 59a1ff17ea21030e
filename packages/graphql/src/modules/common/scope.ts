import { type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';

/** A unit named by its code and, with `includeDescendants`, every unit below it. */
export interface OrgScope {
  orgCode?: string | null;
  includeDescendants?: boolean | null;
}

/**
 * `column` (an organization id) names the unit `scope.orgCode` or, with `includeDescendants`, a unit
 * of its subtree: the one place lists, pages and compliance narrow rows to a unit the caller named.
 *
 * The subtree is the root joined to its units on the path, not `path <@ (select path …)`:
 * PostgreSQL cannot see a sub-select's value when it plans, so it guessed such a subtree at 1% of
 * all units, 300 units at a province's 30,000, and read the cadres of a 15-unit subtree with a scan
 * of all 1,000,000 (S6 at PROVINCE: 190 ms, docs/scaling.md); a join's `<@` it guesses at a fixed
 * 0.1%, and plans the index lookups a small subtree needs.
 */
export function unitScopeSql(column: AnyPgColumn | SQL, scope: OrgScope): SQL | undefined {
  if (!scope.orgCode) return undefined;
  return scope.includeDescendants
    ? sql`${column} in (select scope_unit.id from organizations scope_root
          join organizations scope_unit on scope_unit.path <@ scope_root.path
          where scope_root.code = ${scope.orgCode})`
    : sql`${column} = (select scope_unit.id from organizations scope_unit where scope_unit.code = ${scope.orgCode})`;
}
