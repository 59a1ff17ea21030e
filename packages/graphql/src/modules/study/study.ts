import { drizzleConnectionHelpers } from '@pothos/plugin-drizzle';
import {
  type cadres,
  studyAudiences,
  studyMaterialKinds,
  type studyMaterials,
  studyMethods,
  studyRecords,
  studyRequirementGroupKinds,
  type studyRequirements,
} from '@sixtype/db';
import { and, type SQL, sql } from 'drizzle-orm';
import { builder, type PothosTypes } from '../../builder.ts';
import { auditActorOf, studyVisibility } from '../../context.ts';
import { ValidationError } from '../../errors.ts';
import { mutationErrors } from '../common/errors.ts';
import { databaseIdOf } from '../common/ids.ts';
import { assertPageSize, resolveRootConnection, totalCountField } from '../common/pagination.ts';
import { checkedArg } from '../common/validation.ts';
import { Cadre } from '../directory/cadre.ts';
import { assertOrganizationExists } from '../directory/directory.service.ts';
import { cadreInUnitSql } from './compliance.sql.ts';
import { createStudyMaterial, setStudyRequirement } from './requirement.service.ts';
import {
  campaignCodeArg,
  createStudyRecord,
  deleteStudyRecord,
  orgCodeArg,
  type StudyRecordRow,
  studyRecordVisibleSql,
  updateStudyRecord,
  yearArg,
} from './study.service.ts';
import { studyVisibleSql } from './visibility.ts';

export const StudyMaterialKind = builder.enumType('StudyMaterialKind', { values: studyMaterialKinds });
export const StudyMethod = builder.enumType('StudyMethod', {
  description: '集中学习, 专题辅导, 个人自学, 谈心交心, 交流心得',
  values: studyMethods,
});
export const StudyRequirementGroupKind = builder.enumType('StudyRequirementGroupKind', {
  description: 'ALL: every material is required (必学); CHOICE: at least `minMaterials` of them (任选).',
  values: studyRequirementGroupKinds,
});
export const StudyAudience = builder.enumType('StudyAudience', { values: studyAudiences });

export const StudyMaterial = builder.drizzleObject('studyMaterials', {
  name: 'StudyMaterial',
  description: 'Something to study: a policy (十七大精神) or a book (《细节决定成败》).',
  fields: (t) => ({
    code: t.exposeString('code'),
    title: t.exposeString('title'),
    kind: t.expose('kind', { type: StudyMaterialKind }),
  }),
});

export const StudyRequirementGroup = builder.drizzleObject('studyRequirementGroups', {
  name: 'StudyRequirementGroup',
  fields: (t) => ({
    name: t.exposeString('name'),
    kind: t.expose('kind', { type: StudyRequirementGroupKind }),
    minMaterials: t.exposeInt('minMaterials', {
      nullable: true,
      description: 'For CHOICE groups: how many of the materials a cadre must study.',
    }),
    materials: t.relation('materials', { query: { orderBy: { sortOrder: 'asc', id: 'asc' } } }),
  }),
});

export const StudyRequirement = builder.drizzleObject('studyRequirements', {
  name: 'StudyRequirement',
  description: 'What a campaign asks of each cadre in one year (学习笔记 每人全年不少于2万字, 必学内容, 任选书目).',
  fields: (t) => ({
    campaignCode: t.exposeString('campaignCode'),
    year: t.exposeInt('year'),
    noteCharactersQuota: t.exposeInt('noteCharactersQuota', {
      description: 'Characters of notes per cadre per year, counted as Unicode code points.',
    }),
    hoursQuota: t.expose('hoursQuota', {
      type: 'Decimal',
      nullable: true,
      description: 'Study hours (学时) per year.',
    }),
    audience: t.expose('audience', { type: StudyAudience }),
    description: t.exposeString('description', { nullable: true }),
    campaign: t.relation('campaign'),
    groups: t.relation('groups', { query: { orderBy: { sortOrder: 'asc', id: 'asc' } } }),
  }),
});

