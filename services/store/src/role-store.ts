import type { Redis } from 'ioredis';
import { isDeskRole, type AccountRole, type DeskRole } from '@tickdesk/schemas';
import { DEFAULT_PREFIX, directoryKeys } from './keys.js';

/**
 * Roles in `<prefix>users` (field = user name, value = AccountRole): the desk's
 * provisioning and the account directory write them; the API's authentication, the
 * alert engine and the presence list read them.
 */
export function createRoleStore({ redis, prefix = DEFAULT_PREFIX }: { redis: Redis; prefix?: string }) {
  const { users: key, userChanges } = directoryKeys(prefix);
  return {
    /** The value recorded for `user` as it is (possibly a role this version does not know). */
    async get(user: string): Promise<string | undefined> {
      return (await redis.hget(key, user)) ?? undefined;
    },
    /** The user's desk role; undefined for none, `service`, `disabled` or an unknown value. */
    async deskRole(user: string): Promise<DeskRole | undefined> {
      const value = await redis.hget(key, user);
      return isDeskRole(value) ? value : undefined;
    },
    /** Every user's recorded value. */
    async all(): Promise<Record<string, string>> {
      return redis.hgetall(key);
    },
    async exists(user: string): Promise<boolean> {
      return (await redis.hexists(key, user)) === 1;
    },
    /** Written, then announced on `userChanges` (the alert engine hears of a new or disabled trader at once). */
    async set(user: string, role: AccountRole): Promise<void> {
      await redis.hset(key, user, role);
      await redis.publish(userChanges, user);
    },
    /**
     * Hear of every role written through set(), on a connection of its own. Messages sent
     * while it is down are lost: `onResync` runs after each reconnection so the caller reads all().
     */
    async subscribe(onChange: (user: string) => void, onResync?: () => void): Promise<() => Promise<void>> {
      const sub = redis.duplicate();
      sub.on('error', () => undefined); // ioredis reconnects and resubscribes by itself
      let readies = 0;
      sub.on('ready', () => {
        if (readies++ > 0) onResync?.();
      });
      sub.on('message', (channel: string, user: string) => {
        if (channel === userChanges) onChange(user);
      });
      await sub.subscribe(userChanges);
      return async () => {
        sub.removeAllListeners('message');
        await sub.unsubscribe().catch(() => undefined);
        sub.disconnect();
      };
    },
  };
}
export type RoleStore = ReturnType<typeof createRoleStore>;
