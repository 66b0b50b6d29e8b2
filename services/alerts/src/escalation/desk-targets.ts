import type { Redis } from 'ioredis';
import { createRoleStore } from '@tickdesk/store';
import type { PresenceTracker } from '../presence-tracker.js';

/**
 * Who a desk-wide step tells: every trader online now (any show but offline; dnd too: nobody
 * acknowledged an alert that was due, which is what dnd's critical exception is for) and every
 * compliance account, online or not (the server keeps the message for them).
 */
export function createDeskTargets({
  redis,
  prefix,
  presence,
}: {
  redis: Redis;
  prefix?: string;
  presence: Pick<PresenceTracker, 'get'>;
}): () => Promise<string[]> {
  const roles = createRoleStore({ redis, ...(prefix !== undefined ? { prefix } : {}) });
  return async () =>
    Object.entries(await roles.all())
      .filter(([user, role]) => role === 'compliance' || (role === 'trader' && presence.get(user).show !== 'offline'))
      .map(([user]) => user)
      .sort();
}
