import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { GraphQLContext } from '@sixtype/graphql';
import type { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Logger } from './logger.ts';

/**
 * `/metrics` in Prometheus text: request counts and durations by operation (yoga's and envelop's
 * metrics), errors by `extensions.code`, queries in flight on the database, and Node's own
 * metrics (event-loop delay, heap, CPU). Each app has its own registry, so several apps in one
 * process (tests, a cluster worker) do not collide.
 */
export function useObservability(options: { logger: Logger }): Plugin<GraphQLContext>[] {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sixtype_' });
  const errorsByCode = new Counter({
    name: 'sixtype_graphql_errors_total',
    help: 'GraphQL errors sent to clients, by extensions.code',
    labelNames: ['code', 'operation'],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'sixtype_graphql_operations_in_flight',
    help: 'GraphQL operations being executed now (each holds at most one database connection at a time)',
    registers: [registry],
  });
  const prometheus: Plugin = usePrometheus({
    endpoint: '/metrics',
    registry,
    metrics: {
      graphql_yoga_http_duration: true,
      graphql_envelop_request: true,
      graphql_envelop_request_duration: true,
      graphql_envelop_phase_parse: true,
      graphql_envelop_phase_validate: true,
      graphql_envelop_phase_execute: true,
      graphql_envelop_error_result: true,
    },
  });
  // The prometheus plugin reads no context; it is typed for any.
  return [prometheus as Plugin<GraphQLContext>, requestLog({ logger: options.logger, errorsByCode, inFlight })];
}

/** One structured line per operation: request id, operation, viewer kind, duration, error codes. */
function requestLog(deps: { logger: Logger; errorsByCode: Counter; inFlight: Gauge }): Plugin<GraphQLContext> {
  return {
    onExecute({ args }) {
      const started = performance.now();
      const context = args.contextValue;
      const operation = args.operationName ?? operationNameOf(args.document) ?? 'anonymous';
      deps.inFlight.inc();
      return {
        onExecuteDone({ result }) {
          deps.inFlight.dec();
          const errors = 'errors' in result ? ((result.errors ?? []) as readonly GraphQLError[]) : [];
          const codes = errors.map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
          for (const code of codes) deps.errorsByCode.inc({ code, operation });
          deps.logger.info(
            {
              requestId: context.requestId,
              operation,
              viewer: context.viewer.kind,
              durationMs: Math.round((performance.now() - started) * 10) / 10,
              ...(codes.length > 0 ? { errors: codes } : {}),
            },
            'graphql operation',
          );
        },
      };
    },
  };
}

function operationNameOf(document: unknown): string | undefined {
  const definitions = (document as { definitions?: { kind: string; name?: { value: string } }[] }).definitions ?? [];
  return definitions.find((definition) => definition.kind === 'OperationDefinition')?.name?.value;
}
