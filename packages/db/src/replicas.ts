import type { RequestAwarePool } from './pool.ts';

/** What a read needs of the server that answers it. */
export interface ReadNeeds {
  /** A WAL position (`pg_current_wal_insert_lsn()` after the caller's last write) the server must have replayed. */
  lsn?: string | undefined;
  /** The instant an `asOf` read asks for: the server must have replayed every commit up to it. */
  asOf?: Date | undefined;
}

/** A replica as the last health check saw it. */
export interface ReplicaState {
  /** `replica1`, `replica2`, … as in PoolStats. */
  name: string;
  /** It answered the last check as a server in recovery (a standby); false until the first check. */
  up: boolean;
  /** `pg_last_wal_replay_lsn()` at the last check. */
  replayLsn: string | null;
  /** Bytes of WAL the primary had written at the last check and this replica had not yet replayed. */
  lagBytes: number | null;
}

/** `X/Y` (two hex halves) as one number, to compare positions. */
export function lsnValue(lsn: string): bigint {
  const [high = '0', low = '0'] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

interface Tracked {
  name: string;
  pool: RequestAwarePool;
  up: boolean;
  replay?: bigint | undefined;
  replayLsn: string | null;
  /** pg_last_xact_replay_timestamp(): the commit time of the last transaction replayed. */
  replayedAt?: Date | undefined;
  /** The primary's insert position, and when it was read, just before this replica was checked. */
  primaryLsn?: bigint | undefined;
  primaryAt?: Date | undefined;
}

/**
 * Keeps the health and replay position of each replica, checked every `intervalMs` (and marked
 * down at once when a statement finds it unreachable), so that a read goes to a replica only when
 * it is up and has replayed what the read needs; otherwise to the primary.
 */
export class ReplicaMonitor {
  readonly #primary: RequestAwarePool;
  readonly #replicas: Tracked[];
  readonly #timer: NodeJS.Timeout;
  #checking: Promise<void> | undefined;

  constructor(primary: RequestAwarePool, replicas: { name: string; pool: RequestAwarePool }[], intervalMs: number) {
    this.#primary = primary;
    this.#replicas = replicas.map(({ name, pool }) => ({ name, pool, up: false, replayLsn: null }));
    this.#timer = setInterval(() => void this.check(), intervalMs);
    this.#timer.unref();
  }

  /** Checks every replica now (the first check is awaited before the handle is returned). */
  check(): Promise<void> {
    this.#checking ??= this.#checkAll().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #checkAll(): Promise<void> {
    const primaryAt = new Date();
    const primaryLsn = await this.#primary
      .probe<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn')
      .then(([row]) => (row ? lsnValue(row.lsn) : undefined))
      .catch(() => undefined);
    await Promise.all(
      this.#replicas.map(async (replica) => {
        try {
          const [row] = await replica.pool.probe<{ recovery: boolean; lsn: string | null; at: Date | null }>(
            'select pg_is_in_recovery() as recovery, pg_last_wal_replay_lsn()::text as lsn, pg_last_xact_replay_timestamp() as at',
          );
          // A server that is not in recovery is not following the primary (a promoted standby, or a
          // wrong URL): its data may have forked, so it serves no reads.
          replica.up = row?.recovery === true && row.lsn !== null;
          replica.replayLsn = row?.lsn ?? null;
          replica.replay = row?.lsn ? lsnValue(row.lsn) : undefined;
          replica.replayedAt = row?.at ?? undefined;
          replica.primaryLsn = primaryLsn;
          replica.primaryAt = primaryLsn === undefined ? undefined : primaryAt;
        } catch {
          replica.up = false;
        }
      }),
    );
  }

  /** A statement found `name` unreachable: no reads go there until a check finds it again. */
  markDown(name: string): void {
    const replica = this.#replicas.find((candidate) => candidate.name === name);
    if (replica) replica.up = false;
  }

  /** The replicas (by name) that may answer a read with these needs now; none means the primary. */
  eligible(needs: ReadNeeds = {}): string[] {
    const lsn = needs.lsn === undefined ? undefined : lsnValue(needs.lsn);
    return this.#replicas
      .filter((replica) => {
        if (!replica.up || replica.replay === undefined) return false;
        if (lsn !== undefined && replica.replay < lsn) return false;
        if (needs.asOf !== undefined) {
          // Exact for asOf when a transaction committed at or after asOf has been replayed (commits
          // replay in order), or when the replica had caught up with the primary as of a later instant.
          const replayedPast = replica.replayedAt !== undefined && replica.replayedAt >= needs.asOf;
          const caughtUp =
            replica.primaryLsn !== undefined &&
            replica.primaryAt !== undefined &&
            replica.replay >= replica.primaryLsn &&
            replica.primaryAt >= needs.asOf;
          if (!replayedPast && !caughtUp) return false;
        }
        return true;
      })
      .map((replica) => replica.name);
  }

  states(): ReplicaState[] {
    return this.#replicas.map((replica) => ({
      name: replica.name,
      up: replica.up,
      replayLsn: replica.replayLsn,
      lagBytes:
        replica.primaryLsn !== undefined && replica.replay !== undefined
          ? Math.max(0, Number(replica.primaryLsn - replica.replay))
          : null,
    }));
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
