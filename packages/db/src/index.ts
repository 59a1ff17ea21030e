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
export { type Relations, relations } from './relations.ts';
export * from './schema/index.ts';
