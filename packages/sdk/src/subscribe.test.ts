import { describe, expect, expectTypeOf, it } from 'vitest';
import persistedOperations from './generated/persisted-operations.json' with { type: 'json' };
import {
  createClient,
  MetricUpdatedDocument,
  type MetricUpdatedSubscription,
  OrganizationByCodeDocument,
  SixtypeError,
} from './index.ts';
import type { FetchLike } from './options.ts';
import type { DecimalString } from './scalars.ts';

const url = 'https://sixtype.example.test/graphql';

const update = (value: string, revision: number) => ({
  metricCode: 'NEW_PROJECT_CONTRACTS',
  orgCode: 'ZONE',
  granularity: 'QUARTER',
  periodStart: '2012-04-01',
  periodLabel: '2012-Q2',
  value,
  revision,
  source: 'test',
  batchId: `b${revision}`,
});

interface Sent {
  headers: Headers;
  body: { query?: string; variables?: unknown; extensions?: { persistedQuery?: { sha256Hash: string } } };
  signal: AbortSignal | null | undefined;
}

/** An event-stream response whose chunks are written by the test (split anywhere, as TCP does). */
function stream() {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      cancelled = true;
    },
  });
  return {
    response: new Response(body, { headers: { 'content-type': 'text/event-stream' } }),
    write: (text: string) => controller.enqueue(encoder.encode(text)),
    close: () => controller.close(),
    get cancelled() {
      return cancelled;
    },
  };
}

function fakeFetch(respond: (sent: Sent) => Response) {
  const sent: Sent[] = [];
  const fetch: FetchLike = async (_url, init) => {
    const request = { headers: new Headers(init.headers), body: JSON.parse(String(init.body)), signal: init.signal };
    sent.push(request);
    return respond(request);
  };
  return { fetch, sent };
}

const next = (data: unknown) => `event: next\ndata: ${JSON.stringify({ data })}\n\n`;

