export { type AuditActor, type AuditEntry, writeAuditEvent } from './audit.ts';
export {
  type CreateDbOptions,
  createDb,
  type Database,
  type DatabaseHandle,
  type Executor,
  migrationsFolder,
  type Transaction,
} from './client.ts';
export { DEMO_LOADED_KEY, demoCadres, demoOrganizations, loadDemoData } from './demo/index.ts';
export { isCheckViolation, isForeignKeyViolation, isUniqueViolation, pgErrorOf } from './errors.ts';
export {
  type DatabaseFault,
  databaseFaultOf,
  type PoolStats,
  PoolTimeoutError,
  QueryCancelledError,
  withQuerySignal,
} from './pool.ts';
export {
  activityOccursOn,
  expandOccurrences,
  isValidRecurrence,
  MAX_OCCURRENCES,
  OCCURRENCE_HORIZON_YEARS,
  writeOccurrences,
  zoneDay,
} from './recurrence.ts';
export { type Relations, relations } from './relations.ts';
export { lsnValue, type ReadNeeds, type ReplicaState } from './replicas.ts';
export * from './schema/index.ts';
