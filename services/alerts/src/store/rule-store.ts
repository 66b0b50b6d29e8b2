import { randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import { formatMillis, RuleInput, type Rule, type RuleStatus } from '@tickdesk/schemas';
import { DEFAULT_PREFIX, ruleKeys } from './redis-layout.js';
import { defineScript, values } from './redis-script.js';
import { badInput, ruleLimit } from './store-errors.js';

export interface RuleChange {
  id: string;
  version: number;
  op: 'upsert' | 'remove';
}
export type RuleWriteResult = Rule | 'not-found' | 'version-conflict';

/** 1 created, 0 id taken, -1 the owner has the most rules allowed. KEYS: rule, ids, owner index. ARGV: id, owner, json, channel, change, cap. */
const CREATE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[6]) then return -1 end
redis.call('HSET', KEYS[1], 'v', 1, 'owner', ARGV[2], 'json', ARGV[3])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
`;

/** Compare-and-set on the version read: -1 gone, 0 written (and published), else the current version. KEYS: rule. ARGV: version read, json, channel, change. */
const REPLACE_LUA = `
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return -1 end
if v ~= ARGV[1] then return tonumber(v) end
redis.call('HSET', KEYS[1], 'v', tonumber(v) + 1, 'json', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 0
`;

/** 0 when gone, else the version the removal is announced with. KEYS: rule, ids, owner index. ARGV: id, channel. */
const REMOVE_LUA = `
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
local version = tonumber(v) + 1
redis.call('PUBLISH', ARGV[2], '{"id":"' .. ARGV[1] .. '","version":' .. version .. ',"op":"remove"}')
return version
`;

const INPUT_FIELDS = Object.keys(RuleInput.properties) as (keyof RuleInput)[];
const ID = /^r[0-9a-z]{1,32}$/;
const PAGE = 500;
/** Compare-and-set rounds lost to concurrent writers before giving up (only without expectedVersion). */
const MAX_ROUNDS = 20;
/**
 * Rules one trader may have stored, whatever their status (TICKDESK_ALERTS_MAX_RULES_PER_TRADER):
 * 3,000 were made over chat in 7 s. 500 is above TradingView's 400 alerts of its
 * larger plans; paused, triggered and expired rules count until deleted.
 */
export const DEFAULT_MAX_RULES_PER_OWNER = 500;

/** Why the engine paused a rule itself (rule-flap.ts), kept while it stays paused. */
type PausedWhy = Pick<Rule, 'pausedReason' | 'pausedAt'>;
const pausedWhy = (r: Rule): PausedWhy =>
  r.status === 'paused' && r.pausedReason
    ? { pausedReason: r.pausedReason, ...(r.pausedAt ? { pausedAt: r.pausedAt } : {}) }
    : {};

/** Exactly the known input fields: a stray property is never stored. */
function pickInput(input: RuleInput): RuleInput {
  const out: Record<string, unknown> = {};
  for (const k of INPUT_FIELDS) if (input[k] !== undefined) out[k] = input[k];
  return out as RuleInput;
}

function parseChange(message: string): RuleChange | undefined {
  try {
    const c = JSON.parse(message) as RuleChange;
    return typeof c.id === 'string' && Number.isInteger(c.version) && (c.op === 'upsert' || c.op === 'remove')
      ? { id: c.id, version: c.version, op: c.op }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Traders' rules (layout in redis-layout.ts). Every write is one script that also
 * publishes the change, so a subscriber never hears of a write that did not happen.
 * Input is validated by the caller (`validateRuleInput`); this store keeps only known fields.
 */
export function createRuleStore({
  redis,
  prefix = DEFAULT_PREFIX,
  now = Date.now,
  maxRulesPerOwner = DEFAULT_MAX_RULES_PER_OWNER,
}: {
  redis: Redis;
  prefix?: string;
  now?: () => number;
  maxRulesPerOwner?: number;
}) {
  const keys = ruleKeys(prefix);
  const createScript = defineScript(redis, 'tdRuleCreateCapped', 3, CREATE_LUA);
  const replaceScript = defineScript(redis, 'tdRuleReplace', 1, REPLACE_LUA);
  const removeScript = defineScript(redis, 'tdRuleRemove', 3, REMOVE_LUA);
  const change = (id: string, version: number, op: RuleChange['op']) => JSON.stringify({ id, version, op });

  function newId(): string {
    // 9 base36 digits of ms (sortable until the year 5188), then 10 random ones.
    const time = Math.floor(now()).toString(36).padStart(9, '0');
    let rand = '';
    for (let i = 0; i < 10; i++) rand += randomInt(36).toString(36);
    return `r${time}${rand}`;
  }

  async function fetch(ids: readonly string[]): Promise<Rule[]> {
    const out: Rule[] = [];
    for (let i = 0; i < ids.length; i += PAGE) {
      const chunk = ids.slice(i, i + PAGE);
      const jsons = values(await chunk.reduce((p, id) => p.hget(keys.rule(id), 'json'), redis.pipeline()).exec()) as (
        string | null
      )[];
      for (const json of jsons) if (json !== null) out.push(JSON.parse(json) as Rule);
    }
    return out;
  }

  async function get(id: string): Promise<Rule | undefined> {
    if (!ID.test(id)) return undefined;
    const json = await redis.hget(keys.rule(id), 'json');
    return json === null ? undefined : (JSON.parse(json) as Rule);
  }

  /** Read, change, compare-and-set on the version read; retried when another writer got in between. */
  async function rewrite(
    id: string,
    expectedVersion: number | undefined,
    edit: (cur: Rule) => RuleInput & { status: RuleStatus } & PausedWhy,
  ): Promise<RuleWriteResult> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const cur = await get(id);
      if (!cur) return 'not-found';
      if (expectedVersion !== undefined && cur.version !== expectedVersion) return 'version-conflict';
      const next: Rule = {
        id: cur.id,
        owner: cur.owner,
        ...edit(cur),
        createdAt: cur.createdAt,
        updatedAt: formatMillis(now()),
        version: cur.version + 1,
      };
      const reply = await replaceScript.run(
        [keys.rule(id)],
        [cur.version, JSON.stringify(next), keys.changes, change(id, next.version, 'upsert')],
      );
      if (reply === 0) return next;
      if (reply === -1) return 'not-found';
      if (expectedVersion !== undefined) return 'version-conflict';
    }
    return 'version-conflict';
  }

  return {
    maxRulesPerOwner,

    /** Every path (REST, chat, ad-hoc) creates here, so the per-owner cap holds for all; throws TICKDESK_ALERTS_STORE_RULE_LIMIT past it. */
    async create(owner: string, input: RuleInput): Promise<Rule> {
      if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(owner))
        throw badInput(`rule owner ${JSON.stringify(owner)} is not a trader name`);
      const at = formatMillis(now());
      for (;;) {
        const id = newId();
        const rule: Rule = {
          id,
          owner,
          ...pickInput(input),
          status: 'active',
          createdAt: at,
          updatedAt: at,
          version: 1,
        };
        const created = await createScript.run(
          [keys.rule(id), keys.ids, keys.owner(owner)],
          [id, owner, JSON.stringify(rule), keys.changes, change(id, 1, 'upsert'), maxRulesPerOwner],
        );
        if (created === 1) return rule;
        if (created === -1) throw ruleLimit(owner, maxRulesPerOwner); // else an id collision (1 in 36^10 within one ms): draw again
      }
    },

    get,

    async list(opts: { owner?: string } = {}): Promise<Rule[]> {
      return fetch(await redis.zrange(opts.owner === undefined ? keys.ids : keys.owner(opts.owner), 0, -1));
    },

    /** Replace the input fields; status (and why the engine paused it), owner and createdAt stay. */
    update: (id: string, input: RuleInput, expectedVersion?: number): Promise<RuleWriteResult> =>
      rewrite(id, expectedVersion, (cur) => ({ ...pickInput(input), status: cur.status, ...pausedWhy(cur) })),

    /** `why`: the engine paused the rule itself (its firing limit); any later status write clears it. */
    setStatus: (id: string, status: RuleStatus, expectedVersion?: number, why?: PausedWhy): Promise<RuleWriteResult> =>
      rewrite(id, expectedVersion, (cur) => ({ ...pickInput(cur), status, ...why })),

    async remove(id: string): Promise<boolean> {
      const owner = ID.test(id) ? await redis.hget(keys.rule(id), 'owner') : null;
      if (owner === null) return false;
      return ((await removeScript.run([keys.rule(id), keys.ids, keys.owner(owner)], [id, keys.changes])) as number) > 0;
    },

    /** Every rule, in creation order, read a page at a time. */
    async *all(): AsyncIterable<Rule> {
      for (let from = '-'; ;) {
        const ids = await redis.zrange(keys.ids, from, '+', 'BYLEX', 'LIMIT', 0, PAGE);
        yield* await fetch(ids);
        if (ids.length < PAGE) return;
        from = `(${ids[ids.length - 1]}`;
      }
    },

    /**
     * Hear of every committed write, on a connection of its own. Messages sent while that
     * connection is down are lost: `onResync` runs after each reconnection so the caller
     * can reload (all()); the engine also ignores a version older than what it has.
     */
    async subscribe(onChange: (change: RuleChange) => void, onResync?: () => void): Promise<() => Promise<void>> {
      const sub = redis.duplicate();
      sub.on('error', () => undefined); // ioredis reconnects and resubscribes by itself
      let readies = 0;
      sub.on('ready', () => {
        if (readies++ > 0) onResync?.();
      });
      sub.on('message', (channel: string, message: string) => {
        const c = channel === keys.changes ? parseChange(message) : undefined;
        if (c) onChange(c);
      });
      await sub.subscribe(keys.changes);
      return async () => {
        sub.removeAllListeners('message');
        await sub.unsubscribe().catch(() => undefined);
        sub.disconnect();
      };
    },
  };
}

export type RuleStore = ReturnType<typeof createRuleStore>;
