import type { AuditActor } from '@sixtype/db';
import {
  type Executor,
  studyAudiences,
  studyLimits,
  studyMaterialKinds,
  studyMaterials,
  studyRequirementGroupKinds,
  studyRequirementGroupMaterials,
  studyRequirementGroups,
  studyRequirements,
  writeAuditEvent,
} from '@sixtype/db';
import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { NotFoundError } from '../../errors.ts';
import { findCampaignId } from '../campaign/campaign.service.ts';
import { inTransaction } from '../common/transactions.ts';
import { codeSchema, decimalText, fractionDigits, parseInput, type Raw } from '../common/validation.ts';

const code = codeSchema;
const title = z.string().trim().min(1, 'must not be empty').max(studyLimits.titleMaxLength);

const createStudyMaterialInput = z.object({ code, title, kind: z.enum(studyMaterialKinds) });

const groupInput = z
  .object({
    name: title,
    kind: z.enum(studyRequirementGroupKinds),
    minMaterials: z.number().int().min(1).nullish(),
    materialCodes: z.array(code).min(1, 'a group needs at least one material'),
  })
  .superRefine((group, ctx) => {
    if (group.kind === 'ALL' && group.minMaterials != null) {
      ctx.addIssue({ code: 'custom', path: ['minMaterials'], message: 'an ALL group requires every material' });
    }
    if (group.kind === 'CHOICE') {
      if (group.minMaterials == null) {
        ctx.addIssue({ code: 'custom', path: ['minMaterials'], message: 'a CHOICE group needs minMaterials' });
      } else if (group.minMaterials > group.materialCodes.length) {
        ctx.addIssue({ code: 'custom', path: ['minMaterials'], message: 'more than the group has' });
      }
    }
    if (new Set(group.materialCodes).size !== group.materialCodes.length) {
      ctx.addIssue({ code: 'custom', path: ['materialCodes'], message: 'a material is listed twice' });
    }
  });

const setStudyRequirementInput = z.object({
  campaignCode: code,
  year: z.number().int().min(1949).max(2200),
  noteCharactersQuota: z.number().int().min(0, 'must not be negative').max(10_000_000),
  hoursQuota: decimalText
    .refine((value) => !value.startsWith('-') && fractionDigits(value) <= 1 && Number(value) < 100_000, {
      message: 'must be a number of hours with at most one decimal',
    })
    .nullish(),
  audience: z.enum(studyAudiences).nullish(),
  description: z.string().trim().max(studyLimits.textMaxLength).nullish(),
  groups: z.array(groupInput).max(20),
});

export type CreateStudyMaterialInput = z.input<typeof createStudyMaterialInput>;
export type SetStudyRequirementInput = Omit<Raw<z.input<typeof setStudyRequirementInput>>, 'groups'> & {
  groups: readonly Raw<z.input<typeof groupInput>>[];
};

export async function createStudyMaterial(db: Executor, actor: AuditActor, rawInput: CreateStudyMaterialInput) {
  const input = parseInput(createStudyMaterialInput, rawInput);
  return inTransaction(db, async (tx) => {
    const [material] = await tx.insert(studyMaterials).values(input).returning();
    if (!material) throw new Error('insert returned no row');
    await writeAuditEvent(tx, actor, {
      operation: 'createStudyMaterial',
      entityType: 'StudyMaterial',
      entityId: material.id,
      after: material,
    });
    return material;
  });
}

/**
 * Creates or replaces a campaign's requirement for a year, groups included: the quota, the hours,
 * who it applies to and the material groups are data, so a new year or another place's rules need
 * no code.
 */
export async function setStudyRequirement(db: Executor, actor: AuditActor, rawInput: SetStudyRequirementInput) {
  const input = parseInput(setStudyRequirementInput, rawInput);
  return inTransaction(db, async (tx) => {
    await findCampaignId(tx, input.campaignCode);
    const codes = [...new Set(input.groups.flatMap((group) => group.materialCodes))];
    const materials =
      codes.length === 0 ? [] : await tx.select().from(studyMaterials).where(inArray(studyMaterials.code, codes));
    const materialIds = new Map(materials.map((material) => [material.code, material.id]));
    const unknown = codes.find((materialCode) => !materialIds.has(materialCode));
    if (unknown) throw new NotFoundError('StudyMaterial', unknown);

    const [before] = await tx
      .select()
      .from(studyRequirements)
      .where(and(eq(studyRequirements.campaignCode, input.campaignCode), eq(studyRequirements.year, input.year)))
      .for('update');
    const values = {
      campaignCode: input.campaignCode,
      year: input.year,
      noteCharactersQuota: input.noteCharactersQuota,
      hoursQuota: input.hoursQuota ?? null,
      audience: input.audience ?? 'ALL_CADRES',
      description: input.description ?? null,
    };
    const [requirement] = before
      ? await tx.update(studyRequirements).set(values).where(eq(studyRequirements.id, before.id)).returning()
      : await tx.insert(studyRequirements).values(values).returning();
    if (!requirement) throw new Error('write returned no row');
    await tx.delete(studyRequirementGroups).where(eq(studyRequirementGroups.requirementId, requirement.id));
    for (const [sortOrder, group] of input.groups.entries()) {
      const [groupRow] = await tx
        .insert(studyRequirementGroups)
        .values({
          requirementId: requirement.id,
          name: group.name,
          kind: group.kind,
          minMaterials: group.kind === 'CHOICE' ? (group.minMaterials ?? null) : null,
          sortOrder,
        })
        .returning();
      if (!groupRow) throw new Error('insert returned no row');
      await tx.insert(studyRequirementGroupMaterials).values(
        group.materialCodes.map((materialCode, order) => ({
          groupId: groupRow.id,
          materialId: materialIds.get(materialCode) ?? 0,
          sortOrder: order,
        })),
      );
    }
    await writeAuditEvent(tx, actor, {
      operation: 'setStudyRequirement',
      entityType: 'StudyRequirement',
      entityId: requirement.id,
      before: before ?? null,
      after: { ...requirement, groups: input.groups },
    });
    return requirement;
  });
}
