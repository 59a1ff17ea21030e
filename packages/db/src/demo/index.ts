import { eq, sql } from 'drizzle-orm';
import type { Database } from '../client.ts';
import { maintainMetricPartitions } from '../partitions.ts';
import { cadres, organizations } from '../schema/directory.ts';
import { metricDefinitions, metricObservations } from '../schema/metrics.ts';
import { systemSettings } from '../schema/system.ts';
import { loadCampaignDemo } from './campaign.ts';
import { demoCadres, demoOrganizations } from './directory.ts';
import { demoMetrics, demoObservations } from './metrics.ts';
import { loadStudyDemoData } from './study.ts';

export type { DemoCadre, DemoOrganization, Provenance } from './directory.ts';
export { demoCadres, demoOrganizations } from './directory.ts';
export type { DemoMetric, DemoObservation } from './metrics.ts';
export { demoMetrics, demoObservations } from './metrics.ts';
export * from './study.ts';

export const DEMO_LOADED_KEY = 'demo_data_loaded_at';

/**
 * Loads the demo data once per database. The marker row is claimed in the same transaction as
 * the data, so two processes starting together, or a later restart, never load it twice.
 * Returns whether this call loaded it.
 */
export async function loadDemoData(db: Database): Promise<boolean> {
  return db.transaction(async (tx) => {
    const claimed = await tx
      .insert(systemSettings)
      .values({ key: DEMO_LOADED_KEY, value: sql`now()::text` })
      .onConflictDoNothing()
      .returning({ key: systemSettings.key });
    if (claimed.length === 0) return false;

    const existing = await tx.select({ id: organizations.id }).from(organizations).limit(1);
    if (existing.length > 0) {
      // A database that already has real units keeps them; demo units would only confuse it.
      await tx
        .update(systemSettings)
        .set({ value: 'skipped: database not empty' })
        .where(eq(systemSettings.key, DEMO_LOADED_KEY));
      return false;
    }

    const byCode = new Map<string, { id: number; path: string }>();
    for (const [sortOrder, org] of demoOrganizations.entries()) {
      const parent = org.parentCode ? byCode.get(org.parentCode) : undefined;
      const path = parent ? `${parent.path}.${org.code}` : org.code;
      const [row] = await tx
        .insert(organizations)
        .values({ code: org.code, name: org.name, kind: org.kind, parentId: parent?.id ?? null, path, sortOrder })
        .returning({ id: organizations.id });
      if (!row) throw new Error(`demo organization ${org.code} was not inserted`);
      byCode.set(org.code, { id: row.id, path });
    }

    await tx.insert(cadres).values(
      demoCadres.map(({ organizationCode, ...cadre }) => {
        const org = byCode.get(organizationCode);
        if (!org) throw new Error(`demo cadre ${cadre.employeeNumber} names unknown unit ${organizationCode}`);
        return { ...cadre, organizationId: org.id };
      }),
    );

    const metricIds = new Map<string, number>();
    // The document's figures are what its report is about: each one is a headline figure.
    for (const [sortOrder, metric] of demoMetrics.entries()) {
      const [row] = await tx
        .insert(metricDefinitions)
        .values({ ...metric, sortOrder, headline: true })
        .returning({ id: metricDefinitions.id });
      if (row) metricIds.set(metric.code, row.id);
    }
    await tx.insert(metricObservations).values(
      demoObservations.map(({ metricCode, orgCode, provenance: _provenance, ...observation }) => ({
        ...observation,
        metricId: metricIds.get(metricCode) ?? 0,
        organizationId: byCode.get(orgCode)?.id ?? 0,
        revision: 1,
        submittedByKind: 'SYSTEM' as const,
        submittedById: 'demo',
      })),
    );
    await loadCampaignDemo(tx, byCode);
    await loadStudyDemoData(tx);
    // The document's years get partitions of their own, as the next migrate would give them.
    await maintainMetricPartitions(tx);
    return true;
  });
}
