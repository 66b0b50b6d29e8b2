import type { Redis } from 'ioredis';
import type { Role } from './deps.js';

/** The desk roles that may use the API ('service' accounts and unknown values may not). */
export const ROLES: readonly Role[] = ['trader', 'analyst', 'compliance', 'admin'];

/** Redis hash written by the desk's provisioning: field = username, value = role. */
export const USERS_KEY = 'td:users';

/** XMPP localpart as the desk creates accounts (the same pattern rules use for traders). */
export const USERNAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** The user's desk role, or undefined when the account has none (missing, 'service', disabled…). */
export async function readRole(redis: Redis, user: string): Promise<Role | undefined> {
  const value = await redis.hget(USERS_KEY, user);
  return isRole(value) ? value : undefined;
}

/**
 * Roles read from Redis, trusted for `ttlMs`: a role change or a disabled account
 * takes effect within that time for tokens already issued, at one Redis read per
 * user per `ttlMs` instead of one per request.
 */
export function createRoleCache({ redis, ttlMs, now = Date.now }: { redis: Redis; ttlMs: number; now?: () => number }) {
  const cache = new Map<string, { role: Role | undefined; at: number }>();
  return async function currentRole(user: string): Promise<Role | undefined> {
    const hit = cache.get(user);
    const t = now();
    if (hit && t - hit.at < ttlMs) return hit.role;
    const role = await readRole(redis, user);
    if (cache.size > 10_000) cache.clear();
    cache.set(user, { role, at: t });
    return role;
  };
}
