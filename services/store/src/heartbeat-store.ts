import type { Redis } from 'ioredis';
import { HEARTBEAT_TTL_MS, readHeartbeat, type Heartbeat, type PartHealthState } from '@tickdesk/schemas';
import { DEFAULT_PREFIX, engineKeys } from './keys.js';

/**
 * The alert engine's heartbeat in `<prefix>alerts:heartbeat` (a Heartbeat, JSON, with a
 * TTL of HEARTBEAT_TTL_MS so a dead writer's record disappears): the engine writes it,
 * the API's /health reads it.
 */
export function createEngineHeartbeat({ redis, prefix = DEFAULT_PREFIX }: { redis: Redis; prefix?: string }) {
  const key = engineKeys(prefix).heartbeat;
  return {
    async write(beat: Heartbeat & { rules?: number }): Promise<void> {
      await redis.set(key, JSON.stringify(beat), 'PX', HEARTBEAT_TTL_MS);
    },
    async clear(): Promise<void> {
      await redis.del(key);
    },
    /** The engine's state as /health reports it (readHeartbeat in @tickdesk/schemas). */
    async read(nowMs: number, livePid?: number): Promise<{ state: PartHealthState; detail?: string }> {
      return readHeartbeat(await redis.get(key), nowMs, 'alert engine', livePid);
    },
  };
}
export type EngineHeartbeat = ReturnType<typeof createEngineHeartbeat>;
