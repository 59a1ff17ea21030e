import { filter, pipe } from '@graphql-yoga/subscription';
import { drizzleConnectionHelpers } from '@pothos/plugin-drizzle';
import { notifications, reminderRuleCodes, reminderSubjectTypes, reminders } from '@sixtype/db';
import { and, type SQL, sql } from 'drizzle-orm';
import { builder } from '../../builder.ts';
import { type NotificationAddedEvent, writableSubtree } from '../../context.ts';
import { graphQLError } from '../../errors.ts';
import { ViewerRef } from '../access/access.ts';
import { mutationErrors } from '../common/errors.ts';
import { databaseIdOf } from '../common/ids.ts';
import { resolveRootConnection, totalCountField } from '../common/pagination.ts';
import { markNotificationsRead, unreadNotificationCount } from './notifications.service.ts';

export const ReminderRule = builder.enumType('ReminderRule', {
  description:
    'STUDY_CADRE_BEHIND: a cadre behind the pro-rated study quota at the end of a month; STUDY_UNIT_COMPLIANCE: a unit whose compliance rate is below the threshold; PROBLEM_DEADLINE: a problem overdue or due soon; CADENCE_GAP: a half month without its dispatch meeting or a month without its inspection; LEADING_GROUP_MISSING: a unit without a leading group for a running campaign.',
  values: reminderRuleCodes,
});
const ReminderSubjectType = builder.enumType('ReminderSubjectType', { values: reminderSubjectTypes });

