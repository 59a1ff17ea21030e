import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Executor, WebhookDeliveryStatus } from '@sixtype/db';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import type { WebhookSettings } from '../../context.ts';
import { rowsOf } from '../common/rows.ts';
import { destinationProblem, guardedLookup } from './destinations.ts';
import { decryptSecret } from './secrets.ts';

/** How deliveries are sent and retried (README, "Webhooks"). */
export interface WebhookDeliverySettings extends WebhookSettings {
  /** Per request: connect, send and receive the response's status line. */
  timeoutMs: number;
  /** Attempts of a delivery before it is DEAD. */
  maxAttempts: number;
  /** The n-th retry waits a random time up to min(backoffMaxMs, backoffBaseMs × 2^(n-1)) (full jitter). */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Requests in flight at once per sending process. */
  concurrency: number;
  /** How often the outbox is looked at for due deliveries. */
  pollMs: number;
}

export const DEFAULT_WEBHOOK_DELIVERY = {
  timeoutMs: 10_000,
  maxAttempts: 8,
  backoffBaseMs: 30_000,
  backoffMaxMs: 3_600_000,
  concurrency: 8,
  pollMs: 1_000,
  rotationOverlapMs: 86_400_000,
} as const;

/** Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): uniform in [0, cap]. */
export function retryDelayMs(
  settings: Pick<WebhookDeliverySettings, 'backoffBaseMs' | 'backoffMaxMs'>,
  failedAttempts: number,
  random: () => number = Math.random,
): number {
  const cap = Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.floor(random() * cap);
}

interface ClaimedDelivery {
  id: number;
  messageId: string;
  payload: unknown;
  attempts: number;
  url: string;
  secret: string;
  previousSecret: string | null;
}

/**
 * Takes up to `limit` due deliveries of active endpoints and leases them to this sender: another
 * sender (a second worker) skips them while the lease runs, and takes them again if this one died.
 */
async function claimDeliveries(db: Executor, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  return rowsOf<ClaimedDelivery>(
    await db.execute(sql`
update webhook_deliveries d
set locked_until = now() + make_interval(secs => ${leaseMs / 1000})
from webhook_endpoints e
where e.id = d.endpoint_id and d.id in (
  select q.id from webhook_deliveries q
  join webhook_endpoints qe on qe.id = q.endpoint_id and qe.active
  where q.status in ('PENDING', 'FAILED') and q.next_attempt_at <= now()
    and (q.locked_until is null or q.locked_until < now())
  order by q.next_attempt_at, q.id
  limit ${limit}
  for update of q skip locked)
returning d.id::int as id, d.message_id as "messageId", d.payload, d.attempts, e.url,
  e.secret_ciphertext as secret,
  case when e.previous_secret_expires_at > now() then e.previous_secret_ciphertext end as "previousSecret"`),
  );
}

export interface AttemptResult {
  status: WebhookDeliveryStatus;
  responseCode: number | null;
  error: string | null;
}

/** The `webhook-signature` header: one `v1,` signature per valid secret, space-separated. */
export function signatureHeader(secrets: readonly string[], messageId: string, timestamp: Date, body: string): string {
  return secrets.map((secret) => new Webhook(secret).sign(messageId, timestamp, body)).join(' ');
}

/** POSTs one body; resolves with the response status, or the failure in words. Never rejects. */
function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  settings: WebhookDeliverySettings,
): Promise<{ code: number | null; error: string | null }> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (code: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ code, error });
    };
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent: false,
        lookup: guardedLookup(settings.destinations) as never,
      },
      (response) => {
        // The body is not needed: read and dropped so the socket closes.
        response.resume();
        finish(response.statusCode ?? null, null);
      },
    );
    const timer = setTimeout(() => {
      finish(null, `no answer within ${settings.timeoutMs} ms`);
      req.destroy();
    }, settings.timeoutMs);
    req.on('error', (error) => finish(null, error.message.slice(0, 500)));
    req.end(body);
  });
}

/** The endpoint's signing secrets in plain text, or null when the key cannot open them. */
function readableSecrets(key: Buffer, delivery: ClaimedDelivery): string[] | null {
  try {
    return [delivery.secret, delivery.previousSecret]
      .filter((stored): stored is string => stored !== null)
      .map((stored) => decryptSecret(key, stored));
  } catch {
    return null;
  }
}

