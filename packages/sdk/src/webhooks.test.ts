import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError } from './webhooks.ts';

// Signed here with node:crypto, independently of the helper (Standard Webhooks: HMAC-SHA256 of
// `${id}.${timestamp}.${body}` under the base64-decoded secret).
const key = randomBytes(24);
const secret = `whsec_${key.toString('base64')}`;
const body = JSON.stringify({ type: 'reminder.created', timestamp: '2012-07-01T01:00:00Z', data: { rule: 'X' } });
const now = new Date('2026-12-02T12:00:00Z');
const seconds = String(Math.floor(now.getTime() / 1000));
const sign = (signingKey: Buffer, id: string, timestamp: string, payload: string) =>
  `v1,${createHmac('sha256', signingKey).update(`${id}.${timestamp}.${payload}`).digest('base64')}`;
const headers = (overrides: Record<string, string> = {}) => ({
  'webhook-id': 'msg_1',
  'webhook-timestamp': seconds,
  'webhook-signature': sign(key, 'msg_1', seconds, body),
  ...overrides,
});

describe('verifyWebhook', () => {
  it('returns the parsed event of a valid delivery, from a plain object or Fetch Headers', async () => {
    expect(await verifyWebhook(body, headers(), secret, { now })).toEqual(JSON.parse(body));
    const fetchHeaders = new Headers(Object.entries(headers()).map(([name, value]) => [name.toUpperCase(), value]));
    expect((await verifyWebhook(new TextEncoder().encode(body), fetchHeaders, secret, { now })).type).toBe(
      'reminder.created',
    );
  });

  it('accepts a message signed with two secrets (a rotation) by either', async () => {
    const other = randomBytes(24);
    const both = `${sign(other, 'msg_1', seconds, body)} ${sign(key, 'msg_1', seconds, body)}`;
    await expect(verifyWebhook(body, headers({ 'webhook-signature': both }), secret, { now })).resolves.toBeTruthy();
    await expect(
      verifyWebhook(body, headers({ 'webhook-signature': both }), `whsec_${other.toString('base64')}`, { now }),
    ).resolves.toBeTruthy();
  });

  it('refuses a changed body, another id, a wrong secret, an old timestamp and missing headers', async () => {
    const refusals: [string, () => Promise<unknown>][] = [
      ['no signature matches', () => verifyWebhook(body.replace('X', 'Y'), headers(), secret, { now })],
      ['no signature matches', () => verifyWebhook(body, headers({ 'webhook-id': 'msg_2' }), secret, { now })],
      [
        'no signature matches',
        () => verifyWebhook(body, headers(), `whsec_${randomBytes(24).toString('base64')}`, { now }),
      ],
      [
        'no signature matches',
        () =>
          verifyWebhook(
            body,
            headers({ 'webhook-signature': `v2,${sign(key, 'msg_1', seconds, body).slice(3)}` }),
            secret,
            {
              now,
            },
          ),
      ],
      ['too far from now', () => verifyWebhook(body, headers(), secret, { now: new Date(now.getTime() + 301_000) })],
      ['missing', () => verifyWebhook(body, { 'webhook-id': 'msg_1' }, secret, { now })],
    ];
    for (const [message, verification] of refusals) {
      await expect(verification()).rejects.toThrow(WebhookVerificationError);
      await expect(verification()).rejects.toThrow(message);
    }
  });
});
