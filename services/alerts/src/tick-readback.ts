import { decodeTickRows, ticksNode, type TickRow } from '@tickdesk/schemas';
import { createPubsub, type XmppClient } from '@tickdesk/xmpp';

/** One decoded tick item, times as microseconds. */
export type RowBatch = { symbol: string; rows: TickRow[]; conflated: number };

/**
 * The recent items of the given instruments' tick nodes (XEP-0060 §6.5, bounded by each
 * node's max_items), decoded and oldest first: the ticks an engine missed while it was
 * down, or dropped while Redis was away. A node that cannot be read yields nothing;
 * an item that does not decode is skipped, as live items are.
 */
export async function readRecentBatches(
  client: XmppClient,
  service: string,
  symbols: Iterable<string>,
): Promise<RowBatch[]> {
  const pubsub = createPubsub(client, service);
  const fetched = await Promise.all([...symbols].map((symbol) => pubsub.items(ticksNode(symbol)).catch(() => [])));
  const batches = fetched.flat().flatMap((it) => {
    const res = it.payload ? decodeTickRows(it.payload) : undefined;
    return res?.ok ? [res.value] : [];
  });
  return batches.sort((a, b) => a.rows[0]!.seq - b.rows[0]!.seq);
}
