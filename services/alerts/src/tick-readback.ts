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

/**
 * The seq of the newest tick each instrument's node holds (XEP-0060 §6.5.7, max_items='1':
 * the most recent item), -1 for an empty node. An instrument whose node cannot be read, or
 * whose newest item does not decode, is left out: where it stands is not known.
 */
export async function newestSeqs(
  client: XmppClient,
  service: string,
  symbols: Iterable<string>,
): Promise<Map<string, number>> {
  const pubsub = createPubsub(client, service);
  const out = new Map<string, number>();
  await Promise.all(
    [...symbols].map(async (symbol) => {
      const items = await pubsub.items(ticksNode(symbol), 1).catch(() => undefined);
      if (!items) return;
      const newest = items.at(-1);
      if (!newest) return void out.set(symbol, -1);
      const res = newest.payload ? decodeTickRows(newest.payload) : undefined;
      if (res?.ok) out.set(symbol, Math.max(...res.value.rows.map((r) => r.seq)));
    }),
  );
  return out;
}
