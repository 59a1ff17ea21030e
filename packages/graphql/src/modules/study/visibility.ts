import { type SQL, sql } from 'drizzle-orm';
import { pathWithin, type Viewer, viewerChecks } from '../../context.ts';

/**
 * Whose study records (and compliance rows) a viewer may read: everybody's (admins), a subtree's
 * (a manager's unit and everything below it), one cadre's own (a CADRE account), or nobody's.
 * Study notes are personal writing, so API clients read only the published aggregates.
 */
export type StudyVisibility =
  | { kind: 'ALL' }
  | { kind: 'SUBTREE'; path: string }
  | { kind: 'OWN'; cadreId: number }
  | { kind: 'NONE' };

export function studyVisibility(viewer: Viewer): StudyVisibility {
  if (viewerChecks.isAdmin(viewer)) return { kind: 'ALL' };
  if (viewer.kind !== 'USER') return { kind: 'NONE' };
  if (viewer.role === 'ORG_MANAGER' && viewer.organizationPath) {
    return { kind: 'SUBTREE', path: viewer.organizationPath };
  }
  if (viewer.role === 'CADRE' && viewer.cadreId !== null) return { kind: 'OWN', cadreId: viewer.cadreId };
  return { kind: 'NONE' };
}

/** Whether the viewer may record and edit study records of this cadre: only their own (admins: any). */
export function mayWriteStudyRecordOf(viewer: Viewer, cadreId: number): boolean {
  if (viewerChecks.isAdmin(viewer)) return true;
  return viewer.kind === 'USER' && viewer.role === 'CADRE' && viewer.cadreId === cadreId;
}

/** Whether a record (or a compliance row) of the cadre at `organizationPath` is visible. */
export function studyRowVisible(visibility: StudyVisibility, cadre: { cadreId: number; organizationPath: string }) {
  switch (visibility.kind) {
    case 'ALL':
      return true;
    case 'SUBTREE':
      return pathWithin(cadre.organizationPath, visibility.path);
    case 'OWN':
      return visibility.cadreId === cadre.cadreId;
    default:
      return false;
  }
}

/**
 * The same rule as a predicate on a cadre id and its unit id (columns or expressions), applied in
 * every study query so rows outside it are never loaded.
 */
export function studyVisibleSql(visibility: StudyVisibility, cadreId: unknown, organizationId: unknown): SQL {
  switch (visibility.kind) {
    case 'ALL':
      return sql`true`;
    case 'SUBTREE':
      return sql`${organizationId} in (select visible_unit.id from organizations visible_unit where visible_unit.path <@ ${visibility.path}::ltree)`;
    case 'OWN':
      return sql`${cadreId} = ${visibility.cadreId}`;
    default:
      return sql`false`;
  }
}
