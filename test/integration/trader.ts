import { decodeAlert, encodeTickBatch, NS_ALERT, ticksNode, type AlertPayload } from '@tickdesk/schemas';
import {
  createPubsub,
  markerFor,
  presence,
  receiptFor,
  wantsReceipt,
  xml,
  type Element,
  type Marker,
  type Show,
  type XmppClient,
} from '@tickdesk/xmpp';
import { connect, desk, waitFor } from './helpers.js';

export interface ReceivedAlert {
  id: string;
  from: string;
  payload: AlertPayload;
  body: string;
  stanza: Element;
}

/**
 * A trader's XMPP client as a test sees it: collects alert messages, answers with
 * receipts unless told not to, and talks to the desk account.
 */
export async function trader(user: string, opts: { receipts?: boolean; show?: Show; resource?: string } = {}) {
  const client = await connect(user, opts.resource ?? `test-${Math.random().toString(36).slice(2, 8)}`);
  const alerts: ReceivedAlert[] = [];
  const replies: string[] = [];
  const malformed: string[] = [];
  const deskJid = `alerts@${desk().domain}`;
  client.on('stanza', (st: Element) => {
    if (st.name !== 'message' || st.attrs.type !== 'chat') return;
    const el = st.getChild('alert', NS_ALERT);
    if (el) {
      const res = decodeAlert(el);
      if (!res.ok) return void malformed.push(res.reason);
      alerts.push({
        id: String(st.attrs.id),
        from: String(st.attrs.from),
        payload: res.value,
        body: st.getChildText('body') ?? '',
        stanza: st,
      });
      if (opts.receipts !== false && wantsReceipt(st))
        void client.send(receiptFor(String(st.attrs.from), String(st.attrs.id)));
      return;
    }
    const body = st.getChildText('body');
    if (body !== null && String(st.attrs.from).startsWith(deskJid)) replies.push(body);
  });
  await client.send(presence(opts.show ?? 'available'));
  return {
    client,
    alerts,
    replies,
    malformed,
    /** Distinct alert ids, as a client that de-duplicates on id shows them. */
    shown: () => [...new Set(alerts.map((a) => a.id))],
    async say(text: string, timeoutMs = 10_000): Promise<string> {
      const before = replies.length;
      await client.send(xml('message', { to: deskJid, type: 'chat', id: `cmd-${Date.now()}` }, xml('body', {}, text)));
      await waitFor(() => replies.length > before, timeoutMs, `a reply to "${text}"`);
      return replies[before]!;
    },
    setShow: (show: Show, status?: string) => client.send(presence(show, status)),
    mark: (alert: ReceivedAlert, marker: Marker) => client.send(markerFor(alert.from.split('/')[0]!, alert.id, marker)),
    stop: () => client.stop(),
  };
}
export type Trader = Awaited<ReturnType<typeof trader>>;

let seq = Date.now() * 1000;
/** Publish one batch of ticks (one item) as the feed account; seq keeps increasing across the run. */
export async function publishPrices(feed: XmppClient, symbol: string, prices: readonly string[]): Promise<void> {
  const now = new Date().toISOString().replace('Z', '000Z');
  const ticks = prices.map((price) => ({
    symbol,
    seq: seq++,
    price,
    size: '1',
    side: 'buy' as const,
    eventTime: now,
    ingestTime: now,
  }));
  await createPubsub(feed, desk().pubsubHost).publish(
    ticksNode(symbol),
    encodeTickBatch({ symbol, ticks, conflated: 0 }),
  );
}
