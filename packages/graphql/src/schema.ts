import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.ts';
import './modules/common/errors.ts';
import './modules/directory/organization.ts';
import './modules/directory/cadre.ts';
import './modules/access/access.ts';
import './modules/metrics/metrics.ts';
import './modules/metrics/ranking.ts';
import './modules/metrics/series.ts';
import './modules/metrics/writes.ts';
import './modules/metrics/subscription.ts';
import './modules/access/admin.ts';
import './modules/audit/audit.ts';
import './modules/study/study.ts';
import './modules/study/compliance.ts';
import './modules/study/compliance.derivation.ts';
import './modules/study/plan.ts';
import './modules/campaign/activity.ts';
import './modules/campaign/activity-counts.ts';
import './modules/campaign/campaign.ts';
import './modules/campaign/problem.ts';
import './modules/notifications/notifications.ts';
import './modules/report/report.ts';
import './modules/webhooks/webhooks.ts';

export const schema = builder.toSchema();
/** The schema with types and fields in alphabetical order, as printed to schema.graphql. */
export const sortedSchema = lexicographicSortSchema(schema);
