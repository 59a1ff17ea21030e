import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDb, loadDemoData } from '@sixtype/db';
import postgres from 'postgres';
import { CAMPAIGN_CODE, type DatasetSize, LAST_MONTH, STUDY_YEAR } from './sizes.ts';

/** Seeded PRNG (mulberry32): the same seed gives the same dataset, so answers can be golden-hashed. */
export function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (below: number) => Math.floor(next() * below);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick };
}
export type Random = ReturnType<typeof createRandom>;

export const DEFAULT_SEED = 20_120_331;

export interface LoadProgress {
  start(table: string, total: number): void;
  advance(table: string, rows: number): void;
  stop(table: string): void;
}

const silentProgress: LoadProgress = { start() {}, advance() {}, stop() {} };

// Text format of COPY: tab-separated, \N for null, backslash escapes.
const copyValue = (value: string | number | boolean | null): string => {
  if (value === null) return '\\N';
  if (typeof value !== 'string') return String(value);
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
};

type Row = readonly (string | number | boolean | null)[];

/**
 * The big tables whose foreign keys the loader satisfies by construction (it writes only ids it
 * has just read back): their COPY runs with `session_replication_role = replica`, which skips the
 * per-row foreign-key checks (at PROVINCE, 48,000,000 observations load in 6 min 20 s without
 * them; with them the COPY was still checking after 13 min). None of them has
 * a trigger of its own. The benchmark's role must be a superuser, as the generator's always was.
 */
const UNCHECKED_TABLES = new Set(['study_records', 'activity_attendance', 'metric_observations', 'metric_targets']);

/** Streams rows into one table through `COPY … FROM STDIN` in ~256 KB chunks. */
async function copyRows(
  sql: postgres.Sql,
  table: string,
  columns: readonly string[],
  total: number,
  rows: () => Iterable<Row>,
  progress: LoadProgress,
): Promise<void> {
  progress.start(table, total);
  const unchecked = UNCHECKED_TABLES.has(table);
  if (unchecked) await sql`set session_replication_role = replica`;
  const writable = await sql.unsafe(`copy ${table} (${columns.join(', ')}) from stdin`).writable();
  function* chunks() {
    let buffer = '';
    let pending = 0;
    for (const row of rows()) {
      buffer += `${row.map(copyValue).join('\t')}\n`;
      pending += 1;
      if (buffer.length > 262_144) {
        yield buffer;
        progress.advance(table, pending);
        buffer = '';
        pending = 0;
      }
    }
    if (buffer) yield buffer;
    progress.advance(table, pending);
  }
  await pipeline(Readable.from(chunks()), writable);
  if (unchecked) await sql`reset session_replication_role`;
  progress.stop(table);
}

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈';
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力斌宇浩凯健俊帆鹏';
const POSITIONS = ['科员', '副科长', '科长', '副主任', '主任', '副局长', '局长', '办事员'];
const RANKS = ['科员', '副科级', '正科级', '副处级', '正处级'];
const METHODS = ['CONCENTRATED', 'TOPIC_TUTORING', 'SELF_STUDY', 'HEART_TO_HEART', 'EXPERIENCE_EXCHANGE'];
const ACTIVITY_KINDS = [
  'CONCENTRATED_STUDY',
  'TOPIC_TUTORING',
  'EXPERT_LECTURE',
  'CENTER_GROUP_STUDY',
  'DISPATCH_MEETING',
  'INSPECTION',
  'FIELD_VISIT',
  'LANGUAGE_DAY',
  'EXPERIENCE_EXCHANGE',
];
const ATTENDANCE = ['PRESENT', 'PRESENT', 'PRESENT', 'PRESENT', 'ABSENT', 'ON_LEAVE'];
const PROBLEM_STATES = ['FOUND', 'RECTIFYING', 'AWAITING_ACCEPTANCE', 'CLOSED', 'REOPENED'] as const;
const PROBLEM_PATH: Record<(typeof PROBLEM_STATES)[number], readonly string[]> = {
  FOUND: ['FOUND'],
  RECTIFYING: ['FOUND', 'RECTIFYING'],
  AWAITING_ACCEPTANCE: ['FOUND', 'RECTIFYING', 'AWAITING_ACCEPTANCE'],
  CLOSED: ['FOUND', 'RECTIFYING', 'AWAITING_ACCEPTANCE', 'CLOSED'],
  REOPENED: ['FOUND', 'RECTIFYING', 'AWAITING_ACCEPTANCE', 'CLOSED', 'REOPENED'],
};
// Phrases of study notes (demo text); a note strings them together to about 100 characters.
const NOTE_PHRASES = [
  '认真学习十七大精神',
  '深刻领会省市委重要会议精神',
  '结合本职工作查找差距',
  '进一步增强服务意识',
  '提高执行力和创新力',
  '把学习成果转化为工作动力',
  '坚持理论联系实际',
  '做到学以致用',
  '细节决定成败，落实重于泰山',
  '以更加务实的作风推进各项工作',
  '牢固树立廉洁自律意识',
  '团结协作，形成合力',
  '主动为企业和群众排忧解难',
  '每天多做一点点',
  '没有任何借口',
];

