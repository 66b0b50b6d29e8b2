import type { Logger } from 'pino';
import { ticksNode, type Instrument } from '@tickdesk/schemas';
import type { Pubsub } from '@tickdesk/xmpp';
import { chooseBatchMs, type BatchPolicyOptions } from './batch-policy.js';
import { createSubscriberCounts } from './subscriber-counts.js';

/**
 * The feed's current batch wait: `minMs` until adapted, then once a second from each
 * instrument's tick rate over that second and its ticks node's subscriber count. And
 * which instruments are eager: those that ticked at most `eagerMaxRate` times a second
 * over the last second measured (all of them until then) publish a tick at once when
 * none of their items is in flight (publish-pump.ts); the others wait for the batch.
 */
export function createAdaptiveBatch({
  policy,
  enabled,
  eagerMaxRate,
  instruments,
  pubsub,
  log,
  subscriberPollMs,
  now,
}: {
  policy: BatchPolicyOptions;
  enabled: boolean;
  /** Ticks per second of one instrument at most for it to stay eager. */
  eagerMaxRate: number;
  instruments: readonly Instrument[];
  pubsub: Pubsub;
  log: Logger;
  subscriberPollMs: number;
  /** Microseconds. */
  now: () => number;
}) {
  const nodes = instruments.map((i) => ticksNode(i.symbol));
  const subscribers = createSubscriberCounts({ pubsub, nodes, log, intervalMs: subscriberPollMs });
  const arrivals = new Map<string, number>();
  let loaded = new Set<string>();
  let since = now();
  let ms = policy.minMs;

  return {
    /** The wait for a batch now (ms). */
    get ms(): number {
      return ms;
    },
    /** Whether a tick of `symbol` goes out at once when none of its items is in flight. */
    eager(symbol: string): boolean {
      return eagerMaxRate > 0 && !loaded.has(symbol);
    },
    /** A tick of `symbol` was accepted. */
    note(symbol: string): void {
      arrivals.set(symbol, (arrivals.get(symbol) ?? 0) + 1);
    },
    /** Re-read the rates, and re-choose the wait, once at least a second of arrivals is counted; returns the wait. */
    update(): number {
      const t = now();
      const seconds = (t - since) / 1e6;
      if (seconds < 1) return ms;
      const loads = instruments.map((i, k) => ({
        rate: (arrivals.get(i.symbol) ?? 0) / seconds,
        subscribers: subscribers.get(nodes[k]!),
      }));
      const nowLoaded = new Set(instruments.filter((_, k) => loads[k]!.rate > eagerMaxRate).map((i) => i.symbol));
      if (nowLoaded.size !== loaded.size) log.debug({ loaded: [...nowLoaded] }, 'instruments batched for load changed');
      loaded = nowLoaded;
      arrivals.clear();
      since = t;
      if (!enabled) return ms;
      const next = chooseBatchMs(policy, loads);
      if (next !== ms) log.debug({ batchMs: next, was: ms }, 'batch wait changed');
      ms = next;
      return ms;
    },
    start(): void {
      since = now();
      if (enabled) subscribers.start();
    },
    stop: () => subscribers.stop(),
  };
}
