import { type SQL, sql } from 'drizzle-orm';
import { type StudyVisibility, type Viewer, viewerChecks } from '../../context.ts';

/** Whether the viewer may record and edit study records of this cadre: only their own (admins: any). */
export function mayWriteStudyRecordOf(viewer: Viewer, cadreId: number): boolean {
  if (viewerChecks.isAdmin(viewer)) return true;
  return viewer.kind === 'USER' && viewer.role === 'CADRE' && viewer.cadreId === cadreId;
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
