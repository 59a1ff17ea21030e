// The worker's entry: NODE_ENV's default goes into the environment before graphql-js loads (its
// tasks load it with @sixtype/graphql, and the monthly report runs the schema;
// packages/db/src/node-env.ts says why), then it starts (serve.ts).
import { applyNodeEnvDefault } from '@sixtype/db/node-env';

applyNodeEnvDefault();
await import('./serve.ts');
