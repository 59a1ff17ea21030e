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
    studyRecords: r.many.studyRecords({ from: r.cadres.id, to: r.studyRecords.cadreId }),
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
  campaigns: {
    dimensions: r.many.campaignDimensions({ from: r.campaigns.id, to: r.campaignDimensions.campaignId }),
    capabilities: r.many.campaignCapabilities({ from: r.campaigns.id, to: r.campaignCapabilities.campaignId }),
    expectedChanges: r.many.campaignExpectedChanges({
      from: r.campaigns.id,
      to: r.campaignExpectedChanges.campaignId,
    }),
    conductPairs: r.many.campaignConductPairs({ from: r.campaigns.id, to: r.campaignConductPairs.campaignId }),
    leadingGroups: r.many.leadingGroups({ from: r.campaigns.id, to: r.leadingGroups.campaignId }),
    supervisionCadences: r.many.supervisionCadences({ from: r.campaigns.id, to: r.supervisionCadences.campaignId }),
  },
  leadingGroups: {
    campaign: r.one.campaigns({ from: r.leadingGroups.campaignId, to: r.campaigns.id, optional: false }),
    organization: r.one.organizations({
      from: r.leadingGroups.organizationId,
      to: r.organizations.id,
      optional: false,
    }),
    office: r.one.organizations({ from: r.leadingGroups.officeOrganizationId, to: r.organizations.id }),
    members: r.many.leadingGroupMembers({ from: r.leadingGroups.id, to: r.leadingGroupMembers.leadingGroupId }),
  },
  leadingGroupMembers: {
    cadre: r.one.cadres({ from: r.leadingGroupMembers.cadreId, to: r.cadres.id, optional: false }),
  },
  activities: {
    campaign: r.one.campaigns({ from: r.activities.campaignId, to: r.campaigns.id, optional: false }),
    organizer: r.one.organizations({
      from: r.activities.organizerOrganizationId,
      to: r.organizations.id,
      optional: false,
    }),
    dimensions: r.many.campaignDimensions({
      from: r.activities.id.through(r.activityDimensions.activityId),
      to: r.campaignDimensions.id.through(r.activityDimensions.dimensionId),
    }),
    participants: r.many.activityParticipants({ from: r.activities.id, to: r.activityParticipants.activityId }),
    attendance: r.many.activityAttendance({ from: r.activities.id, to: r.activityAttendance.activityId }),
    studyRecords: r.many.studyRecords({ from: r.activities.id, to: r.studyRecords.activityId }),
    occurrences: r.many.activityOccurrences({ from: r.activities.id, to: r.activityOccurrences.activityId }),
  },
  activityParticipants: {
    cadre: r.one.cadres({ from: r.activityParticipants.cadreId, to: r.cadres.id, optional: false }),
  },
  activityAttendance: {
    cadre: r.one.cadres({ from: r.activityAttendance.cadreId, to: r.cadres.id, optional: false }),
  },
  problems: {
    campaign: r.one.campaigns({ from: r.problems.campaignId, to: r.campaigns.id, optional: false }),
    organization: r.one.organizations({ from: r.problems.organizationId, to: r.organizations.id, optional: false }),
    cadre: r.one.cadres({ from: r.problems.cadreId, to: r.cadres.id }),
    responsibleCadre: r.one.cadres({ from: r.problems.responsibleCadreId, to: r.cadres.id }),
    category: r.one.problemCategories({ from: r.problems.categoryId, to: r.problemCategories.id, optional: false }),
    inspection: r.one.activities({ from: r.problems.inspectionActivityId, to: r.activities.id }),
    transitions: r.many.problemTransitions({ from: r.problems.id, to: r.problemTransitions.problemId }),
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
  // Study (issue 6)
  studyRequirements: {
    campaign: r.one.campaigns({ from: r.studyRequirements.campaignCode, to: r.campaigns.code, optional: false }),
    groups: r.many.studyRequirementGroups({ from: r.studyRequirements.id, to: r.studyRequirementGroups.requirementId }),
  },
  studyRequirementGroups: {
    requirement: r.one.studyRequirements({
      from: r.studyRequirementGroups.requirementId,
      to: r.studyRequirements.id,
      optional: false,
    }),
    materials: r.many.studyMaterials({
      from: r.studyRequirementGroups.id.through(r.studyRequirementGroupMaterials.groupId),
      to: r.studyMaterials.id.through(r.studyRequirementGroupMaterials.materialId),
    }),
  },
  studyPlans: {
    organization: r.one.organizations({ from: r.studyPlans.organizationId, to: r.organizations.id, optional: false }),
    campaign: r.one.campaigns({ from: r.studyPlans.campaignCode, to: r.campaigns.code, optional: false }),
    topics: r.many.studyPlanTopics({ from: r.studyPlans.id, to: r.studyPlanTopics.planId }),
  },
  studyPlanTopics: {
    plan: r.one.studyPlans({ from: r.studyPlanTopics.planId, to: r.studyPlans.id, optional: false }),
    activity: r.one.activities({ from: r.studyPlanTopics.activityId, to: r.activities.id }),
  },
  studyRecords: {
    cadre: r.one.cadres({ from: r.studyRecords.cadreId, to: r.cadres.id, optional: false }),
    material: r.one.studyMaterials({ from: r.studyRecords.materialId, to: r.studyMaterials.id }),
    activity: r.one.activities({ from: r.studyRecords.activityId, to: r.activities.id }),
  },
  reminders: {
    organization: r.one.organizations({ from: r.reminders.organizationId, to: r.organizations.id, optional: false }),
  },
  notifications: {
    reminder: r.one.reminders({ from: r.notifications.reminderId, to: r.reminders.id, optional: false }),
    recipient: r.one.users({ from: r.notifications.recipientUserId, to: r.users.id, optional: false }),
  },
  webhookEndpoints: {
    organization: r.one.organizations({ from: r.webhookEndpoints.organizationId, to: r.organizations.id }),
  },
  webhookDeliveries: {
    endpoint: r.one.webhookEndpoints({
      from: r.webhookDeliveries.endpointId,
      to: r.webhookEndpoints.id,
      optional: false,
    }),
  },
}));

export type Relations = typeof relations;