describe('subscribe', () => {
  it('POSTs with accept: text/event-stream and yields each next event until complete', async () => {
    const events = stream();
    const { fetch, sent } = fakeFetch(() => events.response);
    const client = createClient({ url, apiKey: 'sk_1', fetch });
    let connected = false;

    const updates = client.subscribe(
      MetricUpdatedDocument,
      { metricCodes: ['NEW_PROJECT_CONTRACTS'] },
      { onConnected: () => (connected = true) },
    );
    const first = updates.next();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(connected).toBe(true);
    // A keep-alive comment, then an event split across chunks, then two in one chunk, CRLF line ends.
    events.write(':\n\n');
    const text = next({ metricUpdated: update('1', 1) });
    events.write(text.slice(0, 25));
    events.write(text.slice(25));
    events.write(
      `${next({ metricUpdated: update('2', 2) })}${next({ metricUpdated: update('3', 3) }).replace(/\n/g, '\r\n')}`,
    );
    events.write('event: complete\ndata:\n\n');

    const received: MetricUpdatedSubscription[] = [];
    const firstResult = await first;
    if (!firstResult.done) received.push(firstResult.value);
    for await (const data of updates) received.push(data);

    expectTypeOf(received[0]?.metricUpdated.value).toEqualTypeOf<DecimalString | undefined>();
    expect(received.map((data) => data.metricUpdated.value)).toEqual(['1', '2', '3']);
    expect(sent[0]?.headers.get('accept')).toBe('text/event-stream');
    expect(sent[0]?.headers.get('authorization')).toBe('ApiKey sk_1');
    expect(sent[0]?.body.variables).toEqual({ metricCodes: ['NEW_PROJECT_CONTRACTS'] });
  });

  it('closes the connection when the loop breaks, with or without a timeout', async () => {
    for (const timeoutMs of [undefined, 5_000]) {
      const events = stream();
      const { fetch, sent } = fakeFetch(() => events.response);
      const client = createClient({ url, fetch, ...(timeoutMs === undefined ? {} : { timeoutMs }) });

      events.write(next({ metricUpdated: update('1', 1) }));
      for await (const data of client.subscribe(MetricUpdatedDocument, {})) {
        expect(data.metricUpdated.revision).toBe(1);
        break;
      }

      expect(sent[0]?.signal?.aborted).toBe(true);
      expect(events.cancelled).toBe(true);
    }
  });

  it('rejects with the abort reason when the signal aborts while waiting for an event', async () => {
    const events = stream();
    // Node's fetch errors the body with the reason when its signal aborts; this fake does the same.
    const fetchWithAbortingBody: FetchLike = async (_url, init) => {
      const reader = events.response.body?.getReader();
      const aborted = new Promise<never>((_resolve, reject) =>
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true }),
      );
      aborted.catch(() => {});
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const chunk = await Promise.race([reader?.read(), aborted]);
          if (chunk === undefined || chunk.done) controller.close();
          else controller.enqueue(chunk.value);
        },
      });
      return new Response(body, { headers: events.response.headers });
    };
    const client = createClient({ url, fetch: fetchWithAbortingBody });
    const controller = new AbortController();

    const iterating = (async () => {
      for await (const _data of client.subscribe(MetricUpdatedDocument, {}, { signal: controller.signal })) {
        // none arrive
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();

    const error = await iterating.catch((caught) => caught);
    expect(error).not.toBeInstanceOf(SixtypeError);
    expect(error).toMatchObject({ name: 'AbortError' });
  });

  it('throws a SixtypeError for an error event, and for a refusal sent as plain JSON', async () => {
    const events = stream();
    const errorEvent = createClient({ url, fetch: fakeFetch(() => events.response).fetch, persisted: false });
    events.write(
      `event: next\ndata: ${JSON.stringify({ errors: [{ message: 'no', extensions: { code: 'FORBIDDEN' } }] })}\n\n`,
    );
    await expect(errorEvent.subscribe(MetricUpdatedDocument, {}).next()).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const refusal = createClient({
      url,
      fetch: fakeFetch(
        () =>
          new Response(JSON.stringify({ errors: [{ message: 'who?', extensions: { code: 'UNAUTHENTICATED' } }] }), {
            status: 401,
            headers: { 'content-type': 'application/json' },
          }),
      ).fetch,
    });
    await expect(refusal.subscribe(MetricUpdatedDocument, {}).next()).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });

  it('reports a stream that ends without complete as NETWORK_ERROR', async () => {
    const events = stream();
    const client = createClient({ url, fetch: fakeFetch(() => events.response).fetch });
    events.write(next({ metricUpdated: update('1', 1) }));
    events.close();

    const updates = client.subscribe(MetricUpdatedDocument, {});
    expect((await updates.next()).done).toBe(false);
    await expect(updates.next()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
  });

  it('does not reconnect by itself after the connection is lost', async () => {
    const { fetch, sent } = fakeFetch(() => {
      const events = stream();
      events.close();
      return events.response;
    });
    const client = createClient({ url, fetch });

    await expect(client.subscribe(MetricUpdatedDocument, {}).next()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sent).toHaveLength(1);
  });

  it('resubscribes by hash when the server answers PERSISTED_QUERY_ONLY', async () => {
    const events = stream();
    const { fetch, sent } = fakeFetch((request) => {
      if (request.body.query !== undefined) {
        return new Response(
          JSON.stringify({ errors: [{ message: 'hashes only', extensions: { code: 'PERSISTED_QUERY_ONLY' } }] }),
          { status: 403, headers: { 'content-type': 'application/json' } },
        );
      }
      return events.response;
    });
    const client = createClient({ url, apiKey: 'sk_1', fetch });
    events.write(next({ metricUpdated: update('7', 7) }));

    for await (const data of client.subscribe(MetricUpdatedDocument, {})) {
      expect(data.metricUpdated.value).toBe('7');
      break;
    }

    expect(sent).toHaveLength(2);
    const hash = sent[1]?.body.extensions?.persistedQuery?.sha256Hash ?? '';
    expect((persistedOperations as Record<string, string>)[hash]).toMatch(/^subscription MetricUpdated/);
  });

  it('resubscribes by hash when the refusal comes as an error event in a 403 event stream, as the API sends it', async () => {
    const events = stream();
    const { fetch, sent } = fakeFetch((request) => {
      if (request.body.query === undefined) return events.response;
      const refusal = stream();
      refusal.write(
        `:\n\nevent: next\ndata: ${JSON.stringify({ errors: [{ message: 'hashes only', extensions: { code: 'PERSISTED_QUERY_ONLY' } }] })}\n\n`,
      );
      refusal.write('event: complete\ndata:\n\n');
      refusal.close();
      return new Response(refusal.response.body, { status: 403, headers: { 'content-type': 'text/event-stream' } });
    });
    const client = createClient({ url, apiKey: 'sk_1', fetch });
    events.write(next({ metricUpdated: update('8', 8) }));

    for await (const data of client.subscribe(MetricUpdatedDocument, {})) {
      expect(data.metricUpdated.value).toBe('8');
      break;
    }

    expect(sent.map((request) => request.body.query === undefined)).toEqual([false, true]);
  });

  it('refuses to run a query as a subscription and a subscription as a request', async () => {
    const client = createClient({ url, fetch: () => Promise.reject(new Error('not called')) });
    await expect(client.subscribe(OrganizationByCodeDocument, { code: 'ZONE' }).next()).rejects.toBeInstanceOf(
      TypeError,
    );
    await expect(client.request(MetricUpdatedDocument, {})).rejects.toBeInstanceOf(TypeError);
  });
});
