import {
  auditEvents,
  cadres,
  campaigns,
  organizations,
  type ProblemState,
  problemCategories,
  problemStates,
  problems,
  problemTransitions,
} from '@sixtype/db';
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../../context.ts';
import { dataOf, errorCodes, globalId, openTestApi, type TestApi, userViewer } from '../../test-support.ts';
import { rowsOf } from '../common/rows.ts';
import { mayTransition } from './problem.service.ts';

let api: TestApi;

beforeAll(async () => {
  api = await openTestApi();
});
afterAll(async () => {
  await api?.close();
});

const REPORT = /* GraphQL */ `
  mutation Report($input: ReportProblemInput!) {
    reportProblem(input: $input) {
      __typename
      ... on ReportProblemPayload {
        problem { id state category { code } organization { code } responsibleCadre { name } transitions { from to } }
      }
      ... on UserError { code message }
    }
  }
`;

const TRANSITION = /* GraphQL */ `
  mutation Move($input: TransitionProblemInput!) {
    transitionProblem(input: $input) {
      __typename
      ... on TransitionProblemPayload {
        problem { state lastTransition { from to comment actorKind } }
      }
      ... on InvalidTransitionError { code from to }
      ... on UserError { code message }
    }
  }
`;

interface Reported {
  reportProblem: {
    __typename: string;
    code?: string;
    problem?: {
      id: string;
      state: string;
      category: { code: string };
      transitions: { from: string | null; to: string }[];
    };
  };
}
interface Moved {
  transitionProblem: {
    __typename: string;
    code?: string;
    from?: string;
    to?: string;
    problem?: { state: string; lastTransition: { from: string; to: string; comment: string | null } };
  };
}

const baseInput = {
  campaignCode: 'SIX_TYPE_2012',
  orgCode: 'PETITION_OFFICE',
  categoryCode: 'SHIRKING',
  source: 'SELF_CHECK',
  description: '信访事项办理拖拉（测试）',
  severity: 'MEDIUM',
  responsibleEmployeeNumber: 'KFQ-0015',
  deadline: '2012-06-30',
  measures: '限时办结',
};

async function report(input: Record<string, unknown> = {}, viewer?: Viewer) {
  return api.execute<Reported>(REPORT, { input: { ...baseInput, ...input } }, viewer);
}

async function move(problemId: string, toState: string, viewer?: Viewer, comment?: string) {
  return api.execute<Moved>(TRANSITION, { input: { problemId, toState, comment } }, viewer);
}

/** Drives a new problem to `state` along the legal path. */
async function problemIn(state: ProblemState): Promise<string> {
  const created = dataOf(await report()).reportProblem.problem;
  if (!created) throw new Error('report failed');
  const path: Record<ProblemState, ProblemState[]> = {
    FOUND: [],
    RECTIFYING: ['RECTIFYING'],
    AWAITING_ACCEPTANCE: ['RECTIFYING', 'AWAITING_ACCEPTANCE'],
    CLOSED: ['RECTIFYING', 'AWAITING_ACCEPTANCE', 'CLOSED'],
    REOPENED: ['RECTIFYING', 'AWAITING_ACCEPTANCE', 'CLOSED', 'REOPENED'],
  };
  for (const next of path[state]) {
    expect(dataOf(await move(created.id, next)).transitionProblem.__typename).toBe('TransitionProblemPayload');
  }
  return created.id;
}

const rowId = (id: string) => Number(Buffer.from(id, 'base64').toString().split(':')[1]);

async function ledgerSnapshot(id: string) {
  return {
    problem: await api.db
      .select()
      .from(problems)
      .where(eq(problems.id, rowId(id))),
    transitions: await api.db
      .select()
      .from(problemTransitions)
      .where(eq(problemTransitions.problemId, rowId(id)))
      .orderBy(asc(problemTransitions.id)),
    audit: await api.rowCount(auditEvents),
  };
}

describe('reportProblem', () => {
  it('records a FOUND problem with its first ledger entry and one audit row', async () => {
    const before = await api.lastAuditId();
    const { reportProblem } = dataOf(await report());
    expect(reportProblem.problem).toMatchObject({
      state: 'FOUND',
      category: { code: 'SHIRKING' },
      transitions: [{ from: null, to: 'FOUND' }],
    });
    const audit = await api.auditEventsAfter(before);
    expect(audit.map((row) => [row.operation, row.entityType])).toEqual([['reportProblem', 'Problem']]);
  });

  it('refuses an unknown category and a manager outside the unit, writing nothing', async () => {
    const counts = async () => [await api.rowCount(problems), await api.rowCount(auditEvents)];
    const before = await counts();
    expect(dataOf(await report({ categoryCode: 'NO_SUCH' })).reportProblem.__typename).toBe('NotFoundError');
    const manager = await userViewer(api.db, 'ORG_MANAGER', { orgCode: 'INVESTMENT_PROMOTION_BUREAU' });
    expect(errorCodes(await report({ responsibleEmployeeNumber: null }, manager))).toEqual(['FORBIDDEN']);
    expect(await counts()).toEqual(before);
  });
});

