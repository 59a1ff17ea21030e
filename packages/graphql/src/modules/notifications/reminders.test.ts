import { cadres, notifications, organizations, reminders, studyRecords, users } from '@sixtype/db';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../../context.ts';
import { dataOf, errorCodes, openTestApi, type TestApi } from '../../test-support.ts';
import { DEMO_REMINDER_DAY, ensureRuleSettings, loadDemoReminders, runReminderRule } from './reminders.service.ts';

let api: TestApi;
let laggingCadreId: number;
const userIds: Record<string, number> = {};
const JULY_FIRST = '2012-07-01';

async function orgId(code: string, target = api) {
  const [row] = await target.db.select().from(organizations).where(eq(organizations.code, code));
  if (!row) throw new Error(`no unit ${code}`);
  return row;
}

async function addUser(
  target: TestApi,
  username: string,
  role: 'ORG_MANAGER' | 'CADRE',
  options: { org?: string; cadreId?: number },
) {
  const org = options.org ? await orgId(options.org, target) : undefined;
  const [row] = await target.db
    .insert(users)
    .values({
      username,
      passwordHash: 'not-a-hash',
      role,
      organizationId: org?.id ?? null,
      cadreId: options.cadreId ?? null,
    })
    .returning({ id: users.id });
  if (target === api) userIds[username] = row?.id ?? 0;
}

function viewerOf(username: string, role: 'ORG_MANAGER' | 'CADRE', orgPath: string | null): Viewer {
  return {
    kind: 'USER',
    userId: userIds[username] ?? 0,
    username,
    role,
    sessionId: '00000000-0000-0000-0000-000000000000',
    cadreId: role === 'CADRE' ? laggingCadreId : null,
    organizationId: null,
    organizationPath: orgPath,
  };
}

const cadreReminders = (target = api, cadreId = laggingCadreId) =>
  target.db
    .select()
    .from(reminders)
    .where(and(eq(reminders.ruleCode, 'STUDY_CADRE_BEHIND'), eq(reminders.subjectId, cadreId)));

/** The lagging cadre (1,000 characters behind at the end of June) and the accounts, in `target`'s database. */
async function seed(target: TestApi) {
  const finance = await orgId('FINANCE_BUREAU', target);
  const [cadre] = await target.db
    .insert(cadres)
    .values({
      employeeNumber: 'T-LAG-1',
      name: '测试落后',
      organizationId: finance.id,
      position: '科员',
      gender: 'FEMALE',
    })
    .returning({ id: cadres.id });
  const cadreId = cadre?.id ?? 0;
  // 2012 is a leap year: 1 January – 30 June is 182 of 366 days, so the pro-rated quota of 20,000 is
  // ceil(20000 × 182 / 366) = 9,946 characters; 8,946 leaves the cadre exactly 1,000 behind.
  await target.db
    .insert(studyRecords)
    .values({ cadreId, studiedOn: '2012-06-10', method: 'SELF_STUDY', note: '学'.repeat(8_946) });
  await addUser(target, 'lagging.cadre', 'CADRE', { cadreId });
  await addUser(target, 'finance.manager', 'ORG_MANAGER', { org: 'FINANCE_BUREAU' });
  await addUser(target, 'zone.manager', 'ORG_MANAGER', { org: 'ZONE' });
  await addUser(target, 'office.manager', 'ORG_MANAGER', { org: 'SIX_TYPE_OFFICE' });
  await addUser(target, 'civil.manager', 'ORG_MANAGER', { org: 'CIVIL_AFFAIRS_BUREAU' });
  return cadreId;
}

/** The rule run on 1 July and on 1 August: the cadre's reminders for June and for July. */
async function remindJuneAndJuly() {
  await runReminderRule(api.db, 'STUDY_CADRE_BEHIND', { today: JULY_FIRST });
  await runReminderRule(api.db, 'STUDY_CADRE_BEHIND', { today: '2012-08-01' });
}

beforeAll(async () => {
  api = await openTestApi();
  laggingCadreId = await seed(api);
});

afterAll(async () => {
  await api?.close();
});

// Its own database, committing: two runs at once must be two transactions (on PostgreSQL on two
// pooled connections), not two savepoints of one test's transaction.
describe('a rule run again, or twice at once', () => {
  let runs: TestApi;
  let cadreId: number;
  beforeAll(async () => {
    runs = await openTestApi({ rollback: false });
    cadreId = await seed(runs);
  });
  afterAll(async () => {
    await runs?.close();
  });

  it('gives a cadre 1,000 characters behind at the end of June exactly one reminder, however often the rule runs', async () => {
    const first = await runReminderRule(runs.db, 'STUDY_CADRE_BEHIND', { today: JULY_FIRST });
    expect(first.created).toBeGreaterThan(0);
    const rerun = await runReminderRule(runs.db, 'STUDY_CADRE_BEHIND', { today: JULY_FIRST });
    expect(rerun).toMatchObject({ created: 0, notifications: [] });
    expect(rerun.found).toBe(first.found);
    // Two runs at once (on PostgreSQL truly concurrent, on two pooled connections).
    const together = await Promise.all([
      runReminderRule(runs.db, 'STUDY_CADRE_BEHIND', { today: JULY_FIRST }),
      runReminderRule(runs.db, 'STUDY_CADRE_BEHIND', { today: '2012-07-15' }),
    ]);
    expect(together.map((run) => run.created)).toEqual([0, 0]);

    const rows = await cadreReminders(runs, cadreId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ periodKey: '2012-06', campaignCode: 'SIX_TYPE_2012', isDemo: false });
    expect(rows[0]?.details).toMatchObject({ charactersBehind: 1000, expectedCharacters: 9946, noteCharacters: 8946 });
  });
});

