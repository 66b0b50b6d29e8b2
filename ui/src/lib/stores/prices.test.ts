import { get } from 'svelte/store';
import { describe, expect, it } from 'vitest';
import { encodeBar, type Bar } from '@tickdesk/schemas';
import { NS_PUBSUB, NS_PUBSUB_EVENT, xml, type Element } from '@tickdesk/xmpp/browser';
import { fakeDesk, json, settle } from '../../test/fakes.js';

const SERVICE = 'pubsub.desk.localhost';
const bar = (close: string, start = '2026-11-21T10:00:01.000000Z', symbol = 'BTCUSDT'): Bar => ({
  symbol,
  interval: '1s',
  start,
  open: '65000',
  high: close,
  low: '64999',
  close,
  volume: '1.5',
  trades: 3,
});

function event(node: string, payloads: Element[], from = SERVICE): Element {
  return xml(
    'message',
    { from, to: 'alice@desk.localhost/tab1', type: 'headline' },
    xml(
      'event',
      { xmlns: NS_PUBSUB_EVENT },
      xml('items', { node }, ...payloads.map((p, i) => xml('item', { id: `i${i}` }, p))),
    ),
  );
}

async function loggedIn() {
  const t = fakeDesk({
    routes: {
      'GET /prices': () =>
        json(200, {
          prices: [
            {
              symbol: 'BTCUSDT',
              price: '64990',
              size: '1',
              seq: 1,
              eventTime: '2026-11-21T09:59:00Z',
              ingestTime: '2026-11-21T09:59:00Z',
            },
          ],
        }),
      'GET /instruments/BTCUSDT/candles': ({ query }) =>
        json(200, {
          symbol: 'BTCUSDT',
          interval: query.get('interval'),
          candles:
            query.get('interval') === '1h'
              ? [{ ...bar('65010', '2026-11-21T00:00:00.000000Z'), interval: '1h', open: '64000' }]
              : [],
        }),
    },
  });
  await t.login();
  return t;
}

describe('prices', () => {
  it("starts from REST: last price and change against the day's first candle open", async () => {
    const t = await loggedIn();
    const row = get(t.desk.prices.rows).find((r) => r.symbol === 'BTCUSDT')!;
    expect(row).toMatchObject({
      last: '64990',
      reference: { day: '2026-11-21', open: '64000' },
      change: { value: '+990', percent: '+1.55%' },
    });
  });

  it('coalesces a fast feed into one store update per animation frame', async () => {
    const t = await loggedIn();
    const s = t.xmpp.last();
    let notified = 0;
    const stop = t.desk.prices.rows.subscribe(() => notified++);
    notified = 0;
    const before = get(t.desk.prices.rows).find((r) => r.symbol === 'BTCUSDT')!.updated;
    for (let i = 1; i <= 500; i++) s.receive(event('bars/BTCUSDT', [encodeBar(bar(`65000.${i}`))]));
    expect(notified).toBe(0);
    t.frames.flush();
    expect(notified).toBe(1);
    const row = get(t.desk.prices.rows).find((r) => r.symbol === 'BTCUSDT')!;
    expect(row.last).toBe('65000.500');
    expect(row.updated).toBe(before + 1);
    expect(row.change?.value).toBe('+1000.5');
    stop();
  });

  it('skips a malformed bar and keeps the good ones of the same event', async () => {
    const t = await loggedIn();
    const s = t.xmpp.last();
    const malformed = xml('bar', {
      xmlns: 'urn:tickdesk:bars:0',
      symbol: 'BTCUSDT',
      interval: '1s',
      start: '2026-11-21T10:00:02Z',
      open: '-1',
      high: '1',
      low: '1',
      close: '1e3',
      volume: '1',
      trades: '1',
    });
    s.receive(event('bars/BTCUSDT', [malformed, encodeBar(bar('65001.25'))]));
    s.receive(event('bars/BTCUSDT', [encodeBar(bar('1'))], 'mallory@desk.localhost'));
    s.receive(event('bars/EURUSD', [encodeBar(bar('2'))]));
    t.frames.flush();
    const rows = get(t.desk.prices.rows);
    expect(rows.find((r) => r.symbol === 'BTCUSDT')!.last).toBe('65001.25');
    expect(rows.find((r) => r.symbol === 'EURUSD')!.last).toBeUndefined();
  });

  it("subscribes this tab's full JID to every bars node, again after a reconnect, and unsubscribes on logout", async () => {
    const t = await loggedIn();
    const first = t.xmpp.last();
    const subs = (s: typeof first, what: string) =>
      s.requests
        .map((r) => r.getChild('pubsub', NS_PUBSUB)?.getChild(what))
        .filter(Boolean)
        .map((e) => `${e!.attrs.node} ${e!.attrs.jid}`);
    expect(first.requests.filter((r) => r.attrs.to === SERVICE).length).toBe(2);
    expect(subs(first, 'subscribe').sort()).toEqual([
      'bars/BTCUSDT alice@desk.localhost/tab1',
      'bars/EURUSD alice@desk.localhost/tab1',
    ]);
    first.drop();
    await t.timers.fire();
    const second = t.xmpp.last();
    expect(subs(second, 'subscribe')).toHaveLength(2);
    await t.desk.session.logout();
    await settle();
    expect(subs(second, 'unsubscribe').sort()).toEqual([
      'bars/BTCUSDT alice@desk.localhost/tab1',
      'bars/EURUSD alice@desk.localhost/tab1',
    ]);
    expect(second.closed).toBe(true);
    expect(get(t.desk.prices.rows)).toEqual([]);
  });
});
