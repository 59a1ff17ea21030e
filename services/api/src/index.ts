export { openDatabase } from './bootstrap.ts';
export { type Env, loadEnv } from './env.ts';
export { API_ERROR_CODES } from './errors.ts';
export { createLogger, type Logger } from './logger.ts';
export { type App, createApp, listen, type RunningServer } from './server.ts';
