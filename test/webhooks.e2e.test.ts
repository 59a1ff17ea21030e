import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb } from '@sixtype/db';
import {
  createUser,
  SYSTEM_ACCESS,
  startWebhookSender,
  type WebhookDeliverySettings,
  type WebhookSender,
  webhookSettingsOf,
} from '@sixtype/graphql';
import {
  asId,
  CreateWebhookEndpointDocument,
  createClient,
  type Id,
  LoginDocument,
  RedeliverWebhookDocument,
  ReportProblemDocument,
  type SixtypeClient,
  TransitionProblemDocument,
  verifyWebhook,
  WebhookDeliveriesDocument,
  WebhookVerificationError,
} from '@sixtype/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, startApiProcess } from './api-process.ts';
import { startTestServer, type TestServer } from './support.ts';

// On PGlite, and on PostgreSQL with TEST_DATABASE_URL: the outbox is SQL.
const ENV = { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' };

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** A real HTTP receiver on a free port; `answer` gives the status of the n-th request (0-based), or null: never answer. */
async function startReceiver(answer: (n: number) => number | null): Promise<Receiver> {
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      const status = answer(received.length);
      received.push({ headers: request.headers, body, at: Date.now() });
      // null: the socket stays open and nothing is ever written back.
      if (status !== null) response.writeHead(status).end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let server: TestServer;
let settings: WebhookDeliverySettings;
let sender: WebhookSender | undefined;
const receivers: Receiver[] = [];

beforeAll(async () => {
  server = await startTestServer(ENV);
  // The same settings as the API's (the secrets' key derived from the same token secret), with
  // retries and timeouts short enough for a test.
  settings = {
    ...webhookSettingsOf(ENV, server.tokenSecret),
    timeoutMs: 400,
    maxAttempts: 3,
    backoffBaseMs: 50,
    backoffMaxMs: 200,
    pollMs: 20,
    concurrency: 4,
  };
});
afterEach(async () => {
  await sender?.stop();
  sender = undefined;
  // Endpoints of one test must not receive the next test's events.
  await server.database.db.execute('update webhook_endpoints set active = false');
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});
afterAll(async () => {
  await server?.close();
});

async function endpoint(url: string, input: { organizationCode?: string } = {}, client = server.client) {
  const { createWebhookEndpoint } = await client.request(CreateWebhookEndpointDocument, {
    input: { url, eventTypes: ['PROBLEM_TRANSITIONED'], ...input },
  });
  if (createWebhookEndpoint.__typename !== 'CreateWebhookEndpointPayload') {
    throw new Error(`endpoint refused: ${JSON.stringify(createWebhookEndpoint)}`);
  }
  return { id: createWebhookEndpoint.webhookEndpoint.id, secret: createWebhookEndpoint.secret };
}

/** Reports a problem in `orgCode` and moves it to RECTIFYING: one problem.transitioned event. */
async function transitionAProblem(orgCode = 'PETITION_OFFICE', client: SixtypeClient = server.client): Promise<string> {
  const { reportProblem } = await client.request(ReportProblemDocument, {
    input: {
      campaignCode: 'SIX_TYPE_2012',
      orgCode,
      categoryCode: 'SHIRKING',
      source: 'SELF_CHECK',
      description: '推送测试',
      severity: 'LOW',
    },
  });
  if (reportProblem.__typename !== 'ReportProblemPayload') throw new Error(JSON.stringify(reportProblem));
  const { transitionProblem } = await client.request(TransitionProblemDocument, {
    input: { problemId: reportProblem.problem.id, toState: 'RECTIFYING' },
  });
  expect(transitionProblem.__typename).toBe('TransitionProblemPayload');
  return reportProblem.problem.id;
}

const deliveriesOf = async (endpointId: Id) =>
  (await server.client.request(WebhookDeliveriesDocument, { endpointId, first: 50 })).webhookDeliveries;

describe('webhook delivery', () => {
  it('a receiver answering 500 twice then 200 gets the event three times, same webhook-id, each signature valid', async () => {
    const receiver = await startReceiver((n) => (n < 2 ? 500 : 200));
    receivers.push(receiver);
    const { id, secret } = await endpoint(receiver.url);
    await transitionAProblem();
    sender = startWebhookSender({ db: server.database.db, settings: { ...settings, maxAttempts: 8 } });

    const log = await waitFor(async () => {
      const page = await deliveriesOf(id);
      return page.nodes[0]?.status === 'DELIVERED' && page;
    }, 'the delivery');
    expect(receiver.received).toHaveLength(3);
    const ids = new Set(receiver.received.map((request) => request.headers['webhook-id']));
    expect(ids.size).toBe(1);
    for (const request of receiver.received) {
      const event = await verifyWebhook(request.body, request.headers as Record<string, string>, secret);
      expect(event).toMatchObject({
        type: 'problem.transitioned',
        data: {
          organizationCode: 'PETITION_OFFICE',
          campaignCode: 'SIX_TYPE_2012',
          fromState: 'FOUND',
          toState: 'RECTIFYING',
        },
      });
    }
    // A wrong secret or a changed body is refused by the same helper.
    const first = receiver.received[0] as Received;
    await expect(
      verifyWebhook(first.body.replace('RECTIFYING', 'CLOSED'), first.headers as Record<string, string>, secret),
    ).rejects.toBeInstanceOf(WebhookVerificationError);
    expect(log.totalCount).toBe(1);
    expect(log.nodes[0]).toMatchObject({
      status: 'DELIVERED',
      attempts: 3,
      lastResponseCode: 200,
      webhookId: [...ids][0],
      nextAttemptAt: null,
    });
    expect(log.nodes[0]?.lastAttemptAt).not.toBeNull();

    // redeliverWebhook sends the same message again: same webhook-id, a new row of the log.
    const { redeliverWebhook } = await server.client.request(RedeliverWebhookDocument, {
      input: { deliveryId: log.nodes[0]?.id ?? asId('') },
    });
    if (redeliverWebhook.__typename !== 'RedeliverWebhookPayload') throw new Error(JSON.stringify(redeliverWebhook));
    expect(redeliverWebhook.delivery).toMatchObject({ status: 'PENDING', attempts: 0, webhookId: [...ids][0] });
    await waitFor(async () => receiver.received.length === 4, 'the redelivery');
    expect(receiver.received[3]?.headers['webhook-id']).toBe([...ids][0]);
    await verifyWebhook(
      receiver.received[3]?.body ?? '',
      receiver.received[3]?.headers as Record<string, string>,
      secret,
    );
    await waitFor(async () => (await deliveriesOf(id)).nodes[0]?.status === 'DELIVERED', 'the redelivery logged');
    expect((await deliveriesOf(id)).totalCount).toBe(2);
  }, 60_000);

  it('an endpoint that never answers ends DEAD while another endpoint gets its events on time', async () => {
    const silent = await startReceiver(() => null);
    const healthy = await startReceiver(() => 204);
    receivers.push(silent, healthy);
    const dead = await endpoint(silent.url);
    const live = await endpoint(healthy.url);
    sender = startWebhookSender({ db: server.database.db, settings });

    const sentAt: number[] = [];
    for (let event = 0; event < 4; event += 1) {
      sentAt.push(Date.now());
      await transitionAProblem();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await waitFor(async () => healthy.received.length === 4, 'the healthy endpoint’s events');
    // Each event reached the healthy endpoint well within one timeout of the silent one (400 ms).
    healthy.received.forEach((request, index) => {
      expect(request.at - (sentAt[index] ?? 0)).toBeLessThan(1_000);
    });

    const log = await waitFor(async () => {
      const page = await deliveriesOf(dead.id);
      return page.nodes.length === 4 && page.nodes.every((node) => node.status === 'DEAD') && page;
    }, 'the silent endpoint’s deliveries to die');
    for (const node of log.nodes) {
      expect(node).toMatchObject({ attempts: 3, lastResponseCode: null, nextAttemptAt: null });
      expect(node.lastError).toContain('no answer within 400 ms');
    }
    // Three attempts per delivery reached the silent receiver, then no more.
    expect(silent.received).toHaveLength(12);
    const liveLog = await deliveriesOf(live.id);
    expect(liveLog.nodes.map((node) => [node.status, node.attempts, node.lastResponseCode])).toEqual(
      Array(4).fill(['DELIVERED', 1, 204]),
    );
  }, 60_000);

  it('an endpoint restricted to a subtree gets no event of another unit', async () => {
    const inside = await startReceiver(() => 200);
    const everywhere = await startReceiver(() => 200);
    receivers.push(inside, everywhere);
    const restricted = await endpoint(inside.url, { organizationCode: 'PETITION_OFFICE' });
    await endpoint(everywhere.url);
    sender = startWebhookSender({ db: server.database.db, settings });

    await transitionAProblem('FINANCE_BUREAU');
    await transitionAProblem('PETITION_OFFICE');
    await waitFor(async () => everywhere.received.length === 2, 'both events at the unrestricted endpoint');
    await waitFor(async () => inside.received.length === 1, 'the subtree’s event');
    await sender.idle();
    expect(inside.received.map((request) => JSON.parse(request.body).data.organizationCode)).toEqual([
      'PETITION_OFFICE',
    ]);
    expect(everywhere.received.map((request) => JSON.parse(request.body).data.organizationCode).sort()).toEqual([
      'FINANCE_BUREAU',
      'PETITION_OFFICE',
    ]);
    expect((await deliveriesOf(restricted.id)).totalCount).toBe(1);
  }, 60_000);
});

// `npm start` on the embedded database: the API process sends the outbox itself, no worker.
describe.skipIf(Boolean(process.env.TEST_DATABASE_URL))('webhooks on the embedded default', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sixtype-webhooks-'));
  let api: ApiProcess | undefined;
  afterAll(() => {
    api?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the API process delivers the event without a worker and counts it on /metrics', async () => {
    const database = await createDb({ dataDir });
    await database.migrate();
    await createUser(database.db, SYSTEM_ACCESS.actor, {
      username: 'admin',
      password: 'first admin password',
      role: 'ADMIN',
    });
    await database.close();
    const receiver = await startReceiver(() => 200);
    receivers.push(receiver);
    api = await startApiProcess({
      DATA_DIR: dataDir,
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_POLL_MS: '50',
      REMINDER_INTERVAL_MS: '0',
    });
    const { login } = await createClient({ url: api.url }).request(LoginDocument, {
      input: { username: 'admin', password: 'first admin password' },
    });
    const client = createClient({ url: api.url, token: login.token });
    const { secret } = await endpoint(receiver.url, {}, client);
    await transitionAProblem('PETITION_OFFICE', client);
    const [request] = await waitFor(async () => receiver.received.length > 0 && receiver.received, 'the delivery');
    expect(await verifyWebhook(request?.body ?? '', request?.headers as Record<string, string>, secret)).toMatchObject({
      type: 'problem.transitioned',
    });
    const metrics = await waitFor(async () => {
      const text = await fetch(api?.url.replace('/graphql', '/metrics') ?? '').then((response) => response.text());
      return text.includes('sixtype_webhook_deliveries{status="DELIVERED"} 1') && text;
    }, 'the delivery on /metrics');
    expect(metrics).toContain('sixtype_webhook_deliveries{status="DEAD"} 0');
    // The demo reminders loaded on the first start, counted by rule.
    expect(Number(/sixtype_reminders\{rule="STUDY_CADRE_BEHIND"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(api.output()).toContain('webhook delivery attempted');
    api.child.kill('SIGTERM');
    expect(await api.exited()).toBe(0);
  }, 120_000);
});
