import {
  activityOccursOn,
  cadres,
  campaigns,
  type Executor,
  organizations,
  studyLimits,
  studyMaterials,
  studyMethods,
  studyRecords,
  studyRequirements,
  timeZone,
  today,
  writeAuditEvent,
} from '@sixtype/db';
import { stringify } from 'csv-stringify/sync';
import { and, eq, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { StudyVisibility } from '../../context.ts';
import { auditActorOf, type Viewer } from '../../context.ts';
import { graphQLError, NotFoundError, ValidationError } from '../../errors.ts';
import { findLinkedActivity } from '../campaign/activity.service.ts';
import { rowsOf } from '../common/rows.ts';
import { inTransaction } from '../common/transactions.ts';
import {
  calendarDay,
  codeSchema,
  decimalText,
  fractionDigits,
  idOf,
  parseInput,
  type Raw,
} from '../common/validation.ts';
import {
  type ComplianceQuery,
  type ComplianceRow,
  cadreInUnitSql,
  complianceRowsSql,
  type OrganizationComplianceRow,
  organizationComplianceSql,
} from './compliance.sql.ts';
import { mayWriteStudyRecordOf, studyVisibleSql } from './visibility.ts';

export type StudyRecordRow = typeof studyRecords.$inferSelect;

// ---------------------------------------------------------------------------------------------
// Arguments shared by the read fields

const code = codeSchema;
export const campaignCodeArg = code;
export const orgCodeArg = code;
export const yearArg = z.number().int().min(1949, 'must be 1949 or later').max(2200, 'must be 2200 or earlier');

/** An unknown campaign/year or unit is NOT_FOUND rather than an empty list. */
export async function assertComplianceScopeExists(
  db: Executor,
  scope: { campaignCode: string; year: number; orgCode?: string | null },
): Promise<void> {
  const [requirement] = await db
    .select({ id: studyRequirements.id })
    .from(studyRequirements)
    .where(and(eq(studyRequirements.campaignCode, scope.campaignCode), eq(studyRequirements.year, scope.year)));
  if (!requirement) {
    // Only on this failure path: say which of the two is missing, the campaign or its year's rules.
    const [campaign] = await db
      .select({ id: campaigns.id })
      .from(campaigns)
      .where(eq(campaigns.code, scope.campaignCode));
    if (!campaign) throw graphQLError('NOT_FOUND', `Campaign ${scope.campaignCode} does not exist`);
    throw graphQLError('NOT_FOUND', `Campaign ${scope.campaignCode} has no study requirement for ${scope.year}`);
  }
  if (scope.orgCode) {
    const [unit] = await db
      .select({ id: organizations.id })
      .from(organizations)
      .where(eq(organizations.code, scope.orgCode));
    if (!unit) throw graphQLError('NOT_FOUND', `Organization ${scope.orgCode} does not exist`);
  }
}

// ---------------------------------------------------------------------------------------------
// Compliance, for reuse outside GraphQL

/**
 * The study compliance of every unit, each with its whole subtree rolled up, as of a day (the
 * STUDY_COMPLIANCE_RATE derivation publishes the same rate per month through `metricSeries`).
 * One statement.
 */
export async function complianceRateByOrg(
  db: Executor,
  campaignCode: string,
  year: number,
  asOfDate: string | null,
): Promise<OrganizationComplianceRow[]> {
  return rowsOf<OrganizationComplianceRow>(
    await db.execute(organizationComplianceSql({ campaignCode, year, asOfDate, parentOrgCode: null })),
  );
}

/** A parent unit and the units directly below it, ranked by compliance rate. One statement. */
export async function organizationComplianceRanking(
  db: Executor,
  query: ComplianceQuery & { parentOrgCode: string },
): Promise<OrganizationComplianceRow[]> {
  return rowsOf<OrganizationComplianceRow>(await db.execute(organizationComplianceSql(query)));
}

export interface ComplianceExportRow extends ComplianceRow {
  orgCode: string;
  orgName: string;
  employeeNumber: string;
  name: string;
}

/** Per-cadre rows of a unit's subtree, as the viewer may see them, ordered for filing. One statement. */
export async function complianceExportRows(
  db: Executor,
  visibility: StudyVisibility,
  query: ComplianceQuery & { orgCode: string; includeDescendants: boolean },
): Promise<ComplianceExportRow[]> {
  const condition = sql`${cadreInUnitSql(query.orgCode, query.includeDescendants)} and ${studyVisibleSql(
    visibility,
    sql`c.id`,
    sql`c.organization_id`,
  )}`;
  return rowsOf<ComplianceExportRow>(
    await db.execute(sql`
      select cr.*, o.code as "orgCode", o.name as "orgName", c.employee_number as "employeeNumber", c.name
      from (${complianceRowsSql(query, condition)}) cr
      join cadres c on c.id = cr."cadreId"
      join organizations o on o.id = c.organization_id
      order by o.path, c.employee_number`),
  );
}

export const COMPLIANCE_CSV_HEADER = [
  '单位代码',
  '单位名称',
  '工号',
  '姓名',
  '笔记字数',
  '字数要求',
  '学时',
  '字数达标',
  '必学内容已学',
  '所选书目',
  '合格',
] as const;

/**
 * The year's compliance as CSV (UTF-8, CRLF line ends, a header row), for offices to file, written
 * by csv-stringify: cells quoted when needed, yes/no as 是/否, and a cell a spreadsheet would read
 * as a formula (=, +, -, @, a tab or CR first, or their full-width forms) prefixed with `'`.
 */
export function complianceCsv(rows: readonly ComplianceExportRow[]): string {
  return stringify(
    [
      COMPLIANCE_CSV_HEADER,
      ...rows.map((row) => [
        row.orgCode,
        row.orgName,
        row.employeeNumber,
        row.name,
        row.noteCharacters,
        row.noteCharactersQuota,
        row.hours,
        row.quotaMet,
        row.mandatoryMaterialsCovered,
        row.chosenMaterials.map((material) => material.title).join('、'),
        row.compliant,
      ]),
    ],
    { record_delimiter: 'windows', escape_formulas: true, cast: { boolean: (value) => (value ? '是' : '否') } },
  );
}

// ---------------------------------------------------------------------------------------------
// Study records: a cadre writes their own

const hours = decimalText
  .refine((value) => !value.startsWith('-') && fractionDigits(value) <= 1, {
    message: 'must be a number of hours with at most one decimal, e.g. "1.5"',
  })
  .refine((value) => Number(value) <= studyLimits.maxHoursPerRecord, {
    message: `must be at most ${studyLimits.maxHoursPerRecord}`,
  });
const note = z
  .string()
  // Counted in code points, as the database counts them.
  .refine((value) => [...value].length <= studyLimits.noteMaxLength, {
    message: `must be at most ${studyLimits.noteMaxLength} characters`,
  });
/** A day studied: not after today in the zone (study is recorded once done). */
const studiedOnDay = calendarDay.superRefine((day, ctx) => {
  const now = today();
  if (day > now)
    ctx.addIssue({ code: 'custom', message: `must not be in the future (today is ${now} in ${timeZone()})` });
});
const employeeNumber = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(32)
  .regex(/^[A-Za-z0-9-]+$/, 'must be letters, digits and hyphens');

const createStudyRecordInput = z.object({
  employeeNumber: employeeNumber.nullish(),
  studiedOn: studiedOnDay,
  materialCode: code.nullish(),
  method: z.enum(studyMethods),
  hours: hours.nullish(),
  note,
  /** Database id of the activity the study was part of; -1 stands for an id of another type. */
  activityId: z.number().int().nullish(),
});

const updateStudyRecordInput = z.object({
  id: idOf('StudyRecord'),
  studiedOn: studiedOnDay.optional(),
  materialCode: code.nullish(),
  method: z.enum(studyMethods).optional(),
  hours: hours.optional(),
  note: note.optional(),
  /** null unlinks the activity; left out, it stays. */
  activityId: z.number().int().nullish(),
});

export type CreateStudyRecordInput = Raw<z.input<typeof createStudyRecordInput>>;
export type UpdateStudyRecordInput = Omit<Raw<z.input<typeof updateStudyRecordInput>>, 'id'> & { id: number };

const notYours = () => graphQLError('FORBIDDEN', 'A cadre records and edits only their own study records');

async function findMaterialId(tx: Executor, materialCode: string): Promise<number> {
  const [row] = await tx
    .select({ id: studyMaterials.id })
    .from(studyMaterials)
    .where(eq(studyMaterials.code, materialCode));
  if (!row) throw new NotFoundError('StudyMaterial', materialCode);
  return row.id;
}

/**
 * The activity a record is linked to: it must exist and take place on the day studied (an
 * occurrence of a recurring one, or a day of a one-off's span).
 */
async function linkedActivityId(tx: Executor, activityId: number, studiedOn: string): Promise<number> {
  const activity = await findLinkedActivity(tx, activityId);
  if (!activityOccursOn(activity, studiedOn)) {
    throw ValidationError.of(['input', 'activityId'], `the activity does not take place on ${studiedOn}`);
  }
  return activity.id;
}

/** The cadre a new record belongs to: the viewer's own unless an admin names another. */
async function recordOwner(tx: Executor, viewer: Viewer, number: string | null | undefined): Promise<number> {
  if (!number) {
    if (viewer.kind === 'USER' && viewer.cadreId !== null) return viewer.cadreId;
    throw ValidationError.of(['input', 'employeeNumber'], 'name the cadre whose record this is');
  }
  const [cadre] = await tx.select({ id: cadres.id }).from(cadres).where(eq(cadres.employeeNumber, number));
  // A cadre learns nothing about other employee numbers: another's number is FORBIDDEN either way.
  if (!cadre) {
    if (!mayWriteStudyRecordOf(viewer, -1)) throw notYours();
    throw new NotFoundError('Cadre', number);
  }
  if (!mayWriteStudyRecordOf(viewer, cadre.id)) throw notYours();
  return cadre.id;
}

export async function createStudyRecord(db: Executor, viewer: Viewer, rawInput: CreateStudyRecordInput) {
  const input = parseInput(createStudyRecordInput, rawInput);
  return inTransaction(db, async (tx) => {
    const cadreId = await recordOwner(tx, viewer, input.employeeNumber);
    const materialId = input.materialCode ? await findMaterialId(tx, input.materialCode) : null;
    const activityId = input.activityId == null ? null : await linkedActivityId(tx, input.activityId, input.studiedOn);
    const [record] = await tx
      .insert(studyRecords)
      .values({
        cadreId,
        studiedOn: input.studiedOn,
        materialId,
        method: input.method,
        hours: input.hours ?? '0',
        note: input.note,
        activityId,
      })
      .returning();
    if (!record) throw new Error('insert returned no row');
    await writeAuditEvent(tx, auditActorOf(viewer), {
      operation: 'createStudyRecord',
      entityType: 'StudyRecord',
      entityId: record.id,
      after: record,
    });
    return record;
  });
}

async function lockOwnRecord(tx: Executor, viewer: Viewer, id: number): Promise<StudyRecordRow> {
  const [record] = await tx.select().from(studyRecords).where(eq(studyRecords.id, id)).for('update');
  if (!record) throw new NotFoundError('StudyRecord', String(id));
  if (!mayWriteStudyRecordOf(viewer, record.cadreId)) throw notYours();
  return record;
}

export async function updateStudyRecord(db: Executor, viewer: Viewer, rawInput: UpdateStudyRecordInput) {
  const input = parseInput(updateStudyRecordInput, rawInput);
  const { id, materialCode, activityId, ...changes } = input;
  return inTransaction(db, async (tx) => {
    const before = await lockOwnRecord(tx, viewer, id);
    const set: Partial<typeof studyRecords.$inferInsert> = Object.fromEntries(
      Object.entries(changes).filter(([, value]) => value !== undefined),
    );
    if (materialCode !== undefined) set.materialId = materialCode ? await findMaterialId(tx, materialCode) : null;
    // A kept activity is checked again when the day changes.
    const linked = activityId === undefined ? before.activityId : activityId;
    if (linked != null && (activityId !== undefined || set.studiedOn !== undefined)) {
      set.activityId = await linkedActivityId(tx, linked, set.studiedOn ?? before.studiedOn);
    } else if (activityId === null) {
      set.activityId = null;
    }
    const [after] = await tx
      .update(studyRecords)
      .set({ ...set, updatedAt: sql`now()` })
      .where(eq(studyRecords.id, before.id))
      .returning();
    if (!after) throw new Error('update returned no row');
    await writeAuditEvent(tx, auditActorOf(viewer), {
      operation: 'updateStudyRecord',
      entityType: 'StudyRecord',
      entityId: after.id,
      before,
      after,
    });
    return after;
  });
}

export async function deleteStudyRecord(db: Executor, viewer: Viewer, id: number) {
  return inTransaction(db, async (tx) => {
    const before = await lockOwnRecord(tx, viewer, id);
    await tx.delete(studyRecords).where(eq(studyRecords.id, id));
    await writeAuditEvent(tx, auditActorOf(viewer), {
      operation: 'deleteStudyRecord',
      entityType: 'StudyRecord',
      entityId: id,
      before,
    });
    return before;
  });
}

/** Records inside the viewer's visibility, as a predicate on the (possibly aliased) records table. */
export function studyRecordVisibleSql(table: typeof studyRecords, visibility: StudyVisibility): SQL {
  return studyVisibleSql(
    visibility,
    table.cadreId,
    sql`(select record_cadre.organization_id from cadres record_cadre where record_cadre.id = ${table.cadreId})`,
  );
}
