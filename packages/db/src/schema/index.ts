export * from './directory.ts';
export * from './system.ts';
