import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  DEFAULT_SILENCES_PER_TRADER,
  silenceActive,
  silenceEnd,
  type Silence,
  type SilenceInput,
} from '@tickdesk/schemas/rest';
import { formatMillis } from '@tickdesk/schemas';
import { silenceKeys } from '@tickdesk/store';

/** How long a silence that ended stays listed (and tells the held alerts what to do): one day. */
export const SILENCE_KEPT_AFTER_END_MS = 24 * 3600 * 1000;

/**
 * Silences in Redis (keys.ts silenceKeys): the API creates and ends them, the engine reads
 * the addressee's at each alert it routes and the ends since its last look. An ended
 * silence is kept a day, so an alert it held can still learn its `onEnd`.
 */
export function createSilenceStore({
  redis,
  prefix,
  perTraderMax = DEFAULT_SILENCES_PER_TRADER,
}: {
  redis: Redis;
  prefix?: string;
  perTraderMax?: number;
}) {
  const k = silenceKeys(prefix);
  const parse = (text: string | null | undefined) => (text ? (JSON.parse(text) as Silence) : undefined);

  async function get(id: string): Promise<Silence | undefined> {
    return parse(await redis.hget(k.all, id));
  }

  /** The owner's silences, dropping those ended more than a day before `now`. */
  async function ofOwner(owner: string, now: number): Promise<Silence[]> {
    const ids = await redis.hkeys(k.of(owner));
    if (ids.length === 0) return [];
    const found = (await redis.hmget(k.all, ...ids)).map(parse);
    const stale = ids.filter((id, i) => {
      const s = found[i];
      return s === undefined || silenceEnd(s) + SILENCE_KEPT_AFTER_END_MS < now;
    });
    if (stale.length > 0) {
      await redis
        .multi()
        .hdel(k.all, ...stale)
        .hdel(k.of(owner), ...stale)
        .zrem(k.ends, ...stale.map((id) => `${owner}|${id}`))
        .exec();
    }
    return found.filter((s): s is Silence => s !== undefined && !stale.includes(s.id));
  }

  return {
    perTraderMax,
    get,
    /** The owner's silences, newest first (ended ones for a day). */
    async list(owner: string, now: number): Promise<Silence[]> {
      return (await ofOwner(owner, now)).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    },
    /** Every trader's silences, newest first (admin, compliance). */
    async listAll(limit = 10_000): Promise<Silence[]> {
      const all = (await redis.hvals(k.all)).map(parse).filter((s): s is Silence => s !== undefined);
      return all.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1)).slice(0, limit);
    },
    /** The owner's silences that hold alerts at `now`. */
    async activeFor(owner: string, now: number): Promise<Silence[]> {
      const ids = await redis.hkeys(k.of(owner));
      if (ids.length === 0) return [];
      const found = (await redis.hmget(k.all, ...ids)).map(parse);
      return found.filter((s): s is Silence => s !== undefined && silenceActive(s, now));
    },
    /** A new silence, already checked (silenceProblem); undefined when the owner has `perTraderMax` not yet ended. */
    async create(owner: string, input: SilenceInput, now: number): Promise<Silence | undefined> {
      const open = (await ofOwner(owner, now)).filter((s) => silenceEnd(s) > now);
      if (open.length >= perTraderMax) return undefined;
      const silence: Silence = {
        id: `sl${randomBytes(8).toString('hex')}`,
        owner,
        ...(input.symbol !== undefined ? { symbol: input.symbol } : {}),
        ...(input.ruleId !== undefined ? { ruleId: input.ruleId } : {}),
        from: input.from ?? formatMillis(now),
        until: input.until,
        reason: input.reason,
        onEnd: input.onEnd ?? 'release',
        createdAt: formatMillis(now),
      };
      await redis
        .multi()
        .hset(k.all, silence.id, JSON.stringify(silence))
        .hset(k.of(owner), silence.id, '1')
        .zadd(k.ends, silenceEnd(silence), `${owner}|${silence.id}`)
        .exec();
      return silence;
    },
    /** Ends a silence now (its held alerts go as its `onEnd` says); undefined when it had ended already. */
    async end(silence: Silence, now: number): Promise<Silence | undefined> {
      if (silenceEnd(silence) <= now) return undefined;
      const ended: Silence = { ...silence, endedAt: formatMillis(now) };
      await redis
        .multi()
        .hset(k.all, silence.id, JSON.stringify(ended))
        .zadd(k.ends, now, `${silence.owner}|${silence.id}`)
        .exec();
      return ended;
    },
    /** The silences that stopped holding in (after, upTo]: `{ owner, id, end }`. */
    async endedBetween(after: number, upTo: number): Promise<{ owner: string; id: string; end: number }[]> {
      const flat = await redis.zrangebyscore(k.ends, `(${after}`, upTo, 'WITHSCORES');
      const out: { owner: string; id: string; end: number }[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const member = flat[i] ?? '';
        const at = member.lastIndexOf('|');
        out.push({ owner: member.slice(0, at), id: member.slice(at + 1), end: Number(flat[i + 1]) });
      }
      return out;
    },
  };
}
export type SilenceStore = ReturnType<typeof createSilenceStore>;
