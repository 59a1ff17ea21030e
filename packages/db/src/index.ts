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
export {
  adoptRecordedTimeZone,
  type ClockSettings,
  configureClock,
  DEFAULT_TIME_ZONE,
  fixClock,
  instantOfWallClock,
  isTimeZoneName,
  now,
  recordTimeZone,
  resetClock,
  TIME_ZONE_KEY,
  timeZone,
  timeZoneSql,
  today,
  wallClockOf,
  zoneDay,
} from './clock.ts';
export { DEMO_LOADED_KEY, demoCadres, demoOrganizations, loadDemoData } from './demo/index.ts';
export { isCheckViolation, isForeignKeyViolation, isUniqueViolation, pgErrorOf } from './errors.ts';
export { ensureMetricPartition, isObservationRevisionKey, maintainMetricPartitions } from './partitions.ts';
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
  occurrenceHorizon,
  TooManyOccurrencesError,
  writeOccurrences,
} from './recurrence.ts';
export { type Relations, relations } from './relations.ts';
export { lsnValue, type ReadNeeds, type ReplicaState } from './replicas.ts';
export * from './schema/index.ts';
