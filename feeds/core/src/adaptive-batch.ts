import type { Logger } from 'pino';
import { ticksNode, type Instrument } from '@tickdesk/schemas';
import type { Pubsub } from '@tickdesk/xmpp';
import { chooseBatchMs, type BatchPolicyOptions } from './batch-policy.js';
import { createSubscriberCounts } from './subscriber-counts.js';

/**
 * The feed's current batch wait: `minMs` until adapted, then once a second from each
 * instrument's tick rate over that second and its ticks node's subscriber count.
 */
export function createAdaptiveBatch({
  policy,
  enabled,
  instruments,
  pubsub,
  log,
  subscriberPollMs,
  now,
}: {
  policy: BatchPolicyOptions;
  enabled: boolean;
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
  let since = now();
  let ms = policy.minMs;

  return {
    /** The wait for a batch now (ms). */
    get ms(): number {
      return ms;
    },
    /** A tick of `symbol` was accepted. */
    note(symbol: string): void {
      if (enabled) arrivals.set(symbol, (arrivals.get(symbol) ?? 0) + 1);
    },
    /** Re-choose the wait once at least a second of arrivals is counted; returns it. */
    update(): number {
      const t = now();
      const seconds = (t - since) / 1e6;
      if (!enabled || seconds < 1) return ms;
      const loads = instruments.map((i, k) => ({
        rate: (arrivals.get(i.symbol) ?? 0) / seconds,
        subscribers: subscribers.get(nodes[k]!),
      }));
      arrivals.clear();
      since = t;
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
