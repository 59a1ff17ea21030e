import { registerRollback } from './test-support.ts';

// Every test runs in its own transaction, rolled back at its end (test-support.ts RollbackScopes).
registerRollback();
