import type { DatabaseHandle, PoolStats } from '@sixtype/db';
import type { GraphQLContext } from '@sixtype/graphql';
import { type DocumentNode, type GraphQLError, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { databaseErrorCode } from './database.ts';
import type { Logger } from './logger.ts';

/**
 * `/metrics` in Prometheus text: request counts and durations by operation (yoga's and envelop's
 * metrics), errors by `extensions.code`, operations in flight, the PostgreSQL pools' connections
 * (in use, maximum, statements waiting for one), and Node's own metrics (event-loop delay, heap,
 * CPU). Each app has its own registry, so several apps in one process (tests) do not collide.
 */
export function useObservability(options: {
  logger: Logger;
  database?: Pick<DatabaseHandle, 'poolStats' | 'readers' | 'replicaStates'>;
  /** Operation names always labelled as themselves: the SDK's persisted operations, GraphiQL's examples. */
  knownOperations?: Iterable<string>;
  /** Webhook deliveries by status, read from the database when scraped. */
  webhookDeliveries?: () => Promise<Record<string, number>>;
  /** Reminders by rule, read from the database when scraped. */
  reminders?: () => Promise<Record<string, number>>;
}): Plugin<GraphQLContext>[] {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sixtype_' });
  if (options.webhookDeliveries) {
    countsGauge(registry, {
      name: 'sixtype_webhook_deliveries',
      help: 'Webhook deliveries in the outbox, by status',
      label: 'status',
      counts: options.webhookDeliveries,
    });
  }
  if (options.reminders) {
    countsGauge(registry, {
      name: 'sixtype_reminders',
      help: 'Reminders the rules have created, by rule (whichever process ran them)',
      label: 'rule',
      counts: options.reminders,
    });
  }
  const database = options.database;
  if (database) {
    // Read when scraped: each gauge sets one value per pool (`primary`, `replica1`, …).
    const poolGauge = (name: string, help: string, pick: (stats: PoolStats) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['pool'],
        registers: [registry],
        collect() {
          for (const stats of database.poolStats()) this.set({ pool: stats.name }, pick(stats));
        },
      });
    poolGauge('sixtype_db_pool_connections_max', 'Connections the pool may open', (stats) => stats.max);
    poolGauge(
      'sixtype_db_pool_connections_in_use',
      'Connections running a statement or transaction',
      (stats) => stats.inUse,
    );
    poolGauge('sixtype_db_pool_waiting', 'Statements waiting for a free connection', (stats) => stats.waiting);
    new Gauge({
      name: 'sixtype_db_serves_reads',
      help: 'Whether the pool serves queries now (1): the replicas that are up, or the primary when none is',
      labelNames: ['pool'],
      registers: [registry],
      collect() {
        const readers = new Set(database.readers());
        for (const stats of database.poolStats()) this.set({ pool: stats.name }, readers.has(stats.name) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'sixtype_db_replica_up',
      help: 'Whether the replica answered its last health check as a standby in recovery',
      labelNames: ['pool'],
      registers: [registry],
      collect() {
        for (const state of database.replicaStates()) this.set({ pool: state.name }, state.up ? 1 : 0);
      },
    });
    new Gauge({
      name: 'sixtype_db_replica_lag_bytes',
      help: 'WAL the primary had written and the replica had not replayed, at the last health check',
      labelNames: ['pool'],
      registers: [registry],
      collect() {
        for (const state of database.replicaStates()) {
          if (state.lagBytes !== null) this.set({ pool: state.name }, state.lagBytes);
        }
      },
    });
  }
  const operationLabel = boundedOperationLabel(options.knownOperations ?? []);
  const errorsByCode = new Counter({
    name: 'sixtype_graphql_errors_total',
    help: 'GraphQL errors sent to clients, by extensions.code',
    labelNames: ['code', 'operation'],
    registers: [registry],
  });
  const operationDuration = new Histogram({
    name: 'sixtype_graphql_operation_duration_seconds',
    help: 'GraphQL operations executed (the _count) and how long each took, by operation and type',
    labelNames: ['operation', 'type'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'sixtype_http_request_duration_seconds',
    help: 'HTTP requests answered and how long each took, by method and status',
    labelNames: ['method', 'status'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'sixtype_graphql_operations_in_flight',
    help: 'GraphQL operations being executed now (each holds at most one database connection at a time)',
    registers: [registry],
  });
  // The envelop phases by operation type, as @graphql-yoga/plugin-prometheus measured them (their
  // names, help and labels), and /metrics itself. Written here because that plugin spent more per
  // request than the rest of this file (label objects built and filtered in every phase, even for
  // metrics turned off); its other metrics were off, replaced by the sixtype_ ones above.
  const phases = phaseMetrics(registry);
  const httpTimer: Plugin = {
    onRequest({ request, url }) {
      if (url.pathname !== '/metrics') startedAt.set(request, performance.now());
    },
    onResponse({ request, response }) {
      const started = startedAt.get(request);
      if (started === undefined) return;
      httpDuration.observe(
        { method: request.method, status: String(response.status) },
        (performance.now() - started) / 1000,
      );
    },
  };
  const startedAt = new WeakMap<Request, number>();
  // These two read no context; they are typed for any.
  return [
    phases as Plugin<GraphQLContext>,
    httpTimer as Plugin<GraphQLContext>,
    requestLog({ logger: options.logger, errorsByCode, inFlight, operationDuration, operationLabel }),
  ];
}

/**
 * `graphql_envelop_phase_parse`, `_validate` and `_execute` (seconds, by `operationType`: that of
 * the document's first operation), and `GET /metrics`. A parse that fails is counted without a
 * label; a document that does not parse is not validated or executed, so those count only documents.
 */
function phaseMetrics(registry: Registry): Plugin {
  const histogram = (phase: 'parse' | 'validate' | 'execute', help: string) =>
    new Histogram({
      name: `graphql_envelop_phase_${phase}`,
      help,
      labelNames: ['operationType'],
      registers: [registry],
    });
  const parse = histogram('parse', 'Time spent on running GraphQL "parse" function');
  const validate = histogram('validate', 'Time spent on running GraphQL "validate" function');
  const execute = histogram('execute', 'Time spent on running the GraphQL "execute" function');
  // The operation type of each parsed request's document, from its parse to its execution.
  const typeByContext = new WeakMap<object, string>();
  const seconds = (started: number) => (performance.now() - started) / 1000;
  return {
    onRequest({ url, fetchAPI, endResponse }) {
      if (url.pathname !== '/metrics') return;
      return registry
        .metrics()
        .then((text) =>
          endResponse(new fetchAPI.Response(text, { headers: { 'Content-Type': registry.contentType } })),
        );
    },
    onParse({ context }) {
      const started = performance.now();
      return ({ result }) => {
        if (result === null || result instanceof Error) {
          parse.observe(seconds(started));
          return;
        }
        const operationType = firstOperationTypeOf(result);
        if (operationType === undefined) return;
        typeByContext.set(context, operationType);
        parse.observe({ operationType }, seconds(started));
      };
    },
    onValidate({ context }) {
      const operationType = typeByContext.get(context);
      if (operationType === undefined) return;
      const started = performance.now();
      return () => validate.observe({ operationType }, seconds(started));
    },
    onExecute({ args }) {
      const operationType = typeByContext.get(args.contextValue as object);
      if (operationType === undefined) return;
      const started = performance.now();
      return { onExecuteDone: () => execute.observe({ operationType }, seconds(started)) };
    },
  };
}

function firstOperationTypeOf(document: DocumentNode): string | undefined {
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) return definition.operation;
  }
  return undefined;
}

/** Seconds: from a cached lookup to a request that ran into the statement timeout. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Distinct ad-hoc operation names labelled as themselves before the rest count as `other`. */
export const MAX_AD_HOC_OPERATION_LABELS = 100;

/**
 * A metric label for an operation name that cannot grow without bound: known names as they are,
 * the first MAX_AD_HOC_OPERATION_LABELS other names too (an admin's queries in GraphiQL), then
 * `other`. Names come from clients, so without a cap anyone could fill memory with label sets.
 */
export function boundedOperationLabel(known: Iterable<string>): (name: string | undefined) => string {
  const allowed = new Set(known);
  const adHoc = new Set<string>();
  return (name) => {
    if (!name) return 'anonymous';
    if (allowed.has(name) || adHoc.has(name)) return name;
    if (adHoc.size < MAX_AD_HOC_OPERATION_LABELS && /^[_A-Za-z][_0-9A-Za-z]{0,99}$/.test(name)) {
      adHoc.add(name);
      return name;
    }
    return 'other';
  };
}

/** One structured line per operation: request id, operation, viewer kind, duration, error codes. */
function requestLog(deps: {
  logger: Logger;
  errorsByCode: Counter;
  inFlight: Gauge;
  operationDuration: Histogram;
  operationLabel: (name: string | undefined) => string;
}): Plugin<GraphQLContext> {
  return {
    onExecute({ args }) {
      const started = performance.now();
      const context = args.contextValue;
      const name = args.operationName ?? operationNameOf(args.document);
      const operation = name ?? 'anonymous';
      const label = deps.operationLabel(name);
      const type = operationTypeOf(args.document, args.operationName);
      deps.inFlight.inc();
      return {
        onExecuteDone({ result }) {
          deps.inFlight.dec();
          const seconds = (performance.now() - started) / 1000;
          deps.operationDuration.observe({ operation: label, type }, seconds);
          const errors = 'errors' in result ? ((result.errors ?? []) as readonly GraphQLError[]) : [];
          // Before masking: a database fault is counted under the code its client receives.
          const codes = errors.map((error) =>
            String(error.extensions?.code ?? databaseErrorCode(error.originalError) ?? 'INTERNAL_SERVER_ERROR'),
          );
          for (const code of codes) deps.errorsByCode.inc({ code, operation: label });
          deps.logger.info(
            {
              requestId: context.requestId,
              operation,
              viewer: context.viewer.kind,
              durationMs: Math.round(seconds * 10_000) / 10,
              ...(codes.length > 0 ? { errors: codes } : {}),
            },
            'graphql operation',
          );
        },
      };
    },
  };
}

function operationTypeOf(document: unknown, name: string | null | undefined): string {
  const definitions =
    (document as { definitions?: { kind: string; operation?: string; name?: { value: string } }[] }).definitions ?? [];
  const operation = definitions.find(
    (definition) => definition.kind === 'OperationDefinition' && (!name || definition.name?.value === name),
  );
  return operation?.operation ?? 'unknown';
}

function operationNameOf(document: unknown): string | undefined {
  const definitions = (document as { definitions?: { kind: string; name?: { value: string } }[] }).definitions ?? [];
  return definitions.find((definition) => definition.kind === 'OperationDefinition')?.name?.value;
}

/**
 * A gauge of rows counted in the database when scraped: `sixtype_webhook_deliveries{status}` (the
 * outbox by status) and `sixtype_reminders{rule}`, the same figure on every process whoever wrote the
 * rows. A scrape while the database is away leaves the last values.
 */
function countsGauge(
  registry: Registry,
  options: { name: string; help: string; label: string; counts: () => Promise<Record<string, number>> },
) {
  return new Gauge({
    name: options.name,
    help: options.help,
    labelNames: [options.label],
    registers: [registry],
    async collect() {
      try {
        for (const [value, n] of Object.entries(await options.counts())) this.set({ [options.label]: value }, n);
      } catch {
        // Keeps the last values: /metrics answers while the database is down.
      }
    },
  });
}
