import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from '@graphql-yoga/subscription';
import type { EventBus, EventTopics } from '@sixtype/graphql';
import { Redis } from 'ioredis';

type Channels = { [K in keyof EventTopics]: [EventTopics[K]] };

/**
 * Publishes through the same Redis channels as the API's event bus, so a notification a job
 * creates reaches the subscriber connected to any API process. Without Redis there is nobody in
 * this process to hear it: subscribers then see new notifications on their next read of the feed.
 */
export function createWorkerEventBus(redisUrl: string | undefined): { bus?: EventBus; close(): Promise<void> } {
  if (!redisUrl) return { close: async () => {} };
  const publishClient = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(redisUrl, { maxRetriesPerRequest: 3, lazyConnect: true });
  const pubsub = createPubSub<Channels>({ eventTarget: createRedisEventTarget({ publishClient, subscribeClient }) });
  return {
    bus: {
      publish: (topic, event) => pubsub.publish(topic, event as never),
      subscribe: (topic) => pubsub.subscribe(topic) as AsyncIterable<never>,
    },
    async close() {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
