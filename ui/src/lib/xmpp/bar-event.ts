import { decodeBar, type Bar } from '@tickdesk/schemas';
import { parsePubsubEvent, type Element } from '@tickdesk/xmpp/browser';
import { warn } from '../log.js';

/**
 * The bars in a pubsub notification (docs/protocol.md §6.2, §7.2): only from the
 * pubsub service, only `bars/<SYMBOL>` nodes, each payload decoded strictly and its
 * symbol equal to the node's. A malformed item is skipped (and said so), the rest kept.
 */
export function barsFromStanza(stanza: Element, service: string): Bar[] {
  const event = parsePubsubEvent(stanza, service);
  if (!event || !event.node.startsWith('bars/')) return [];
  const symbol = event.node.slice('bars/'.length);
  const bars: Bar[] = [];
  for (const item of event.items) {
    const decoded = item.payload ? decodeBar(item.payload) : { ok: false as const, reason: 'no payload' };
    if (!decoded.ok) {
      warn('malformed bar skipped', { node: event.node, item: item.id, reason: decoded.reason });
    } else if (decoded.value.symbol !== symbol) {
      warn('bar for another symbol skipped', { node: event.node, item: item.id, symbol: decoded.value.symbol });
    } else {
      bars.push(decoded.value);
    }
  }
  return bars;
}
