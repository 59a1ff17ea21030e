import type { MetricUpdateEvent } from '@sixtype/graphql';
import { afterAll, describe, expect, it } from 'vitest';
import { createEventBus, type RunningEventBus } from './events.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const buses: RunningEventBus[] = [];
afterAll(async () => {
  for (const bus of buses) await bus.close();
});

const event = (value: string): MetricUpdateEvent => ({
  metricCode: 'FISCAL_REVENUE_TOTAL',
  orgCode: 'ZONE',
  orgPath: 'ZONE',
  granularity: 'QUARTER',
  periodStart: '2012-01-01',
  value,
  revision: 1,
  source: 'events test',
  batchId: 1,
});

async function firstN(iterable: AsyncIterable<MetricUpdateEvent>, count: number, publish: () => Promise<void>) {
  const iterator = iterable[Symbol.asyncIterator]();
  // Start listening before anything is published, as a server does when a subscription opens.
  const first = iterator.next();
  await publish();
  const received = [(await first).value as MetricUpdateEvent];
  while (received.length < count) received.push((await iterator.next()).value as MetricUpdateEvent);
  await iterator.return?.();
  return received.map((e) => e.value);
}

describe('the event bus', () => {
  it('delivers within one process', async () => {
    const local = createEventBus();
    buses.push(local);
    const values = await firstN(local.bus.subscribe('metricUpdated'), 3, async () => {
      for (const value of ['1', '2', '3']) local.bus.publish('metricUpdated', event(value));
    });
    expect(values).toEqual(['1', '2', '3']);
  });

  it('delivers across two buses through Redis, as across two API processes', async () => {
    const writer = createEventBus(REDIS_URL);
    const reader = createEventBus(REDIS_URL);
    buses.push(writer, reader);
    const values = await firstN(reader.bus.subscribe('metricUpdated'), 3, async () => {
      // The subscribing connection needs a moment to register with Redis.
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (const value of ['10', '20', '30']) writer.bus.publish('metricUpdated', event(value));
    });
    expect(values).toEqual(['10', '20', '30']);
  });
});
