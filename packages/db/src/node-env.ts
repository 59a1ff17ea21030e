/** The NODE_ENV the API and the worker run under when none is set (the API's env.ts default). */
export const DEFAULT_NODE_ENV = 'production';

/**
 * Puts that default into `process.env` itself, for the libraries that read NODE_ENV once, as their
 * modules load: graphql-js takes its development path in every type test without it (the
 * multi-realm check behind each failed `instanceof`: a tenth of the CPU of a 1,000-row batch of
 * observations, measured in bench/src/cpu-per-request.ts). So each process's entry calls this first
 * and loads the rest after it (services/api/src/main.ts, services/worker/src/main.ts), and this
 * module imports nothing.
 */
export function applyNodeEnvDefault(env: NodeJS.ProcessEnv = process.env): void {
  if (env.NODE_ENV === undefined) env.NODE_ENV = DEFAULT_NODE_ENV;
}
