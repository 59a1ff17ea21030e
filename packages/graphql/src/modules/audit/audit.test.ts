import { apiClients, auditEvents, users, writeAuditEvent } from '@sixtype/db';
import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../../context.ts';
import {
  ANONYMOUS,
  apiClientViewer,
  dataOf,
  errorCodes,
  globalId,
  openTestApi,
  SYSTEM,
  type TestApi,
  userViewer,
} from '../../test-support.ts';
import { createApiClient, createUser, rotateApiClientKey } from '../access/access.service.ts';

let api: TestApi;
let keys: string[] = [];

beforeAll(async () => {
  api = await openTestApi();
  const system = { kind: 'SYSTEM', id: 'cli:ops' } as const;
  await createUser(api.db, system, { username: 'audit.admin', password: 'correct horse battery', role: 'ADMIN' });
  const created = await createApiClient(api.db, system, { name: 'audited', scopes: ['metrics:read'] });
  const rotated = await rotateApiClientKey(api.db, { kind: 'USER', id: '7' }, String(created.client.id));
  keys = [created.key, rotated.key];
  // Two events with known instants, for the time-range filter.
  await writeAuditEvent(
    api.db,
    { kind: 'API_CLIENT', id: '3' },
    { operation: 'old', entityType: 'Probe', entityId: 1 },
  );
  await api.db.update(auditEvents).set({ occurredAt: '2012-03-01T00:00:00Z' }).where(eq(auditEvents.operation, 'old'));
  await writeAuditEvent(
    api.db,
    { kind: 'API_CLIENT', id: '3' },
    { operation: 'older', entityType: 'Probe', entityId: 2 },
  );
  await api.db
    .update(auditEvents)
    .set({ occurredAt: '2012-01-01T00:00:00Z' })
    .where(eq(auditEvents.operation, 'older'));
});
afterAll(async () => {
  await api?.close();
});

interface AuditPage {
  auditEvents: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    nodes: {
      id: string;
      occurredAt: string;
      actorKind: string;
      actorId: string | null;
      operation: string;
      entityType: string;
      entityId: string;
      before: unknown;
      after: unknown;
    }[];
  };
}

const AUDIT_EVENTS = /* GraphQL */ `
  query($filter: AuditEventFilter, $first: Int, $after: String) {
    auditEvents(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id occurredAt actorKind actorId operation entityType entityId before after }
    }
  }
`;

const list = (variables: Record<string, unknown>, viewer: Viewer = SYSTEM) =>
  api.execute<AuditPage>(AUDIT_EVENTS, variables, viewer);

