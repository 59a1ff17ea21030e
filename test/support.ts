import { createApp, listen } from '@sixtype/api';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { createClient, type SixtypeClient } from '@sixtype/sdk';
import { pino } from 'pino';

export interface TestServer {
  url: string;
  client: SixtypeClient;
  database: TestDatabase;
  /** SQL statements the server sent since the last `statements.length = 0`. */
  statements: string[];
  close(): Promise<void>;
}

/** A real API on a free loopback port, over a database of its own, with the SDK as the client. */
export async function startTestServer(): Promise<TestServer> {
  const statements: string[] = [];
  const database = await openTestDatabase({ logger: { logQuery: (query) => statements.push(query) } });
  const app = createApp({ database, logger: pino({ level: 'silent' }), env: { NODE_ENV: 'test' } });
  const running = await listen(app, 0, '127.0.0.1');
  return {
    url: running.url,
    client: createClient({ url: running.url }),
    database,
    statements,
    async close() {
      await running.stop();
      await database.close();
    },
  };
}
