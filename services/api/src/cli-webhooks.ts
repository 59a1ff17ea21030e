import { webhookEventTypes } from '@sixtype/db';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  loadTokenSecret,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  type WebhookSettings,
  webhookSettingsOf,
} from '@sixtype/graphql';
import type { Command, RunContext, Values } from './cli-commands.ts';

/** `npm run cli -- create-webhook …`: the webhook administration of the GraphQL mutations. */

type EventType = (typeof webhookEventTypes)[number];

const secretAdvice =
  'Give it to the receiving system now: it is shown only this once. Receivers check each delivery with the SDK’s verifyWebhook(body, headers, secret).';

async function settingsOf({ env, database }: RunContext): Promise<WebhookSettings> {
  return webhookSettingsOf(env, await loadTokenSecret(database.db, env.TOKEN_SECRET));
}

function eventsOf(values: Values): EventType[] {
  return (values.events as string)
    .split(',')
    .map((name) => name.trim().toUpperCase())
    .filter((name) => name !== '') as EventType[];
}

function checkEvents(values: Values): string | undefined {
  if (values.events === undefined) return undefined;
  const unknown = eventsOf(values).filter((name) => !(webhookEventTypes as readonly string[]).includes(name));
  if (unknown.length > 0)
    return `unknown event type ${unknown.join(', ')}; the types are: ${webhookEventTypes.join(', ')}`;
  return undefined;
}

function checkId(values: Values): string | undefined {
  if (values.id === undefined) return 'give --id ID';
  if (!/^\d+$/.test(values.id as string)) return '--id must be a number';
  return undefined;
}

function describe(
  endpoint: { id: number; url: string; eventTypes: string[]; organizationId: number | null; active: boolean },
  orgCode?: string,
) {
  const unit = endpoint.organizationId === null ? 'the whole zone' : `unit ${orgCode ?? endpoint.organizationId}`;
  return `webhook ${endpoint.id} ${endpoint.url} (${endpoint.eventTypes.join(', ')}; ${unit}${endpoint.active ? '' : '; inactive'})`;
}

const eventsHelp = `comma-separated, from: ${webhookEventTypes.join(', ')}`;

export const webhookCommands: Record<string, Command> = {
  'create-webhook': {
    summary: 'register a webhook endpoint and print its signing secret (last line)',
    help: `Usage: npm run cli -- create-webhook --url URL --events LIST [--org CODE] [--description TEXT] [--inactive]

Registers an endpoint of another system and prints its signing secret (Standard Webhooks, whsec_…)
as the last line. The secret is shown only this once; it is stored encrypted.

Options:
  --url URL            https:// (http:// and private addresses only for hosts on WEBHOOK_ALLOWED_HOSTS)
  --events LIST        ${eventsHelp}
  --org CODE           send only the events of this unit and the units below it (default: the whole zone)
  --description TEXT   what the endpoint is for
  --inactive           register it switched off (update-webhook --active turns it on)
  -h, --help           show this text`,
    options: {
      url: { type: 'string' },
      events: { type: 'string' },
      org: { type: 'string' },
      description: { type: 'string' },
      inactive: { type: 'boolean' },
    },
    check(values) {
      if (values.url === undefined) return 'give --url URL';
      if (values.events === undefined) return `give --events, ${eventsHelp}`;
      return checkEvents(values);
    },
    async run(values, context) {
      const { endpoint, secret } = await createWebhookEndpoint(
        context.database.db,
        context.actor,
        await settingsOf(context),
        {
          url: values.url as string,
          eventTypes: eventsOf(values),
          organizationCode: values.org as string | undefined,
          description: values.description as string | undefined,
          active: !values.inactive,
        },
      );
      context.io.stdout(`Created ${describe(endpoint, values.org as string | undefined)}.`);
      context.io.stdout(`Its secret follows. ${secretAdvice}`);
      context.io.stdout(secret);
    },
  },
  'update-webhook': {
    summary: 'change a webhook endpoint’s URL, events, unit or active flag',
    help: `Usage: npm run cli -- update-webhook --id ID [--url URL] [--events LIST] [--org CODE | --whole-zone] [--active | --inactive]

Options:
  --id ID          the endpoint's number (printed by create-webhook)
  --url URL        a new URL
  --events LIST    ${eventsHelp}
  --org CODE       restrict it to this unit's subtree
  --whole-zone     lift the restriction
  --active         switch it on; --inactive: off (it gets no new deliveries)
  -h, --help       show this text`,
    options: {
      id: { type: 'string' },
      url: { type: 'string' },
      events: { type: 'string' },
      org: { type: 'string' },
      'whole-zone': { type: 'boolean' },
      active: { type: 'boolean' },
      inactive: { type: 'boolean' },
    },
    check(values) {
      if (values.org !== undefined && values['whole-zone']) return 'give --org CODE or --whole-zone, not both';
      if (values.active && values.inactive) return 'give --active or --inactive, not both';
      return checkId(values) ?? checkEvents(values);
    },
    async run(values, context) {
      const endpoint = await updateWebhookEndpoint(
        context.database.db,
        context.actor,
        await settingsOf(context),
        Number(values.id),
        {
          url: values.url as string | undefined,
          eventTypes: values.events === undefined ? undefined : eventsOf(values),
          ...(values['whole-zone'] ? { organizationCode: null } : {}),
          ...(values.org !== undefined ? { organizationCode: values.org as string } : {}),
          active: values.active ? true : values.inactive ? false : undefined,
        },
      );
      context.io.stdout(`Updated ${describe(endpoint, values.org as string | undefined)}.`);
    },
  },
  'rotate-webhook-secret': {
    summary: 'give a webhook endpoint a new signing secret and print it (last line)',
    help: `Usage: npm run cli -- rotate-webhook-secret --id ID

Prints a new secret as the last line. Until WEBHOOK_ROTATION_OVERLAP_MS has passed (default 24 h),
each delivery carries a signature with the previous secret too, so the receiver can switch in its own time.

Options:
  --id ID        the endpoint's number
  -h, --help     show this text`,
    options: { id: { type: 'string' } },
    check: checkId,
    async run(values, context) {
      const { endpoint, secret } = await rotateWebhookSecret(
        context.database.db,
        context.actor,
        await settingsOf(context),
        Number(values.id),
      );
      context.io.stdout(
        `Webhook ${endpoint.id} has a new secret; the previous one also signs until ${endpoint.previousSecretExpiresAt}.`,
      );
      context.io.stdout(`Its secret follows. ${secretAdvice}`);
      context.io.stdout(secret);
    },
  },
  'delete-webhook': {
    summary: 'remove a webhook endpoint and its delivery log',
    help: `Usage: npm run cli -- delete-webhook --id ID

Options:
  --id ID        the endpoint's number
  -h, --help     show this text`,
    options: { id: { type: 'string' } },
    check: checkId,
    async run(values, { io, database, actor }) {
      const endpoint = await deleteWebhookEndpoint(database.db, actor, Number(values.id));
      io.stdout(`Deleted ${describe(endpoint)}.`);
    },
  },
};
