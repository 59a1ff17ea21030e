// The API's server for the benchmark, started as npm start starts the API (services/api's main.ts):
// NODE_ENV's default in the environment before graphql loads, then the server (api-serve.ts).
import { applyNodeEnvDefault } from '@sixtype/db/node-env';

applyNodeEnvDefault();
await import('./api-serve.ts');
