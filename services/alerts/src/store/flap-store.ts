import type { Redis } from 'ioredis';
import { decodeAlert, encodeAlert, type StoredAlert } from './alert-record.js';
import { alertKeys, DEFAULT_PREFIX } from './redis-layout.js';
import { defineScript, values } from './redis-script.js';

/** A rule's flap-control state (hash `td:{alerts}:flap:<rule id>`); times in epoch ms, `last` in µs of event time. */
export interface FlapFields {
  /** The rule version `n` counts firings of (a change or a resume gives a new version: the count starts again). */
  v?: number;
  n?: number;
  /** Event time (µs) of the last firing let through (min-gap). */
  last?: number;
  /** The alert id of the rule's last group message (open while that alert is `grouping`). */
  group?: string;
  /** When that group's window ends (ms), and how many firings it gathered. */
  groupUntil?: number;
  groupN?: number;
  capSince?: number;
  capUntil?: number;
  capDetail?: string;
  gapSince?: number;
  gapUntil?: number;
}

/** Counts a firing of rule version ARGV[1]; a count of another version starts again. KEYS: flap. */
const COUNT_LUA = `
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then redis.call('HSET', KEYS[1], 'v', ARGV[1], 'n', 0) end
return redis.call('HINCRBY', KEYS[1], 'n', 1)
`;

/** A streak of held-back firings (cap or gap): `since` kept while the streak lasts. KEYS: flap. ARGV: field prefix, now, until, detail. */
const STREAK_LUA = `
local untilField = ARGV[1] .. 'Until'
if tonumber(redis.call('HGET', KEYS[1], untilField) or '0') < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], ARGV[1] .. 'Since', ARGV[2])
end
redis.call('HSET', KEYS[1], untilField, ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], ARGV[1] .. 'Detail', ARGV[4]) end
return 1
`;

/** Compare-and-set of a grouping alert's document: 0 no longer grouping, -1 changed meanwhile, 1 written. KEYS: alert. ARGV: doc read, new doc. */
const JOIN_LUA = `
if redis.call('HGET', KEYS[1], 'state') ~= 'grouping' then return 0 end
if redis.call('HGET', KEYS[1], 'doc') ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], 'doc', ARGV[2])
return 1
`;

const NUMERIC = new Set(['v', 'n', 'last', 'groupUntil', 'groupN', 'capSince', 'capUntil', 'gapSince', 'gapUntil']);

function parse(h: Record<string, string>): FlapFields {
  const out: FlapFields = {};
  for (const [k, v] of Object.entries(h)) (out as Record<string, string | number>)[k] = NUMERIC.has(k) ? Number(v) : v;
  return out;
}

/**
 * Per-rule flap control in Redis, in the {alerts} slot beside the rate caps, so every engine
 * (and the next one after a restart or a takeover) sees the same count, gap and open group.
 */
export function createFlapStore({ redis, prefix = DEFAULT_PREFIX }: { redis: Redis; prefix?: string }) {
  const keys = alertKeys(prefix);
  const count = defineScript(redis, 'tdFlapCount', 1, COUNT_LUA);
  const streak = defineScript(redis, 'tdFlapStreak', 1, STREAK_LUA);
  const join = defineScript(redis, 'tdFlapJoin', 1, JOIN_LUA);

  return {
    read: async (ruleId: string): Promise<FlapFields> => parse(await redis.hgetall(keys.flap(ruleId))),
    async readMany(ids: readonly string[]): Promise<Map<string, FlapFields>> {
      if (ids.length === 0) return new Map();
      const all = values(await ids.reduce((p, id) => p.hgetall(keys.flap(id)), redis.pipeline()).exec()) as Record<
        string,
        string
      >[];
      return new Map(ids.map((id, i) => [id, parse(all[i]!)]));
    },
    /** One more firing of `version` let through; resolves to the count. */
    count: async (ruleId: string, version: number): Promise<number> =>
      Number(await count.run([keys.flap(ruleId)], [version])),
    letThrough: (ruleId: string, eventMicros: number): Promise<unknown> =>
      redis.hset(keys.flap(ruleId), 'last', eventMicros),
    openGroup: (ruleId: string, alertId: string, until: number): Promise<unknown> =>
      redis.hset(keys.flap(ruleId), 'group', alertId, 'groupUntil', until, 'groupN', 1),
    grew: (ruleId: string): Promise<unknown> => redis.hincrby(keys.flap(ruleId), 'groupN', 1),
    /** A firing held back by a rate cap (`cap`) or the minimum gap (`gap`), until `until` (ms). */
    streak: (ruleId: string, kind: 'cap' | 'gap', now: number, until: number, detail = ''): Promise<unknown> =>
      streak.run([keys.flap(ruleId)], [kind, now, until, detail]),
    /** The rules are gone (rule-leftovers.ts): their state too, one DEL (one slot: {alerts}). */
    forget: (ruleIds: readonly string[]): Promise<unknown> =>
      ruleIds.length === 0 ? Promise.resolve(0) : redis.del(...ruleIds.map((id) => keys.flap(id))),
    /**
     * Change the open group message `alertId` by `edit`: 'closed' when it is no longer
     * grouping (its window ended, it went) or `edit` declines, else the alert as written.
     */
    async joinGroup(
      alertId: string,
      edit: (a: StoredAlert) => StoredAlert | undefined,
    ): Promise<StoredAlert | 'closed'> {
      for (;;) {
        const h = await redis.hgetall(keys.alert(alertId));
        if (h.state !== 'grouping' || h.doc === undefined) return 'closed';
        const next = edit(decodeAlert(h));
        if (!next) return 'closed';
        const reply = Number(await join.run([keys.alert(alertId)], [h.doc, encodeAlert(next).doc!]));
        if (reply === 1) return next;
        if (reply === 0) return 'closed';
      }
    },
  };
}
export type FlapStore = ReturnType<typeof createFlapStore>;
