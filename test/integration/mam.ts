import { xml, type Element, type XmppClient } from '@tickdesk/xmpp';

export const NS_MAM = 'urn:xmpp:mam:2';
const NS_FORWARD = 'urn:xmpp:forward:0';

/** XEP-0313 §4: the account's archived messages with `peer` (since `start` when given), newest last (at most 50). */
export async function archive(client: XmppClient, peer: string, start?: string): Promise<Element[]> {
  const queryid = `q${Date.now()}${Math.random().toString(36).slice(2, 6)}`;
  const found: Element[] = [];
  const onStanza = (st: Element) => {
    const result = st.name === 'message' ? st.getChild('result', NS_MAM) : undefined;
    if (result?.attrs.queryid !== queryid) return;
    const message = result.getChild('forwarded', NS_FORWARD)?.getChild('message');
    if (message) found.push(message);
  };
  client.on('stanza', onStanza);
  try {
    const form = xml(
      'x',
      { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_MAM)),
      xml('field', { var: 'with' }, xml('value', {}, peer)),
      ...(start === undefined ? [] : [xml('field', { var: 'start' }, xml('value', {}, start))]),
    );
    const rsm = xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', {}, '50'), xml('before'));
    // The result IQ comes after every result message (§4.1.2).
    await client.iq.request(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_MAM, queryid }, form, rsm)));
    return found;
  } finally {
    client.removeListener('stanza', onStanza);
  }
}

/** The archived messages' ids (a stanza's `id` attribute), in archive order. */
export const idsOf = (messages: readonly Element[]): Array<string | undefined> =>
  messages.map((m) => m.attrs.id as string | undefined);
