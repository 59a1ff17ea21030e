import { defineRelations } from 'drizzle-orm';
import * as schema from './schema/index.ts';

export const relations = defineRelations(schema, (r) => ({
  organizations: {
    parent: r.one.organizations({
      from: r.organizations.parentId,
      to: r.organizations.id,
    }),
    children: r.many.organizations({
      from: r.organizations.id,
      to: r.organizations.parentId,
    }),
    cadres: r.many.cadres({
      from: r.organizations.id,
      to: r.cadres.organizationId,
    }),
    ancestors: r.many.organizations({
      from: r.organizations.id.through(r.organizationAncestry.organizationId),
      to: r.organizations.id.through(r.organizationAncestry.ancestorId),
    }),
  },
  cadres: {
    organization: r.one.organizations({
      from: r.cadres.organizationId,
      to: r.organizations.id,
      optional: false,
    }),
    transfers: r.many.cadreTransfers({
      from: r.cadres.id,
      to: r.cadreTransfers.cadreId,
    }),
  },
  users: {
    organization: r.one.organizations({ from: r.users.organizationId, to: r.organizations.id }),
    cadre: r.one.cadres({ from: r.users.cadreId, to: r.cadres.id }),
  },
  apiClients: {
    organization: r.one.organizations({ from: r.apiClients.organizationId, to: r.organizations.id }),
  },
  metricDefinitions: {
    ownerOrganization: r.one.organizations({
      from: r.metricDefinitions.ownerOrganizationId,
      to: r.organizations.id,
    }),
  },
  metricObservations: {
    metric: r.one.metricDefinitions({
      from: r.metricObservations.metricId,
      to: r.metricDefinitions.id,
      optional: false,
    }),
    organization: r.one.organizations({
      from: r.metricObservations.organizationId,
      to: r.organizations.id,
      optional: false,
    }),
  },
  metricTargets: {
    metric: r.one.metricDefinitions({ from: r.metricTargets.metricId, to: r.metricDefinitions.id, optional: false }),
    organization: r.one.organizations({
      from: r.metricTargets.organizationId,
      to: r.organizations.id,
      optional: false,
    }),
  },
  cadreTransfers: {
    cadre: r.one.cadres({
      from: r.cadreTransfers.cadreId,
      to: r.cadres.id,
      optional: false,
    }),
    fromOrganization: r.one.organizations({
      from: r.cadreTransfers.fromOrganizationId,
      to: r.organizations.id,
      optional: false,
    }),
    toOrganization: r.one.organizations({
      from: r.cadreTransfers.toOrganizationId,
      to: r.organizations.id,
      optional: false,
    }),
  },
}));

export type Relations = typeof relations;
