import type { Logger } from 'pino';
import type { Element } from '@xmpp/xml';
import type { XmppClient } from './client.js';
import { createPubsub, parsePubsubEvent } from './pubsub.js';
import { presence } from './presence.js';
import { NS } from './namespaces.js';

export type Decoder<T> = (payload: Element) => { ok: true; value: T } | { ok: false; reason: string };

export interface ItemSubscriberOptions<T> {
  client: XmppClient;
  /** The pubsub service JID; events from anyone else are ignored. */
  service: string;
  nodes: readonly string[];
  decode: Decoder<T>;
  onItem: (value: T, node: string, itemId: string) => void;
  log: Logger;
}

/**
 * Subscribe the client's bare JID to `nodes` and hand each decoded item to `onItem`.
 * A foreign or malformed item is skipped with a log line and counted; the next one
 * is processed. Subscriptions are renewed after every reconnect.
 */
export function createItemSubscriber<T>({ client, service, nodes, decode, onItem, log }: ItemSubscriberOptions<T>) {
  const pubsub = createPubsub(client, service);
  const watched = new Set(nodes);
  let skipped = 0;
  let received = 0;

  const onStanza = (stanza: Element) => {
    const event = parsePubsubEvent(stanza, service);
    if (!event) {
      if (stanza.name === 'message' && stanza.getChild('event', NS.pubsubEvent)) {
        skipped += 1;
        log.warn({ from: stanza.attrs.from }, 'pubsub event from a foreign sender ignored');
      }
      return;
    }
    if (!watched.has(event.node)) return;
    for (const item of event.items) {
      const res = item.payload ? decode(item.payload) : { ok: false as const, reason: 'item without payload' };
      if (!res.ok) {
        skipped += 1;
        log.warn({ node: event.node, item: item.id, reason: res.reason }, 'pubsub item skipped');
        continue;
      }
      received += 1;
      onItem(res.value, event.node, item.id);
    }
  };

  async function subscribeAll() {
    // Notifications go to available resources only (XEP-0060 §12.2), so be available.
    await client.send(presence('available'));
    for (const node of watched) await pubsub.subscribe(node);
  }
  const onOnline = () => {
    subscribeAll().catch((err: Error) => log.warn({ err }, 'resubscribe failed'));
  };

  return {
    async start(): Promise<void> {
      client.on('stanza', onStanza);
      await subscribeAll();
      client.on('online', onOnline);
    },
    stop(): Promise<void> {
      client.off('stanza', onStanza);
      client.off('online', onOnline);
      return Promise.resolve();
    },
    stats: () => ({ received, skipped }),
  };
}
