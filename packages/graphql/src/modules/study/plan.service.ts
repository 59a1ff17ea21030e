import {
  activityOccursOn,
  type Executor,
  studyLimits,
  studyMethods,
  studyPlans,
  studyPlanTopics,
  writeAuditEvent,
  zoneDay,
} from '@sixtype/db';
import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { pathWithin, type WriteAccess } from '../../context.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.ts';
import { findLinkedActivity } from '../campaign/activity.service.ts';
import { findCampaignId, findWritableOrganization } from '../campaign/campaign.service.ts';
import { inTransaction } from '../common/transactions.ts';
import { calendarDay, codeSchema, parseInput, type Raw } from '../common/validation.ts';

export type StudyPlanRow = typeof studyPlans.$inferSelect;

const code = codeSchema;
const title = z.string().trim().min(1, 'must not be empty').max(studyLimits.titleMaxLength);
const longText = z
  .string()
  .trim()
  .max(studyLimits.textMaxLength)
  .nullish()
  .transform((value) => (value === '' ? null : value));
const month = z.number().int().min(1, 'must be 1 to 12').max(12, 'must be 1 to 12');

const topicInput = z.object({
  month,
  title,
  readings: longText,
  keyPoints: longText,
  method: z.enum(studyMethods).nullish(),
});

const createStudyPlanInput = z
  .object({
    orgCode: code,
    campaignCode: code,
    year: z.number().int().min(1949).max(2200),
    title,
    topics: z.array(topicInput).max(12, 'a plan has at most one topic a month'),
  })
  .superRefine((input, ctx) => {
    const seen = new Set<number>();
    for (const [index, topic] of input.topics.entries()) {
      if (seen.has(topic.month)) {
        ctx.addIssue({ code: 'custom', path: ['topics', index, 'month'], message: 'one topic per month' });
      }
      seen.add(topic.month);
    }
  });

const markTopicHeldInput = z.object({
  orgCode: code,
  campaignCode: code,
  year: z.number().int().min(1949).max(2200),
  month,
  heldOn: calendarDay.nullable(),
  /** Database id of the activity at which it was held; -1 stands for an id of another type. */
  activityId: z.number().int().nullish(),
});

export type CreateStudyPlanInput = Omit<Raw<z.input<typeof createStudyPlanInput>>, 'topics'> & {
  topics: readonly Raw<z.input<typeof topicInput>>[];
};
export type MarkStudyPlanTopicHeldInput = Raw<z.input<typeof markTopicHeldInput>>;

/** A unit's plan for a year with its monthly topics; a second plan for the same unit and year is a conflict. */
export async function createStudyPlan(db: Executor, access: WriteAccess, rawInput: CreateStudyPlanInput) {
  const input = parseInput(createStudyPlanInput, rawInput);
  return inTransaction(db, async (tx) => {
    const unit = await findWritableOrganization(tx, input.orgCode, access);
    await findCampaignId(tx, input.campaignCode);
    const [plan] = await tx
      .insert(studyPlans)
      .values({ organizationId: unit.id, campaignCode: input.campaignCode, year: input.year, title: input.title })
      .onConflictDoNothing()
      .returning();
    if (!plan) throw new ConflictError(`${input.orgCode} already has a plan for ${input.campaignCode} ${input.year}`);
    const topics =
      input.topics.length === 0
        ? []
        : await tx
            .insert(studyPlanTopics)
            .values(
              input.topics.map((topic) => ({
                planId: plan.id,
                month: topic.month,
                title: topic.title,
                readings: topic.readings ?? null,
                keyPoints: topic.keyPoints ?? null,
                method: topic.method ?? 'CONCENTRATED',
              })),
            )
            .returning();
    await writeAuditEvent(tx, access.actor, {
      operation: 'createStudyPlan',
      entityType: 'StudyPlan',
      entityId: plan.id,
      after: { ...plan, topics },
    });
    return plan;
  });
}

/**
 * A topic held at an activity: one organized by the plan's unit or a unit above it (a session the
 * unit attended), taking place on `heldOn`. Left out, `heldOn` is a one-off activity's day; a
 * recurring activity needs the day of the occurrence named.
 */
async function heldAtActivity(tx: Executor, unitPath: string, activityId: number, heldOn: string | null) {
  const activity = await findLinkedActivity(tx, activityId);
  if (!pathWithin(unitPath, activity.organizerPath)) {
    throw ValidationError.of(['input', 'activityId'], 'must be organized by the plan’s unit or a unit above it');
  }
  if (!heldOn && activity.recurrence) {
    throw ValidationError.of(['input', 'heldOn'], 'name the day of the recurring activity’s occurrence');
  }
  const day = heldOn ?? zoneDay(new Date(activity.startsAt));
  if (!activityOccursOn(activity, day)) {
    throw ValidationError.of(['input', 'activityId'], `the activity does not take place on ${day}`);
  }
  return { heldOn: day, activityId: activity.id };
}

/** Records that a month's topic was held (plan progress), or clears it with `heldOn: null`. */
export async function markStudyPlanTopicHeld(db: Executor, access: WriteAccess, rawInput: MarkStudyPlanTopicHeldInput) {
  const input = parseInput(markTopicHeldInput, rawInput);
  return inTransaction(db, async (tx) => {
    const unit = await findWritableOrganization(tx, input.orgCode, access);
    const [plan] = await tx
      .select()
      .from(studyPlans)
      .where(
        and(
          eq(studyPlans.organizationId, unit.id),
          eq(studyPlans.campaignCode, input.campaignCode),
          eq(studyPlans.year, input.year),
        ),
      );
    if (!plan) throw new NotFoundError('StudyPlan', `${input.orgCode}/${input.campaignCode}/${input.year}`);
    const held =
      input.activityId == null
        ? { heldOn: input.heldOn, activityId: null }
        : await heldAtActivity(tx, unit.path, input.activityId, input.heldOn);
    if (held.heldOn && Number(held.heldOn.slice(0, 4)) !== plan.year) {
      throw ValidationError.of(['input', 'heldOn'], `must fall in ${plan.year}`);
    }
    const [before] = await tx
      .select()
      .from(studyPlanTopics)
      .where(and(eq(studyPlanTopics.planId, plan.id), eq(studyPlanTopics.month, input.month)))
      .for('update');
    if (!before) throw new NotFoundError('StudyPlanTopic', `${input.orgCode}/${input.year}-${input.month}`);
    const [after] = await tx
      .update(studyPlanTopics)
      .set({ heldOn: held.heldOn, activityId: held.activityId, updatedAt: sql`now()` })
      .where(eq(studyPlanTopics.id, before.id))
      .returning();
    await writeAuditEvent(tx, access.actor, {
      operation: 'markStudyPlanTopicHeld',
      entityType: 'StudyPlanTopic',
      entityId: before.id,
      before,
      after,
    });
    return plan;
  });
}
