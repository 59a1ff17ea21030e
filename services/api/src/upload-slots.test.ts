import { describe, expect, it } from 'vitest';
import { createUploadSlots } from './upload-slots.ts';

describe('upload slots', () => {
  it('gives at most `limit` turns at once, the rest in arrival order as turns are given back', async () => {
    const slots = createUploadSlots(2, 60_000);
    const first = await slots.acquire();
    const second = await slots.acquire();
    const order: string[] = [];
    const third = slots.acquire().then((release) => {
      order.push('third');
      return release;
    });
    const fourth = slots.acquire().then((release) => {
      order.push('fourth');
      return release;
    });
    await Promise.resolve();
    expect(order).toEqual([]);
    expect([slots.running, slots.waiting]).toEqual([2, 2]);
    first?.();
    first?.(); // a second give-back of the same turn changes nothing
    expect(await third).toBeTypeOf('function');
    expect([order, slots.running, slots.waiting]).toEqual([['third'], 2, 1]);
    second?.();
    (await fourth)?.();
    (await third)?.();
    expect([order, slots.running, slots.waiting]).toEqual([['third', 'fourth'], 0, 0]);
  });

  it('answers null to a wait that outlasts the timeout or is aborted, and forgets it', async () => {
    const slots = createUploadSlots(1, 20);
    const held = await slots.acquire();
    expect(await slots.acquire()).toBeNull();
    const abort = new AbortController();
    const aborted = slots.acquire(abort.signal);
    expect(slots.waiting).toBe(1);
    abort.abort();
    expect(await aborted).toBeNull();
    expect([slots.running, slots.waiting]).toEqual([1, 0]);
    held?.();
    expect(slots.running).toBe(0);
    expect(await slots.acquire()).toBeTypeOf('function');
  });
});
