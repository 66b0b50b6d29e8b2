import type { Redis } from 'ioredis';
import { ALERT_STATES, type AlertState } from '@tickdesk/schemas';
import {
  checkAlert,
  checkPatch,
  checkStep,
  decodeAlert,
  OUTBOX_STATES,
  pairs,
  stepJson,
  type AlertPatch,
  type LifecycleStep,
  type StoredAlert,
} from './alert-record.js';
import {
  CREATE_FIXED_KEYS,
  CREATE_LUA,
  createCall,
  createResult,
  type CreateGuard,
  type CreateResult,
} from './alert-create.js';
import { LUA_FENCE, LUA_TABLES } from './alert-lua.js';
import { createAlertQuery, type AlertListOptions } from './alert-query.js';
import { alertKeys, DEFAULT_PREFIX } from './redis-layout.js';
import { defineScript, values } from './redis-script.js';
import { createReplicaAck, type ReplicaAckOptions } from './replica-ack.js';
import { badInput, StoreError } from './store-errors.js';

/** Raises an instrument's fence to a new holder's token; 1 unless a larger one is there. KEYS: fence. ARGV: symbol, token. */
const RAISE_FENCE_LUA = `${LUA_FENCE}
if fenced(KEYS[1], ARGV[1], ARGV[2]) then return 0 end
return 1
`;

/**
 * Applies a patch ("" = keep) and appends one lifecycle step, moving the alert between
 * indexes; with a state guard (space-separated states) it changes nothing unless the
 * alert is in one of them; with a lease token, nothing unless the token is not fenced out.
 * Returns 0 (no such alert), -1 (guard failed), -2 (fenced) or the new hash.
 * KEYS: alert, outbox, held, fence, then by-state of every state.
 * ARGV: id, state, attempts, next, recipient, step JSON, guard, token, symbol.
 */
const TRANSITION_LUA = `${LUA_TABLES}${LUA_FENCE}
if fenced(KEYS[4], ARGV[9], ARGV[8]) then return -2 end
local cur = redis.call('HMGET', KEYS[1], 'state', 'next', 'recipient', 'life', 'member')
if not cur[1] then return 0 end
if ARGV[7] ~= '' and not string.find(' ' .. ARGV[7] .. ' ', ' ' .. cur[1] .. ' ', 1, true) then return -1 end
local state = ARGV[2] ~= '' and ARGV[2] or cur[1]
local nxt = ARGV[4] ~= '' and ARGV[4] or cur[2]
local recipient = ARGV[5] ~= '' and ARGV[5] or cur[3]
local life = cur[4] == '[]' and ('[' .. ARGV[6] .. ']') or (string.sub(cur[4], 1, -2) .. ',' .. ARGV[6] .. ']')
redis.call('HSET', KEYS[1], 'state', state, 'next', nxt, 'recipient', recipient, 'life', life)
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'attempts', ARGV[3]) end
if state ~= cur[1] then
  redis.call('ZREM', KEYS[4 + SLOT[cur[1]]], cur[5])
  redis.call('ZADD', KEYS[4 + SLOT[state]], 0, cur[5])
end
if cur[1] == 'held' then redis.call('ZREM', KEYS[3], cur[3] .. '|' .. ARGV[1]) end
if state == 'held' then redis.call('ZADD', KEYS[3], 0, recipient .. '|' .. ARGV[1]) end
if OUTBOX[state] then redis.call('ZADD', KEYS[2], nxt, ARGV[1]) else redis.call('ZREM', KEYS[2], ARGV[1]) end
return redis.call('HGETALL', KEYS[1])
`;

