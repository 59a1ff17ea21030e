export * from './access.ts';
export * from './directory.ts';
export * from './metrics.ts';
export * from './system.ts';
