import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { decodeTickRows, HEARTBEAT_EVERY_MS, ticksNode, type Instrument, type TickRow } from '@tickdesk/schemas';
import { createEngineHeartbeat, DEFAULT_PREFIX, engineKeys } from '@tickdesk/store';
import { createItemSubscriber, type XmppClient } from '@tickdesk/xmpp';
import { createAlertLimits } from './alert-limits.js';
import { createAlertsMetrics, type AlertsMetrics } from './alerts-metrics.js';
import type { AlertsConfig } from './config.js';
import { createDelivery } from './delivery.js';
import { AlertsError } from './errors.js';
import { createFiringWriter } from './firing-writer.js';
import { createInstrumentOwnership } from './instrument-ownership.js';
import { createInstrumentTakeover, type Watermark } from './instrument-takeover.js';
import { createPresenceTracker } from './presence-tracker.js';
import { createRetirement } from './retirement.js';
import { createRuleSync } from './rule-sync.js';
import { createSuppressionLedger } from './suppression-ledger.js';
import { readRecentBatches, type RowBatch } from './tick-readback.js';
import { createTraderRoles } from './trader-roles.js';
import { createRuleIndex, type Firing } from './rules/index.js';
import { createWriteRetry } from './write-retry.js';
import { createAlertStore, createAuditAnchorWriter, createAuditChain, createRuleStore, type AuditKey, type ReplicaAckOptions, type StoredAlert } from './store/index.js';

export interface AlertEngineDeps {
  client: XmppClient;
  redis: Redis;
  log: Logger;
  config: AlertsConfig;
  domain: string;
  /** The pubsub service JID. */
  service: string;
  instruments: readonly Instrument[];
  prefix?: string;
  metrics?: AlertsMetrics;
  now?: () => number;
  /** The audit chain's key (the desk's credentials file); without it records are appended unkeyed. */
  auditKey?: AuditKey;
  /** A file outside Redis where the chain's head is anchored every second (audit-anchor.ts). */
  auditAnchorPath?: string;
  /** Outbox and audit writes count once this many replicas have them (Sentinel mode); none by default. */
  redisAck?: ReplicaAckOptions;
  /** This process's lease owner id (several engines); unique per process by default. */
  leaseOwner?: string;
  /** Write the engine heartbeat /health reads (default); with several engines only the part `alerts` does. */
  heartbeat?: boolean;
}

export type EngineState = 'starting' | 'running' | 'degraded' | 'stopped';

/**
 * Batches waiting behind one whose firings Redis refuses are held in memory up to this
 * many; later ones are dropped and read back from the nodes' recent items once Redis
 * answers again, as a restarted engine does.
 */
export const MAX_HELD_BATCHES = 10_000;
export { alertId } from './firing-writer.js';

const isFenced = (err: unknown): boolean => err instanceof AlertsError && err.code === 'TICKDESK_ALERTS_FENCED';

/**
 * The alert engine: every tick of every instrument against the active rules, each
 * firing written to the outbox before it is sent, then delivered with receipts,
 * presence-aware routing and an audit chain. Restart-safe: rules, outbox and the last
 * evaluated tick per instrument live in Redis, and ticks missed while down are read
 * back from the nodes' recent items.
 */
