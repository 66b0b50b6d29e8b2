import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
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
  tail?: Pick<AuditTailDeps, 'batch' | 'blockMs' | 'retryMs' | 'onPublished'>;
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
  const tail = createAuditTail({
    redis: deps.redis,
    pubsub,
    keys: auditKeys(deps.prefix),
    log,
    leads: deps.leads,
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
