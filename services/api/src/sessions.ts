import type { SessionCache } from '@sixtype/graphql';
import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

export const SESSION_ENDED_CHANNEL = 'sixtype:session-ended';

export interface SessionRevocations {
  /** Resolves once this process listens for sessions ended elsewhere (at once without Redis). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Shares ended sessions between API processes through Redis pub/sub: each session this process
 * ends (logout) is published, and each one published by another process is forgotten by this
 * process's session cache at once (packages/graphql/src/modules/access/session-cache.ts). Without
 * Redis, or while it is away, another process forgets it when its cached entry runs out
 * (SESSION_CACHE_TTL_MS); after a lost connection the whole cache is dropped, since messages may
 * have been missed meanwhile.
 */
export function shareSessionRevocations(
  cache: SessionCache,
  options: { redisUrl?: string | undefined; logger: Logger },
): SessionRevocations {
  if (!options.redisUrl) return { ready: () => Promise.resolve(), close: async () => {} };
  // A subscribed connection can do nothing else, so publishing needs a second one.
  const publisher = new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const subscriber = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  let lastLogged = 0;
  const onError = (error: Error) => {
    if (Date.now() - lastLogged < 60_000) return;
    lastLogged = Date.now();
    options.logger.warn(
      { err: error },
      'session revocations (Redis) unavailable; other processes forget within the TTL',
    );
  };
  publisher.on('error', onError);
  subscriber.on('error', onError);

  let connectedBefore = false;
  const subscribed = new Promise<void>((resolve) => {
    subscriber.on('ready', () => {
      if (connectedBefore) {
        // Reconnected: whatever was published while away is lost, so nothing cached is trusted.
        cache.clear();
      }
      connectedBefore = true;
      subscriber.subscribe(SESSION_ENDED_CHANNEL).then(
        () => resolve(),
        (error: Error) => onError(error),
      );
    });
  });
  subscriber.on('message', (channel: string, sessionId: string) => {
    if (channel === SESSION_ENDED_CHANNEL) cache.forget(sessionId);
  });
  const unsubscribe = cache.onEnded((sessionId) => {
    publisher.publish(SESSION_ENDED_CHANNEL, sessionId).catch(onError);
  });

  return {
    ready: () => subscribed,
    async close() {
      unsubscribe();
      for (const client of [publisher, subscriber]) {
        if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
        else client.disconnect();
      }
    },
  };
}
