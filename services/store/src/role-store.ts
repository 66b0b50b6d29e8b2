import type { Redis } from 'ioredis';
import { isDeskRole, type AccountRole, type DeskRole } from '@tickdesk/schemas';
import { DEFAULT_PREFIX, directoryKeys } from './keys.js';

/**
 * Roles in `<prefix>users` (field = user name, value = AccountRole): the desk's
 * provisioning and the account directory write them; the API's authentication, the
 * alert engine and the presence list read them.
 */
export function createRoleStore({ redis, prefix = DEFAULT_PREFIX }: { redis: Redis; prefix?: string }) {
  const key = directoryKeys(prefix).users;
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
    async set(user: string, role: AccountRole): Promise<void> {
      await redis.hset(key, user, role);
    },
  };
}
export type RoleStore = ReturnType<typeof createRoleStore>;
