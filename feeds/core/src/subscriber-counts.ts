import type { Logger } from 'pino';
import { toXmppError, type Pubsub } from '@tickdesk/xmpp';

/**
 * How many subscribers each tick node has, asked of the server every `intervalMs` as
 * the nodes' owner (XEP-0060 §8.8.1). A node the server will not tell about (not our
 * node, or a server without the request) counts as unknown, and asking stops after
 * the server refuses every node once: the feed then batches as for one subscriber.
 */
export function createSubscriberCounts({
  pubsub,
  nodes,
  log,
  intervalMs,
}: {
  pubsub: Pubsub;
  nodes: readonly string[];
  log: Logger;
  intervalMs: number;
}) {
  const counts = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let stopped = false;

  async function poll(): Promise<void> {
    let refused = 0;
    for (const node of nodes) {
      if (stopped) return;
      try {
        const subs = await pubsub.subscriptions(node);
        counts.set(node, subs.filter((s) => s.subscription === 'subscribed').length);
      } catch (err) {
        counts.delete(node);
        refused += 1;
        if (refused === nodes.length) {
          log.info(
            { err: toXmppError(err, `subscriptions ${node}`).message },
            'subscriber counts not available; batching as for one subscriber',
          );
          clearInterval(timer);
          timer = undefined;
        }
      }
    }
  }
  const tick = () => {
    polling ??= poll().finally(() => (polling = undefined));
  };

  return {
    start(): void {
      stopped = false;
      tick();
      timer = setInterval(tick, intervalMs);
    },
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      timer = undefined;
      await polling;
    },
    /** Subscribers of `node` at the last answer, or undefined when not known. */
    get: (node: string): number | undefined => counts.get(node),
  };
}