async function attempt(
  db: Executor,
  delivery: ClaimedDelivery,
  settings: WebhookDeliverySettings,
): Promise<AttemptResult> {
  const body = JSON.stringify(delivery.payload);
  let outcome: { code: number | null; error: string | null };
  const problem = destinationProblem(delivery.url, settings.destinations);
  const secrets = problem ? [] : readableSecrets(settings.secretKey, delivery);
  if (problem) outcome = { code: null, error: `refused: ${problem}` };
  else if (!secrets) {
    // Counted as a failed attempt, so the delivery ends DEAD rather than being taken again forever.
    outcome = {
      code: null,
      error: 'the secret cannot be decrypted: WEBHOOK_SECRET_KEY (or TOKEN_SECRET) differs from the one that stored it',
    };
  } else {
    const timestamp = new Date();
    outcome = await post(
      delivery.url,
      {
        'content-type': 'application/json',
        'user-agent': 'sixtype-webhooks/1',
        'webhook-id': delivery.messageId,
        'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
        'webhook-signature': signatureHeader(secrets, delivery.messageId, timestamp, body),
      },
      body,
      settings,
    );
  }
  const attempts = delivery.attempts + 1;
  const delivered = outcome.code !== null && outcome.code >= 200 && outcome.code < 300;
  const status: WebhookDeliveryStatus = delivered ? 'DELIVERED' : attempts >= settings.maxAttempts ? 'DEAD' : 'FAILED';
  const error = delivered ? null : (outcome.error ?? `answered ${outcome.code}`);
  const delaySeconds = status === 'FAILED' ? retryDelayMs(settings, attempts) / 1000 : null;
  await db.execute(sql`
update webhook_deliveries set
  status = ${status}::webhook_delivery_status,
  attempts = ${attempts},
  last_response_code = ${outcome.code},
  last_error = ${error},
  last_attempt_at = now(),
  next_attempt_at = case when ${delaySeconds}::float8 is null then null
                         else now() + make_interval(secs => ${delaySeconds}::float8) end,
  delivered_at = case when ${delivered} then now() end,
  locked_until = null
where id = ${delivery.id}`);
  return { status, responseCode: outcome.code, error };
}

export interface WebhookSender {
  /** Looks at the outbox now (the timer does it every pollMs). */
  tick(): void;
  /** Resolves when nothing is in flight (tests). */
  idle(): Promise<void>;
  /** Takes no new delivery and waits for those in flight. */
  stop(): Promise<void>;
}

/**
 * Sends due deliveries, up to `concurrency` at once, each as its own request with its own
 * timeout: a slow endpoint holds one slot for at most timeoutMs and never the others, and the API's
 * writes only ever insert outbox rows. Runs in the worker on PostgreSQL and in the API on the
 * embedded database.
 */
export function startWebhookSender(options: {
  db: Executor;
  settings: WebhookDeliverySettings;
  onAttempt?: (result: AttemptResult, delivery: { id: number; url: string }) => void;
  onError?: (error: unknown) => void;
}): WebhookSender {
  const { db, settings } = options;
  const inFlight = new Set<Promise<void>>();
  let claiming = false;
  let stopped = false;
  const leaseMs = settings.timeoutMs + 60_000;

  const tick = () => {
    if (stopped || claiming) return;
    const free = settings.concurrency - inFlight.size;
    if (free <= 0) return;
    claiming = true;
    claimDeliveries(db, free, leaseMs)
      .then((claimed) => {
        for (const delivery of claimed) {
          const running: Promise<void> = attempt(db, delivery, settings)
            .then((result) => options.onAttempt?.(result, delivery))
            .catch((error: unknown) => options.onError?.(error))
            .finally(() => {
              inFlight.delete(running);
              tick();
            });
          inFlight.add(running);
        }
        return claimed.length === free;
      })
      .catch((error: unknown) => {
        options.onError?.(error);
        return false;
      })
      .then((full) => {
        claiming = false;
        if (full) tick();
      });
  };

  const timer = setInterval(tick, settings.pollMs);
  timer.unref();
  tick();

  const idle = async () => {
    while (inFlight.size > 0 || claiming) await Promise.race([...inFlight, new Promise((r) => setTimeout(r, 10))]);
  };
  return {
    tick,
    idle,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await idle();
    },
  };
}
