import type { Redis } from 'ioredis';
import { DESK_ROLES, isDeskRole, type DeskRole } from '@tickdesk/schemas';
import { createRoleStore, USERS_KEY } from '@tickdesk/store';

/** The desk roles that may use the API ('service' accounts and unknown values may not). */
export const ROLES: readonly DeskRole[] = DESK_ROLES;
export { USERS_KEY };

/** XMPP localpart as the desk creates accounts (the same pattern rules use for traders). */
export const USERNAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';

export const isRole = isDeskRole;

/** The user's desk role, or undefined when the account has none (missing, 'service', disabled…). */
export async function readRole(redis: Redis, user: string): Promise<DeskRole | undefined> {
  return createRoleStore({ redis }).deskRole(user);
}

/**
 * Roles read from Redis, trusted for `ttlMs`: a role change or a disabled account
 * takes effect within that time for tokens already issued, at one Redis read per
 * user per `ttlMs` instead of one per request.
 */
export function createRoleCache({ redis, ttlMs, now = Date.now }: { redis: Redis; ttlMs: number; now?: () => number }) {
  const roles = createRoleStore({ redis });
  const cache = new Map<string, { role: DeskRole | undefined; at: number }>();
  return async function currentRole(user: string): Promise<DeskRole | undefined> {
    const hit = cache.get(user);
    const t = now();
    if (hit && t - hit.at < ttlMs) return hit.role;
    const role = await roles.deskRole(user);
    if (cache.size > 10_000) cache.clear();
    cache.set(user, { role, at: t });
    return role;
  };
}
