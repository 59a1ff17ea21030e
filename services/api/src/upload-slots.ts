import type { DatabaseHandle } from '@sixtype/db';

/**
 * Turns for bulk uploads. An upload holds a pooled connection from its first row to its commit,
 * so as many uploads at once as the pool has connections would leave none for /graphql. At most
 * `limit` uploads run at once; the rest wait in arrival order, each at most `timeoutMs`.
 */
export interface UploadSlots {
  /** A function that gives the turn back (once), or null when none came free in time or `signal` aborted. */
  acquire(signal?: AbortSignal): Promise<(() => void) | null>;
  readonly running: number;
  readonly waiting: number;
}

export const DEFAULT_UPLOAD_QUEUE_TIMEOUT_MS = 30_000;

/** Half the primary pool's connections, at least 1 (PGlite has one connection). */
export function defaultUploadConcurrency(database: Pick<DatabaseHandle, 'poolStats'>): number {
  const primary = database.poolStats().find((pool) => pool.name === 'primary');
  return Math.max(1, Math.floor((primary?.max ?? 1) / 2));
}

export function createUploadSlots(limit: number, timeoutMs: number): UploadSlots {
  let running = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    const next = queue.shift();
    // The turn passes straight to the next in line, so `running` stays as it is.
    if (next) next();
    else running--;
  };
  const turn = () => {
    let given = false;
    return () => {
      if (given) return;
      given = true;
      release();
    };
  };
  return {
    acquire(signal) {
      if (signal?.aborted) return Promise.resolve(null);
      if (running < limit) {
        running++;
        return Promise.resolve(turn());
      }
      return new Promise((resolve) => {
        const leave = () => {
          const at = queue.indexOf(grant);
          if (at >= 0) queue.splice(at, 1);
          clearTimeout(timer);
          signal?.removeEventListener('abort', leave);
          resolve(null);
        };
        const grant = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', leave);
          resolve(turn());
        };
        const timer = setTimeout(leave, timeoutMs);
        signal?.addEventListener('abort', leave, { once: true });
        queue.push(grant);
      });
    },
    get running() {
      return running;
    },
    get waiting() {
      return queue.length;
    },
  };
}