export interface AlertStore {
  /** Store a new alert; false (and nothing changes) when its id exists. */
  create(alert: StoredAlert): Promise<boolean>;
  /** The same by a lease holder with fencing `token` for the alert's instrument: 'fenced' (and no change) when a larger token was seen. */
  create(alert: StoredAlert, token: number): Promise<boolean | 'fenced'>;
  /** The same with the checks of `guard` made in the script that stores it (alert-create.ts); any refusal changes nothing. */
  create(alert: StoredAlert, guard: CreateGuard): Promise<CreateResult>;
  /** A new lease holder of `symbol` shuts out smaller tokens before it writes; false when a larger one is there already. */
  raiseFence(symbol: string, token: number): Promise<boolean>;
  get(id: string): Promise<StoredAlert | undefined>;
  /** Patch and append `step` to the lifecycle in one atomic step; undefined when there is no such alert. */
  transition(id: string, patch: AlertPatch, step: LifecycleStep): Promise<StoredAlert | undefined>;
  /** The same, only if the alert is in one of `guard.ifState`; 'state-conflict' (and no change) otherwise. */
  transition(
    id: string,
    patch: AlertPatch,
    step: LifecycleStep,
    guard: { ifState: readonly AlertState[] },
  ): Promise<StoredAlert | undefined | 'state-conflict'>;
  /** By a lease holder of the alert's instrument: 'fenced' (and no change) when its token is below the largest seen. */
  transition(
    id: string,
    patch: AlertPatch,
    step: LifecycleStep,
    guard: { ifState?: readonly AlertState[]; fence: Fence },
  ): Promise<StoredAlert | undefined | 'state-conflict' | 'fenced'>;
  /** Of these once rules, the ids whose version (or a later one) has an alert: the mark the create script writes with it. */
  firedOnce(rules: readonly { id: string; version: number }[]): Promise<Set<string>>;
  /** Outbox alerts whose nextActionAt ≤ nowMs, soonest first. */
  due(nowMs: number, limit: number): Promise<StoredAlert[]>;
  /** Every alert in the outbox (pending, held, sent, server-acked, escalated), in no particular order. */
  outstanding(): AsyncIterable<StoredAlert>;
  /** Alerts held for `trader` (their recipient), oldest first. */
  heldFor(trader: string): Promise<StoredAlert[]>;
  /** Alert history, newest first; pass `next` back as `after` for the following page. */
  list(opts: AlertListOptions): Promise<{ alerts: StoredAlert[]; next?: string }>;
}

/** An instrument and the fencing token of its lease as its holder sees it. */
export interface Fence {
  symbol: string;
  token: number;
}

/** Writes lost to fail-overs one after the other before a write gives up. */
const MAX_FAILOVERS = 10;

/**
 * The outbox and the alert history (layout in redis-layout.ts). With `ack`, create and
 * transition resolve only once the replicas have the write (replica-ack.ts); a write
 * the current primary lacks after a fail-over is made again.
 */
