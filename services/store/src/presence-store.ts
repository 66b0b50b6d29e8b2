import type { Redis } from 'ioredis';
import { Value } from '@sinclair/typebox/value';
import { TraderPresence, type StoredPresence } from '@tickdesk/schemas';
import { DEFAULT_PREFIX, directoryKeys } from './keys.js';

/** A stored presence entry, checked: undefined when it is not a TraderPresence of `trader` with `since`. */
export function decodePresence(trader: string, json: string): StoredPresence | undefined {
  try {
    const v: unknown = JSON.parse(json);
    return Value.Check(TraderPresence, v) && v.trader === trader && typeof v.since === 'string'
      ? (v as StoredPresence)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The presence snapshot in `<prefix>presence` (field = trader, value = TraderPresence
 * JSON) and its channel `<prefix>presence:changes`: written by the alert engine's
 * presence tracker, read by it at start (so `since` survives a restart) and by the API.
 */
export function createPresenceStore({ redis, prefix = DEFAULT_PREFIX }: { redis: Redis; prefix?: string }) {
  const keys = directoryKeys(prefix);
  return {
    /** Every stored entry; an unreadable one is `null`. */
    async all(): Promise<Map<string, StoredPresence | null>> {
      const stored = await redis.hgetall(keys.presence);
      return new Map(Object.entries(stored).map(([trader, json]) => [trader, decodePresence(trader, json) ?? null]));
    },
    /** Store an entry without announcing it (a trader's first, offline entry). */
    async put(entry: StoredPresence): Promise<void> {
      await redis.hset(keys.presence, entry.trader, JSON.stringify(entry));
    },
    /** The traders that have an entry, without reading the entries. */
    traders: (): Promise<string[]> => redis.hkeys(keys.presence),
    /** Remove a trader's entry: one the desk no longer follows (a partner desk's trader no rule names). */
    async remove(trader: string): Promise<void> {
      await redis.hdel(keys.presence, trader);
    },
    /** Store an entry and announce it on the channel, in one MULTI (one key: no slot constraint). */
    async publish(entry: StoredPresence): Promise<void> {
      const json = JSON.stringify(entry);
      await redis.multi().hset(keys.presence, entry.trader, json).publish(keys.presenceChanges, json).exec();
    },
  };
}
export type PresenceStore = ReturnType<typeof createPresenceStore>;