function note(random: Random): string {
  const target = 60 + random.int(81);
  let text = '（演示）';
  while (text.length < target) text += `${random.pick(NOTE_PHRASES)}，`;
  return `${text.slice(0, target - 1)}。`;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const dayOfYear = (year: number, day: number) => new Date(Date.UTC(year, 0, 1 + day)).toISOString().slice(0, 10);

function monthsEndingWith(last: string, count: number): string[] {
  const [year, month] = last.split('-').map(Number) as [number, number];
  const months: string[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const index = year * 12 + (month - 1) - i;
    months.push(`${Math.floor(index / 12)}-${pad((index % 12) + 1, 2)}-01`);
  }
  return months;
}

export interface LoadResult {
  size: DatasetSize['name'];
  /** How `metric_observations` is laid out (the migrations' partitions, or one plain table). */
  layout: Layout;
  seed: number;
  rows: Record<string, number>;
  seconds: number;
}

/**
 * Drops and re-creates `databaseUrl`'s database, migrates it, loads the demo data (campaign, study
 * requirement, categories, the document's units) and then the generated rows with COPY, then
 * VACUUM ANALYZE. Everything generated is demo data: unit names and notes say 演示.
 */
export async function loadDataset(
  databaseUrl: string,
  size: DatasetSize,
  {
    seed = DEFAULT_SEED,
    progress = silentProgress,
    layout = 'partitioned',
  }: { seed?: number; progress?: LoadProgress; layout?: Layout } = {},
): Promise<LoadResult> {
  const started = performance.now();
  await recreateDatabase(databaseUrl);
  const handle = await createDb({ databaseUrl, maxConnections: 1 });
  try {
    await handle.migrate();
    await loadDemoData(handle.db);
  } finally {
    await handle.close();
  }

  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const random = createRandom(seed);
  const rows: Record<string, number> = {};
  try {
    await sql`set synchronous_commit = off`;
    const [zone] = await sql<
      { id: number; path: string }[]
    >`select id, path::text from organizations where code = 'ZONE'`;
    if (!zone) throw new Error('the demo data has no ZONE unit');
    const [campaign] = await sql<{ id: number }[]>`select id from campaigns where code = ${CAMPAIGN_CODE}`;
    if (!campaign) throw new Error(`the demo data has no campaign ${CAMPAIGN_CODE}`);
    const materialIds = (await sql<{ id: number }[]>`select id from study_materials order by id`).map((r) => r.id);
    const categoryIds = (await sql<{ id: number }[]>`select id from problem_categories order by id`).map((r) => r.id);

    // Units: one level at a time, so each level's ids (identity values) are known to the next.
    const units: { id: number; code: string; path: string; level: number }[] = [];
    let parents = size.zones ? await insertZones(sql, size.zones) : [{ id: zone.id, code: 'ZONE', path: zone.path }];
    const totalUnits = size.unitsPerLevel.reduce((a, b) => a + b, 0);
    progress.start('organizations', totalUnits);
    for (const [index, count] of size.unitsPerLevel.entries()) {
      const level = index + 1;
      const kind = level === 1 ? 'SUBDISTRICT_OFFICE' : level === 2 ? 'DEPARTMENT' : 'OFFICE';
      const levelRows = Array.from({ length: count }, (_, i) => {
        const parent = parents[i % parents.length] as (typeof parents)[number];
        const code = `D${level}_${pad(i + 1, 5)}`;
        return { parent, code, path: `${parent.path}.${code}`, sortOrder: Math.floor(i / parents.length) };
      });
      // In chunks: a statement takes at most 65,535 parameters.
      const inserted: { id: number; code: string; path: string }[] = [];
      for (let from = 0; from < levelRows.length; from += 5_000) {
        inserted.push(
          ...(await sql<{ id: number; code: string; path: string }[]>`
            insert into organizations ${sql(
              levelRows.slice(from, from + 5_000).map((r) => ({
                code: r.code,
                name: `演示单位${level}-${r.code.slice(3)}`,
                kind,
                parent_id: r.parent.id,
                path: r.path,
                sort_order: r.sortOrder,
              })),
            )}
            returning id, code, path::text`),
        );
      }
      for (const row of inserted) units.push({ ...row, level });
      parents = inserted;
      progress.advance('organizations', count);
    }
    progress.stop('organizations');
    rows.organizations = units.length;

    // Cadres: spread over every generated unit; ids are read back in insertion order.
    const [{ last: lastDemoCadre } = { last: 0 }] = await sql<
      { last: number }[]
    >`select coalesce(max(id), 0) as last from cadres`;
    const cadreUnits: number[] = [];
    await copyRows(
      sql,
      'cadres',
      [
        'employee_number',
        'organization_id',
        'name',
        'gender',
        'position',
        'rank',
        'is_leader',
        'is_party_member',
        'status',
        'phone',
      ],
      size.cadres,
      function* () {
        for (let i = 0; i < size.cadres; i++) {
          const unit = units[random.int(units.length)] as (typeof units)[number];
          cadreUnits.push(unit.id);
          const name = `${random.pick([...SURNAMES])}${random.pick([...GIVEN])}${random.next() < 0.6 ? random.pick([...GIVEN]) : ''}`;
          yield [
            `B${pad(i + 1, 7)}`,
            unit.id,
            name,
            random.next() < 0.5 ? 'MALE' : 'FEMALE',
            random.pick(POSITIONS),
            random.pick(RANKS),
            random.next() < 0.1,
            random.next() < 0.6,
            random.next() < 0.95 ? 'ACTIVE' : random.next() < 0.5 ? 'TRANSFERRED' : 'RETIRED',
            `138${pad(random.int(100_000_000), 8)}`,
          ];
        }
      },
      progress,
    );
    const cadreIds = (await sql<{ id: number }[]>`select id from cadres where id > ${lastDemoCadre} order by id`).map(
      (r) => r.id,
    );
    rows.cadres = cadreIds.length;
    const cadresByUnit = new Map<number, number[]>();
    for (const [i, id] of cadreIds.entries()) {
      const unit = cadreUnits[i] as number;
      const list = cadresByUnit.get(unit) ?? [];
      list.push(id);
      cadresByUnit.set(unit, list);
    }

    await copyRows(
      sql,
      'study_records',
      ['cadre_id', 'studied_on', 'material_id', 'method', 'hours', 'note'],
      size.studyRecords,
      function* () {
        for (let i = 0; i < size.studyRecords; i++) {
          yield [
            cadreIds[random.int(cadreIds.length)] as number,
            dayOfYear(STUDY_YEAR, random.int(366)),
            random.next() < 0.7 ? random.pick(materialIds) : null,
            random.pick(METHODS),
            (1 + random.int(8)) / 2,
            note(random),
          ];
        }
      },
      progress,
    );
    rows.study_records = size.studyRecords;

    const [{ next: firstActivityId } = { next: 0 }] = await sql<
      { next: number }[]
    >`select coalesce(max(id), 0) + 1 as next from activities`;
    const activityUnits: number[] = [];
    const activityDays: string[] = [];
    await copyRows(
      sql,
      'activities',
      ['campaign_id', 'organizer_organization_id', 'kind', 'title', 'starts_at', 'ends_at', 'place', 'summary'],
      size.activities,
      function* () {
        for (let i = 0; i < size.activities; i++) {
          const unit = units[random.int(units.length)] as (typeof units)[number];
          const day = dayOfYear(STUDY_YEAR, random.int(366));
          activityUnits.push(unit.id);
          activityDays.push(day);
          const hour = 8 + random.int(9);
          yield [
            campaign.id,
            unit.id,
            random.pick(ACTIVITY_KINDS),
            `演示活动${pad(i + 1, 6)}`,
            `${day} ${pad(hour, 2)}:00:00+08`,
            `${day} ${pad(hour + 1, 2)}:30:00+08`,
            '会议室（演示）',
            null,
          ];
        }
      },
      progress,
    );
    rows.activities = size.activities;
    const activityIds = await sql<
      { id: number }[]
    >`select id from activities where id >= ${firstActivityId} order by id`;
    if (activityIds.length !== size.activities) throw new Error('activity ids are not one contiguous run');

    await copyRows(
      sql,
      'activity_attendance',
      ['activity_id', 'cadre_id', 'occurs_on', 'status'],
      size.activities * size.attendancePerActivity,
      function* () {
        for (const [i, { id }] of activityIds.entries()) {
          const local = cadresByUnit.get(activityUnits[i] as number) ?? [];
          const pool = local.length >= size.attendancePerActivity ? local : cadreIds;
          const chosen = new Set<number>();
          while (chosen.size < size.attendancePerActivity) chosen.add(pool[random.int(pool.length)] as number);
          for (const cadreId of chosen) yield [id, cadreId, activityDays[i] as string, random.pick(ATTENDANCE)];
        }
      },
      progress,
    );
    rows.activity_attendance = size.activities * size.attendancePerActivity;

    // Metric catalogue: FLOW figures add up across units and months, STOCK and RATIO do not.
    const kinds = ['FLOW', 'FLOW', 'STOCK', 'RATIO'] as const;
    const metricRows = Array.from({ length: size.metrics }, (_, i) => {
      const kind = kinds[i % kinds.length] as (typeof kinds)[number];
      return {
        code: `BENCH_M${pad(i + 1, 3)}`,
        name: `演示指标${pad(i + 1, 3)}`,
        unit: kind === 'RATIO' ? '%' : '万元',
        kind,
        aggregation: kind === 'RATIO' ? 'AVG' : 'SUM',
        direction: i % 7 === 6 ? 'LOWER_IS_BETTER' : 'HIGHER_IS_BETTER',
        category: 'BENCH',
        reporting_granularity: 'MONTH',
        sort_order: 100 + i,
      };
    });
    const metrics = await sql<{ id: number }[]>`insert into metric_definitions ${sql(metricRows)} returning id`;
    const step = units.length / size.reportingUnits;
    const reporting = Array.from({ length: size.reportingUnits }, (_, i) => units[Math.floor(i * step)]?.id as number);
    const months = monthsEndingWith(LAST_MONTH, size.months);
    // Each year's partition before its rows, so COPY writes there and not into the default one.
    for (const year of new Set(months.map((m) => Number(m.slice(0, 4))))) {
      await sql`select metric_observations_partition(${year}::integer)`;
    }
    const observationCount = metrics.length * reporting.length * months.length;
    await copyRows(
      sql,
      'metric_observations',
      [
        'metric_id',
        'organization_id',
        'granularity',
        'period_start',
        'value',
        'revision',
        'source',
        'submitted_by_kind',
        'submitted_by_id',
      ],
      observationCount,
      function* () {
        for (const metric of metrics) {
          for (const unit of reporting) {
            let level = 100 + random.int(900);
            for (const month of months) {
              level = Math.max(1, level * (0.97 + random.next() * 0.08));
              yield [metric.id, unit, 'MONTH', month, level.toFixed(2), 1, 'bench（演示）', 'SYSTEM', 'bench'];
            }
          }
        }
      },
      progress,
    );
    rows.metric_observations = observationCount;

    const targetMonths = months.filter((m) => m.startsWith(String(STUDY_YEAR)));
    const targetMetrics = metrics.slice(0, size.metricsWithTargets);
    await copyRows(
      sql,
      'metric_targets',
      ['metric_id', 'organization_id', 'granularity', 'period_start', 'value'],
      targetMetrics.length * reporting.length * targetMonths.length,
      function* () {
        for (const metric of targetMetrics) {
          for (const unit of reporting) {
            for (const month of targetMonths) yield [metric.id, unit, 'MONTH', month, String(500 + random.int(500))];
          }
        }
      },
      progress,
    );
    rows.metric_targets = targetMetrics.length * reporting.length * targetMonths.length;

    const [{ next: firstProblemId } = { next: 0 }] = await sql<
      { next: number }[]
    >`select coalesce(max(id), 0) + 1 as next from problems`;
    const problemStates: (typeof PROBLEM_STATES)[number][] = [];
    await copyRows(
      sql,
      'problems',
      [
        'campaign_id',
        'organization_id',
        'cadre_id',
        'category_id',
        'source',
        'description',
        'severity',
        'responsible_cadre_id',
        'deadline',
        'measures',
        'state',
      ],
      size.problems,
      function* () {
        for (let i = 0; i < size.problems; i++) {
          const unit = units[random.int(units.length)] as (typeof units)[number];
          const local = cadresByUnit.get(unit.id) ?? [];
          const state = random.pick(PROBLEM_STATES);
          problemStates.push(state);
          yield [
            campaign.id,
            unit.id,
            local.length > 0 && random.next() < 0.5 ? random.pick(local) : null,
            random.pick(categoryIds),
            random.pick(['SURVEY', 'INSPECTION', 'SELF_CHECK', 'PUBLIC_REPORT']),
            `演示问题${pad(i + 1, 6)}：工作作风不够扎实`,
            random.pick(['LOW', 'MEDIUM', 'HIGH']),
            local.length > 0 ? random.pick(local) : null,
            dayOfYear(STUDY_YEAR, 30 + random.int(330)),
            '制定整改措施，限期完成（演示）',
            state,
          ];
        }
      },
      progress,
    );
    rows.problems = size.problems;
    const transitionCount = problemStates.reduce((n, state) => n + PROBLEM_PATH[state].length, 0);
    await copyRows(
      sql,
      'problem_transitions',
      ['problem_id', 'from_state', 'to_state', 'actor_kind', 'actor_id', 'comment', 'occurred_at'],
      transitionCount,
      function* () {
        for (const [i, state] of problemStates.entries()) {
          const path = PROBLEM_PATH[state];
          const day = random.int(300);
          for (const [step, to] of path.entries()) {
            yield [
              firstProblemId + i,
              step === 0 ? null : (path[step - 1] as string),
              to,
              'SYSTEM',
              'bench',
              null,
              `${dayOfYear(STUDY_YEAR, day + step * 7)} 09:00:00+08`,
            ];
          }
        }
      },
      progress,
    );
    rows.problem_transitions = transitionCount;

    // VACUUM too: a loaded database in steady state has its visibility map set (index-only scans).
    progress.start('vacuum analyze', 1);
    await sql`vacuum analyze`;
    await vacuumUntilAllVisible(sql);
    progress.advance('vacuum analyze', 1);
    progress.stop('vacuum analyze');
    if (layout === 'plain') {
      progress.start('plain layout', 1);
      await unpartitionObservations(sql);
      progress.stop('plain layout');
    }
    const result: LoadResult = { size: size.name, layout, seed, rows, seconds: (performance.now() - started) / 1000 };
    await recordDataset(sql, result);
    return result;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * VACUUM again the tables whose pages it could not all mark visible. Autovacuum analyzes the tables
 * just loaded while the load goes on, and its snapshot keeps the rows inserted after it from being
 * visible to all: the database-wide VACUUM then left the visibility map unset on whichever tables
 * it met during such an analyze (L, 2026-12-04: `cadres`, 0 of 1,451 pages, so S3's index-only
 * scan of the subtree's cadres fetched all 8,768 rows from the heap).
 */
async function vacuumUntilAllVisible(sql: postgres.Sql): Promise<void> {
  const behind = () => sql<{ name: string }[]>`
    select c.oid::regclass::text as name from pg_class c
    where c.relkind in ('r', 'm') and c.relnamespace = 'public'::regnamespace and c.relpages > 0
      and c.relallvisible < c.relpages`;
  for (let round = 0; round < 10; round++) {
    const tables = await behind();
    if (tables.length === 0) return;
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const { name } of tables) await sql.unsafe(`vacuum ${name}`);
  }
  const left = (await behind()).map((table) => table.name);
  if (left.length > 0)
    console.warn(`VACUUM left pages not all-visible in ${left.join(', ')}: a transaction open elsewhere?`);
}

/**
 * A province's zones (demo): `count` roots `Z01`… beside the demo `ZONE`. A zone is a root of the
 * tree (`organizations_root_is_zone`), so the province is the installation that holds them; the
 * generated levels divide among the zones.
 */
function insertZones(sql: postgres.Sql, count: number) {
  return sql<{ id: number; code: string; path: string }[]>`
    insert into organizations ${sql(
      Array.from({ length: count }, (_, i) => ({
        code: `Z${pad(i + 1, 2)}`,
        name: `演示开发区${pad(i + 1, 2)}`,
        kind: 'ZONE',
        path: `Z${pad(i + 1, 2)}`,
        sort_order: 100 + i,
      })),
    )}
    returning id, code, path::text`;
}

/** What `run.ts` reads to name the dataset it measures. */
export async function recordDataset(sql: postgres.Sql, result: LoadResult): Promise<void> {
  await sql`insert into system_settings (key, value) values ('bench_dataset', ${JSON.stringify(result)})
            on conflict (key) do update set value = excluded.value`;
}

/** The two layouts of `metric_observations` the benchmark compares (docs/scaling.md). */
export type Layout = 'partitioned' | 'plain';

/**
 * Turns the migrated, partitioned `metric_observations` back into one plain table as it was before
 * the partitioning migration (its DDL, its index names), keeping every row and the identity, and
 * makes the partition maintenance a no-op (every migrate calls it). For the benchmark only.
 */
export async function unpartitionObservations(sql: postgres.Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx.unsafe(`
      set local maintenance_work_mem = '1GB';
      create table metric_observations_plain (like metric_observations including defaults including constraints);
      insert into metric_observations_plain select * from metric_observations;
      drop table metric_observations;
      alter table metric_observations_plain rename to metric_observations;
      alter table metric_observations add constraint metric_observations_pkey primary key (id);
      alter table metric_observations alter column id add generated always as identity;
      select setval(pg_get_serial_sequence('metric_observations', 'id'), coalesce(max(id), 0) + 1, false)
        from metric_observations;
      create unique index metric_observations_revision_key
        on metric_observations (metric_id, organization_id, granularity, period_start, revision);
      create index metric_observations_period_idx on metric_observations (metric_id, granularity, period_start);
      create index metric_observations_org_idx on metric_observations (organization_id, metric_id);
      alter table metric_observations add constraint metric_observations_metric_id_metric_definitions_id_fkey
        foreign key (metric_id) references metric_definitions (id) on delete restrict;
      alter table metric_observations add constraint metric_observations_organization_id_organizations_id_fkey
        foreign key (organization_id) references organizations (id) on delete restrict;
      alter table metric_observations add constraint metric_observations_batch_id_metric_batches_id_fkey
        foreign key (batch_id) references metric_batches (id) on delete restrict;
      create or replace function metric_observations_maintain() returns setof text language sql
        as $$ select null::text where false $$;
    `);
  });
  await sql`vacuum analyze metric_observations`;
}

/**
 * Makes `databaseUrl`'s database a copy of the benchmark database `template` (file copy: the
 * template must have no other connection), for a second layout of the same rows.
 */
export async function copyDatabase(databaseUrl: string, template: string): Promise<void> {
  const { admin, name } = adminOf(databaseUrl);
  try {
    await admin.unsafe(`drop database if exists "${name.replaceAll('"', '""')}" with (force)`);
    await admin.unsafe(
      `create database "${name.replaceAll('"', '""')}" template "${template.replaceAll('"', '""')}" strategy file_copy`,
    );
  } finally {
    await admin.end({ timeout: 5 });
  }
}

function adminOf(databaseUrl: string) {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/bench/i.test(name))
    throw new Error(`Refusing to drop ${name}: the benchmark database's name must contain "bench"`);
  url.pathname = '/postgres';
  return { admin: postgres(url.toString(), { max: 1, onnotice: () => {} }), name };
}

/** The generator owns its database: it refuses a database whose name does not say bench. */
export async function recreateDatabase(databaseUrl: string): Promise<void> {
  const { admin, name } = adminOf(databaseUrl);
  try {
    await admin.unsafe(`drop database if exists "${name.replaceAll('"', '""')}" with (force)`);
    await admin.unsafe(`create database "${name.replaceAll('"', '""')}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}