describe('transitionProblem', () => {
  it('moves along FOUND → RECTIFYING → AWAITING_ACCEPTANCE → CLOSED → REOPENED → RECTIFYING, keeping each move', async () => {
    const id = await problemIn('FOUND');
    const before = await api.lastAuditId();
    for (const next of ['RECTIFYING', 'AWAITING_ACCEPTANCE', 'CLOSED', 'REOPENED', 'RECTIFYING']) {
      const { transitionProblem } = dataOf(await move(id, next, undefined, `to ${next}`));
      expect(transitionProblem.problem).toMatchObject({
        state: next,
        lastTransition: { to: next, comment: `to ${next}` },
      });
    }
    const audit = await api.auditEventsAfter(before);
    expect(audit.map((row) => row.operation)).toEqual(Array(5).fill('transitionProblem'));
    const history = (await ledgerSnapshot(id)).transitions.map((row) => [row.fromState, row.toState]);
    expect(history).toEqual([
      [null, 'FOUND'],
      ['FOUND', 'RECTIFYING'],
      ['RECTIFYING', 'AWAITING_ACCEPTANCE'],
      ['AWAITING_ACCEPTANCE', 'CLOSED'],
      ['CLOSED', 'REOPENED'],
      ['REOPENED', 'RECTIFYING'],
    ]);
  });

  it('refuses every illegal move with INVALID_TRANSITION and leaves the row, its history and the audit log unchanged', async () => {
    let refused = 0;
    for (const from of problemStates) {
      const id = await problemIn(from);
      for (const to of problemStates) {
        if (mayTransition(from, to)) continue;
        const before = await ledgerSnapshot(id);
        const { transitionProblem } = dataOf(await move(id, to));
        expect(transitionProblem).toMatchObject({
          __typename: 'InvalidTransitionError',
          code: 'INVALID_TRANSITION',
          from,
          to,
        });
        expect(await ledgerSnapshot(id)).toEqual(before);
        refused += 1;
      }
    }
    // 5 states × 5 targets, minus the 5 legal moves.
    expect(refused).toBe(20);
  });

  it('lets a manager move problems of their subtree only', async () => {
    const id = await problemIn('FOUND');
    const outsider = await userViewer(api.db, 'ORG_MANAGER', { orgCode: 'INVESTMENT_PROMOTION_BUREAU' });
    const before = await ledgerSnapshot(id);
    expect(dataOf(await move(id, 'RECTIFYING', outsider)).transitionProblem.__typename).toBe('NotFoundError');
    expect(await ledgerSnapshot(id)).toEqual(before);
    const reader = await userViewer(api.db, 'ORG_MANAGER', { orgCode: 'ZONE' });
    expect(dataOf(await move(id, 'RECTIFYING', reader)).transitionProblem.problem?.state).toBe('RECTIFYING');
    const cadre = await userViewer(api.db, 'CADRE', { orgCode: 'PETITION_OFFICE' });
    expect(errorCodes(await move(id, 'AWAITING_ACCEPTANCE', cadre))).toEqual(['FORBIDDEN']);
  });

  it('treats an id of another type as no problem', async () => {
    const { transitionProblem } = dataOf(await move(globalId('Activity', 1), 'RECTIFYING'));
    expect(transitionProblem.__typename).toBe('ValidationError');
  });
});