/** What the type-level selection adds to every record row: its cadre's unit, for the visibility check. */
interface VisibleRecord {
  cadrePath: string;
}

export const StudyRecord = builder.drizzleNode('studyRecords', {
  name: 'StudyRecord',
  description: 'One sitting of study by one cadre, with the notes written.',
  id: { column: (record) => record.id },
  // The day, method, hours and characters are on every row and read straight off it, as Cadre's
  // number and name are (see there): every list of records asks for them.
  select: {
    columns: { cadreId: true, studiedOn: true, method: true, hours: true, noteCharacters: true },
    extras: {
      cadrePath: (table) =>
        sql<string>`(select record_unit.path::text from cadres record_cadre join organizations record_unit on record_unit.id = record_cadre.organization_id where record_cadre.id = ${table.cadreId})`,
    },
  },
  // Checked on every record however it is reached; the queries filter by the same rule in SQL.
  authScopes: (record) => ({
    studyRecordVisible: { cadreId: record.cadreId, organizationPath: (record as VisibleRecord).cadrePath ?? '' },
  }),
  fields: (t) => ({
    cadre: t.relation('cadre'),
    studiedOn: t.field({ type: 'Date', resolve: (record) => record.studiedOn }),
    material: t.relation('material', { nullable: true }),
    method: t.field({ type: StudyMethod, resolve: (record) => record.method }),
    hours: t.field({ type: 'Decimal', resolve: (record) => record.hours }),
    note: t.exposeString('note'),
    noteCharacters: t.int({
      description: 'Characters of the note as Unicode code points, counted by the database (学 is one).',
      resolve: (record) => record.noteCharacters,
    }),
    activity: t.relation('activity', {
      nullable: true,
      description: 'The activity (a concentrated session, a tutoring) this study was part of.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

// ---------------------------------------------------------------------------------------------
// Reads

builder.queryFields((t) => ({
  studyMaterials: t.drizzleField({
    type: ['studyMaterials'],
    description: 'Every study material, in the order they were defined.',
    authScopes: { authenticated: true },
    resolve: (query, _root, _args, ctx) =>
      ctx.db.query.studyMaterials.findMany(query({ orderBy: { sortOrder: 'asc', id: 'asc' } })),
  }),
  studyRequirement: t.drizzleField({
    type: 'studyRequirements',
    nullable: true,
    description: 'The study requirement of a campaign for a year; null when there is none.',
    authScopes: { authenticated: true },
    args: {
      campaignCode: t.arg.string({ required: true }),
      year: t.arg.int({ required: true }),
    },
    resolve: (query, _root, args, ctx) =>
      ctx.db.query.studyRequirements.findFirst(
        query({
          where: {
            campaignCode: checkedArg(campaignCodeArg, args.campaignCode, 'campaignCode'),
            year: checkedArg(yearArg, args.year, 'year'),
          },
        }),
      ),
  }),
}));

type StudyRequirementRow = typeof studyRequirements.$inferSelect;
type StudyMaterialRow = typeof studyMaterials.$inferSelect;

export type { StudyRequirementRow };

const recordPages = drizzleConnectionHelpers(builder, 'studyRecords', {
  query: () => ({ orderBy: { studiedOn: 'desc', id: 'desc' } }),
});

builder.queryField('studyRecords', (t) =>
  t.connection(
    {
      type: StudyRecord,
      description:
        'Study records, newest first: a cadre sees their own, a manager their subtree’s, an admin all. Narrow them with `orgCode` (+ `includeDescendants`), `employeeNumber` and a date range.',
      authScopes: { studyRead: true },
      args: {
        ...recordPages.getArgs(),
        orgCode: t.arg.string(),
        includeDescendants: t.arg.boolean({ defaultValue: false }),
        employeeNumber: t.arg.string(),
        from: t.arg({ type: 'Date' }),
        to: t.arg({ type: 'Date' }),
        method: t.arg({ type: StudyMethod }),
      },
      resolve: async (_root, args, ctx, info) => {
        assertPageSize(args);
        if (args.orgCode) checkedArg(orgCodeArg, args.orgCode, 'orgCode');
        const visibility = studyVisibility(ctx.viewer);
        const condition = (table: typeof studyRecords): SQL =>
          and(
            studyRecordVisibleSql(table, visibility),
            args.orgCode
              ? sql`${table.cadreId} in (select c.id from cadres c where ${cadreInUnitSql(
                  args.orgCode,
                  args.includeDescendants ?? false,
                )})`
              : undefined,
            args.employeeNumber
              ? sql`${table.cadreId} = (select c.id from cadres c where c.employee_number = ${args.employeeNumber})`
              : undefined,
            args.from ? sql`${table.studiedOn} >= ${args.from}` : undefined,
            args.to ? sql`${table.studiedOn} <= ${args.to}` : undefined,
            args.method ? sql`${table.method} = ${args.method}` : undefined,
          ) ?? sql`true`;
        return resolveRootConnection({
          t,
          tableName: 'studyRecords',
          table: studyRecords,
          pages: recordPages,
          args,
          ctx,
          info,
          condition,
          assertScopeExists: args.orgCode ? () => assertOrganizationExists(ctx.db, args.orgCode as string) : undefined,
          pageKey: (table) => table.id,
        }) as never;
      },
    },
    { name: 'StudyRecordConnection', fields: (c) => ({ totalCount: c.int(totalCountField) }) },
  ),
);

builder.drizzleObjectField(Cadre, 'studyRecords', (t) =>
  t.relatedConnection(
    'studyRecords',
    {
      description: 'This cadre’s study records, newest first (only for viewers who may read them).',
      totalCount: true,
      query: (args, ctx) => {
        assertPageSize(args);
        return {
          where: { RAW: (table) => studyRecordVisibleSql(table, studyVisibility(ctx.viewer)) },
          orderBy: { studiedOn: 'desc', id: 'desc' },
        };
      },
    },
    { name: 'CadreStudyRecordsConnection' },
  ),
);

interface CadreStudyTotalsShape {
  year: number;
  noteCharacters: number;
  hours: string;
  records: number;
}

const CadreStudyTotals = builder.objectRef<CadreStudyTotalsShape>('CadreStudyTotals').implement({
  description: 'One cadre’s study records of one calendar year, summed.',
  fields: (t) => ({
    year: t.exposeInt('year'),
    noteCharacters: t.exposeInt('noteCharacters', { description: 'Characters of the year’s notes (code points).' }),
    hours: t.expose('hours', { type: 'Decimal', description: 'Hours studied in the year.' }),
    records: t.exposeInt('records', { description: 'Study records in the year.' }),
  }),
});

/** The row key of a year's totals, so that two years asked for in one query do not collide. */
const studyTotalsKey = (year: number) => `studyTotals${year}`;

builder.drizzleObjectFields(Cadre, (t) => ({
  studyTotals: t.field({
    type: CadreStudyTotals,
    nullable: true,
    description:
      'Characters, hours and records of the year, summed in the same statement as the cadre (no query per cadre). Null when the viewer may not read this cadre’s study records.',
    args: { year: t.arg.int({ required: true }) },
    select: (args, ctx) => {
      // A year out of range adds nothing here; the resolver then answers BAD_USER_INPUT.
      if (!yearArg.safeParse(args.year).success) return {};
      const visibility = studyVisibility(ctx.viewer);
      return {
        extras: {
          [studyTotalsKey(args.year)]: (table: typeof cadres) =>
            sql`case when ${studyVisibleSql(visibility, table.id, table.organizationId)} then (
              select json_build_object(
                'noteCharacters', coalesce(sum(totals_record.note_characters), 0),
                'hours', trim_scale(coalesce(sum(totals_record.hours), 0))::text,
                'records', count(*))
              from study_records totals_record
              where totals_record.cadre_id = ${table.id}
                and totals_record.studied_on >= make_date(${args.year}::int, 1, 1)
                and totals_record.studied_on < make_date(${args.year}::int + 1, 1, 1)) end`,
        },
      };
    },
    resolve: (cadre, args) => {
      const year = checkedArg(yearArg, args.year, 'year');
      const totals = (cadre as Record<string, unknown>)[studyTotalsKey(year)] as Omit<
        CadreStudyTotalsShape,
        'year'
      > | null;
      return totals ? { year, ...totals } : null;
    },
  }),
}));

// ---------------------------------------------------------------------------------------------
// Writes: a cadre records and edits only their own records

const CreateStudyRecordInput = builder.inputType('CreateStudyRecordInput', {
  fields: (t) => ({
    employeeNumber: t.string({
      description: 'Whose record: left out, the signed-in cadre’s own. Only an admin may name another cadre.',
    }),
    studiedOn: t.field({ type: 'Date', required: true }),
    materialCode: t.string({ description: 'The material studied, by code (optional).' }),
    method: t.field({ type: StudyMethod, required: true }),
    hours: t.field({ type: 'Decimal', description: 'Hours studied, at most one decimal (default 0).' }),
    note: t.string({
      required: true,
      description: 'The notes. Their characters are counted by the server; no count is accepted from the client.',
    }),
    activityId: t.globalID({
      description: 'The activity this study was part of (optional); it must take place on `studiedOn`.',
    }),
  }),
});

const UpdateStudyRecordInput = builder.inputType('UpdateStudyRecordInput', {
  description: 'Fields left out stay as they are; `materialCode: null` clears the material.',
  fields: (t) => ({
    id: t.globalID({ required: true }),
    studiedOn: t.field({ type: 'Date' }),
    materialCode: t.string(),
    method: t.field({ type: StudyMethod }),
    hours: t.field({ type: 'Decimal' }),
    note: t.string(),
    activityId: t.globalID({ description: '`null` unlinks the activity.' }),
  }),
});

const DeleteStudyRecordInput = builder.inputType('DeleteStudyRecordInput', {
  fields: (t) => ({ id: t.globalID({ required: true }) }),
});

type PayloadFieldBuilder = PothosSchemaTypes.ObjectFieldBuilder<
  PothosSchemaTypes.ExtendDefaultTypes<PothosTypes>,
  { record: StudyRecordRow }
>;

/** The payload's record is read back through the planner, so its selection is one query. */
const reloadedRecord = (t: PayloadFieldBuilder) =>
  t.drizzleField({
    type: 'studyRecords',
    resolve: (query, payload, _args, ctx) =>
      ctx.db.query.studyRecords
        .findFirst(query({ where: { id: payload.record.id } }))
        .then((row) => row ?? Promise.reject(new Error(`study record ${payload.record.id} vanished after its write`))),
  });

const RecordPayload = (name: string) =>
  builder.objectRef<{ record: StudyRecordRow }>(name).implement({
    fields: (t) => ({ record: reloadedRecord(t) }),
  });

const DeleteStudyRecordPayload = builder.objectRef<{ record: StudyRecordRow }>('DeleteStudyRecordPayload').implement({
  fields: (t) => ({
    deletedId: t.id({ resolve: (payload) => Buffer.from(`StudyRecord:${payload.record.id}`).toString('base64') }),
  }),
});

const recordIdOf = (id: { typename: string; id: string }) => {
  const number = Number(id.id);
  if (id.typename !== 'StudyRecord' || !Number.isInteger(number) || number <= 0) {
    throw ValidationError.of(['input', 'id'], 'is not the id of a study record');
  }
  return number;
};

builder.mutationFields((t) => ({
  createStudyRecord: t.field({
    type: RecordPayload('CreateStudyRecordPayload'),
    description: 'Records a sitting of study for the signed-in cadre (an admin may name any cadre).',
    authScopes: { studyRead: true },
    args: { input: t.arg({ type: CreateStudyRecordInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'CreateStudyRecordResult' } },
    resolve: async (_root, { input }, ctx) => ({
      record: await createStudyRecord(ctx.db, ctx.viewer, {
        ...input,
        activityId: databaseIdOf(input.activityId, 'Activity'),
      }),
    }),
  }),
  updateStudyRecord: t.field({
    type: RecordPayload('UpdateStudyRecordPayload'),
    authScopes: { studyRead: true },
    args: { input: t.arg({ type: UpdateStudyRecordInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'UpdateStudyRecordResult' } },
    resolve: async (_root, { input }, ctx) => ({
      record: await updateStudyRecord(ctx.db, ctx.viewer, {
        ...input,
        id: recordIdOf(input.id),
        activityId: databaseIdOf(input.activityId, 'Activity'),
      }),
    }),
  }),
  deleteStudyRecord: t.field({
    type: DeleteStudyRecordPayload,
    authScopes: { studyRead: true },
    args: { input: t.arg({ type: DeleteStudyRecordInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'DeleteStudyRecordResult' } },
    resolve: async (_root, { input }, ctx) => ({
      record: await deleteStudyRecord(ctx.db, ctx.viewer, recordIdOf(input.id)),
    }),
  }),
}));

// ---------------------------------------------------------------------------------------------
// Requirements and materials are data, kept by admins

const CreateStudyMaterialInput = builder.inputType('CreateStudyMaterialInput', {
  fields: (t) => ({
    code: t.string({ required: true }),
    title: t.string({ required: true }),
    kind: t.field({ type: StudyMaterialKind, required: true }),
  }),
});

const StudyRequirementGroupInput = builder.inputType('StudyRequirementGroupInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    kind: t.field({ type: StudyRequirementGroupKind, required: true }),
    minMaterials: t.int({ description: 'CHOICE groups only: how many of the materials are required.' }),
    materialCodes: t.stringList({ required: true }),
  }),
});

const SetStudyRequirementInput = builder.inputType('SetStudyRequirementInput', {
  description: 'Creates or replaces the requirement of a campaign for a year, its groups included.',
  fields: (t) => ({
    campaignCode: t.string({ required: true }),
    year: t.int({ required: true }),
    noteCharactersQuota: t.int({ required: true }),
    hoursQuota: t.field({ type: 'Decimal' }),
    audience: t.field({ type: StudyAudience }),
    description: t.string(),
    groups: t.field({ type: [StudyRequirementGroupInput], required: true }),
  }),
});

builder.mutationFields((t) => ({
  createStudyMaterial: t.field({
    type: builder.objectRef<{ material: StudyMaterialRow }>('CreateStudyMaterialPayload').implement({
      fields: (p) => ({
        material: p.drizzleField({
          type: 'studyMaterials',
          resolve: (query, payload, _args, ctx) =>
            ctx.db.query.studyMaterials
              .findFirst(query({ where: { id: payload.material.id } }))
              .then((row) => row ?? Promise.reject(new Error('study material vanished after its write'))),
        }),
      }),
    }),
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateStudyMaterialInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'CreateStudyMaterialResult' } },
    resolve: async (_root, { input }, ctx) => ({
      material: await createStudyMaterial(ctx.db, auditActorOf(ctx.viewer), input),
    }),
  }),
  setStudyRequirement: t.field({
    type: builder.objectRef<{ requirement: StudyRequirementRow }>('SetStudyRequirementPayload').implement({
      fields: (p) => ({
        requirement: p.drizzleField({
          type: 'studyRequirements',
          resolve: (query, payload, _args, ctx) =>
            ctx.db.query.studyRequirements
              .findFirst(query({ where: { id: payload.requirement.id } }))
              .then((row) => row ?? Promise.reject(new Error('study requirement vanished after its write'))),
        }),
      }),
    }),
    authScopes: { admin: true },
    args: { input: t.arg({ type: SetStudyRequirementInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'SetStudyRequirementResult' } },
    resolve: async (_root, { input }, ctx) => ({
      requirement: await setStudyRequirement(ctx.db, auditActorOf(ctx.viewer), input),
    }),
  }),
}));
