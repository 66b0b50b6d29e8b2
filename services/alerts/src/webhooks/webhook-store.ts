import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DESK_WIDE, type Webhook, type WebhookDeadLetter } from '@tickdesk/schemas/rest';
import { webhookKeys } from '@tickdesk/store';
import { defineScript } from '../store/redis-script.js';
import { newSecret } from './webhook-signature.js';

/** An endpoint as the engine needs it: with its secret. */
export interface WebhookEndpoint extends Webhook {
  secret: string;
}
/**
 * A delivery still to make: `<alert id>|<endpoint id>`, or `<alert id>#<step>|<endpoint id>`
 * for an escalation chain's step (its own idempotency key), and its attempts so far.
 */
export interface WebhookJob {
  id: string;
  alertId: string;
  endpointId: string;
  attempt: number;
  /** The escalation chain's step (from 1) this delivery is. */
  escalation?: number;
}

/** The endpoints one owner may register unless configured (TICKDESK_WEBHOOKS_PER_OWNER_MAX). */
export const DEFAULT_WEBHOOKS_PER_OWNER = 5;

// A delivery is made once per endpoint: not again once settled (done), nor twice while pending.
const ENQUEUE_LUA = `
local n = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call('HEXISTS', KEYS[3], id) == 0 and redis.call('HSETNX', KEYS[1], id, '0') == 1 then
    redis.call('ZADD', KEYS[2], ARGV[1], id)
    n = n + 1
  end
end
return n`;
// Taken by one engine for `lease` ms: a crash mid-attempt leaves it due again afterwards.
const CLAIM_LUA = `
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if s and tonumber(s) <= tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  return 1
end
return 0`;

