import type { Redis } from 'ioredis';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import type { XmppClient } from '@tickdesk/xmpp';
import { startClusterDesk, type ClusterDesk } from '../cluster/cluster-desk.js';
import { connectTo, tickWatcher, traderOn, type ClusterTrader } from '../cluster/desk-watchers.js';
import { BURST_SYMBOL, burstPublisher, deskRedis, MAX_RULES_PER_TRADER } from './burst.js';

export const TRADERS = ['alice', 'bob'] as const;
/** The synthetic feed's instruments whose ticks are counted (the burst's own is ESZ6). */
export const LIVE = DEFAULT_INSTRUMENTS.map((i) => i.symbol).filter((s) => s !== BURST_SYMBOL);

/** A desk under test with its traders, the analyst's tick watcher and the burst's publisher. */
export interface ChaosDesk {
  label: string;
  desk: ClusterDesk;
  redis: Redis;
  traders: Record<string, ClusterTrader>;
  ticks: Awaited<ReturnType<typeof tickWatcher>>;
  /** Publishes one of the burst's ticks; `first` for a burst's first (its seq above the node's last item). */
  publish: (price: string, first?: boolean) => Promise<number>;
  /** Set when a case failed: the desk's folder (logs, desk.json) is kept when it stops. */
  keep: boolean;
  stop(): Promise<void>;
}

/**
 * `tickdesk up` from the build with the chaos settings, then the sessions: each trader on
 * the node `placement` names (index from 0), the analyst and the burst's feed session on
 * `placement.others`.
 */
export async function openChaosDesk(
  label: string,
  opts: Parameters<typeof startClusterDesk>[0],
  placement: { alice: number; bob: number; others: number },
): Promise<ChaosDesk> {
  const desk = await startClusterDesk({
    ...opts,
    keepOnFailure: true,
    env: {
      ...opts.env,
      TICKDESK_FEED_RATE: '70',
      TICKDESK_REDIS_DOWN_AFTER_MS: '2000',
      TICKDESK_ALERTS_MAX_RULES_PER_TRADER: String(MAX_RULES_PER_TRADER),
      // Alerts sent into a dead session are resent within the test.
      TICKDESK_ALERTS_RECEIPT_TIMEOUT_MS: '3000',
      TICKDESK_RESTART_MAX: '20',
    },
  });
  const clients: XmppClient[] = [];
  const redis = deskRedis(desk);
  try {
    const traders: Record<string, ClusterTrader> = {};
    for (const t of TRADERS) {
      traders[t] = await traderOn(desk, t, placement[t]);
      clients.push(traders[t].client);
    }
    const ana = await connectTo(desk, 'ana', placement.others, 'chaos-ticks');
    clients.push(ana);
    const ticks = await tickWatcher(ana, LIVE);
    const feed = await connectTo(desk, 'feed', placement.others, 'chaos-burst');
    clients.push(feed);
    const cd: ChaosDesk = {
      label,
      desk,
      redis,
      traders,
      ticks,
      publish: burstPublisher(feed),
      keep: false,
      stop: async () => {
        await ticks.stop().catch(() => undefined);
        for (const c of clients) await c.stop().catch(() => undefined);
        redis.disconnect();
        await desk.stop(cd.keep);
      },
    };
    return cd;
  } catch (err) {
    for (const c of clients) await c.stop().catch(() => undefined);
    redis.disconnect();
    await desk.stop(true);
    throw err;
  }
}
