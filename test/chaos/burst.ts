import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createAlertStore, createAuditChain, createRuleStore } from '@tickdesk/alerts';
import { loginFor, redisClientOptions } from '@tickdesk/infra';
import { encodeTickBatch, ticksNode, type Rule } from '@tickdesk/schemas';
import { createPubsub, type XmppClient } from '@tickdesk/xmpp';
import { lastPublishedSeq } from '@tickdesk/feed-core';
import type { ClusterDesk } from '../cluster/cluster-desk.js';

/** The instrument the burst's own ticks go to (the synthetic feed's ticks on it are older by seq and ignored). */
export const BURST_SYMBOL = 'ESZ6';
/** Crossing thresholds per burst; each tick of the ramp crosses one. */
export const STEPS = 100;
/** Rules per trader and threshold: STEPS × RULES_PER_STEP × traders alerts in a burst. */
const RULES_PER_STEP = 5;
/** Rules one trader may store on the chaos desk (TICKDESK_ALERTS_MAX_RULES_PER_TRADER): 500 per burst, six or more bursts. */
export const MAX_RULES_PER_TRADER = 10_000;

/** A client of the desk's Redis as its services connect (through the sentinels in Sentinel mode). */
export function deskRedis(desk: ClusterDesk): Redis {
  const topology = JSON.parse(readFileSync(join(desk.home, 'topology.json'), 'utf8')) as {
    redis: Parameters<typeof redisClientOptions>[0];
  };
  const creds = desk.credentials().redis as { users: Record<string, string>; sentinelPassword?: string };
  const redis = new Redis({
    ...redisClientOptions(topology.redis, loginFor(creds, 'desk'), creds.sentinelPassword),
    maxRetriesPerRequest: null,
  });
  redis.on('error', () => undefined);
  return redis;
}

/**
 * Seq between two of the burst's ticks. A feed taking ESZ6 over (a standby, or the feed
 * started again) continues above the node's last seq, one by one (publisher-leases.ts):
 * the burst stays ahead of it.
 */
const BURST_SEQ_STEP = 1_000;

/**
 * Publishes the burst's ticks from a session of the feed account, with seq above every
 * synthetic tick's: the first of a burst (`first`) above the node's last item too.
 */
export function burstPublisher(feed: XmppClient) {
  const pubsub = createPubsub(feed, 'pubsub.desk.localhost');
  let seq = Date.now() * 1000 * 2;
  return async (price: string, first = false): Promise<number> => {
    if (first) seq = Math.max(seq, (await lastPublishedSeq(pubsub, BURST_SYMBOL)) + BURST_SEQ_STEP);
    const now = new Date().toISOString().replace('Z', '000Z');
    const t = [{ symbol: BURST_SYMBOL, seq, price, size: '1', side: 'buy' as const, eventTime: now, ingestTime: now }];
    seq += BURST_SEQ_STEP;
    await pubsub.publish(ticksNode(BURST_SYMBOL), encodeTickBatch({ symbol: BURST_SYMBOL, ticks: t, conflated: 0 }));
    return t[0]!.seq;
  };
}

/** Once-only crossing-up rules at base + k + 0.5 (k < STEPS), RULES_PER_STEP per trader and threshold. */
export async function burstRules(redis: Redis, traders: readonly string[], base: number): Promise<Set<string>> {
  const store = createRuleStore({ redis, maxRulesPerOwner: MAX_RULES_PER_TRADER });
  const specs: Array<[string, string]> = [];
  for (const owner of traders)
    for (let k = 0; k < STEPS; k++) for (let r = 0; r < RULES_PER_STEP; r++) specs.push([owner, `${base + k}.5`]);
  const ids = new Set<string>();
  for (let i = 0; i < specs.length; i += 50) {
    const made: Rule[] = await Promise.all(
      specs.slice(i, i + 50).map(([owner, threshold]) =>
        store.create(owner, {
          symbol: BURST_SYMBOL,
          condition: 'crossing-up',
          threshold,
          frequency: 'once',
          priority: 'normal',
        }),
      ),
    );
    for (const r of made) ids.add(r.id);
  }
  return ids;
}

/** The audit chain's last seq now. */
export async function chainTip(redis: Redis): Promise<number> {
  return (await createAuditChain({ redis }).head()).seq;
}

/** Alerts the chain records as fired after `afterSeq` for the given rules (alert id → trader), read on from where the last poll stopped. */
export function firedTracker(redis: Redis, afterSeq: number, rules: Set<string>) {
  const chain = createAuditChain({ redis });
  const alerts = createAlertStore({ redis });
  const fired = new Map<string, string>();
  /** `fired` records of one alert: more than one is an entry in the chain twice. */
  const firedRecords = new Map<string, number>();
  let after = afterSeq;
  return {
    fired,
    /** Alerts with more than one `fired` record. */
    firedTwice: () => [...firedRecords.values()].filter((n) => n > 1).length,
    async poll(): Promise<Map<string, string>> {
      for (;;) {
        const page = await chain.range({ afterSeq: after, limit: 2_000 });
        for (const r of page) {
          if (r.event !== 'fired') continue;
          if (!fired.has(r.alertId)) {
            const a = await alerts.get(r.alertId);
            if (!a || !rules.has(a.ruleId)) continue;
            fired.set(r.alertId, r.trader);
          }
          firedRecords.set(r.alertId, (firedRecords.get(r.alertId) ?? 0) + 1);
        }
        if (page.length > 0) after = page[page.length - 1]!.seq;
        if (page.length < 2_000) return fired;
      }
    },
    /** The burst rules' alerts in the outbox and history (alert id → trader), fired since `fromTime`, whatever the chain says. */
    async stored(fromTime: string): Promise<Map<string, string>> {
      const out = new Map<string, string>();
      let next: string | undefined;
      do {
        const page = await alerts.list({
          symbol: BURST_SYMBOL,
          fromTime,
          limit: 1_000,
          ...(next ? { after: next } : {}),
        });
        for (const a of page.alerts) if (rules.has(a.ruleId)) out.set(a.id, a.owner);
        next = page.next;
      } while (next);
      return out;
    },
  };
}
