export * from './access.ts';
export * from './campaign.ts';
export { CODE_PATTERN, CODE_PATTERN_MESSAGE, codePattern } from './columns.ts';
export * from './directory.ts';
export * from './jobs.ts';
export * from './metrics.ts';
export * from './notifications.ts';
export * from './study.ts';
export * from './system.ts';