describe('reminder rules', () => {
  it('notifies the cadre, the managers of the unit and of the units above, and the campaign office; nobody else', async () => {
    await runReminderRule(api.db, 'STUDY_CADRE_BEHIND', { today: JULY_FIRST });
    const [reminder] = await cadreReminders();
    const recipients = await api.db
      .select({ username: users.username })
      .from(notifications)
      .innerJoin(users, eq(users.id, notifications.recipientUserId))
      .where(eq(notifications.reminderId, reminder?.id ?? 0))
      .orderBy(users.username);
    expect(recipients.map((row) => row.username)).toEqual([
      'finance.manager',
      'lagging.cadre',
      'office.manager',
      'zone.manager',
    ]);
  });

  it('a new month is a new period: July gets its own reminder', async () => {
    await remindJuneAndJuly();
    expect((await cadreReminders()).map((row) => row.periodKey).sort()).toEqual(['2012-06', '2012-07']);
  });

  it('finds overdue problems, the missed dispatch meeting and inspection, and units without a leading group', async () => {
    const problemsRun = await runReminderRule(api.db, 'PROBLEM_DEADLINE', { today: DEMO_REMINDER_DAY });
    const cadence = await runReminderRule(api.db, 'CADENCE_GAP', { today: DEMO_REMINDER_DAY });
    const groups = await runReminderRule(api.db, 'LEADING_GROUP_MISSING', { today: DEMO_REMINDER_DAY });
    const units = await runReminderRule(api.db, 'STUDY_UNIT_COMPLIANCE', { today: DEMO_REMINDER_DAY });
    expect(problemsRun.created).toBeGreaterThan(0);
    expect(groups.created).toBeGreaterThan(0);
    expect(units.created).toBeGreaterThan(0);
    const periods = (await api.db.select().from(reminders).where(eq(reminders.ruleCode, 'CADENCE_GAP'))).map(
      (row) => row.periodKey,
    );
    // The demo holds dispatch meetings up to 6 March and inspections for January and February only.
    expect(periods.sort()).toEqual(['DISPATCH_MEETING:2012-03-H2', 'INSPECTION:2012-03']);
    expect(cadence.created).toBe(2);
    const overdue = await api.db
      .select({ key: reminders.periodKey })
      .from(reminders)
      .where(eq(reminders.ruleCode, 'PROBLEM_DEADLINE'));
    expect(overdue.every((row) => /^(OVERDUE|DUE):2012-0[2-4]-\d\d$/.test(row.key))).toBe(true);
  });

  it('thresholds are data: a switched-off rule creates nothing', async () => {
    await ensureRuleSettings(api.db);
    await api.db.execute(sql`update reminder_rule_settings set enabled = false where rule_code = 'PROBLEM_DEADLINE'`);
    const run = await runReminderRule(api.db, 'PROBLEM_DEADLINE', { today: '2012-04-20' });
    expect(run).toMatchObject({ skipped: true, created: 0 });
  });
});

describe('demo reminders', () => {
  let demo: TestApi;
  beforeAll(async () => {
    demo = await openTestApi();
  });
  afterAll(async () => {
    await demo?.close();
  });

  it('demo reminders are marked and made once', async () => {
    const created = await loadDemoReminders(demo.db);
    expect(created).toBeGreaterThan(0);
    expect(await loadDemoReminders(demo.db)).toBe(0);
    const { reminders: list } = dataOf(
      await demo.execute<{ reminders: { totalCount: number; nodes: { rule: string; isDemo: boolean }[] } }>(
        '{ reminders(demo: true, first: 100) { totalCount nodes { rule isDemo } } }',
      ),
    );
    expect(list.totalCount).toBe(created);
    expect(new Set(list.nodes.map((node) => node.rule))).toEqual(
      new Set([
        'STUDY_CADRE_BEHIND',
        'PROBLEM_DEADLINE',
        'CADENCE_GAP',
        'STUDY_UNIT_COMPLIANCE',
        'LEADING_GROUP_MISSING',
      ]),
    );
  });
});

const FEED = `query Feed($unreadOnly: Boolean) {
  viewer { notifications(first: 50, unreadOnly: $unreadOnly) { totalCount nodes { id rule title organizationCode read } } }
  unreadNotificationCount
}`;
interface Feed {
  viewer: {
    notifications: {
      totalCount: number;
      nodes: { id: string; rule: string; organizationCode: string; read: boolean }[];
    };
  };
  unreadNotificationCount: number;
}

