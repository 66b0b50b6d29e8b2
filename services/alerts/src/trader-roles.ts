import type { Redis } from 'ioredis';
import { DISABLED_ROLE } from '@tickdesk/schemas';
import { createRoleStore } from '@tickdesk/store';

export interface TraderRolesDeps {
  redis: Redis;
  prefix: string;
  /** A user who became a trader: their presence is tracked from now on. */
  onTrader(user: string): void;
  /** A disabled account: its rules are paused and (while running) its alerts retired. */
  onDisabled(user: string, running: boolean): Promise<void>;
  onEnabled(user: string): void;
}

/**
 * The engine's view of `<prefix>users` (user → role): who is a trader, who is disabled.
 * Read at start and again on a timer; a refresh still pausing rules or retiring alerts
 * is not overlapped by the next one.
 */
export function createTraderRoles({ redis, prefix, onTrader, onDisabled, onEnabled }: TraderRolesDeps) {
  const traders = new Set<string>();
  const store = createRoleStore({ redis, prefix });
  let refreshing = false;

  async function read(running: boolean): Promise<void> {
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

  return {
    traders: traders as ReadonlySet<string>,
    async refresh(running: boolean): Promise<void> {
      if (refreshing) return;
      refreshing = true;
      try {
        await read(running);
      } finally {
        refreshing = false;
      }
    },
  };
}
