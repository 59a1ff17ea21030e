export * from './directory.ts';
export * from './access.ts';
export * from './system.ts';