describe('problems', () => {
  const LIST = /* GraphQL */ `
    query Problems($filter: ProblemFilter, $orgCode: String, $includeDescendants: Boolean, $first: Int) {
      problems(filter: $filter, orgCode: $orgCode, includeDescendants: $includeDescendants, first: $first) {
        totalCount
        nodes {
          description
          state
          overdue
          organization { code name }
          category { code name }
          responsibleCadre { name }
          lastTransition { from to occurredAt }
        }
      }
    }
  `;
  interface ListResult {
    problems: {
      totalCount: number;
      nodes: {
        description: string;
        state: string;
        overdue: boolean;
        organization: { code: string };
        category: { code: string };
        responsibleCadre: { name: string } | null;
        lastTransition: { to: string } | null;
      }[];
    };
  }

  it('lists 100 problems with unit, category, responsible cadre and last transition in one statement', async () => {
    const [campaign] = await api.db.select().from(campaigns).where(eq(campaigns.code, 'SIX_TYPE_2012'));
    const categories = await api.db.select().from(problemCategories).orderBy(asc(problemCategories.sortOrder));
    const units = await api.db.select().from(organizations).orderBy(asc(organizations.id));
    const people = await api.db.select().from(cadres).orderBy(asc(cadres.id));
    const rows = await api.db
      .insert(problems)
      .values(
        Array.from({ length: 120 }, (_, index) => ({
          campaignId: campaign?.id ?? 0,
          organizationId: units[index % units.length]?.id ?? 0,
          categoryId: categories[index % categories.length]?.id ?? 0,
          source: 'SURVEY' as const,
          description: `批量问题 ${index}`,
          severity: 'LOW' as const,
          responsibleCadreId: people[index % people.length]?.id ?? null,
          deadline: '2012-06-30',
          state: 'RECTIFYING' as const,
        })),
      )
      .returning({ id: problems.id });
    await api.db.insert(problemTransitions).values(
      rows.flatMap((row) => [
        { problemId: row.id, fromState: null, toState: 'FOUND' as const, actorKind: 'SYSTEM' as const },
        {
          problemId: row.id,
          fromState: 'FOUND' as const,
          toState: 'RECTIFYING' as const,
          actorKind: 'SYSTEM' as const,
        },
      ]),
    );
    const executed = await api.execute<ListResult>(LIST, { first: 100 });
    expect(executed.statements).toHaveLength(1);
    const page = dataOf(executed).problems;
    expect(page.nodes).toHaveLength(100);
    expect(page.totalCount).toBeGreaterThanOrEqual(125);
    const bulk = page.nodes.filter((node) => node.description.startsWith('批量问题'));
    expect(bulk.length).toBeGreaterThan(0);
    for (const node of bulk) {
      expect(node.lastTransition?.to).toBe('RECTIFYING');
      expect(node.responsibleCadre?.name).toBeTruthy();
      expect(node.category.code).toMatch(/^[A-Z]+$/);
    }
  });

  it('filters the overdue list and keeps a manager to their subtree, in SQL', async () => {
    const overdue = dataOf(
      await api.execute<ListResult>(LIST, {
        filter: { overdue: true, description: { includesInsensitive: '演示' } },
        first: 100,
      }),
    ).problems;
    // The demo's deadlines are in 2012: every demo problem not CLOSED is overdue now.
    expect(overdue.nodes.map((node) => node.state).sort()).toEqual([
      'AWAITING_ACCEPTANCE',
      'FOUND',
      'FOUND',
      'RECTIFYING',
    ]);
    const manager = await userViewer(api.db, 'ORG_MANAGER', { orgCode: 'FINANCE_BUREAU' });
    const executed = await api.execute<ListResult>(LIST, { first: 100 }, manager);
    const own = dataOf(executed).problems;
    expect(executed.statements).toHaveLength(1);
    expect(new Set(own.nodes.map((node) => node.organization.code))).toEqual(new Set(['FINANCE_BUREAU']));
    expect(own.totalCount).toBe(own.nodes.length);
  });

  it('counts the ledger by category, state and unit in one statement', async () => {
    const executed = await api.execute<{
      problemCounts: {
        total: number;
        overdue: number;
        byCategory: { code: string; name: string; count: number }[];
        byState: { state: string; count: number }[];
        byOrganization: { orgCode: string; count: number }[];
      };
    }>(
      `{ problemCounts(campaignCode: "SIX_TYPE_2012", orgCode: "ZONE", today: "2012-03-01") {
          total overdue byCategory { code name count } byState { state count } byOrganization { orgCode count } } }`,
    );
    expect(executed.statements).toHaveLength(1);
    const counts = dataOf(executed).problemCounts;
    const [total] = await api.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(problems);
    expect(counts.total).toBe(total?.n);
    expect(counts.byCategory.map((row) => row.name)).toEqual(['混', '怕', '推', '空', '散']);
    expect(counts.byCategory.reduce((sum, row) => sum + row.count, 0)).toBe(counts.total);
    expect(counts.byState.reduce((sum, row) => sum + row.count, 0)).toBe(counts.total);
    expect(counts.byOrganization.reduce((sum, row) => sum + row.count, 0)).toBe(counts.total);
    // On 2012-03-01 only the demo problems due in February and not closed are overdue.
    expect(counts.overdue).toBe(2);
  });
});

describe('problems found by an inspection', () => {
  it('link to the inspection; only an INSPECTION of the campaign is accepted', async () => {
    const [inspection] = rowsOf<{ id: number }>(
      await api.db.execute(sql`select id from activities where kind = 'INSPECTION' order by starts_at limit 1`),
    );
    const [meeting] = rowsOf<{ id: number }>(
      await api.db.execute(sql`select id from activities where kind = 'DISPATCH_MEETING' order by starts_at limit 1`),
    );
    const LINKED = /* GraphQL */ `
      mutation Report($input: ReportProblemInput!) {
        reportProblem(input: $input) {
          __typename
          ... on ReportProblemPayload { problem { source inspection { kind title } } }
        }
      }
    `;
    const linked = dataOf(
      await api.execute<{ reportProblem: { problem: { inspection: { kind: string } } } }>(LINKED, {
        input: { ...baseInput, source: 'INSPECTION', inspectionId: globalId('Activity', Number(inspection?.id)) },
      }),
    );
    expect(linked.reportProblem.problem.inspection.kind).toBe('INSPECTION');
    const refused = dataOf(
      await api.execute<{ reportProblem: { __typename: string } }>(LINKED, {
        input: { ...baseInput, source: 'INSPECTION', inspectionId: globalId('Activity', Number(meeting?.id)) },
      }),
    );
    expect(refused.reportProblem.__typename).toBe('ValidationError');
  });
});
