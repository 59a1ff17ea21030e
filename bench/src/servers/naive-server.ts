import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';
import postgres from 'postgres';
import { complianceModule } from './naive/compliance.ts';
import { directoryModule } from './naive/directory.ts';
import { metricsModule } from './naive/metrics.ts';
import { createStats, serveComparator } from './stats.ts';

/**
 * The naive comparator: the same GraphQL shapes (S0–S6) served the way a resolver-per-field server
 * usually is, one query per parent row and per connection count, without a planner or a
 * DataLoader. It checks no credentials, which only flatters it.
 */
const databaseUrl = process.argv[2] as string;
const stats = createStats();
const sql = postgres(databaseUrl, {
  max: Number(process.argv[3] ?? 10),
  onnotice: () => {},
  debug: () => stats.statement(),
});

const modules = [directoryModule(sql), metricsModule(sql), complianceModule(sql)];
const schema = createSchema({
  typeDefs: modules.map((module) => module.typeDefs),
  resolvers: modules.map((module) => module.resolvers),
});

const yoga = createYoga({ schema, graphqlEndpoint: '/graphql', landingPage: false, graphiql: false, logging: false });
const server = createServer((request, response) => {
  if (stats.handle(request, response)) return;
  stats.request();
  yoga(request, response);
});
serveComparator(server, () => sql.end({ timeout: 2 }));
