import type { BarInterval } from '@tickdesk/schemas';

/*
 * The desk's Redis key layout, declared once (docs/architecture.md, "Redis key layout",
 * has every family with its type, writer, readers, record and retention). Every key and
 * channel of the desk is built here; a unit test fails on a `td:` literal anywhere else.
 *
 * Hash tags (Redis Cluster specification, "Hash tags"): keys that a Lua script or a
 * MULTI touches together share a tag ({audit}, {alerts}, {rules}), so on Redis Cluster
 * they live in one slot; on a single Redis or under Sentinel the tag is just text. Market
 * data is tagged per instrument ({<SYMBOL>}). The untagged families are each read and
 * written one key per command (CROSS_SLOT_OPERATIONS below lists no exception now).
 *
 * `prefix` lets tests and a second desk in one Redis keep their own keys; the desk's
 * processes all use DEFAULT_PREFIX.
 */
export const DEFAULT_PREFIX = 'td:';

/** The audit chain (services/alerts audit-chain.ts: one append-only writer script). */
export function auditKeys(prefix = DEFAULT_PREFIX) {
  const base = `${prefix}{audit}:`;
  return {
    log: `${base}log`,
    head: `${base}head`,
    byTime: `${base}by-time`,
    trader: (trader: string) => `${base}trader:${trader}`,
    symbol: (symbol: string) => `${base}symbol:${symbol}`,
    alert: (alertId: string) => `${base}alert:${alertId}`,
    /** string: the last seq published to the audit pubsub node (services/alerts audit-feed/). */
    feedCursor: `${base}feed-cursor`,
  };
}

/** Alerts: outbox and history (services/alerts alert-store.ts). */
export function alertKeys(prefix = DEFAULT_PREFIX) {
  const base = `${prefix}{alerts}:`;
  return {
    alert: (id: string) => `${base}alert:${id}`,
    outbox: `${base}outbox`,
    held: `${base}held`,
    byTime: `${base}by-time`,
    byTrader: (owner: string) => `${base}by-trader:${owner}`,
    bySymbol: (symbol: string) => `${base}by-symbol:${symbol}`,
    byState: (state: string) => `${base}by-state:${state}`,
    /** Hash SYMBOL → the largest lease fencing token an outbox write for it came with (several engines). */
    fence: `${base}fence`,
    /**
     * Hash rule id → the version of a once rule that has an alert, written by the script that
     * stores the alert: in this slot, not the rule's ({rules}), so the two are one atomic write.
     */
    onceFired: `${base}once-fired`,
    /** Sorted sets of the alerts let through in the rate window (score = ms), per rule and per owner: the caps every engine shares. */
    rateRule: (ruleId: string) => `${base}rate:rule:${ruleId}`,
    rateOwner: (owner: string) => `${base}rate:owner:${owner}`,
    /** Hash of a rule's flap control (services/alerts flap-store.ts): firings counted, last let through, open group, rate-cap streak. */
    flap: (ruleId: string) => `${base}flap:${ruleId}`,
  };
}

/**
 * Webhook deliveries (services/alerts webhooks/webhook-store.ts), in the {alerts} slot with hashes
 * and sorted sets only: what the engine's and the API's Redis users may touch already
 * (infra/src/redis-auth.ts: no set commands).
 */
export function webhookKeys(prefix = DEFAULT_PREFIX) {
  const base = `${prefix}{alerts}:wh:`;
  return {
    endpoints: `${base}ep`,
    owned: (owner: string) => `${base}own:${owner}`,
    jobs: `${base}jobs`,
    due: `${base}due`,
    done: `${base}done`,
    dead: `${base}dead`,
    deadOf: (owner: string) => `${base}dead:${owner}`,
  };
}

/**
 * Silences (services/alerts silences/silence-store.ts), in the {alerts} slot with hashes and a
 * sorted set, as webhookKeys: `all` id → silence, `of(owner)` the owner's ids, `ends` the
 * `<owner>|<id>` of each silence scored by when it stops holding (until, or when ended).
 */
export function silenceKeys(prefix = DEFAULT_PREFIX) {
  const base = `${prefix}{alerts}:sil:`;
  return { all: `${base}all`, of: (owner: string) => `${base}of:${owner}`, ends: `${base}ends` };
}

/**
 * Escalation chains (services/alerts escalation/), in the {alerts} slot with the alerts: `chain`
 * alert id → the chain it walks, `due` alert ids scored by when their next step is due,
 * `defaults` trader → their default chain (written by the API, read by the engine).
 */
