import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { sensorRanges, type Instrument } from '@tickdesk/schemas';
import type { XmppClient } from '@tickdesk/xmpp';
import { createAdhocService } from './adhoc-service.js';
import { wireAlertEngine } from './alert-wiring.js';
import type { AlertsMetrics } from './alerts-metrics.js';
import { createChatService } from './chat-service.js';
import type { AlertsConfig } from './config.js';
import { remoteTraderLimit } from './remote-trader-limit.js';
import { createRuleCommands } from './rule-commands.js';
import { startParts, stopParts } from './service-lifecycle.js';
import type { AuditKey, ReplicaAckOptions } from './store/index.js';
import { createWriteBudget } from './write-budget.js';
import type { WebhooksConfig } from './webhooks/index.js';

export interface AlertServiceDeps {
  client: XmppClient;
  redis: Redis;
  log: Logger;
  config: AlertsConfig;
  domain: string;
  /** Partner desks' domains (topology.federation.peers): their traders may be named as a rule's recipient or backup. */
  peers?: readonly string[];
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
  /** Webhook delivery (webhooks/); without it alerts go over XMPP only. */
  webhooks?: WebhooksConfig;
  /** Publish every audit record to the `audit` node (audit-feed/; the desk's engines do). */
  auditFeed?: boolean;
}

/**
 * The whole alerts service on one XMPP session: the engine's parts (alert-wiring.ts), chat
 * and ad-hoc commands, started and stopped in order (service-lifecycle.ts). Restart-safe:
 * rules, outbox and the last evaluated tick per instrument live in Redis.
 */
export async function startAlertService(deps: AlertServiceDeps) {
  const { parts, view: engine } = wireAlertEngine(deps);
  const symbols = deps.instruments.map((i) => i.symbol);
  const peers = new Set(deps.peers ?? []);
  const commands = createRuleCommands({
    rules: engine.rules,
    symbols: new Set(symbols),
    sensors: sensorRanges(deps.instruments),
    traders: engine.traders,
    peers,
    minCooldownSeconds: deps.config.minCooldownSeconds,
    remoteTraders: remoteTraderLimit({
      redis: deps.redis,
      peers,
      max: deps.config.remoteTradersMax,
      ...(deps.prefix ? { prefix: deps.prefix } : {}),
    }),
    writeBudget: createWriteBudget({
      redis: deps.redis,
      max: deps.config.writeRateMax,
      windowMs: deps.config.writeRateWindowMs,
      log: deps.log,
    }),
    ...(deps.now ? { now: deps.now } : {}),
  });
  const common = { client: deps.client, commands, domain: deps.domain, isTrader: engine.isTrader, log: deps.log };
  // Sent to this engine's resource: answered here; to the bare JID: by the leading engine only.
  const chat = createChatService({ ...common, answers: (to) => to === deps.client.jid() || engine.leads() });
  const adhoc = createAdhocService({ ...common, symbols });
  const all = {
    ...parts,
    commands: {
      start() {
        adhoc.start();
        chat.start();
      },
      stop() {
        chat.stop();
        adhoc.stop();
      },
    },
  };
  await startParts(all);
  return {
    engine,
    stop: (): Promise<void> => stopParts(all),
  };
}
export type AlertService = Awaited<ReturnType<typeof startAlertService>>;
