import { createApp, listen } from '@sixtype/api';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { createUser, loadTokenSecret, login, SYSTEM_ACCESS } from '@sixtype/graphql';
import { createClient, type SixtypeClient } from '@sixtype/sdk';
import { pino } from 'pino';

export const ADMIN = { username: 'e2e.admin', password: 'e2e admin password' } as const;

export interface TestServer {
  url: string;
  /** Signed in as an admin. */
  client: SixtypeClient;
  database: TestDatabase;
  tokenSecret: string;
  /** SQL statements the server sent since the last `statements.length = 0`. */
  statements: string[];
  close(): Promise<void>;
}

/** A real API on a free loopback port, over a database of its own, with the SDK as the client. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const statements: string[] = [];
  const database = await openTestDatabase({ logger: { logQuery: (query) => statements.push(query) } });
  const tokenSecret = await loadTokenSecret(database.db);
  await createUser(database.db, SYSTEM_ACCESS.actor, { ...ADMIN, role: 'ADMIN' });
  const { token } = await login(database.db, tokenSecret, ADMIN);
  const app = createApp({
    database,
    logger: pino({ level: 'silent' }),
    env: { NODE_ENV: 'test', ...env },
    tokenSecret,
  });
  const running = await listen(app, 0, '127.0.0.1');
  return {
    url: running.url,
    client: createClient({ url: running.url, token }),
    database,
    tokenSecret,
    statements,
    async close() {
      await running.stop();
      await database.close();
    },
  };
}

/** Statements other than the per-request credential check (one lookup of the session or key). */
export const dataStatements = (statements: readonly string[]) =>
  statements.filter((statement) => !/from "sessions"|from "api_clients"/.test(statement));
