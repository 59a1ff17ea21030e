import { describe, expect, it } from 'vitest';
import type { SubmitMetricObservationsMutationVariables } from './generated/graphql.ts';
import {
  CreateOrganizationDocument,
  createClient,
  OrganizationByCodeDocument,
  SixtypeError,
  SubmitMetricObservationsDocument,
} from './index.ts';
import type { FetchLike } from './options.ts';
import type { RetryEvent } from './retry.ts';

const url = 'https://sixtype.example.test/graphql';
const refused = () => new TypeError('fetch failed', { cause: new Error('read ECONNRESET') });
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const gateway = (status: number) => new Response('<html>Bad Gateway</html>', { status });

/** Each request gets the next answer (a Response, or an Error to reject with); records the bodies. */
function scripted(...answers: (Response | Error)[]) {
  const bodies: Record<string, unknown>[] = [];
  const fetch: FetchLike = async (_url, init) => {
    bodies.push(JSON.parse(String(init.body)));
    const answer = answers.shift();
    if (answer === undefined) throw new Error('no answer left');
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { fetch, bodies };
}

const fast = { minDelayMs: 1, maxDelayMs: 5 };
const zone = { data: { organization: null } };
const submission = (idempotencyKey: string): SubmitMetricObservationsMutationVariables => ({
  input: {
    idempotencyKey,
    observations: [
      {
        metricCode: 'NEW_PROJECT_CONTRACTS',
        orgCode: 'ZONE',
        periodStart: '2012-04-01',
        granularity: 'QUARTER' as const,
        value: '5',
        source: 'retry test',
      },
    ],
  },
});
const accepted = {
  data: {
    submitMetricObservations: {
      __typename: 'SubmitMetricObservationsPayload',
      batchId: 'b1',
      accepted: 1,
      rejected: 0,
      replayed: false,
      errors: [],
    },
  },
};

describe('retries', () => {
  it('retries a query after a dropped connection and a 502/503/504, then returns its data', async () => {
    const { fetch, bodies } = scripted(refused(), gateway(502), gateway(503), gateway(504), json(zone));
    const events: RetryEvent[] = [];
    const client = createClient({ url, fetch, retry: { ...fast, retries: 4, onRetry: (event) => events.push(event) } });

    await expect(client.request(OrganizationByCodeDocument, { code: 'ZONE' })).resolves.toEqual(zone.data);

    expect(bodies).toHaveLength(5);
    expect(events.map((event) => [event.retry, event.error.code, event.error.status])).toEqual([
      [1, 'NETWORK_ERROR', undefined],
      [2, 'HTTP_ERROR', 502],
      [3, 'HTTP_ERROR', 503],
      [4, 'HTTP_ERROR', 504],
    ]);
    expect(events.every((event) => event.operationName === 'OrganizationByCode')).toBe(true);
  });

  it('gives up after `retries` and throws the last failure', async () => {
    const { fetch, bodies } = scripted(refused(), refused(), refused(), json(zone));
    const client = createClient({ url, fetch, retry: fast });

    await expect(client.request(OrganizationByCodeDocument, { code: 'ZONE' })).rejects.toMatchObject({
      code: 'NETWORK_ERROR',
    });
    expect(bodies).toHaveLength(3); // the default: two retries
  });

  it('does not retry what another attempt cannot fix: GraphQL errors, a 500, a 429', async () => {
    for (const answer of [
      json({ errors: [{ message: 'no', extensions: { code: 'FORBIDDEN' } }] }, 403),
      gateway(500),
      json({ errors: [{ message: 'slow down', extensions: { code: 'RATE_LIMITED' } }] }, 429),
    ]) {
      const { fetch, bodies } = scripted(answer, json(zone));
      const client = createClient({ url, fetch, retry: fast });
      await expect(client.request(OrganizationByCodeDocument, { code: 'ZONE' })).rejects.toBeInstanceOf(SixtypeError);
      expect(bodies).toHaveLength(1);
    }
  });

  it('never retries a mutation without an idempotency key: it may have been applied', async () => {
    const { fetch, bodies } = scripted(refused(), json({ data: {} }));
    const client = createClient({ url, fetch, retry: fast });

    const creating = client.request(CreateOrganizationDocument, {
      input: { code: 'NEW_OFFICE', name: '新办公室', kind: 'OFFICE', parentCode: 'ZONE' },
    });

    await expect(creating).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(bodies).toHaveLength(1);
  });

  it('retries a mutation that carries an idempotency key, resending the same key', async () => {
    const { fetch, bodies } = scripted(refused(), gateway(502), json(accepted));
    const client = createClient({ url, fetch, retry: fast });

    const data = await client.request(SubmitMetricObservationsDocument, submission('hr-2012-04-batch-1'));

    expect(data.submitMetricObservations.__typename).toBe('SubmitMetricObservationsPayload');
    expect(bodies).toHaveLength(3);
    for (const body of bodies) {
      expect(body.variables).toEqual(submission('hr-2012-04-batch-1'));
    }
  });

  it('turns retrying off with retry: false, for the client or one request', async () => {
    const off = scripted(refused(), json(zone));
    await expect(
      createClient({ url, fetch: off.fetch, retry: false }).request(OrganizationByCodeDocument, { code: 'ZONE' }),
    ).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(off.bodies).toHaveLength(1);

    const perRequest = scripted(refused(), json(zone));
    const client = createClient({ url, fetch: perRequest.fetch, retry: fast });
    await expect(client.request(OrganizationByCodeDocument, { code: 'ZONE' }, { retry: false })).rejects.toMatchObject({
      code: 'NETWORK_ERROR',
    });
    expect(perRequest.bodies).toHaveLength(1);
  });

  it('stops waiting to retry when the signal aborts, rejecting with its reason', async () => {
    const { fetch, bodies } = scripted(refused(), json(zone));
    const client = createClient({ url, fetch, retry: { minDelayMs: 60_000, maxDelayMs: 60_000 } });
    const controller = new AbortController();

    const pending = client.request(OrganizationByCodeDocument, { code: 'ZONE' }, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();

    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(bodies).toHaveLength(1);
  });

  it('gives up an attempt after timeoutMs with TIMEOUT, and retries a query that timed out', async () => {
    let calls = 0;
    const fetch: FetchLike = (_url, init) => {
      calls += 1;
      if (calls > 1) return Promise.resolve(json(zone));
      return new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true });
      });
    };

    const client = createClient({ url, fetch, timeoutMs: 30, retry: fast });
    await expect(client.request(OrganizationByCodeDocument, { code: 'ZONE' })).resolves.toEqual(zone.data);
    expect(calls).toBe(2);

    calls = 0;
    const noRetry = createClient({ url, fetch, timeoutMs: 30, retry: false });
    const error = await noRetry.request(OrganizationByCodeDocument, { code: 'ZONE' }).catch((caught) => caught);
    expect(error).toBeInstanceOf(SixtypeError);
    expect(error).toMatchObject({ code: 'TIMEOUT' });
  });
});
