import { describe, expect, it } from 'vitest';
import { xml, XmppError, type Element, type XmppClient } from '@tickdesk/xmpp';
import { provisionNodes } from './provision.js';

const dbFailure = (what: string) =>
  new XmppError(
    'TICKDESK_XMPP_STANZA_ERROR',
    `${what}: internal-server-error: Database failure`,
    'internal-server-error',
    undefined,
    'wait',
  );

/** A feed session whose pubsub service fails the first `failures` requests of each kind listed, as a fresh ejabberd cluster does. */
function fakeFeed(failFirst: Record<string, number>) {
  const requests: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const request = async (stanza: Element): Promise<Element> => {
    const child =
      stanza.getChild('pubsub')?.children.find((c): c is Element => typeof c !== 'string') ?? stanza.getChild('query');
    const kind = child?.name === 'query' ? 'disco' : `${child?.name} ${String(child?.attrs.node)}`;
    requests.push(kind);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 1));
    inFlight -= 1;
    if ((failFirst[kind] ?? 0) > 0) {
      failFirst[kind]! -= 1;
      throw dbFailure(kind);
    }
    return xml(
      'iq',
      { type: 'result' },
      ...(kind === 'disco' ? [xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })] : []),
    );
  };
  const feed = { iq: { request } } as unknown as XmppClient;
  return { feed, requests, maxInFlight: () => maxInFlight };
}

describe('provisioning the instrument nodes on a fresh cluster', () => {
  it('retries a create and an affiliation change that the server fails transiently, one request at a time', async () => {
    const fake = fakeFeed({ 'create ticks/BTCUSDT': 1, 'affiliations bars/BTCUSDT': 2 });
    const made = await provisionNodes(
      fake.feed,
      'pubsub.desk.localhost',
      [{ symbol: 'BTCUSDT' }] as never,
      ['admin@desk.localhost'],
      { retry: { sleep: async () => undefined } },
    );
    expect(made).toEqual(['ticks/BTCUSDT', 'bars/BTCUSDT']);
    expect(fake.requests).toEqual([
      'disco',
      'create ticks/BTCUSDT',
      'create ticks/BTCUSDT',
      'create bars/BTCUSDT',
      'affiliations ticks/BTCUSDT',
      'affiliations bars/BTCUSDT',
      'affiliations bars/BTCUSDT',
      'affiliations bars/BTCUSDT',
    ]);
    expect(fake.maxInFlight()).toBe(1);
  });
});
