import xml, { type Element } from '@xmpp/xml';
import { NS } from './namespaces.js';

// XEP-0184: Message Delivery Receipts.
export const NS_RECEIPTS = NS.receipts;

export const receiptRequest = (): Element => xml('request', { xmlns: NS_RECEIPTS });

/** §5.2 the receipt for message `id`, addressed to its sender. */
export function receiptFor(to: string, id: string): Element {
  return xml('message', { to, id: `rcpt-${id}` }, xml('received', { xmlns: NS_RECEIPTS, id }));
}

/** True when the message asks for a receipt (§5.1). */
export const wantsReceipt = (message: Element): boolean => Boolean(message.getChild('request', NS_RECEIPTS));

/** The id a receipt acknowledges, with its sender, or undefined when it is none. */
export function parseReceipt(message: Element): { from: string; id: string } | undefined {
  if (message.name !== 'message' || message.attrs.type === 'error') return undefined;
  const r = message.getChild('received', NS_RECEIPTS);
  const id = r?.attrs.id as string | undefined;
  const from = message.attrs.from as string | undefined;
  return r && id && from ? { from, id } : undefined;
}