describe('auditEvents', () => {
  it('lists the log newest first with its total, page and count in one SQL statement', async () => {
    const total = await api.rowCount(auditEvents);
    const executed = await list({ first: 3 });
    const page = dataOf(executed).auditEvents;
    expect(page.totalCount).toBe(total);
    expect(page.nodes).toHaveLength(3);
    const newest = await api.db.select().from(auditEvents).orderBy(desc(auditEvents.id)).limit(3);
    expect(page.nodes.map((node) => node.id)).toEqual(newest.map((row) => globalId('AuditEvent', row.id)));
    expect(page.nodes[0]).toMatchObject({ operation: 'older', actorKind: 'API_CLIENT', actorId: '3' });
    expect(executed.statements).toHaveLength(1);
  });

  it('reads before/after only when the query asks for them', async () => {
    const executed = await api.execute('{ auditEvents(first: 5) { nodes { operation entityType } } }');
    expect(executed.statements).toHaveLength(1);
    expect(executed.statements[0]).not.toMatch(/"before"|"after"/);
  });

  it('pages through every row once, in order', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: AuditPage['auditEvents'] = dataOf(await list({ first: 2, after })).auditEvents;
      seen.push(...page.nodes.map((node) => node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    const all = await api.db.select({ id: auditEvents.id }).from(auditEvents).orderBy(desc(auditEvents.id));
    expect(seen).toEqual(all.map((row) => globalId('AuditEvent', row.id)));
  });

  it('filters by entity, operation, actor and time range', async () => {
    const [client] = await api.db.select().from(apiClients).where(eq(apiClients.name, 'audited'));
    const forClient = dataOf(
      await list({ filter: { entityType: { equalTo: 'ApiClient' }, entityId: { equalTo: String(client?.id) } } }),
    ).auditEvents;
    expect(forClient.nodes.map((node) => node.operation)).toEqual(['rotateApiClientKey', 'createApiClient']);
    expect(forClient.totalCount).toBe(2);

    const byActor = dataOf(
      await list({ filter: { actorKind: { equalTo: 'SYSTEM' }, actorId: { equalTo: 'cli:ops' } } }),
    ).auditEvents;
    expect(byActor.nodes.map((node) => node.operation)).toEqual(['createApiClient', 'createUser']);

    const byOperation = dataOf(
      await list({ filter: { operation: { in: ['createUser', 'rotateApiClientKey'] }, actorKind: { in: ['USER'] } } }),
    ).auditEvents;
    expect(byOperation.nodes.map((node) => node.operation)).toEqual(['rotateApiClientKey']);

    const inRange = dataOf(
      await list({ filter: { occurredAt: { from: '2012-01-01T00:00:00Z', to: '2012-03-01T00:00:00Z' } } }),
    ).auditEvents;
    expect(inRange.nodes.map((node) => node.operation)).toEqual(['older']);
    expect(inRange.nodes[0]?.occurredAt).toBe('2012-01-01T00:00:00.000Z');

    const since = dataOf(
      await list({ filter: { occurredAt: { from: '2012-02-01T00:00:00Z' }, entityType: { equalTo: 'Probe' } } }),
    ).auditEvents;
    expect(since.nodes.map((node) => node.operation)).toEqual(['old']);

    const notProbes = dataOf(await list({ filter: { not: { entityType: { equalTo: 'Probe' } } } })).auditEvents;
    expect(notProbes.totalCount).toBe((await api.rowCount(auditEvents)) - 2);
  });

  it('answers an empty page with totalCount 0', async () => {
    const executed = await list({ filter: { occurredAt: { from: '2999-01-01T00:00:00Z' } } });
    expect(dataOf(executed).auditEvents).toMatchObject({ totalCount: 0, nodes: [] });
  });

  it('shows before and after as JSON, never with a password, a key or their hashes', async () => {
    const page = dataOf(await list({ first: 100, filter: { entityType: { in: ['User', 'ApiClient'] } } })).auditEvents;
    const created = page.nodes.find((node) => node.operation === 'createApiClient');
    expect(created?.after).toMatchObject({ name: 'audited', scopes: ['metrics:read'], revokedAt: null });
    const rotated = page.nodes.find((node) => node.operation === 'rotateApiClientKey');
    expect(rotated?.before).toHaveProperty('keyPrefix');

    const [user] = await api.db.select().from(users).where(eq(users.username, 'audit.admin'));
    const [client] = await api.db.select().from(apiClients).where(eq(apiClients.name, 'audited'));
    const everything = JSON.stringify(page.nodes);
    expect(everything).toContain('audit.admin');
    for (const secret of [
      'passwordHash',
      'keyHash',
      'correct horse battery',
      user?.passwordHash,
      client?.keyHash,
      ...keys,
    ]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('is for admins only', async () => {
    const adminUser = await userViewer(api.db, 'ADMIN');
    expect(dataOf(await list({ first: 1 }, adminUser)).auditEvents.nodes).toHaveLength(1);

    const manager = await userViewer(api.db, 'ORG_MANAGER', { orgCode: 'ZONE' });
    const client = await apiClientViewer(api.db, ['directory:read', 'directory:write', 'metrics:read']);
    expect(errorCodes(await list({}, manager))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await list({}, client))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await list({}, ANONYMOUS))).toEqual(['UNAUTHENTICATED']);

    const [row] = await api.db.select({ id: auditEvents.id }).from(auditEvents).limit(1);
    const byNode = await api.execute<{ node: unknown }>(
      'query($id: ID!) { node(id: $id) { id ... on AuditEvent { operation after } } }',
      { id: globalId('AuditEvent', row?.id ?? 0) },
      manager,
    );
    expect(byNode.result.data?.node ?? null).toBeNull();
    expect(errorCodes(byNode)).toEqual(['FORBIDDEN']);
  });

  it('refuses pages larger than 100', async () => {
    expect(errorCodes(await list({ first: 101 }))).toEqual(['BAD_USER_INPUT']);
  });
});
