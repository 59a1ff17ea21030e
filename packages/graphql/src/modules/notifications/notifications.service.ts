import { type Database, type Executor, notifications, writeAuditEvent } from '@sixtype/db';
import { and, inArray, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { auditActorOf, type Viewer } from '../../context.ts';
import { graphQLError } from '../../errors.ts';
import { parseInput } from '../common/validation.ts';

export async function unreadNotificationCount(db: Executor, userId: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(notifications)
    .where(and(sql`${notifications.recipientUserId} = ${userId}`, isNull(notifications.readAt)));
  return row?.n ?? 0;
}

const markReadInput = z
  .object({
    ids: z.array(z.number().int().positive('is not a notification id')).max(100, 'at most 100 ids').nullish(),
    all: z.boolean().nullish(),
  })
  .refine((input) => (input.all === true) !== (input.ids != null && input.ids.length > 0), {
    message: 'give either ids or all: true',
    path: ['ids'],
  });

/**
 * Marks the viewer's notifications read: the given ones or all. Ids of someone else's notifications
 * change nothing (as if they did not exist), so the feed never tells one person about another's.
 */
export async function markNotificationsRead(
  db: Executor,
  viewer: Viewer,
  rawInput: { ids: number[] | null; all: boolean | null },
): Promise<{ markedCount: number; unreadCount: number }> {
  if (viewer.kind !== 'USER') throw graphQLError('FORBIDDEN', 'Only a signed-in person has notifications');
  const input = parseInput(markReadInput, rawInput);
  return (db as Database).transaction(async (tx) => {
    const marked = await tx
      .update(notifications)
      .set({ readAt: sql`now()` })
      .where(
        and(
          sql`${notifications.recipientUserId} = ${viewer.userId}`,
          isNull(notifications.readAt),
          input.all ? undefined : inArray(notifications.id, input.ids ?? []),
        ),
      )
      .returning({ id: notifications.id });
    await writeAuditEvent(tx, auditActorOf(viewer), {
      operation: 'markNotificationsRead',
      entityType: 'User',
      entityId: viewer.userId,
      after: { notificationIds: marked.map((row) => row.id) },
    });
    return { markedCount: marked.length, unreadCount: await unreadNotificationCount(tx, viewer.userId) };
  });
}
