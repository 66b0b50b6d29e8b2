import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { createPubsub, type XmppClient } from '@tickdesk/xmpp';
import { auditKeys } from '../store/redis-layout.js';
import { configureAuditNode, createAuditReaders } from './audit-node.js';
import { createAuditTail, type AuditTailDeps } from './audit-tail.js';

export interface AuditFeedDeps {
  client: XmppClient;
  redis: Redis;
  /** The pubsub service JID. */
  service: string;
  domain: string;
  prefix: string;
  log: Logger;
  leads: () => boolean;
  /** Items the node keeps (TICKDESK_ALERTS_AUDIT_FEED_ITEMS). */
  maxItems: number;
  tail?: Pick<AuditTailDeps, 'batch' | 'blockMs' | 'retryMs'>;
  /** The engine's /metrics registry. */
  registry?: Registry;
}

/**
 * The live compliance feed (docs/protocol.md §6.3): the `audit` node, owned by the engine's
 * account, readable by the compliance and admin accounts only, and every chain record
 * published to it as it is appended, by a tail that follows the chain in Redis.
 */
export function createAuditFeed(deps: AuditFeedDeps) {
  const log = deps.log.child({ component: 'audit-feed' });
  const pubsub = createPubsub(deps.client, deps.service);
  const readers = createAuditReaders({ pubsub, redis: deps.redis, prefix: deps.prefix, domain: deps.domain, log });
  const keys = auditKeys(deps.prefix);
  const registers = deps.registry ? [deps.registry] : [];
  const published = new Counter({
    name: 'tickdesk_alerts_audit_feed_published_total',
    help: 'Audit records published to the audit pubsub node by this engine (a re-published batch counts again)',
    registers,
  });
  new Gauge({
    name: 'tickdesk_alerts_audit_feed_lag_records',
    help: "Audit records appended but not yet published to the audit node (the chain's head seq minus the feed's cursor)",
    registers,
    async collect() {
      const [head, cursor] = await Promise.all([deps.redis.hget(keys.head, 'seq'), deps.redis.get(keys.feedCursor)]);
      this.set(Math.max(0, Number(head ?? 0) - Number(cursor ?? 0)));
    },
  });
  const tail = createAuditTail({
    redis: deps.redis,
    pubsub,
    keys,
    log,
    leads: deps.leads,
    onPublished: (records) => published.inc(records.length),
    ...deps.tail,
  });
  return {
    async start(): Promise<void> {
      await configureAuditNode(pubsub, deps.maxItems);
      await readers.start();
      await tail.start();
    },
    async stop(): Promise<void> {
      await tail.stop();
      await readers.stop();
    },
    /** Sync the node's members with the roles now (a test, after a role change it made). */
    refreshReaders: () => readers.refresh(),
    published: () => tail.published(),
  };
}
export type AuditFeed = ReturnType<typeof createAuditFeed>;
