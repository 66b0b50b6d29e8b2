import type { Bar } from '@tickdesk/schemas';
import { barsNode } from '@tickdesk/schemas';
import { createEmitter } from '../emitter.js';
import { warn } from '../log.js';
import { barsFromStanza } from '../xmpp/bar-event.js';
import { createPubsub } from '@tickdesk/xmpp/browser';
import { pubsubService } from '../xmpp/stanzas.js';
import type { ConnectionStore } from './connection.js';

/**
 * The bars/<SYMBOL> subscriptions (XEP-0060 §6.1) of this tab's full JID: made when a
 * session comes up (again after every reconnect), removed on logout, and the decoded
 * bars handed on to the price and chart stores.
 */
export function createBarFeed({ connection }: { connection: ConnectionStore }) {
  const events = createEmitter<{ bar: Bar }>();
  let domain = '';
  let symbols: string[] = [];
  let jid: string | undefined;
  let subscribed = new Set<string>();
  // XEP-0060 through the services' module: it needs only an IQ caller and a JID.
  const pubsub = () =>
    createPubsub(
      { iq: { request: (iq, timeoutMs) => connection.request(iq, timeoutMs) }, bareJid: () => jid ?? '' },
      pubsubService(domain),
    );

  async function sync(): Promise<void> {
    const forJid = jid;
    if (!forJid || !domain) return;
    await Promise.all(
      symbols
        .filter((s) => !subscribed.has(s))
        .map(async (symbol) => {
          subscribed.add(symbol);
          try {
            await pubsub().subscribe(barsNode(symbol), forJid);
          } catch (err) {
            if (jid === forJid) subscribed.delete(symbol);
            warn('bar subscription refused', { symbol, err: String((err as Error)?.message ?? err) });
          }
        }),
    );
  }

  connection.on('online', (e) => {
    jid = e.jid;
    subscribed = new Set();
    void sync();
  });
  connection.on('offline', () => {
    jid = undefined;
  });
  connection.on('message', (stanza) => {
    if (!domain) return;
    for (const bar of barsFromStanza(stanza, pubsubService(domain))) events.emit('bar', bar);
  });

  return {
    on: events.on,
    /** The instruments to follow on this desk. */
    follow(desk: string, list: readonly string[]): void {
      domain = desk;
      symbols = [...list];
      void sync();
    },
    /** XEP-0060 §6.2, before the stream closes on logout; a timeout does not hold up the logout. */
    async unsubscribeAll(timeoutMs = 3_000): Promise<void> {
      const forJid = jid;
      const nodes = [...subscribed];
      subscribed = new Set();
      symbols = [];
      if (!forJid || !connection.connected()) return;
      const ps = pubsub();
      await Promise.allSettled(nodes.map((s) => ps.unsubscribe(barsNode(s), forJid, timeoutMs)));
    },
  };
}