describe('notification feed', () => {
  it('shows a person their own notifications, newest first, in one statement', async () => {
    await remindJuneAndJuly();
    const cadre = viewerOf('lagging.cadre', 'CADRE', 'ZONE.FINANCE_BUREAU');
    const executed = await api.execute<Feed>(FEED, {}, cadre);
    const feed = dataOf(executed);
    expect(feed.viewer.notifications.totalCount).toBe(2);
    expect(feed.viewer.notifications.nodes.map((node) => node.rule)).toEqual([
      'STUDY_CADRE_BEHIND',
      'STUDY_CADRE_BEHIND',
    ]);
    expect(feed.unreadNotificationCount).toBe(2);
    expect(executed.statements).toHaveLength(2); // the feed, and the unread count (its own root field)
  });

  it('a manager restricted to one unit sees only that subtree’s notifications', async () => {
    await remindJuneAndJuly();
    const finance = dataOf(
      await api.execute<Feed>(FEED, {}, viewerOf('finance.manager', 'ORG_MANAGER', 'ZONE.FINANCE_BUREAU')),
    );
    expect(finance.viewer.notifications.totalCount).toBeGreaterThan(0);
    expect(new Set(finance.viewer.notifications.nodes.map((node) => node.organizationCode))).toEqual(
      new Set(['FINANCE_BUREAU']),
    );
    const civil = dataOf(
      await api.execute<Feed>(FEED, {}, viewerOf('civil.manager', 'ORG_MANAGER', 'ZONE.CIVIL_AFFAIRS_BUREAU')),
    );
    expect(civil.viewer.notifications.nodes.every((node) => node.organizationCode === 'CIVIL_AFFAIRS_BUREAU')).toBe(
      true,
    );
    const financeIds = new Set(finance.viewer.notifications.nodes.map((node) => node.id));
    expect(civil.viewer.notifications.nodes.some((node) => financeIds.has(node.id))).toBe(false);
  });

  it('nobody reads another person’s notification, not even through node(id)', async () => {
    await remindJuneAndJuly();
    const cadre = viewerOf('lagging.cadre', 'CADRE', 'ZONE.FINANCE_BUREAU');
    const [mine] = dataOf(await api.execute<Feed>(FEED, {}, cadre)).viewer.notifications.nodes;
    const other = viewerOf('civil.manager', 'ORG_MANAGER', 'ZONE.CIVIL_AFFAIRS_BUREAU');
    const peek = await api.execute(
      'query($id: ID!) { node(id: $id) { ... on Notification { title } } }',
      { id: mine?.id },
      other,
    );
    expect(errorCodes(peek)).toEqual(['FORBIDDEN']);
    const marked = await api.execute<{ markNotificationsRead: { markedCount: number } }>(
      'mutation($ids: [ID!]) { markNotificationsRead(input: { ids: $ids }) { ... on MarkNotificationsReadPayload { markedCount } } }',
      { ids: [mine?.id] },
      other,
    );
    expect(dataOf(marked).markNotificationsRead.markedCount).toBe(0);
    expect(dataOf(await api.execute<Feed>(FEED, {}, cadre)).unreadNotificationCount).toBe(2);
  });

  it('markNotificationsRead marks the given ones, or all, and refuses neither or both', async () => {
    await remindJuneAndJuly();
    const cadre = viewerOf('lagging.cadre', 'CADRE', 'ZONE.FINANCE_BUREAU');
    const MARK = `mutation($input: MarkNotificationsReadInput!) { markNotificationsRead(input: $input) {
      ... on MarkNotificationsReadPayload { markedCount unreadCount }
      ... on ValidationError { code fieldErrors { path message } } } }`;
    const [newest] = dataOf(await api.execute<Feed>(FEED, {}, cadre)).viewer.notifications.nodes;
    const one = dataOf(
      await api.execute<{ markNotificationsRead: object }>(MARK, { input: { ids: [newest?.id] } }, cadre),
    );
    expect(one.markNotificationsRead).toEqual({ markedCount: 1, unreadCount: 1 });
    const unread = dataOf(await api.execute<Feed>(FEED, { unreadOnly: true }, cadre));
    expect(unread.viewer.notifications.totalCount).toBe(1);
    const bad = dataOf(
      await api.execute<{ markNotificationsRead: object }>(MARK, { input: { ids: [newest?.id], all: true } }, cadre),
    );
    expect(bad.markNotificationsRead).toMatchObject({
      code: 'BAD_USER_INPUT',
      fieldErrors: [{ path: ['input', 'ids'] }],
    });
    const all = dataOf(await api.execute<{ markNotificationsRead: object }>(MARK, { input: { all: true } }, cadre));
    expect(all.markNotificationsRead).toEqual({ markedCount: 1, unreadCount: 0 });
  });

  it('systems and anonymous callers have no feed', async () => {
    expect(errorCodes(await api.execute('{ unreadNotificationCount }', {}, { kind: 'ANONYMOUS' }))).toEqual([
      'UNAUTHENTICATED',
    ]);
  });
});
