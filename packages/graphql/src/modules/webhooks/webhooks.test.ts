import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { auditEvents, organizations, webhookDeliveries, webhookEndpoints } from '@sixtype/db';
import { eq, sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACCESS } from '../../context.ts';
import {
  dataOf,
  errorCodes,
  openTestApi,
  TEST_WEBHOOK_SETTINGS,
  type TestApi,
  userViewer,
} from '../../test-support.ts';
import { submitObservations } from '../metrics/metrics.service.ts';
import { recordReminders } from '../notifications/reminders.service.ts';
import { retryDelayMs, startWebhookSender } from './delivery.ts';
import { destinationProblem, guardedLookup, parseAllowedHosts } from './destinations.ts';
import { decryptSecret } from './secrets.ts';

let api: TestApi;

beforeAll(async () => {
  // Committing, not rolled back: the senders poll the database on their own timer beside the test,
  // and a retry waits for PostgreSQL's now() to pass its time, which stands still inside a transaction.
  // Each test starts without endpoints (beforeEach) and makes its own.
  api = await openTestApi({ rollback: false });
});
afterAll(async () => {
  await api?.close();
});
beforeEach(async () => {
  await api.db.delete(webhookEndpoints);
});

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      __typename
      ... on CreateWebhookEndpointPayload { secret webhookEndpoint { id url eventTypes active secretPrefix organization { code } } }
      ... on ValidationError { code fieldErrors { path message } }
      ... on UserError { code message }
    }
  }`;

const ROTATE = /* GraphQL */ `
  mutation Rotate($input: RotateWebhookSecretInput!) {
    rotateWebhookSecret(input: $input) {
      __typename
      ... on RotateWebhookSecretPayload { secret webhookEndpoint { id secretPrefix previousSecretExpiresAt } }
      ... on UserError { code message }
    }
  }`;

interface Created {
  createWebhookEndpoint: {
    __typename: string;
    code?: string;
    fieldErrors?: { path: string[]; message: string }[];
    secret?: string;
    webhookEndpoint?: { id: string; url: string; secretPrefix: string; organization: { code: string } | null };
  };
}

const create = (input: Record<string, unknown>) =>
  api.execute<Created>(CREATE, { input: { eventTypes: ['PROBLEM_TRANSITIONED'], ...input } });

/** A sender that retries at once and polls often, so a test sees its outcome in milliseconds. */
const FAST_SENDER = {
  ...TEST_WEBHOOK_SETTINGS,
  maxAttempts: 2,
  backoffBaseMs: 10,
  backoffMaxMs: 10,
  concurrency: 2,
  pollMs: 20,
};

/** Polls `done` every 20 ms until it holds or `ms` pass. */
async function waitFor(done: () => boolean | Promise<boolean>, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !(await done())) await new Promise((resolve) => setTimeout(resolve, 20));
}

async function created(input: Record<string, unknown>) {
  const payload = dataOf(await create(input)).createWebhookEndpoint;
  if (!payload.webhookEndpoint || !payload.secret) throw new Error(JSON.stringify(payload));
  const id = Number(Buffer.from(payload.webhookEndpoint.id, 'base64').toString().split(':')[1]);
  return { ...payload.webhookEndpoint, secret: payload.secret, databaseId: id };
}

describe('destinations', () => {
  it('refuses other schemes, http off the allow-list, private and loopback addresses, credentials in the URL', async () => {
    const before = { endpoints: await api.rowCount(webhookEndpoints), audit: await api.rowCount(auditEvents) };
    const refused = {
      'ftp://hooks.example.org/x': 'must be an https:// URL',
      'not a url': 'must be an absolute URL',
      'http://hooks.unlisted.test/x': 'http is allowed only for hosts on WEBHOOK_ALLOWED_HOSTS',
      'https://10.1.2.3/x': '10.1.2.3 is a private, loopback or link-local address',
      'https://169.254.169.254/latest': 'private, loopback or link-local',
      'https://[::1]:8443/x': 'private, loopback or link-local',
      'https://[::ffff:192.168.0.9]/x': 'private, loopback or link-local',
      'https://localhost/x': 'localhost is this machine',
      'https://user:secret@hooks.example.org/x': 'must not carry a user name or password',
      'https://hooks.unlisted.test/x': 'hooks.unlisted.test is not on WEBHOOK_ALLOWED_HOSTS',
    };
    for (const [url, message] of Object.entries(refused)) {
      const result = dataOf(await create({ url })).createWebhookEndpoint;
      expect(result.__typename, url).toBe('ValidationError');
      expect(result.code).toBe('BAD_USER_INPUT');
      expect(result.fieldErrors?.[0]?.path).toEqual(['input', 'url']);
      expect(result.fieldErrors?.[0]?.message, url).toContain(message);
    }
    expect({ endpoints: await api.rowCount(webhookEndpoints), audit: await api.rowCount(auditEvents) }).toEqual(before);
    // Hosts on the list (the test settings list 127.0.0.1, .example and .example.org), http too.
    expect((await created({ url: 'https://hooks.example.org/x' })).url).toBe('https://hooks.example.org/x');
    expect((await created({ url: 'http://127.0.0.1:9/x' })).url).toBe('http://127.0.0.1:9/x');
  });

  it('with an allow-list, only its names, suffixes and networks', () => {
    const policy = parseAllowedHosts('oa.example.gov, .supervision.example, 10.20.0.0/16');
    expect(destinationProblem('https://oa.example.gov/hooks', policy)).toBeUndefined();
    expect(destinationProblem('https://api.supervision.example/in', policy)).toBeUndefined();
    expect(destinationProblem('http://10.20.3.4:8080/in', policy)).toBeUndefined();
    expect(destinationProblem('https://elsewhere.example/in', policy)).toContain('not on WEBHOOK_ALLOWED_HOSTS');
    expect(destinationProblem('https://10.21.0.1/in', policy)).toContain('private, loopback or link-local');
    expect(destinationProblem('https://203.0.113.9/in', policy)).toContain(
      '203.0.113.9 is not on WEBHOOK_ALLOWED_HOSTS',
    );
    expect(() => parseAllowedHosts('10.0.0.0/40')).toThrow('is not a network');
  });

  it('at connect time, a name that resolves to an internal address is refused unless listed', async () => {
    const resolve = (list: string, host: string) =>
      new Promise<string>((done) =>
        guardedLookup(parseAllowedHosts(list))(host, { family: 4 }, (error, address) =>
          done(error ? String(error.message) : String(address)),
        ),
      );
    expect(await resolve('', 'localhost')).toBe('localhost resolves to the internal address 127.0.0.1');
    expect(await resolve('127.0.0.0/8', 'localhost')).toBe('127.0.0.1');
    expect(await resolve('localhost', 'localhost')).toBe('127.0.0.1');
  });

  it('unknown event types and units are refused; no event type at all too', async () => {
    const unknown = await create({ url: 'https://a.example/x', eventTypes: ['NOPE'] });
    expect(unknown.result.errors?.[0]?.message).toContain('"NOPE"');
    const empty = dataOf(await create({ url: 'https://a.example/x', eventTypes: [] })).createWebhookEndpoint;
    expect(empty.fieldErrors?.[0]?.path).toEqual(['input', 'eventTypes']);
    const unit = dataOf(
      await create({ url: 'https://a.example/x', organizationCode: 'NO_SUCH_UNIT' }),
    ).createWebhookEndpoint;
    expect(unit.fieldErrors?.[0]).toEqual({ path: ['input', 'organizationCode'], message: 'no unit NO_SUCH_UNIT' });
  });

  it('only admins manage endpoints', async () => {
    const manager = await userViewer(api.db, 'ORG_MANAGER', { orgCode: 'ZONE' });
    const result = await api.execute(CREATE, { input: { url: 'https://a.example/x', eventTypes: [] } }, manager);
    expect(errorCodes(result)).toEqual(['FORBIDDEN']);
    expect(errorCodes(await api.execute('{ webhookEndpoints { totalCount } }', {}, manager))).toEqual(['FORBIDDEN']);
  });
});

describe('secrets', () => {
  it('are Standard Webhooks secrets shown once: stored encrypted, never in a field or the audit log', async () => {
    const auditBefore = await api.lastAuditId();
    const endpoint = await created({ url: 'https://hooks.example.org/x' });
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(endpoint.secret.slice(6), 'base64')).toHaveLength(24);
    expect(endpoint.secretPrefix).toBe(endpoint.secret.slice(0, 12));
    const [row] = await api.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.databaseId));
    expect(row?.secretCiphertext).not.toContain(endpoint.secret.slice(6, 20));
    expect(decryptSecret(TEST_WEBHOOK_SETTINGS.secretKey, row?.secretCiphertext ?? '')).toBe(endpoint.secret);
    // Read back through the schema: nothing carries the secret.
    const listed = JSON.stringify(
      dataOf(
        await api.execute(
          '{ webhookEndpoints { totalCount nodes { id url description eventTypes active secretPrefix previousSecretExpiresAt createdAt } } }',
        ),
      ),
    );
    expect(listed).toContain(endpoint.secretPrefix);
    expect(listed).not.toContain(endpoint.secret);
    const audit = await api.auditEventsAfter(auditBefore);
    expect(audit.map((event) => event.operation)).toEqual(['createWebhookEndpoint']);
    expect(JSON.stringify(audit)).not.toContain(endpoint.secret.slice(6));
    expect(JSON.stringify(audit)).not.toContain(row?.secretCiphertext);
  });

  it('rotation returns a new secret once; both sign until the overlap ends', async () => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const receiver: Server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
      const endpoint = await created({ url, eventTypes: ['REMINDER_CREATED'] });
      const auditBefore = await api.lastAuditId();
      const rotated = dataOf(
        await api.execute<{
          rotateWebhookSecret: {
            secret: string;
            webhookEndpoint: { secretPrefix: string; previousSecretExpiresAt: string };
          };
        }>(ROTATE, { input: { id: endpoint.id } }),
      ).rotateWebhookSecret;
      expect(rotated.secret).toMatch(/^whsec_/);
      expect(rotated.secret).not.toBe(endpoint.secret);
      expect(rotated.webhookEndpoint.secretPrefix).toBe(rotated.secret.slice(0, 12));
      const overlapEnds = Date.parse(rotated.webhookEndpoint.previousSecretExpiresAt) - Date.now();
      expect(Math.abs(overlapEnds - TEST_WEBHOOK_SETTINGS.rotationOverlapMs)).toBeLessThan(60_000);
      expect((await api.auditEventsAfter(auditBefore)).map((event) => event.operation)).toEqual([
        'rotateWebhookSecret',
      ]);

      await reminderIn('PETITION_OFFICE', 'ROTATION');
      const sender = startWebhookSender({
        db: api.db,
        settings: { ...FAST_SENDER, timeoutMs: 2_000 },
      });
      try {
        await waitFor(() => received.length > 0, 10_000);
      } finally {
        await sender.stop();
      }
      const [delivery] = received;
      if (!delivery) throw new Error('nothing was delivered');
      const headers = delivery.headers as Record<string, string>;
      expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
      // Either secret verifies it, as a receiver that has not switched yet would.
      for (const secret of [rotated.secret, endpoint.secret]) {
        expect(new Webhook(secret).verify(delivery.body, headers)).toMatchObject({
          type: 'reminder.created',
          data: { organizationCode: 'PETITION_OFFICE', rule: 'LEADING_GROUP_MISSING', period: 'ROTATION' },
        });
      }
      expect(() =>
        new Webhook(`whsec_${Buffer.alloc(24, 1).toString('base64')}`).verify(delivery.body, headers),
      ).toThrow();
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});

describe('a sender with another key', () => {
  it('counts an unreadable secret as a failed attempt, so the delivery ends DEAD instead of looping', async () => {
    const endpoint = await created({ url: 'http://127.0.0.1:9/never', eventTypes: ['REMINDER_CREATED'] });
    await reminderIn('PETITION_OFFICE', 'OTHER-KEY');
    const sender = startWebhookSender({
      db: api.db,
      settings: { ...FAST_SENDER, secretKey: Buffer.alloc(32, 9), timeoutMs: 1_000 },
    });
    try {
      await waitFor(async () => (await deliveriesOf(endpoint.databaseId))[0]?.status === 'DEAD', 10_000);
    } finally {
      await sender.stop();
    }
    const [delivery] = await deliveriesOf(endpoint.databaseId);
    expect(delivery).toMatchObject({ status: 'DEAD', attempts: 2, lastResponseCode: null });
    expect(delivery?.lastError).toContain('the secret cannot be decrypted');
  });
});

async function unitId(code: string): Promise<number> {
  const [unit] = await api.db.select().from(organizations).where(eq(organizations.code, code));
  if (!unit) throw new Error(`no unit ${code}`);
  return unit.id;
}

async function reminderIn(orgCode: string, periodKey: string) {
  const organizationId = await unitId(orgCode);
  return recordReminders(api.db, [
    {
      ruleCode: 'LEADING_GROUP_MISSING',
      subjectType: 'ORGANIZATION',
      subjectId: organizationId,
      periodKey,
      campaignCode: 'SIX_TYPE_2012',
      organizationId,
      cadreId: null,
      title: '测试',
      details: {},
    },
  ]);
}

const deliveriesOf = (endpointId: number) =>
  api.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpointId));

describe('events', () => {
  it('one outbox row per event and endpoint whose types and subtree match, in the write’s transaction', async () => {
    const all = await created({
      url: 'https://all.example/x',
      eventTypes: ['REMINDER_CREATED', 'OBSERVATION_BATCH_ACCEPTED'],
    });
    const petition = await created({
      url: 'https://petition.example/x',
      eventTypes: ['REMINDER_CREATED', 'OBSERVATION_BATCH_ACCEPTED'],
      organizationCode: 'PETITION_OFFICE',
    });
    const otherType = await created({ url: 'https://problems.example/x', eventTypes: ['PROBLEM_TRANSITIONED'] });
    const inactive = await created({ url: 'https://off.example/x', eventTypes: ['REMINDER_CREATED'], active: false });

    await reminderIn('FINANCE_BUREAU', 'EVENTS-1');
    await reminderIn('PETITION_OFFICE', 'EVENTS-1');
    // A rerun creates no reminder, hence no event.
    await reminderIn('PETITION_OFFICE', 'EVENTS-1');
    const batch = await submitObservations(api.db, SYSTEM_ACCESS, {
      idempotencyKey: 'webhook-events',
      observations: ['FINANCE_BUREAU', 'PETITION_OFFICE', 'PETITION_OFFICE'].map((orgCode, index) => ({
        metricCode: 'LOCAL_FISCAL_REVENUE',
        orgCode,
        granularity: 'QUARTER',
        periodStart: index === 2 ? '2011-10-01' : '2011-07-01',
        value: String(100 + index),
        source: 'test',
      })),
    });
    expect(batch.accepted).toBe(3);

    const summary = async (endpointId: number) =>
      (await deliveriesOf(endpointId))
        .map((row) => {
          const payload = row.payload as { type: string; data: { organizationCode: string; observations?: unknown[] } };
          return `${payload.type} ${payload.data.organizationCode}${payload.data.observations ? ` ×${payload.data.observations.length}` : ''}`;
        })
        .sort();
    expect(await summary(all.databaseId)).toEqual([
      'observation_batch.accepted FINANCE_BUREAU ×1',
      'observation_batch.accepted PETITION_OFFICE ×2',
      'reminder.created FINANCE_BUREAU',
      'reminder.created PETITION_OFFICE',
    ]);
    expect(await summary(petition.databaseId)).toEqual([
      'observation_batch.accepted PETITION_OFFICE ×2',
      'reminder.created PETITION_OFFICE',
    ]);
    expect(await deliveriesOf(otherType.databaseId)).toEqual([]);
    expect(await deliveriesOf(inactive.databaseId)).toEqual([]);
    // One event, one webhook-id, whichever endpoint receives it.
    const ids = await api.db.execute(
      sql`select count(distinct message_id)::int as n, count(*)::int as rows from webhook_deliveries where endpoint_id in (${all.databaseId}, ${petition.databaseId})`,
    );
    expect(
      (ids as unknown as { rows: { n: number; rows: number }[] }).rows?.[0] ??
        (ids as unknown as { n: number; rows: number }[])[0],
    ).toEqual({ n: 4, rows: 6 });
  });

  it('a transaction that fails leaves no outbox row', async () => {
    const endpoint = await created({ url: 'https://all.example/x', eventTypes: ['OBSERVATION_BATCH_ACCEPTED'] });
    await expect(
      api.db.transaction(async (tx) => {
        await submitObservations(tx, SYSTEM_ACCESS, {
          idempotencyKey: 'rolled-back',
          observations: [
            {
              metricCode: 'LOCAL_FISCAL_REVENUE',
              orgCode: 'ZONE',
              granularity: 'QUARTER',
              periodStart: '2011-04-01',
              value: '1',
              source: 'test',
            },
          ],
        });
        expect(
          await tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.databaseId)),
        ).toHaveLength(1);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await deliveriesOf(endpoint.databaseId)).toEqual([]);
  });
});

describe('administration', () => {
  const UPDATE = /* GraphQL */ `
    mutation Update($input: UpdateWebhookEndpointInput!) {
      updateWebhookEndpoint(input: $input) {
        __typename
        ... on UpdateWebhookEndpointPayload { webhookEndpoint { url eventTypes active organization { code } } }
        ... on UserError { code message }
      }
    }`;
  const DELIVERIES = /* GraphQL */ `
    query Log($endpointId: ID, $status: WebhookDeliveryStatus) {
      webhookDeliveries(endpointId: $endpointId, status: $status, first: 10) {
        totalCount
        nodes { webhookId eventType status attempts lastResponseCode nextAttemptAt endpoint { url organization { code } } }
      }
    }`;

  it('update, redeliver and delete are audited; unknown ids are NOT_FOUND and change nothing', async () => {
    const endpoint = await created({
      url: 'https://oa.example/x',
      eventTypes: ['REMINDER_CREATED'],
      organizationCode: 'PETITION_OFFICE',
    });
    const auditBefore = await api.lastAuditId();
    const updated = dataOf(
      await api.execute<{ updateWebhookEndpoint: { webhookEndpoint: unknown } }>(UPDATE, {
        input: {
          id: endpoint.id,
          organizationCode: null,
          active: false,
          eventTypes: ['REMINDER_CREATED', 'PROBLEM_TRANSITIONED'],
        },
      }),
    ).updateWebhookEndpoint.webhookEndpoint;
    expect(updated).toEqual({
      url: 'https://oa.example/x',
      eventTypes: ['REMINDER_CREATED', 'PROBLEM_TRANSITIONED'],
      active: false,
      organization: null,
    });
    const badUrl = dataOf(
      await api.execute<{ updateWebhookEndpoint: { code: string } }>(UPDATE, {
        input: { id: endpoint.id, url: 'http://oa.unlisted.test/x' },
      }),
    );
    expect(badUrl.updateWebhookEndpoint.code).toBe('BAD_USER_INPUT');
    const unknown = Buffer.from('WebhookEndpoint:999999').toString('base64');
    expect(
      dataOf(
        await api.execute<{ updateWebhookEndpoint: { code: string } }>(UPDATE, {
          input: { id: unknown, active: true },
        }),
      ).updateWebhookEndpoint.code,
    ).toBe('NOT_FOUND');

    await api.db.update(webhookEndpoints).set({ active: true }).where(eq(webhookEndpoints.id, endpoint.databaseId));
    await reminderIn('FINANCE_BUREAU', 'ADMIN-1');
    const [delivery] = await deliveriesOf(endpoint.databaseId);
    if (!delivery) throw new Error('no delivery');
    await api.db
      .update(webhookDeliveries)
      .set({ status: 'DEAD', attempts: 8, nextAttemptAt: null })
      .where(eq(webhookDeliveries.id, delivery.id));
    const REDELIVER = `mutation($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) { __typename ... on RedeliverWebhookPayload { delivery { webhookId status attempts } } ... on UserError { code } } }`;
    const redelivered = dataOf(
      await api.execute<{ redeliverWebhook: { delivery: unknown } }>(REDELIVER, {
        input: { deliveryId: Buffer.from(`WebhookDelivery:${delivery.id}`).toString('base64') },
      }),
    ).redeliverWebhook;
    expect(redelivered.delivery).toEqual({ webhookId: delivery.messageId, status: 'PENDING', attempts: 0 });
    const missing = dataOf(
      await api.execute<{ redeliverWebhook: { code: string } }>(REDELIVER, {
        input: { deliveryId: Buffer.from('WebhookDelivery:999999').toString('base64') },
      }),
    );
    expect(missing.redeliverWebhook.code).toBe('NOT_FOUND');

    // The log: one statement for the page, its relations and its count.
    const log = await api.execute<{
      webhookDeliveries: { totalCount: number; nodes: { status: string; webhookId: string }[] };
    }>(DELIVERIES, { endpointId: endpoint.id });
    expect(log.statements).toHaveLength(1);
    expect(dataOf(log).webhookDeliveries.totalCount).toBe(2);
    expect(dataOf(log).webhookDeliveries.nodes.map((node) => node.status)).toEqual(['PENDING', 'DEAD']);
    expect(new Set(dataOf(log).webhookDeliveries.nodes.map((node) => node.webhookId)).size).toBe(1);
    const dead = dataOf(
      await api.execute<{ webhookDeliveries: { totalCount: number } }>(DELIVERIES, {
        endpointId: endpoint.id,
        status: 'DEAD',
      }),
    );
    expect(dead.webhookDeliveries.totalCount).toBe(1);

    const DELETE = `mutation($input: DeleteWebhookEndpointInput!) { deleteWebhookEndpoint(input: $input) { __typename } }`;
    expect(
      dataOf(
        await api.execute<{ deleteWebhookEndpoint: { __typename: string } }>(DELETE, { input: { id: endpoint.id } }),
      ).deleteWebhookEndpoint.__typename,
    ).toBe('DeleteWebhookEndpointPayload');
    expect(await deliveriesOf(endpoint.databaseId)).toEqual([]);
    expect((await api.auditEventsAfter(auditBefore)).map((event) => `${event.operation} ${event.entityType}`)).toEqual([
      'updateWebhookEndpoint WebhookEndpoint',
      'redeliverWebhook WebhookDelivery',
      'deleteWebhookEndpoint WebhookEndpoint',
    ]);
  });
});

describe('two senders', () => {
  it('share the outbox without sending any delivery twice', async () => {
    const ids: string[] = [];
    const receiver: Server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        ids.push(String(request.headers['webhook-id']));
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const endpoint = await created({ url, eventTypes: ['REMINDER_CREATED'] });
    for (let n = 0; n < 12; n += 1) await reminderIn(n % 2 ? 'PETITION_OFFICE' : 'FINANCE_BUREAU', `TWO-${n}`);
    const settings = { ...FAST_SENDER, timeoutMs: 2_000, maxAttempts: 3, concurrency: 3, pollMs: 10 };
    const senders = [startWebhookSender({ db: api.db, settings }), startWebhookSender({ db: api.db, settings })];
    try {
      await waitFor(
        async () => (await deliveriesOf(endpoint.databaseId)).every((row) => row.status === 'DELIVERED'),
        15_000,
      );
    } finally {
      await Promise.all(senders.map((sender) => sender.stop()));
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
    const rows = await deliveriesOf(endpoint.databaseId);
    expect(rows).toHaveLength(12);
    expect(rows.map((row) => [row.status, row.attempts])).toEqual(Array(12).fill(['DELIVERED', 1]));
    expect(ids.sort()).toEqual(rows.map((row) => row.messageId).sort());
  });
});

describe('retry schedule', () => {
  it('waits a random time up to base × 2^(n-1), capped', () => {
    const settings = { backoffBaseMs: 30_000, backoffMaxMs: 3_600_000 };
    expect([1, 2, 3, 7, 8, 12].map((n) => retryDelayMs(settings, n, () => 0.5))).toEqual([
      15_000, 30_000, 60_000, 960_000, 1_800_000, 1_800_000,
    ]);
    expect(retryDelayMs(settings, 5, () => 0)).toBe(0);
  });
});