export function createWebhookStore({
  redis,
  prefix,
  perOwnerMax = DEFAULT_WEBHOOKS_PER_OWNER,
}: {
  redis: Redis;
  prefix?: string;
  perOwnerMax?: number;
}) {
  const k = webhookKeys(prefix);
  const enqueueScript = defineScript(redis, 'tdWebhookEnqueue', 3, ENQUEUE_LUA);
  const claimScript = defineScript(redis, 'tdWebhookClaim', 1, CLAIM_LUA);
  const parse = (text: string | null | undefined) => (text ? (JSON.parse(text) as WebhookEndpoint) : undefined);
  const shown = ({ secret: _secret, ...rest }: WebhookEndpoint): Webhook => rest;
  // Alert ids never hold '#' (alert-record.ts): what follows one is an escalation step.
  const split = (id: string): Pick<WebhookJob, 'alertId' | 'endpointId' | 'escalation'> => {
    const at = id.lastIndexOf('|');
    const [alertId = '', step] = id.slice(0, at).split('#');
    return { alertId, endpointId: id.slice(at + 1), ...(step ? { escalation: Number(step) } : {}) };
  };

  async function get(id: string): Promise<WebhookEndpoint | undefined> {
    return parse(await redis.hget(k.endpoints, id));
  }
  async function ofOwner(owner: string): Promise<WebhookEndpoint[]> {
    const ids = await redis.hkeys(k.owned(owner));
    if (ids.length === 0) return [];
    return (await redis.hmget(k.endpoints, ...ids)).map(parse).filter((e) => e !== undefined);
  }

  return {
    perOwnerMax,
    get,
    /** Registers an endpoint; undefined when its owner has `perOwnerMax` already. */
    async create(owner: string, url: string, now: number): Promise<WebhookEndpoint | undefined> {
      if ((await redis.hlen(k.owned(owner))) >= perOwnerMax) return undefined;
      const ep = {
        id: `wh${randomBytes(8).toString('hex')}`,
        url,
        owner,
        createdAt: new Date(now).toISOString(),
        secret: newSecret(),
      };
      await redis.multi().hset(k.endpoints, ep.id, JSON.stringify(ep)).hset(k.owned(owner), ep.id, ep.createdAt).exec();
      return ep;
    },
    /** Whether any endpoint is registered at all. */
    any: async (): Promise<boolean> => (await redis.hlen(k.endpoints)) > 0,
    /** Every endpoint (`owner` undefined) or one owner's, without secrets. */
    async list(owner?: string): Promise<Webhook[]> {
      const all =
        owner === undefined
          ? Object.values(await redis.hgetall(k.endpoints)).map((t) => parse(t)!)
          : await ofOwner(owner);
      return all.map(shown).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },
    async remove(id: string): Promise<boolean> {
      const ep = await get(id);
      if (!ep) return false;
      await redis.multi().hdel(k.endpoints, id).hdel(k.owned(ep.owner), id).exec();
      return true;
    },
    /** The endpoints an alert of `owner` goes to: theirs and the desk-wide ones. */
    async forAlert(owner: string): Promise<WebhookEndpoint[]> {
      // Both read at once: each fired alert waits for this before it is sent.
      const [own, desk] = await Promise.all([ofOwner(owner), owner === DESK_WIDE ? [] : ofOwner(DESK_WIDE)]);
      return [...own, ...desk];
    },
    /**
     * Deliveries of `alertId` to each endpoint (as escalation step `step` when given), due at
     * `at`; those made or pending already are left alone.
     */
    async enqueue(alertId: string, endpointIds: readonly string[], at: number, step?: number): Promise<number> {
      if (endpointIds.length === 0) return 0;
      const ids = endpointIds.map((e) => `${alertId}${step === undefined ? '' : `#${step}`}|${e}`);
      return Number(await enqueueScript.run([k.jobs, k.due, k.done], [at, ...ids]));
    },
    async due(now: number, limit: number): Promise<WebhookJob[]> {
      const ids = await redis.zrangebyscore(k.due, '-inf', now, 'LIMIT', 0, limit);
      if (ids.length === 0) return [];
      const attempts = await redis.hmget(k.jobs, ...ids);
      return ids.map((id, i) => ({ id, ...split(id), attempt: Number(attempts[i] ?? 0) }));
    },
    claim: async (id: string, now: number, leaseMs: number): Promise<boolean> =>
      Number(await claimScript.run([k.due], [id, now, now + leaseMs])) === 1,
    async retryAt(id: string, attempt: number, at: number): Promise<void> {
      await redis.multi().hset(k.jobs, id, String(attempt)).zadd(k.due, at, id).exec();
    },
    /** Delivered, or its endpoint gone: never made again. */
    async settle(id: string): Promise<void> {
      await redis.multi().hdel(k.jobs, id).zrem(k.due, id).hset(k.done, id, '1').exec();
    },
    async deadLetter(letter: WebhookDeadLetter, now: number): Promise<void> {
      await redis
        .multi()
        .hdel(k.jobs, letter.id)
        .zrem(k.due, letter.id)
        .hset(k.done, letter.id, '1')
        .hset(k.dead, letter.id, JSON.stringify(letter))
        .zadd(k.deadOf(letter.owner), now, letter.id)
        .exec();
    },
    /** Dead letters, newest first: one owner's, or all of them (`owner` undefined). */
    async deadLetters(owner?: string, limit = 500): Promise<WebhookDeadLetter[]> {
      const texts =
        owner === undefined
          ? Object.values(await redis.hgetall(k.dead))
          : await (async () => {
              const ids = await redis.zrevrange(k.deadOf(owner), 0, limit - 1);
              return ids.length === 0 ? [] : (await redis.hmget(k.dead, ...ids)).filter((t) => t !== null);
            })();
      return texts
        .map((t) => JSON.parse(t) as WebhookDeadLetter)
        .sort((a, b) => b.at.localeCompare(a.at))
        .slice(0, limit);
    },
    /** A dead letter due again now, attempts from zero; false when there is none by that id. */
    async replay(id: string, now: number): Promise<boolean> {
      const text = await redis.hget(k.dead, id);
      if (!text) return false;
      const { owner } = JSON.parse(text) as WebhookDeadLetter;
      await redis
        .multi()
        .hdel(k.dead, id)
        .zrem(k.deadOf(owner), id)
        .hdel(k.done, id)
        .hset(k.jobs, id, '0')
        .zadd(k.due, now, id)
        .exec();
      return true;
    },
  };
}
export type WebhookStore = ReturnType<typeof createWebhookStore>;
