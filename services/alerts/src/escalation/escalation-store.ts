import type { Redis } from 'ioredis';
import type { EscalationChain } from '@tickdesk/schemas';
import { escalationKeys } from '@tickdesk/store';

/**
 * Escalation chains in Redis (escalationKeys): each alert's chain, fixed when it is first
 * routed so a rule edited later does not change an alert under way; when its next step is
 * due; and each trader's default chain.
 */
export function createEscalationStore({ redis, prefix }: { redis: Redis; prefix?: string }) {
  const k = escalationKeys(prefix);
  const parse = (text: string | null | undefined) => (text ? (JSON.parse(text) as EscalationChain) : undefined);

  return {
    defaultOf: async (trader: string): Promise<EscalationChain | undefined> =>
      parse(await redis.hget(k.defaults, trader)),
    async setDefault(trader: string, chain: EscalationChain): Promise<void> {
      await redis.hset(k.defaults, trader, JSON.stringify(chain));
    },
    /** False when the trader had none. */
    clearDefault: async (trader: string): Promise<boolean> => (await redis.hdel(k.defaults, trader)) > 0,
    chainOf: async (alertId: string): Promise<EscalationChain | undefined> => parse(await redis.hget(k.chain, alertId)),
    /** The alert's chain: `chain` if it had none yet, else the one it was given first. */
    async fix(alertId: string, chain: EscalationChain): Promise<EscalationChain> {
      await redis.hsetnx(k.chain, alertId, JSON.stringify(chain));
      return (await this.chainOf(alertId)) ?? chain;
    },
    async schedule(alertId: string, at: number): Promise<void> {
      await redis.zadd(k.due, at, alertId);
    },
    due: (now: number, limit: number): Promise<string[]> => redis.zrangebyscore(k.due, '-inf', now, 'LIMIT', 0, limit),
    /** No more steps for the alert; its chain stays, so the engine still knows the alert has one. */
    async finish(alertId: string): Promise<void> {
      await redis.zrem(k.due, alertId);
    },
  };
}
export type EscalationStore = ReturnType<typeof createEscalationStore>;