export function createAlertStore({
  redis,
  prefix = DEFAULT_PREFIX,
  ack: ackOptions,
}: {
  redis: Redis;
  prefix?: string;
  ack?: ReplicaAckOptions;
}): AlertStore {
  const keys = alertKeys(prefix);
  const ack = createReplicaAck(redis, ackOptions ?? { replicas: 0, timeoutMs: 1 });
  const stateKeys = ALERT_STATES.map(keys.byState);
  const createScript = defineScript(redis, 'tdAlertCreate', CREATE_FIXED_KEYS + stateKeys.length, CREATE_LUA);
  const transitionScript = defineScript(redis, 'tdAlertTransition', 4 + stateKeys.length, TRANSITION_LUA);
  const raiseFenceScript = defineScript(redis, 'tdAlertRaiseFence', 1, RAISE_FENCE_LUA);

  async function fetch(ids: readonly string[]): Promise<(StoredAlert | undefined)[]> {
    if (ids.length === 0) return [];
    const hashes = values(await ids.reduce((p, id) => p.hgetall(keys.alert(id)), redis.pipeline()).exec()) as Record<
      string,
      string
    >[];
    return hashes.map((h) => (h.doc === undefined ? undefined : decodeAlert(h)));
  }
  const present = (alerts: (StoredAlert | undefined)[]): StoredAlert[] =>
    alerts.filter((a): a is StoredAlert => a !== undefined);

  /**
   * `write` once, then until the replicas have it; after a connection change `applied()`
   * tells whether the current primary has the write (else it is written again).
   */
  async function acknowledged<T>(key: string, write: () => Promise<T>, applied: () => Promise<boolean>): Promise<T> {
    for (let i = 0; i < MAX_FAILOVERS; i++) {
      const mark = ack.mark();
      const result = await write();
      let verdict = await ack.confirm(mark);
      while (verdict === 'connection-changed' && (await applied())) verdict = await ack.witness(key, 'state');
      if (verdict === 'acked') return result;
    }
    throw new StoreError(
      'TICKDESK_ALERTS_STORE_NOT_ACKNOWLEDGED',
      `alert write to ${key}: lost in ${MAX_FAILOVERS} fail-overs`,
    );
  }

  async function transition(
    id: string,
    patch: AlertPatch,
    step: LifecycleStep,
    guard?: { ifState?: readonly AlertState[]; fence?: Fence },
  ): Promise<StoredAlert | undefined | 'state-conflict' | 'fenced'> {
    checkPatch(patch);
    checkStep(step);
    const ks = [keys.alert(id), keys.outbox, keys.held, keys.fence, ...stateKeys];
    const stepText = JSON.stringify(stepJson(step));
    const args = [
      id,
      patch.state ?? '',
      patch.attempts ?? '',
      patch.nextActionAt ?? '',
      patch.recipient ?? '',
      stepText,
      guard?.ifState ? guard.ifState.join(' ') || '-' : '',
      guard?.fence?.token ?? '',
      guard?.fence?.symbol ?? '',
    ];
    // Applied: the step closes the lifecycle (steps carry their time, so an earlier equal one is unlikely and harmless to keep).
    const reply = await acknowledged(
      keys.alert(id),
      () => transitionScript.run(ks, args),
      async () => {
        const life = await redis.hget(keys.alert(id), 'life');
        return life === null || life.endsWith(`${stepText}]`);
      },
    );
    if (reply === 0) return undefined;
    if (reply === -1) return 'state-conflict';
    if (reply === -2) return 'fenced';
    return decodeAlert(pairs(reply as string[]));
  }

  return {
    create: (async (alert: StoredAlert, guard?: number | CreateGuard) => {
      checkAlert(alert);
      const { keys: ks, args } = createCall(
        keys,
        stateKeys,
        alert,
        typeof guard === 'number' ? { token: guard } : guard,
      );
      const reply = await acknowledged(
        keys.alert(alert.id),
        () => createScript.run(ks, args),
        async () => (await redis.exists(keys.alert(alert.id))) === 1,
      );
      return createResult(reply);
    }) as AlertStore['create'],

    async raiseFence(symbol, token) {
      const raised = await acknowledged(
        keys.fence,
        () => raiseFenceScript.run([keys.fence], [symbol, token]),
        async () => Number((await redis.hget(keys.fence, symbol)) ?? 0) >= token,
      );
      return raised === 1;
    },

    async firedOnce(rules) {
      if (rules.length === 0) return new Set();
      const marks = await redis.hmget(keys.onceFired, ...rules.map((r) => r.id));
      return new Set(rules.filter((r, i) => Number(marks[i] ?? 0) >= r.version).map((r) => r.id));
    },

    async get(id) {
      return (await fetch([id]))[0];
    },

    transition: transition as AlertStore['transition'],

    async due(nowMs, limit) {
      if (!Number.isSafeInteger(nowMs) || !Number.isInteger(limit) || limit < 1)
        throw badInput('due() needs an integer time and a positive limit');
      return present(await fetch(await redis.zrange(keys.outbox, '-inf', nowMs, 'BYSCORE', 'LIMIT', 0, limit)));
    },

    async *outstanding() {
      // ZSCAN returns every member present for the whole scan, perhaps twice: remember what was given.
      const seen = new Set<string>();
      let cursor = '0';
      do {
        const [next, flat] = await redis.zscan(keys.outbox, cursor, 'COUNT', 200);
        cursor = next;
        const ids = flat.filter((id, i) => i % 2 === 0 && !seen.has(id));
        for (const a of present(await fetch(ids))) {
          seen.add(a.id);
          if (OUTBOX_STATES.includes(a.state)) yield a;
        }
      } while (cursor !== '0');
    },

    async heldFor(trader) {
      const members = await redis.zrange(keys.held, `[${trader}|`, `(${trader}}`, 'BYLEX');
      const held = present(await fetch(members.map((m) => m.slice(trader.length + 1))));
      return held
        .filter((a) => a.state === 'held')
        .sort((a, b) => (a.firedAt === b.firedAt ? (a.id < b.id ? -1 : 1) : a.firedAt < b.firedAt ? -1 : 1));
    },

    list: createAlertQuery({ redis, keys, fetch }),
  };
}