export const Reminder = builder.drizzleNode('reminders', {
  name: 'Reminder',
  description: 'One reminder per rule, subject and period; its notifications go to the people concerned.',
  id: { column: (reminder) => reminder.id },
  select: {
    extras: {
      organizationPath: (table) =>
        sql<string>`(select reminder_unit.path::text from organizations reminder_unit where reminder_unit.id = ${table.organizationId})`,
    },
  },
  // Managers see the reminders of their subtree; everyone else reaches a reminder through their own notification.
  authScopes: (reminder) => ({
    $any: { admin: true, cadreVisible: (reminder as { organizationPath?: string }).organizationPath ?? '' },
  }),
  fields: (t) => ({
    rule: t.expose('ruleCode', { type: ReminderRule }),
    subjectType: t.expose('subjectType', { type: ReminderSubjectType }),
    subjectId: t.exposeInt('subjectId'),
    period: t.exposeString('periodKey', {
      description: '2012-06 (a month), DISPATCH_MEETING:2012-03-H2 (a half month), OVERDUE:2012-03-31 (a deadline).',
    }),
    campaignCode: t.exposeString('campaignCode'),
    title: t.exposeString('title'),
    details: t.expose('details', { type: 'JSON' }),
    isDemo: t.exposeBoolean('isDemo'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    organization: t.relation('organization'),
  }),
});

export const Notification = builder.drizzleNode('notifications', {
  name: 'Notification',
  description: 'A reminder in its recipient’s feed. Only the recipient can read it.',
  id: { column: (notification) => notification.id },
  authScopes: (notification) => ({ recipient: notification.recipientUserId }),
  select: { columns: { recipientUserId: true } },
  fields: (t) => {
    // Every field reads the reminder through the same `with`, so the plugin joins it once.
    const withReminder = { with: { reminder: true } } as const;
    return {
      rule: t.field({ type: ReminderRule, select: withReminder, resolve: (n) => n.reminder.ruleCode }),
      title: t.string({ select: withReminder, resolve: (n) => n.reminder.title }),
      period: t.string({ select: withReminder, resolve: (n) => n.reminder.periodKey }),
      campaignCode: t.string({ select: withReminder, resolve: (n) => n.reminder.campaignCode }),
      isDemo: t.boolean({ select: withReminder, resolve: (n) => n.reminder.isDemo }),
      details: t.field({ type: 'JSON', select: withReminder, resolve: (n) => n.reminder.details }),
      organizationCode: t.string({
        description: 'The code of the unit the reminder is about.',
        select: { with: { reminder: { with: { organization: { columns: { code: true } } } } } },
        resolve: (n) => n.reminder.organization.code,
      }),
      read: t.boolean({ select: { columns: { readAt: true } }, resolve: (n) => n.readAt !== null }),
      readAt: t.expose('readAt', { type: 'DateTime', nullable: true }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
    };
  },
});

const notificationPages = drizzleConnectionHelpers(builder, 'notifications', {
  query: () => ({ orderBy: { id: 'desc' } }),
});

builder.objectField(ViewerRef, 'notifications', (t) =>
  t.connection(
    {
      type: Notification,
      description: 'The viewer’s notifications, newest first (people only; a system’s feed is empty).',
      args: { unreadOnly: t.arg.boolean({ defaultValue: false }) },
      resolve: (viewer, args, ctx, info) => {
        const userId = viewer.kind === 'USER' ? viewer.userId : null;
        const condition = (table: typeof notifications): SQL =>
          userId === null
            ? sql`false`
            : (and(
                sql`${table.recipientUserId} = ${userId}`,
                args.unreadOnly ? sql`${table.readAt} is null` : undefined,
              ) ?? sql`false`);
        return resolveRootConnection({
          t,
          tableName: 'notifications',
          table: notifications,
          pages: notificationPages,
          args,
          ctx,
          info,
          condition,
        }) as never;
      },
    },
    { name: 'NotificationConnection', fields: (c) => ({ totalCount: c.int(totalCountField) }) },
  ),
);

const reminderPages = drizzleConnectionHelpers(builder, 'reminders', {
  query: () => ({ orderBy: { id: 'desc' } }),
});

builder.queryFields((t) => ({
  unreadNotificationCount: t.int({
    description: 'How many of the viewer’s notifications are unread.',
    authScopes: { person: true },
    resolve: (_root, _args, ctx) =>
      ctx.viewer.kind === 'USER' ? unreadNotificationCount(ctx.db, ctx.viewer.userId) : 0,
  }),
  reminders: t.connection(
    {
      type: Reminder,
      description:
        'Reminders of units in the subtree the viewer manages (admins: all), newest first: what the rules found, whoever was notified.',
      authScopes: { directoryWrite: true },
      args: { rule: t.arg({ type: ReminderRule }), demo: t.arg.boolean() },
      resolve: (_root, args, ctx, info) => {
        const subtree = writableSubtree(ctx.viewer);
        const condition = (table: typeof reminders): SQL =>
          and(
            subtree === undefined
              ? sql`false`
              : subtree === null
                ? undefined
                : sql`${table.organizationId} in (select o.id from organizations o where o.path <@ ${subtree}::ltree)`,
            args.rule ? sql`${table.ruleCode} = ${args.rule}` : undefined,
            args.demo == null ? undefined : sql`${table.isDemo} = ${args.demo}`,
          ) ?? sql`true`;
        return resolveRootConnection({
          t,
          tableName: 'reminders',
          table: reminders,
          pages: reminderPages,
          args,
          ctx,
          info,
          condition,
        }) as never;
      },
    },
    { name: 'ReminderConnection', fields: (c) => ({ totalCount: c.int(totalCountField) }) },
  ),
}));

const MarkNotificationsReadInput = builder.inputType('MarkNotificationsReadInput', {
  description: 'Either `ids` (notifications of the viewer) or `all: true`.',
  fields: (t) => ({ ids: t.globalIDList(), all: t.boolean() }),
});

const MarkNotificationsReadPayload = builder
  .objectRef<{ markedCount: number; unreadCount: number }>('MarkNotificationsReadPayload')
  .implement({
    fields: (t) => ({
      markedCount: t.exposeInt('markedCount', { description: 'Notifications this call marked read.' }),
      unreadCount: t.exposeInt('unreadCount', { description: 'The viewer’s unread notifications afterwards.' }),
    }),
  });

builder.mutationField('markNotificationsRead', (t) =>
  t.field({
    type: MarkNotificationsReadPayload,
    authScopes: { person: true },
    args: { input: t.arg({ type: MarkNotificationsReadInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'MarkNotificationsReadResult' } },
    resolve: (_root, args, ctx) =>
      markNotificationsRead(ctx.db, ctx.viewer, {
        ids: args.input.ids?.map((id) => databaseIdOf(id, 'Notification')) ?? null,
        all: args.input.all ?? null,
      }),
  }),
);

builder.subscriptionField('notificationAdded', (t) =>
  t.drizzleField({
    type: 'notifications',
    description: 'Each notification added to the viewer’s feed from now on (over SSE).',
    authScopes: { person: true },
    subscribe: (_root, _args, ctx) => {
      if (!ctx.events) throw graphQLError('INTERNAL_SERVER_ERROR', 'this server publishes no events');
      const userId = ctx.viewer.kind === 'USER' ? ctx.viewer.userId : -1;
      return pipe(
        ctx.events.subscribe('notificationAdded'),
        filter((event: NotificationAddedEvent) => event.recipientUserId === userId),
      );
    },
    resolve: async (query, event, _args, ctx) => {
      const row = await ctx.db.query.notifications.findFirst(
        query({ where: { id: (event as NotificationAddedEvent).notificationId } }),
      );
      if (!row) throw graphQLError('NOT_FOUND', 'the notification no longer exists');
      return row;
    },
  }),
);