export function escalationKeys(prefix = DEFAULT_PREFIX) {
  const base = `${prefix}{alerts}:esc:`;
  return { chain: `${base}chain`, due: `${base}due`, defaults: `${base}defaults` };
}

/** Rules (services/alerts rule-store.ts); `changes` is a pub/sub channel, not a key. */
export function ruleKeys(prefix = DEFAULT_PREFIX) {
  const base = `${prefix}{rules}:`;
  return {
    rule: (id: string) => `${base}rule:${id}`,
    ids: `${base}ids`,
    owner: (owner: string) => `${base}owner:${owner}`,
    changes: `${prefix}rules:changes`,
  };
}

/** The alert engine's own state: heartbeat for /health, last evaluated tick and last firing time per rule. */
export function engineKeys(prefix = DEFAULT_PREFIX) {
  return {
    heartbeat: `${prefix}alerts:heartbeat`,
    watermark: `${prefix}alerts:watermark`,
    fired: `${prefix}alerts:fired`,
  };
}

/**
 * Market data, written by the recorder only. Every key of one instrument carries the tag
 * `{<SYMBOL>}`, so the recorder's one write script per instrument (ticks, candles, final
 * marks, and `recorded`: last seq written and the largest recorder lease token seen) touches
 * one slot. `last` (all last prices, one hash: the API, the CLI and /health read it whole)
 * is written by a command of its own after the instrument's script.
 */
export function marketKeys(prefix = DEFAULT_PREFIX) {
  return {
    last: `${prefix}last`,
    ticks: (symbol: string) => `${prefix}ticks:{${symbol}}`,
    candles: (interval: BarInterval, symbol: string) => `${prefix}candles:${interval}:{${symbol}}`,
    /** Hash interval → µs: the series' candles starting at or before it are final. */
    final: (symbol: string) => `${prefix}candles:final:{${symbol}}`,
    /** Hash `seq` (the newest tick written) and `fence` (the largest recorder lease token a write came with). */
    recorded: (symbol: string) => `${prefix}recorded:{${symbol}}`,
  };
}

/**
 * The market-data keys before they were tagged per instrument, read once by a recorder
 * that finds them (recorder legacy-keys.ts copies them to the tagged ones, key by key).
 */
export function legacyMarketKeys(prefix = DEFAULT_PREFIX) {
  return {
    ticks: (symbol: string) => `${prefix}ticks:${symbol}`,
    candles: (interval: BarInterval, symbol: string) => `${prefix}candles:${interval}:${symbol}`,
    final: `${prefix}candles:final`,
  };
}

/** Roles (field = user name) and their change channel, the presence snapshot (field = trader) and its channel. */
export function directoryKeys(prefix = DEFAULT_PREFIX) {
  return {
    users: `${prefix}users`,
    /** A pub/sub channel, not a key: the user name whose role was written (role-store.ts). */
    userChanges: `${prefix}users:changes`,
    presence: `${prefix}presence`,
    presenceChanges: `${prefix}presence:changes`,
  };
}

/**
 * Per-user write counters shared by the REST API's @fastify/rate-limit (which adds
 * `user:<name>` or `ip:<address>` to `namespace`) and the engine's chat and ad-hoc writes.
 */
export function rateKeys(prefix = DEFAULT_PREFIX) {
  const namespace = `${prefix}api:rate:`;
  return { namespace, user: (user: string) => `${namespace}user:${user}` };
}

/**
 * A lease (lease.ts): `holder` is the current holder's `<token> <owner>` with a PX expiry,
 * `token` the fencing counter, INCR'd at every grant and never expiring. The two share the
 * tag `{lease:<name>}` so one script touches both (one slot). Names are `<role>:<SYMBOL>`,
 * e.g. `feed:BTCUSDT`: the ACL grants a role its own leases by the `{lease:<role>:` text.
 */
export function leaseKeys(name: string, prefix = DEFAULT_PREFIX) {
  const base = `${prefix}{lease:${name}}:`;
  return { holder: `${base}holder`, token: `${base}token` };
}

/** The lease of the recorder that records `symbol` (TICKDESK_RECORDER_STANDBY=1). */
export const recorderLeaseName = (symbol: string): string => `recorder:${symbol}`;

export const USERS_KEY = directoryKeys().users;
export const PRESENCE_KEY = directoryKeys().presence;
export const LAST_KEY = marketKeys().last;
export const ENGINE_HEARTBEAT_KEY = engineKeys().heartbeat;

/**
 * Multi-key operations whose keys do not share a slot (so not yet Redis Cluster-ready),
 * each with why it is so. key-slot.test.ts fails on any other one.
 */
export const CROSS_SLOT_OPERATIONS: Readonly<Record<string, string>> = {};
