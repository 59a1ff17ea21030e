import { sql } from 'drizzle-orm';
import { builder } from '../../builder.ts';
import { writeAccessOf } from '../../context.ts';
import { mutationErrors } from '../common/errors.ts';
import { databaseIdOf } from '../common/ids.ts';
import { checkedArg } from '../common/validation.ts';
import { createStudyPlan, markStudyPlanTopicHeld, type StudyPlanRow } from './plan.service.ts';
import { yearArg } from './study.service.ts';
import { StudyMethod } from './study.ts';

export const StudyPlanTopic = builder.drizzleObject('studyPlanTopics', {
  name: 'StudyPlanTopic',
  description: 'One month’s topic of a center group plan (中心组 12个专题, 每月集中学习).',
  fields: (t) => ({
    month: t.exposeInt('month'),
    title: t.exposeString('title'),
    readings: t.exposeString('readings', { nullable: true, description: '必读文献' }),
    keyPoints: t.exposeString('keyPoints', { nullable: true, description: '学习要点' }),
    method: t.expose('method', { type: StudyMethod, description: '学习方式' }),
    heldOn: t.expose('heldOn', { type: 'Date', nullable: true, description: 'When it was held; null while to come.' }),
    activity: t.relation('activity', {
      nullable: true,
      description: 'The activity (the center group’s meeting) at which it was held, when recorded.',
    }),
  }),
});

export const StudyPlan = builder.drizzleObject('studyPlans', {
  name: 'StudyPlan',
  description: 'A unit’s study plan for a campaign year.',
  fields: (t) => ({
    organization: t.relation('organization'),
    campaign: t.relation('campaign'),
    campaignCode: t.exposeString('campaignCode'),
    year: t.exposeInt('year'),
    title: t.exposeString('title'),
    topics: t.relation('topics', { query: { orderBy: { month: 'asc' } } }),
    // Counted in the plan's own row (the plugin's relation counts cost a statement of their own here).
    topicsHeld: t.int({
      description: 'Progress: topics held so far.',
      select: {
        extras: {
          topicsHeld: (table) =>
            sql<number>`(select count(*)::int from study_plan_topics held where held.plan_id = ${table.id} and held.held_on is not null)`,
        },
      },
      resolve: (plan) => plan.topicsHeld,
    }),
    topicsPlanned: t.int({
      select: {
        extras: {
          topicsPlanned: (table) =>
            sql<number>`(select count(*)::int from study_plan_topics planned where planned.plan_id = ${table.id})`,
        },
      },
      resolve: (plan) => plan.topicsPlanned,
    }),
  }),
});

builder.queryFields((t) => ({
  studyPlan: t.drizzleField({
    type: 'studyPlans',
    nullable: true,
    description: 'A unit’s study plan for a campaign year, with its topics and progress; null when there is none.',
    authScopes: { directoryRead: true },
    args: {
      orgCode: t.arg.string({ required: true }),
      campaignCode: t.arg.string({ required: true }),
      year: t.arg.int({ required: true }),
    },
    resolve: (query, _root, args, ctx) =>
      ctx.db.query.studyPlans.findFirst(
        query({
          where: {
            campaignCode: args.campaignCode,
            year: checkedArg(yearArg, args.year, 'year'),
            organization: { code: args.orgCode },
          },
        }),
      ),
  }),
}));

const StudyPlanTopicInput = builder.inputType('StudyPlanTopicInput', {
  fields: (t) => ({
    month: t.int({ required: true }),
    title: t.string({ required: true }),
    readings: t.string(),
    keyPoints: t.string(),
    method: t.field({ type: StudyMethod }),
  }),
});

const CreateStudyPlanInput = builder.inputType('CreateStudyPlanInput', {
  fields: (t) => ({
    orgCode: t.string({ required: true }),
    campaignCode: t.string({ required: true }),
    year: t.int({ required: true }),
    title: t.string({ required: true }),
    topics: t.field({ type: [StudyPlanTopicInput], required: true }),
  }),
});

const MarkStudyPlanTopicHeldInput = builder.inputType('MarkStudyPlanTopicHeldInput', {
  fields: (t) => ({
    orgCode: t.string({ required: true }),
    campaignCode: t.string({ required: true }),
    year: t.int({ required: true }),
    month: t.int({ required: true }),
    heldOn: t.field({
      type: 'Date',
      description:
        'The day it was held; null (with no activity) clears it. With an activity, defaults to a one-off’s day.',
    }),
    activityId: t.globalID({
      description: 'The activity at which it was held, organized by the plan’s unit or a unit above it.',
    }),
  }),
});

const StudyPlanPayload = (name: string) =>
  builder.objectRef<{ plan: StudyPlanRow }>(name).implement({
    fields: (t) => ({
      plan: t.drizzleField({
        type: 'studyPlans',
        resolve: (query, payload, _args, ctx) =>
          ctx.db.query.studyPlans
            .findFirst(query({ where: { id: payload.plan.id } }))
            .then((row) => row ?? Promise.reject(new Error(`study plan ${payload.plan.id} vanished after its write`))),
      }),
    }),
  });

builder.mutationFields((t) => ({
  createStudyPlan: t.field({
    type: StudyPlanPayload('CreateStudyPlanPayload'),
    description: 'A unit’s study plan for a year with its monthly topics (managers of the unit’s subtree, admins).',
    authScopes: { directoryWrite: true },
    args: { input: t.arg({ type: CreateStudyPlanInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'CreateStudyPlanResult' } },
    resolve: async (_root, { input }, ctx) => ({
      plan: await createStudyPlan(ctx.db, writeAccessOf(ctx.viewer), input),
    }),
  }),
  markStudyPlanTopicHeld: t.field({
    type: StudyPlanPayload('MarkStudyPlanTopicHeldPayload'),
    description: 'Records the day a month’s topic was held (plan progress).',
    authScopes: { directoryWrite: true },
    args: { input: t.arg({ type: MarkStudyPlanTopicHeldInput, required: true }) },
    errors: {
      types: [...mutationErrors],
      directResult: true,
      union: { name: 'MarkStudyPlanTopicHeldResult' },
    },
    resolve: async (_root, { input }, ctx) => ({
      plan: await markStudyPlanTopicHeld(ctx.db, writeAccessOf(ctx.viewer), {
        ...input,
        heldOn: input.heldOn ?? null,
        activityId: databaseIdOf(input.activityId ?? null, 'Activity'),
      }),
    }),
  }),
}));
