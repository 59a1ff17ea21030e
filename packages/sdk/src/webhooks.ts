/**
 * Checks a webhook the platform sent, per the Standard Webhooks specification: the HMAC-SHA256
 * of `${webhook-id}.${webhook-timestamp}.${body}` under the endpoint's secret (`whsec_…`) must be
 * one of the space-separated `v1,` signatures of `webhook-signature` (after a secret rotation
 * there are two), and the timestamp must lie within `toleranceSeconds` of now (replays of old
 * messages are refused). Uses Web Crypto only, so it runs in Node 20+, Deno, Bun, workers and browsers.
 */

/** The headers as a receiver has them: a plain object (any case) or a Fetch `Headers`. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** How far the timestamp may be from now; 300 s (the specification's suggestion) by default. */
  toleranceSeconds?: number;
  /** The time to check against (tests). */
  now?: Date;
}

/** The event as the body carries it. */
export interface WebhookEvent<TData = Record<string, unknown>> {
  /** `reminder.created`, `problem.transitioned`, `observation_batch.accepted`, `report.ready`. */
  type: string;
  timestamp: string;
  data: TData;
}

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(' ') : value;
  }
  return undefined;
}

function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Compares in time independent of where the strings differ. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index += 1) difference |= a.charCodeAt(index) ^ b.charCodeAt(index);
  return difference === 0;
}

/**
 * Verifies a delivery and returns its parsed body; throws WebhookVerificationError when a header is
 * missing, the timestamp is too old or too new, or no signature matches. Pass the body exactly as
 * received (the raw text or bytes, not a re-serialized object).
 */
export async function verifyWebhook<TData = Record<string, unknown>>(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyWebhookOptions = {},
): Promise<WebhookEvent<TData>> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature');
  }
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not a number of seconds');
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300)) {
    throw new WebhookVerificationError('webhook-timestamp is too far from now');
  }
  const body = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  let keyBytes: Uint8Array;
  try {
    keyBytes = base64ToBytes(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret);
  } catch {
    throw new WebhookVerificationError('the secret is not whsec_ followed by base64');
  }
  const key = await crypto.subtle.importKey(
    'raw',
    keyBytes as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const signed = new Uint8Array(
    await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestamp}.${body}`)),
  );
  const expected = bytesToBase64(signed);
  const matches = signatures
    .split(' ')
    .some((entry) => entry.startsWith('v1,') && sameText(entry.slice('v1,'.length), expected));
  if (!matches) throw new WebhookVerificationError('no signature matches the secret');
  return JSON.parse(body) as WebhookEvent<TData>;
}
