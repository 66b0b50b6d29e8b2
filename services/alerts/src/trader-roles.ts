import type { Redis } from 'ioredis';
import { DISABLED_ROLE } from '@tickdesk/schemas';
import { createRoleStore } from '@tickdesk/store';

export interface TraderRolesDeps {
  redis: Redis;
  prefix: string;
  /** A user who became a trader: their presence is tracked from now on. */
  onTrader: (user: string) => void;
  /** A disabled account: its rules are paused and (while running) its alerts retired. */
  onDisabled: (user: string, running: boolean) => Promise<void>;
  onEnabled: (user: string) => void;
  /** A refresh a change notification started failed (Redis away): the next change or reconnection reads again. */
  onError?: (err: Error) => void;
}

/**
 * The engine's view of `<prefix>users` (user → role): who is a trader, who is disabled.
 * Read at start, then again whenever the role store announces a change (role-store.ts
 * set()) and after its channel reconnects, as rules are (rule-sync.ts). A refresh still
 * pausing rules or retiring alerts is not overlapped: a change heard meanwhile is read
 * once it is done.
 */
export function createTraderRoles({
  redis,
  prefix,
  onTrader,
  onDisabled,
  onEnabled,
  onError = () => undefined,
}: TraderRolesDeps) {
  const traders = new Set<string>();
  const store = createRoleStore({ redis, prefix });
  let refreshing: Promise<void> | undefined;
  let again = false;
  let running = false;
  let unsubscribe: (() => Promise<void>) | undefined;

  async function read(): Promise<void> {
    const roles = await store.all();
    for (const [user, role] of Object.entries(roles)) {
      if (role === 'trader' && !traders.has(user)) {
        traders.add(user);
        onTrader(user);
      } else if (role !== 'trader') {
        traders.delete(user);
      }
      if (role === DISABLED_ROLE) await onDisabled(user, running);
      else onEnabled(user);
    }
  }

  function refresh(): Promise<void> {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      try {
        do {
          again = false;
          await read();
        } while (again);
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  }
  const heard = () => void refresh().catch(onError);

  return {
    traders: traders as ReadonlySet<string>,
    /** Subscribe first, so a role written while reading is not missed (reading it twice is harmless). */
    async start(): Promise<void> {
      unsubscribe = await store.subscribe(heard, heard);
      await refresh();
      running = true;
    },
    /** Read every role again now (a refresh under way is not overlapped); `nowRunning` as start() sets it. */
    refresh(nowRunning?: boolean): Promise<void> {
      if (nowRunning !== undefined) running = nowRunning;
      return refresh();
    },
    async stop(): Promise<void> {
      running = false;
      await unsubscribe?.();
      unsubscribe = undefined;
      await refreshing?.catch(() => undefined);
    },
  };
}
