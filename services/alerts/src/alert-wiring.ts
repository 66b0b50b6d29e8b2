import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { decodeTickRows, HEARTBEAT_EVERY_MS, ticksNode } from '@tickdesk/schemas';
import { createEngineHeartbeat, createPresenceStore, DEFAULT_PREFIX, engineKeys } from '@tickdesk/store';
import { createItemSubscriber } from '@tickdesk/xmpp';
import { createAlertLimits } from './alert-limits.js';
import { createAlertsMetrics } from './alerts-metrics.js';
import { createAuditFeed } from './audit-feed/index.js';
import type { AlertServiceDeps } from './alert-service.js';
import { createDelivery } from './delivery.js';
import { createAlertEngine, MAX_HELD_BATCHES } from './engine.js';
import { createEngineTimers } from './engine-timers.js';
import { WATERMARK_EVERY_MS } from './watermark-writer.js';
import { createFiringWriter } from './firing-writer.js';
import { createFlapControl } from './flap-control.js';
import { chatTo } from './firing-limit.js';
import { createInstrumentOwnership } from './instrument-ownership.js';
import { createInstrumentTakeover } from './instrument-takeover.js';
import { createPresenceTracker } from './presence-tracker.js';
import { createRemoteSubscriptions } from './remote-subscriptions.js';
import { createRetirement } from './retirement.js';
import { createRuleLeftovers } from './rule-leftovers.js';
import { createRuleSync } from './rule-sync.js';
import type { ServiceParts } from './service-lifecycle.js';
import { createSuppressionLedger } from './suppression-ledger.js';
import { readRecentBatches } from './tick-readback.js';
import { createTraderRoles } from './trader-roles.js';
import { createCrossEvaluator } from './rules/index.js';
import {
  createAlertStore,
  createAuditAnchorWriter,
  createAuditChain,
  createFlapStore,
  createRuleStore,
} from './store/index.js';
import { createWebhookDispatcher, createWebhookStore } from './webhooks/index.js';
import { createSilenceStore } from './silences/index.js';
import { createDeskTargets, createEscalationStore } from './escalation/index.js';
import { addresseeOf } from './desk-user.js';

/**
 * The alert engine's composition root: every store and part built once, wired to each
 * other by name. Nothing starts here; service-lifecycle.ts starts and stops them in order.
 */
