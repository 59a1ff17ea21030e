import type { AuditActor, Executor, UserRole } from '@sixtype/db';
import type { DestinationPolicy } from './modules/webhooks/destinations.ts';

/** Scopes an API client can hold. */
export const apiScopes = [
  'directory:read',
  'directory:write',
  'directory:personal',
  'metrics:read',
  'metrics:write',
] as const;
export type ApiScope = (typeof apiScopes)[number];

/** Who is asking, decided once per request from the credentials it carries. */
export type Viewer =
  | { kind: 'ANONYMOUS' }
  /** In-process callers: the CLI and tests. */
  | { kind: 'SYSTEM'; name: string }
  | {
      kind: 'USER';
      userId: number;
      username: string;
      role: UserRole;
      sessionId: string;
      cadreId: number | null;
      /** The unit the account acts for: a manager's own unit, a cadre's unit; null for an admin. */
      organizationId: number | null;
      organizationPath: string | null;
    }
  | {
      kind: 'API_CLIENT';
      clientId: number;
      name: string;
      scopes: readonly ApiScope[];
      /** A client restricted to one unit sees only that unit's subtree. */
      organizationId: number | null;
      organizationPath: string | null;
    };

/** A figure accepted by submitMetricObservations, as delivered to metricUpdated subscribers. */
export interface MetricUpdateEvent {
  metricCode: string;
  orgCode: string;
  /** The unit's ltree path, so subscribers to a parent unit see its subtree's figures. */
  orgPath: string;
  granularity: 'MONTH' | 'QUARTER' | 'YEAR';
  periodStart: string;
  value: string;
  revision: number;
  source: string;
  batchId: number;
}

/** A notification just added to someone's feed, as delivered to their notificationAdded subscription. */
export interface NotificationAddedEvent {
  notificationId: number;
  recipientUserId: number;
  reminderId: number;
}

/** What each topic carries. */
export interface EventTopics {
  metricUpdated: MetricUpdateEvent;
  notificationAdded: NotificationAddedEvent;
}

/** Events the API publishes; in one process, or through Redis across processes. */
export interface EventBus {
  publish<K extends keyof EventTopics>(topic: K, event: EventTopics[K]): void;
  subscribe<K extends keyof EventTopics>(topic: K): AsyncIterable<EventTopics[K]>;
}

export interface GraphQLContext {
  /** The executor every resolver uses; a test may hand in a transaction. */
  db: Executor;
  viewer: Viewer;
  requestId: string;
  /** Signs session tokens issued by `login`; absent where nobody signs in (some tests). */
  tokenSecret?: string | undefined;
  /** Where writes announce what changed; absent where nothing listens (some tests). */
  events?: EventBus | undefined;
  /** Writes campaign reports (the API's report builder); absent where none is served. */
  reports?: ReportWriter | undefined;
  /** What webhook administration needs (the secrets' key, where endpoints may point); absent: not offered. */
  webhooks?: WebhookSettings | undefined;
}

/** Webhook administration's settings, from the API's (or the worker's) environment. */
export interface WebhookSettings {
  /** AES-256-GCM key of the stored signing secrets (secrets.ts webhookEncryptionKey). */
  secretKey: Buffer;
  /** WEBHOOK_ALLOWED_HOSTS, parsed. */
  destinations: DestinationPolicy;
  /** How long the previous secret still signs after a rotation. */
  rotationOverlapMs: number;
}

/** What a campaign report covers, once the caller's right to it has been checked (campaignReport). */
export interface ReportScope {
  campaignCode: string;
  orgCode: string;
  orgName: string;
  includeDescendants: boolean;
  period: ReportPeriod;
}

/** A month, quarter or year labelled like metricSeries' periods, or a date range (granularity MONTH). */
export interface ReportPeriod {
  label: string;
  granularity: 'MONTH' | 'QUARTER' | 'YEAR';
  /** True for a date range rather than one calendar period. */
  isRange: boolean;
  start: string;
  end: string;
}

/**
 * The report builder lives in the API (it renders charts and PDFs and gathers its figures by
 * executing this schema's own fields); the schema reaches it through this hook.
 */
export interface ReportWriter {
  markdown(scope: ReportScope, context: GraphQLContext): Promise<string>;
}

export function auditActorOf(viewer: Viewer): AuditActor {
  switch (viewer.kind) {
    case 'SYSTEM':
      return { kind: 'SYSTEM', id: viewer.name };
    case 'USER':
      return { kind: 'USER', id: String(viewer.userId) };
    case 'API_CLIENT':
      return { kind: 'API_CLIENT', id: String(viewer.clientId) };
    default:
      return { kind: 'ANONYMOUS', id: null };
  }
}

const hasScope = (viewer: Viewer, scope: ApiScope) => viewer.kind === 'API_CLIENT' && viewer.scopes.includes(scope);
const isAdmin = (viewer: Viewer) => viewer.kind === 'SYSTEM' || (viewer.kind === 'USER' && viewer.role === 'ADMIN');

