import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from '@graphql-yoga/subscription';
import type { EventBus, EventTopics } from '@sixtype/graphql';
import { Redis } from 'ioredis';

type Channels = { [K in keyof EventTopics]: [EventTopics[K]] };

export interface RunningEventBus {
  bus: EventBus;
  close(): Promise<void>;
}

/**
 * Events within one process, or through Redis when REDIS_URL is set, so a subscriber connected to
 * one API process receives what a client wrote through another.
 */
export function createEventBus(redisUrl?: string): RunningEventBus {
  let close = async () => {};
  let pubsub = createPubSub<Channels>();
  if (redisUrl) {
    // Publishing and subscribing need separate connections: a subscribed Redis connection can do nothing else.
    const publishClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
    const subscribeClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
    pubsub = createPubSub<Channels>({
      eventTarget: createRedisEventTarget({ publishClient, subscribeClient }),
    });
    close = async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    };
  }
  return {
    bus: {
      publish: (topic, event) => pubsub.publish(topic, event as never),
      subscribe: (topic) => pubsub.subscribe(topic) as AsyncIterable<never>,
    },
    close,
  };
}