export function wireAlertEngine({
  client,
  redis,
  log: parentLog,
  config,
  domain,
  peers: peerDomains = [],
  service,
  instruments,
  prefix = DEFAULT_PREFIX,
  metrics = createAlertsMetrics(),
  now = Date.now,
  auditKey,
  auditAnchorPath,
  redisAck,
  leaseOwner = `alerts-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`,
  heartbeat: writeHeartbeat = true,
  webhooks: webhooksConfig,
  auditFeed: withAuditFeed = false,
}: AlertServiceDeps) {
  const log = parentLog.child({ component: 'alerts' });
  const ack = redisAck ? { ack: redisAck } : {};
  const rules = createRuleStore({ redis, prefix, maxRulesPerOwner: config.maxRulesPerTrader });
  const alerts = createAlertStore({ redis, prefix, ...ack });
  const audit = createAuditChain({
    redis,
    prefix,
    ...(auditKey ? { key: auditKey } : {}),
    ...(auditAnchorPath ? { anchorPath: auditAnchorPath } : {}),
    ...ack,
  });
  const anchor = auditAnchorPath
    ? createAuditAnchorWriter({ head: () => audit.head(), path: auditAnchorPath, log })
    : undefined;
  const { watermark: watermarkKey, fired: firedKey } = engineKeys(prefix);
  const symbols = new Set(instruments.map((i) => i.symbol));
  const index = createCrossEvaluator();
  const peers = new Set(peerDomains);
  // A partner's trader sends presence here only once they approved the subscription (or chose
  // to), and counts only while a rule names them.
  const presence = createPresenceTracker({
    client,
    redis,
    domain,
    peers,
    isTrader: (t) => remote.follows(t) || roles.traders.has(t),
    log,
    prefix,
  });
  const remote = createRemoteSubscriptions({
    client,
    domain,
    peers,
    max: config.remoteTradersMax,
    onNamed: (t) => presence.track(t),
    onDropped: (t) => presence.untrack(t),
    stored: () => createPresenceStore({ redis, prefix }).traders(),
    log,
  });
  const limits = createAlertLimits({
    perRule: config.alertsPerRule,
    perOwner: config.alertsPerOwner,
    windowMs: config.alertRateWindowMs,
    now,
  });
  const retirement = createRetirement({
    rules,
    audit,
    log,
    metrics,
    retireWhere: (match) => delivery.retireWhere(match),
  });
  const roles = createTraderRoles({
    redis,
    prefix,
    onTrader: (user) => presence.track(user),
    onDisabled: (user, running) => retirement.traderDisabled(user, running),
    onEnabled: (user) => retirement.traderEnabled(user),
    onError: (err) => log.warn({ err }, 'trader list refresh failed'),
  });
  const escalations = createEscalationStore({ redis, prefix });
  const silences = createSilenceStore({ redis, prefix });
  const flapStore = createFlapStore({ redis, prefix });
  const leftovers = createRuleLeftovers({ redis, prefix, firedKey, flap: flapStore, rules, silences, log });
  const delivery = createDelivery({
    client,
    alerts,
    audit,
    presence,
    config,
    domain,
    peers,
    log,
    metrics,
    now,
    retirement: (a) => retirement.reasonFor(a),
    canEscalateTo: (user) => !retirement.isDisabled(user),
    ownership: { owns: (s) => ownership.owns(s), token: (s) => ownership.token(s) },
    storing: (id) => firings.storing(id),
    escalation: {
      store: escalations,
      // The rule's chain (a once rule that fired is no longer in the index: read from the store),
      // else its owner's default (GET/PUT /v1/me/escalation), else none.
      chainFor: async (a) =>
        (sync.get(a.ruleId) ?? (await rules.get(a.ruleId)))?.escalation ?? (await escalations.defaultOf(a.owner)),
      deskTargets: createDeskTargets({ redis, prefix, presence }),
      ...(webhooksConfig ? { webhooks: (a, step) => webhooks!.escalate(a, addresseeOf(a), step) } : {}),
    },
    silences,
  });
  const sync = createRuleSync({
    rules,
    index,
    log,
    minCooldownSeconds: config.minCooldownSeconds,
    onRetire: (id, why, rule) => {
      retirement.ruleLeft(id, why, rule);
      if (why === 'deleted') leftovers.ruleDeleted(id);
    },
    onStored: (id, rule) => (rule ? remote.onRule(rule) : remote.onRuleGone(id)),
    onAllStored: (all) => remote.onRules(all),
    firedOnce: (candidates) => alerts.firedOnce(candidates),
    async lastFired(ids) {
      const out = new Map<string, number>();
      if (ids.length === 0) return out;
      const values = await redis.hmget(firedKey, ...ids);
      ids.forEach((id, i) => {
        if (values[i]) out.set(id, Number(values[i]));
      });
      return out;
    },
  });
  const firings = createFiringWriter({
    redis,
    alerts,
    audit,
    rules,
    limits,
    metrics,
    now,
    firedKey,
    suppressions: createSuppressionLedger({ summaryMs: config.suppressedSummaryMs, now }),
    ruleOf: (id) => sync.get(id),
    flap: createFlapControl({
      flap: flapStore,
      alerts,
      audit,
      rules,
      metrics,
      log,
      now,
      forget: (id) => sync.forget(id),
      tell: (trader, text) => client.send(chatTo(trader, domain, text)),
    }),
    forget: (id) => sync.forget(id),
  });
  // Several engines (config.engines > 1): this one evaluates and sends only for the
  // instruments whose lease it holds; one engine holds them all without leases.
  const ownership = createInstrumentOwnership({
    redis,
    symbols: [...symbols],
    engines: config.engines,
    ttlMs: config.leaseMs,
    owner: leaseOwner,
    log,
    prefix,
    onGained: (symbol, token) => takeover.takeOver(symbol, token),
    onLost: (symbol) => takeover.cancel(symbol),
  });
  const takeover = createInstrumentTakeover({
    log,
    raiseFence: (symbol, token) => alerts.raiseFence(symbol, token),
    drop: (symbol) => ownership.drop(symbol),
    resume: (symbol) => engine.resumeSymbol(symbol),
    readBack: (symbol) => readRecentBatches(client, service, [symbol]),
    enqueue: (batch, replay) => engine.enqueue(batch, replay),
  });
  const webhooks = webhooksConfig
    ? createWebhookDispatcher({
        store: createWebhookStore({ redis, prefix, perOwnerMax: webhooksConfig.perOwnerMax }),
        alerts,
        audit,
        config: webhooksConfig,
        log: log.child({ component: 'webhooks' }),
        registry: metrics.registry,
        now,
      })
    : undefined;
  const auditFeed = withAuditFeed
    ? createAuditFeed({
        client,
        redis,
        service,
        domain,
        prefix,
        log,
        leads: () => ownership.leads(),
        maxItems: config.auditFeedItems,
        registry: metrics.registry,
      })
    : undefined;
  const engine = createAlertEngine({
    client,
    redis,
    log,
    metrics,
    service,
    symbols,
    index,
    sync,
    firings,
    ownership,
    watermarkKey,
    watermarkEveryMs: WATERMARK_EVERY_MS,
    // The router takes no step before the fired record is in and the webhook deliveries are
    // queued in Redis (so a restart still delivers them); their reads go out beside the fresh read.
    dispatch: (alert, recorded) =>
      delivery.dispatch(alert, Promise.all([recorded, webhooks?.enqueue(alert, recorded)])),
    heldByTakeover: (batch) => takeover.hold(batch, MAX_HELD_BATCHES),
  });
  const subscriber = createItemSubscriber({
    client,
    service,
    nodes: [...symbols].map(ticksNode),
    decode: decodeTickRows,
    onItem: (batch) => engine.enqueue(batch),
    log,
  });
  const timers = createEngineTimers({
    log,
    index,
    sync,
    rules,
    firings,
    heartbeat: createEngineHeartbeat({ redis, prefix }),
    writeHeartbeat,
    state: engine.state,
    expirySweepMs: config.expirySweepMs,
    heartbeatEveryMs: HEARTBEAT_EVERY_MS,
    now,
  });

  const parts: Omit<ServiceParts, 'commands'> = {
    log,
    roles,
    presence,
    engine,
    sync: {
      async start() {
        const loaded = await sync.start();
        // Every stored rule is in now: partner traders none of them names are dropped.
        await remote.prune().catch((err: Error) => log.warn({ err }, 'partner traders left behind not dropped'));
        await leftovers.sweep().catch((err: Error) => log.warn({ err }, 'state of deleted rules not swept'));
        return loaded;
      },
      async stop() {
        await sync.stop();
        await leftovers.stop();
      },
    },
    delivery: {
      // Before the outbox poll starts: it would send a stranded pending alert first.
      async start() {
        await webhooks?.catchUp();
        delivery.start();
        webhooks?.start();
      },
      async stop() {
        await webhooks?.stop();
        await delivery.stop();
      },
      resume: () => delivery.resume(),
    },
    ownership: { start: () => ownership.start(), stop: () => ownership.stop(), sole: config.engines <= 1 },
    timers,
    retirement,
    firings,
    rules: () => index.size,
    subscriber: {
      async start() {
        await subscriber.start();
        client.on('online', engine.onReconnected);
      },
      async stop() {
        client.off('online', engine.onReconnected);
        await subscriber.stop();
      },
    },
    ...(anchor ? { anchor } : {}),
    ...(auditFeed ? { auditFeed } : {}),
  };
  /** What the service shows of the engine (tests, /metrics, `tickdesk status`). */
  const view = {
    rules,
    alerts,
    audit,
    auditFeed,
    presence,
    metrics,
    traders: (): ReadonlySet<string> => roles.traders,
    isTrader: (user: string): boolean => roles.traders.has(user),
    state: engine.state,
    stats: () => ({ rules: index.size, fired: firings.fired(), ...subscriber.stats() }),
    /** The instruments this engine holds now, its slot and whether its leases renew (several engines). */
    ownership: () => ownership.status(),
    /** Whether this engine answers messages to the bare JID (the lowest live slot's; one engine: always). */
    leads: (): boolean => ownership.leads(),
  };
  return { parts, view };
}
export type AlertEngineView = ReturnType<typeof wireAlertEngine>['view'];