/**
 * The part of the organization tree whose cadres the viewer may read: `null` for all of it, an
 * ltree path for a subtree, `undefined` for none.
 */
export function directorySubtree(viewer: Viewer): string | null | undefined {
  if (isAdmin(viewer)) return null;
  if (viewer.kind === 'USER') return viewer.organizationPath ?? undefined;
  if (viewer.kind === 'API_CLIENT' && hasScope(viewer, 'directory:read')) return viewer.organizationPath;
  return undefined;
}

/** The subtree the viewer may change, with the same meaning as directorySubtree. */
export function writableSubtree(viewer: Viewer): string | null | undefined {
  if (isAdmin(viewer)) return null;
  if (viewer.kind === 'USER' && viewer.role === 'ORG_MANAGER') return viewer.organizationPath ?? undefined;
  if (viewer.kind === 'API_CLIENT' && hasScope(viewer, 'directory:write')) return viewer.organizationPath;
  return undefined;
}

/** Whether `path` lies in the subtree `root` (null: everywhere; undefined: nowhere). */
export function pathWithin(path: string, root: string | null | undefined): boolean {
  if (root === undefined) return false;
  return root === null || path === root || path.startsWith(`${root}.`);
}

/** Whether the viewer may read the personal data (phone) of the cadre at `organizationPath`. */
export function mayReadPersonalData(viewer: Viewer, cadre: { id: number; organizationPath: string }): boolean {
  if (isAdmin(viewer)) return true;
  if (viewer.kind === 'USER') {
    if (viewer.role === 'CADRE') return viewer.cadreId === cadre.id;
    return viewer.role === 'ORG_MANAGER' && pathWithin(cadre.organizationPath, viewer.organizationPath);
  }
  if (viewer.kind === 'API_CLIENT') {
    return hasScope(viewer, 'directory:personal') && pathWithin(cadre.organizationPath, viewer.organizationPath);
  }
  return false;
}

/**
 * Whose study records (and compliance rows) a viewer may read: everybody's (admins), a subtree's
 * (a manager's unit and everything below it), one cadre's own (a CADRE account), or nobody's.
 * Study notes are personal writing, so API clients read only the published aggregates.
 */
export type StudyVisibility =
  | { kind: 'ALL' }
  | { kind: 'SUBTREE'; path: string }
  | { kind: 'OWN'; cadreId: number }
  | { kind: 'NONE' };

export function studyVisibility(viewer: Viewer): StudyVisibility {
  if (viewerChecks.isAdmin(viewer)) return { kind: 'ALL' };
  if (viewer.kind !== 'USER') return { kind: 'NONE' };
  if (viewer.role === 'ORG_MANAGER' && viewer.organizationPath) {
    return { kind: 'SUBTREE', path: viewer.organizationPath };
  }
  if (viewer.role === 'CADRE' && viewer.cadreId !== null) return { kind: 'OWN', cadreId: viewer.cadreId };
  return { kind: 'NONE' };
}

/** Whether a record (or a compliance row) of the cadre at `organizationPath` is visible. */
export function studyRowVisible(visibility: StudyVisibility, cadre: { cadreId: number; organizationPath: string }) {
  switch (visibility.kind) {
    case 'ALL':
      return true;
    case 'SUBTREE':
      return pathWithin(cadre.organizationPath, visibility.path);
    case 'OWN':
      return visibility.cadreId === cadre.cadreId;
    default:
      return false;
  }
}

/**
 * The units whose figures the viewer may read or write: null for all, a path for a subtree,
 * undefined for none. A person reads the figures of their own unit's subtree (a manager of the
 * zone reads them all) and a manager writes there; an API client reads and writes where its key is
 * restricted to. No rule means no access: every caller of this maps undefined to a refusal.
 */
export function metricsSubtree(viewer: Viewer, access: 'read' | 'write'): string | null | undefined {
  if (isAdmin(viewer)) return null;
  if (viewer.kind === 'USER') {
    if (access === 'read') return viewer.organizationPath ?? undefined;
    return viewer.role === 'ORG_MANAGER' ? (viewer.organizationPath ?? undefined) : undefined;
  }
  if (viewer.kind === 'API_CLIENT') {
    return hasScope(viewer, access === 'read' ? 'metrics:read' : 'metrics:write') ? viewer.organizationPath : undefined;
  }
  return undefined;
}

export const viewerChecks = { isAdmin, hasScope };

/** What a write needs to know about its caller: who to record, and where it may act. */
export interface WriteAccess {
  actor: AuditActor;
  /** Subtree whose cadres the caller may read (null: all; undefined: none). */
  readable: string | null | undefined;
  /** Subtree the caller may change (null: all; undefined: none). */
  writable: string | null | undefined;
}

export function writeAccessOf(viewer: Viewer): WriteAccess {
  return { actor: auditActorOf(viewer), readable: directorySubtree(viewer), writable: writableSubtree(viewer) };
}

/** Full access, for the CLI and for tests that exercise business rules rather than permissions. */
export const SYSTEM_ACCESS: WriteAccess = { actor: { kind: 'SYSTEM', id: 'system' }, readable: null, writable: null };
