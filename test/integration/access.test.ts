import { afterAll, describe, expect, it } from 'vitest';
import { createPubsub, xml, XmppError, type XmppClient } from '@tickdesk/xmpp';
import { encodeTickBatch, ticksNode } from '@tickdesk/schemas';
import { connect, desk, refusal, SUBSCRIBE_REFUSED } from './helpers.js';

const clients: XmppClient[] = [];
const open = async (user: string) => {
  const c = await connect(user);
  clients.push(c);
  return c;
};
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
});

const tick = {
  symbol: 'BTCUSDT',
  seq: 1,
  price: '1',
  size: '1',
  side: 'buy' as const,
  eventTime: '2026-01-01T00:00:00.000Z',
  ingestTime: '2026-01-01T00:00:00.000Z',
};

describe('instrument node access', () => {
  it('nodes are whitelisted, publishers-only, owned by the feed', async () => {
    const feed = await open('feed');
    const config = await createPubsub(feed, desk().pubsubHost).configuration(ticksNode('BTCUSDT'));
    expect(config.access_model).toEqual(['whitelist']);
    expect(config.publish_model).toEqual(['publishers']);
  });

  it('refuses a subscription from an account that is not entitled (forbidden, or not-allowed + closed-node)', async () => {
    const eve = await open('eve');
    const err = await createPubsub(eve, desk().pubsubHost)
      .subscribe(ticksNode('BTCUSDT'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XmppError);
    expect(refusal(err)).toMatch(SUBSCRIBE_REFUSED);
  });

  it('lets an entitled analyst subscribe but not publish', async () => {
    const ana = await open('ana');
    const pubsub = createPubsub(ana, desk().pubsubHost);
    expect(await pubsub.subscribe(ticksNode('ETHUSDT'))).toBe('subscribed');
    const err = await pubsub
      .publish(
        ticksNode('ETHUSDT'),
        encodeTickBatch({ symbol: 'ETHUSDT', ticks: [{ ...tick, symbol: 'ETHUSDT' }], conflated: 0 }),
      )
      .catch((e: unknown) => e);
    expect((err as XmppError).condition).toBe('forbidden');
  });

  it('lets no one but the feed create, configure, purge or delete nodes', async () => {
    const alice = await open('alice');
    const pubsub = createPubsub(alice, desk().pubsubHost);
    for (const attempt of [
      () => pubsub.create('ticks/NEWSYM', {}),
      () => pubsub.configure(ticksNode('BTCUSDT'), { access_model: 'open' }),
      () => pubsub.purge(ticksNode('BTCUSDT')),
      () => pubsub.deleteNode(ticksNode('BTCUSDT')),
    ]) {
      const err = await attempt().catch((e: unknown) => e);
      expect((err as XmppError).condition).toBe('forbidden');
    }
  });

  it('refuses a client that sends a wrong password', async () => {
    const { createXmppClient } = await import('@tickdesk/xmpp');
    const { log } = await import('./helpers.js');
    const c = createXmppClient({
      service: desk().service,
      domain: desk().domain,
      username: 'alice',
      password: 'wrong',
      ca: desk().ca,
      log,
      reconnect: false,
    });
    await expect(c.start()).rejects.toMatchObject({ code: 'TICKDESK_XMPP_AUTH_FAILED' });
  });

  it('refuses a server whose certificate the client does not trust', async () => {
    const { createXmppClient } = await import('@tickdesk/xmpp');
    const { log, credentials } = await import('./helpers.js');
    const c = createXmppClient({
      service: desk().service,
      domain: desk().domain,
      username: 'alice',
      password: credentials().accounts.alice!.password,
      log,
      reconnect: false,
    });
    await expect(c.start()).rejects.toMatchObject({ code: 'TICKDESK_XMPP_TLS_FAILED' });
    void xml;
  });
});