export function createAlertEngine({
  client, redis, log: parentLog, config, domain, service, instruments, prefix = DEFAULT_PREFIX, metrics = createAlertsMetrics(), now = Date.now, auditKey, auditAnchorPath, redisAck,
  leaseOwner = `alerts-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`, heartbeat: writeHeartbeat = true,
}: AlertEngineDeps) {
  const log = parentLog.child({ component: 'alerts' });
  const rules = createRuleStore({ redis, prefix, maxRulesPerOwner: config.maxRulesPerTrader });
  const alerts = createAlertStore({ redis, prefix, ...(redisAck ? { ack: redisAck } : {}) });
  const audit = createAuditChain({ redis, prefix, ...(auditKey ? { key: auditKey } : {}), ...(auditAnchorPath ? { anchorPath: auditAnchorPath } : {}), ...(redisAck ? { ack: redisAck } : {}) });
  const anchor = auditAnchorPath ? createAuditAnchorWriter({ head: () => audit.head(), path: auditAnchorPath, log }) : undefined;
  const index = createRuleIndex();
  const presence = createPresenceTracker({ client, redis, domain, isTrader: (u) => roles.traders.has(u), log, prefix });
  const limits = createAlertLimits({ perRule: config.alertsPerRule, perOwner: config.alertsPerOwner, windowMs: config.alertRateWindowMs, now });
  const retirement = createRetirement({ rules, audit, log, metrics, retireWhere: (match) => delivery.retireWhere(match) });
  const roles = createTraderRoles({
    redis, prefix,
    onTrader: (user) => presence.track(user),
    onDisabled: (user, running) => retirement.traderDisabled(user, running),
    onEnabled: (user) => retirement.traderEnabled(user),
    onError: (err) => log.warn({ err: err.message }, 'trader list refresh failed'),
  });
  const traders = roles.traders;
  const delivery = createDelivery({
    client, alerts, audit, presence, config, domain, log, metrics, now,
    retirement: (a) => retirement.reasonFor(a),
    canEscalateTo: (user) => !retirement.isDisabled(user),
    ownership: { owns: (s) => ownership.owns(s), token: (s) => ownership.token(s) },
    storing: (id) => firings.storing(id),
  });
  const { watermark: watermarkKey, fired: firedKey } = engineKeys(prefix);
  // The engine's state for /health (JSON `{ state, at, rules, pid }`), rewritten every
  // HEARTBEAT_EVERY_MS and gone HEARTBEAT_TTL_MS after the engine stops writing it; /health
  // also compares the pid with the engine process `tickdesk up` runs now.
  const heartbeat = createEngineHeartbeat({ redis, prefix });
  const sync = createRuleSync({
    rules,
    index,
    log,
    minCooldownSeconds: config.minCooldownSeconds,
    onRetire: (id, why, rule) => retirement.ruleLeft(id, why, rule),
    firedOnce: (candidates) => alerts.firedOnce(candidates),
    async lastFired(ids) {
      const out = new Map<string, number>();
      if (ids.length === 0) return out;
      const values = await redis.hmget(firedKey, ...ids);
      ids.forEach((id, i) => { if (values[i]) out.set(id, Number(values[i])); });
      return out;
    },
  });
  const firings = createFiringWriter({
    redis, alerts, audit, rules, limits, metrics, now, firedKey,
    suppressions: createSuppressionLedger({ summaryMs: config.suppressedSummaryMs, now }),
    ruleOf: (id) => sync.get(id),
    forget: (id) => sync.forget(id),
  });
  const symbols = new Set(instruments.map((i) => i.symbol));
  // Several engines (config.engines > 1): this one evaluates and sends only for the
  // instruments whose lease it holds; one engine holds them all without leases.
  const ownership = createInstrumentOwnership({
    redis, symbols: [...symbols], engines: config.engines, ttlMs: config.leaseMs, owner: leaseOwner, log, prefix,
    onGained: (symbol, token) => takeover.takeOver(symbol, token),
    onLost: (symbol) => takeover.cancel(symbol),
  });
  const takeover = createInstrumentTakeover({
    log,
    raiseFence: (symbol, token) => alerts.raiseFence(symbol, token),
    drop: (symbol) => ownership.drop(symbol),
    async resume(symbol) {
      const json = await redis.hget(watermarkKey, symbol);
      if (json) {
        const w = JSON.parse(json) as Watermark;
        watermark.set(symbol, w.seq);
        index.seedPrice(symbol, w.price, w.eventMicros);
      }
      await sync.reloadSymbol(symbol);
      return watermark.has(symbol) && state !== 'stopped';
    },
    readBack: (symbol) => readRecentBatches(client, service, [symbol]),
    enqueue: (batch, replay) => enqueue(batch, replay),
  });
  const watermark = new Map<string, number>();
  let queue: Promise<void> = Promise.resolve();
  let state: EngineState = 'stopped';
  // Degraded only while Redis refuses this engine's writes: `state` itself never turns
  // degraded, so the engine reports running again as soon as the writes succeed.
  let stopping = false;
  let held = 0;
  let missedWhileHeld = false;
  /** Live batches that arrived while the nodes' items were read back after a reconnect. */
  let liveWhileReading: RowBatch[] | undefined;
  let timers: NodeJS.Timeout[] = [];

  const subscriber = createItemSubscriber({
    client,
    service,
    nodes: [...symbols].map(ticksNode),
    decode: decodeTickRows,
    onItem: (batch) => enqueue(batch),
    log,
  });

  /** Batches are evaluated one after another, in arrival order, so firings keep tick order. */
  function enqueue(batch: RowBatch, replay = false): void {
    if (!replay) {
      if (takeover.hold(batch, MAX_HELD_BATCHES)) return;
      if (!ownership.owns(batch.symbol)) return; // another engine's instrument
    }
    if (!replay && liveWhileReading) {
      // Behind the read-back: evaluate() skips what the nodes' items already held.
      if (liveWhileReading.length < MAX_HELD_BATCHES) liveWhileReading.push(batch);
      else missedWhileHeld = true;
      return;
    }
    // Once one is dropped, every live batch is until the replay, so ticks stay in order.
    if (!replay && (missedWhileHeld || held >= MAX_HELD_BATCHES)) {
      missedWhileHeld = true;
      return;
    }
    held += 1;
    const arrived = performance.now();
    queue = queue.then(async () => {
      await evaluate(batch);
      metrics.evaluation.observe((performance.now() - arrived) / 1000);
    }).catch((err: Error) => {
      log.error({ symbol: batch.symbol, err: err.message }, 'batch evaluation failed');
    }).finally(() => {
      held -= 1;
    });
  }

  // The index has already moved past a batch's ticks: its firings and watermark are
  // written until Redis takes them, never dropped because Redis was away.
  const writes = createWriteRetry({
    log,
    stopping: () => stopping,
    fatal: isFenced,
    onRecovered: () => {
      if (missedWhileHeld) replayMissed().catch((err: Error) => log.warn({ err: err.message }, 'dropped ticks not read back'));
    },
  });

  async function evaluate(batch: RowBatch): Promise<void> {
    if (!ownership.owns(batch.symbol)) return;
    const token = ownership.token(batch.symbol);
    const after = watermark.get(batch.symbol) ?? -1;
    // Rows carry their times as numbers already; copy only when some were evaluated before.
    const ticks: readonly TickRow[] = batch.rows[0]!.seq > after ? batch.rows : batch.rows.filter((t) => t.seq > after);
    if (ticks.length === 0) return;
    metrics.ticks.inc(ticks.length);
    const fired = index.evaluate(batch.symbol, ticks);
    const last = ticks[ticks.length - 1]!;
    try {
      await write(batch, fired, last, token);
    } catch (err) {
      if (!isFenced(err)) throw err;
      // Split brain: this engine's lease ran out (it stalled) and another holds the
      // instrument with a newer token, which the outbox script saw. Stop acting for it.
      log.warn({ symbol: batch.symbol, token, err: (err as Error).message }, 'firing refused by the fencing token: instrument dropped, its new holder evaluates it');
      await ownership.drop(batch.symbol);
      return;
    }
    watermark.set(batch.symbol, last.seq);
  }

  async function write(batch: RowBatch, fired: Firing[], last: TickRow, token: number | undefined): Promise<void> {
    await writes.run(async () => {
      // Persisted concurrently (Redis keeps one connection's order, the audit chain its call
      // order), each sent as soon as it is in the outbox.
      await Promise.all(fired.map(async (f) => {
        const alert = await firings.persist(f, token);
        if (alert) void delivery.dispatch(alert).catch((err: Error) => log.warn({ alert: alert.id, err: err.message }, 'dispatch failed; the outbox retries'));
      }));
      // Only now the watermark: a crash before this line re-evaluates these ticks, and the
      // deterministic alert ids make the outbox ignore what it already has.
      if (token !== undefined && !ownership.owns(batch.symbol)) throw new AlertsError('TICKDESK_ALERTS_FENCED', `${batch.symbol}: lease lost before the watermark`);
      await redis.hset(watermarkKey, batch.symbol, JSON.stringify({ seq: last.seq, price: last.price, eventMicros: last.eventMicros }));
    });
  }

  /** Ticks published while the engine was down: the nodes keep their recent items (max_items). */
  async function catchUp(): Promise<void> {
    const seen = [...symbols].filter((symbol) => watermark.has(symbol));
    for (const b of await readRecentBatches(client, service, seen)) enqueue(b, true);
    await queue;
  }

  /**
   * A new session after a lost one (its XMPP node died, the network dropped): nothing
   * published in between was delivered to it (XEP-0060 §12.2: notifications go to
   * available resources), so the nodes' recent items are read back, as after a restart,
   * while live batches wait behind them. The subscriber's 'online' handler, registered
   * first, has sent the presence that starts live notifications before this read goes out.
   */
  async function readBackAfterReconnect(): Promise<void> {
    if (liveWhileReading || stopping || state === 'stopped') return;
    liveWhileReading = [];
    const started = performance.now();
    let read = 0;
    try {
      const seen = [...symbols].filter((symbol) => watermark.has(symbol) && ownership.owns(symbol));
      const batches = await readRecentBatches(client, service, seen);
      read = batches.length;
      for (const b of batches) enqueue(b, true);
    } finally {
      const live = liveWhileReading;
      liveWhileReading = undefined;
      for (const b of live) enqueue(b);
      log.info({ batches: read, live: live.length, ms: Math.round(performance.now() - started) }, 'ticks published while the XMPP session was down read back from the nodes');
    }
  }
  const onReconnected = () => void readBackAfterReconnect().catch((err: Error) => log.warn({ err: err.message }, 'ticks missed while reconnecting not read back'));

  /** After batches were dropped (MAX_HELD_BATCHES): the nodes' recent items, then live ones again. */
  async function replayMissed(): Promise<void> {
    const batches = await readRecentBatches(client, service, [...symbols].filter((s) => ownership.owns(s)));
    for (const b of batches) enqueue(b, true);
    missedWhileHeld = false;
    log.warn({ batches: batches.length }, 'ticks dropped while Redis was away read back from the nodes');
  }

  // Degraded too while a lease renewal fails (Redis unreachable): the instruments stop at their deadline.
  const currentState = (): EngineState =>
    (state === 'running' && (client.state() !== 'running' || writes.failing() || ownership.status().renewFailing) ? 'degraded' : state);

  async function sweepExpired(): Promise<void> {
    await firings.flushSuppressed().catch((err: Error) => log.warn({ err: err.message }, 'suppressed firings not summarised yet'));
    for (const id of index.expire(now() * 1000)) {
      sync.forget(id);
      await rules.setStatus(id, 'expired').catch((err: Error) => log.warn({ rule: id, err: err.message }, 'expiry not recorded'));
      log.info({ rule: id }, 'rule expired');
    }
  }

  return {
    rules,
    alerts,
    audit,
    presence,
    metrics,
    async start(): Promise<void> {
      state = 'starting';
      await roles.start();
      await presence.start([...traders]);
      const saved = await redis.hgetall(watermarkKey);
      for (const [symbol, json] of Object.entries(saved)) {
        if (!symbols.has(symbol)) continue;
        const w = JSON.parse(json) as Watermark;
        watermark.set(symbol, w.seq);
        index.seedPrice(symbol, w.price, w.eventMicros);
      }
      await sync.start();
      delivery.start();
      await subscriber.start();
      client.on('online', onReconnected);
      // After the subscriber: a taken instrument's live batches wait behind its read-back.
      await ownership.start();
      if (config.engines <= 1) await catchUp();
      const beat = async () =>
        writeHeartbeat && heartbeat.write({ state: currentState(), at: now(), rules: index.size, pid: process.pid })
          .catch((err: Error) => log.warn({ err: err.message }, 'heartbeat not written'));
      timers = [
        setInterval(() => void sweepExpired(), config.expirySweepMs),
        setInterval(() => void beat(), HEARTBEAT_EVERY_MS),
      ];
      // Give presence a moment to arrive before deciding what held alerts may go.
      await new Promise((r) => setTimeout(r, 1_600));
      const resumed = await delivery.resume();
      anchor?.start();
      state = 'running';
      void beat();
      log.info({ rules: index.size, resumed }, 'alert engine running');
    },
    async stop(): Promise<void> {
      stopping = true;
      timers.forEach(clearInterval);
      await ownership.stop();
      await roles.stop();
      if (writeHeartbeat) await heartbeat.clear().catch(() => undefined);
      client.off('online', onReconnected);
      await subscriber.stop();
      await queue;
      await sync.stop();
      await retirement.stop();
      await firings.flushSuppressed(true).catch((err: Error) => log.warn({ err: err.message }, 'suppressed firings not summarised'));
      await delivery.stop();
      await anchor?.stop();
      presence.stop();
      state = 'stopped';
    },
    traders: (): ReadonlySet<string> => traders,
    isTrader: (user: string): boolean => traders.has(user),
    state: currentState,
    stats: () => ({ rules: index.size, fired: firings.fired(), ...subscriber.stats() }),
    /** The instruments this engine holds now, its slot and whether its leases renew (several engines). */
    ownership: () => ownership.status(),
    /** Whether this engine answers messages to the bare JID (the lowest live slot's; one engine: always). */
    leads: (): boolean => ownership.leads(),
  };
}
export type AlertEngine = ReturnType<typeof createAlertEngine>;
