import { get } from 'svelte/store';
import { describe, expect, it } from 'vitest';
import { encodeAlert, type AlertPayload } from '@tickdesk/schemas';
import { markable, NS_MARKERS, NS_RECEIPTS, receiptRequest, xml, type Element } from '@tickdesk/xmpp/browser';
import { fakeDesk, json } from '../../test/fakes.js';

const ENGINE = 'alerts@desk.localhost/engine';

function payload(id: string, over: Partial<AlertPayload> = {}): AlertPayload {
  return {
    id,
    rule: 'r1kx9a2b',
    symbol: 'BTCUSDT',
    condition: 'crossing-up',
    threshold: '65000',
    price: '65000.5',
    seq: 42,
    eventTime: '2026-11-21T10:00:00.123456Z',
    firedAt: '2026-11-21T10:00:00.125Z',
    priority: 'critical',
    ...over,
  };
}

function alertMessage(
  id: string,
  over: Partial<AlertPayload> = {},
  attrs: Record<string, string> = {},
  alert?: Element,
): Element {
  return xml(
    'message',
    { from: ENGINE, to: 'alice@desk.localhost', type: 'chat', id, ...attrs },
    xml('body', {}, `CRITICAL BTCUSDT crossed up [alert ${id}]`),
    alert ?? encodeAlert(payload(id, over)),
    receiptRequest(),
    markable(),
  );
}

const child = (s: Element, ns: string) =>
  s.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === ns)!;

async function loggedIn() {
  const t = fakeDesk();
  await t.login();
  t.desk.alerts.setShown(true);
  return t;
}

describe('alerts store', () => {
  it('lists an alert once, sends a receipt for every copy, to the sender, with the alert id', async () => {
    const t = await loggedIn();
    const s = t.xmpp.last();
    s.receive(alertMessage('a4f0c2d9e1b7'));
    s.receive(alertMessage('a4f0c2d9e1b7'));
    const items = get(t.desk.alerts.items);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      id: 'a4f0c2d9e1b7',
      symbol: 'BTCUSDT',
      conditionText: 'crossing-up 65000',
      price: '65000.5',
      priority: 'critical',
    });
    const receipts = s.messages(NS_RECEIPTS);
    expect(receipts).toHaveLength(2);
    for (const r of receipts) {
      expect(r.attrs.to).toBe(ENGINE);
      expect(child(r, NS_RECEIPTS).name).toBe('received');
      expect(child(r, NS_RECEIPTS).attrs.id).toBe('a4f0c2d9e1b7');
    }
  });

  it('sends displayed once the alert is painted on a visible page, and acknowledged on the click', async () => {
    const t = await loggedIn();
    const s = t.xmpp.last();
    s.receive(alertMessage('a1'));
    expect(s.messages(NS_MARKERS)).toHaveLength(0);
    t.frames.flush();
    const displayed = s.messages(NS_MARKERS);
    expect(displayed).toHaveLength(1);
    expect(displayed[0]!.attrs).toMatchObject({ to: ENGINE, type: 'chat' });
    expect(child(displayed[0]!, NS_MARKERS)).toMatchObject({
      name: 'displayed',
      attrs: { xmlns: NS_MARKERS, id: 'a1' },
    });

    t.desk.alerts.acknowledge('a1');
    t.desk.alerts.acknowledge('a1');
    const markers = s.messages(NS_MARKERS);
    expect(markers.map((m) => child(m, NS_MARKERS).name)).toEqual(['displayed', 'acknowledged']);
    expect(child(markers[1]!, NS_MARKERS).attrs.id).toBe('a1');
    expect(get(t.desk.alerts.items)[0]!.acknowledged).toBe(true);
  });

  it('waits for the page to be visible before saying displayed', async () => {
    const t = await loggedIn();
    const s = t.xmpp.last();
    t.setVisible(false);
    s.receive(alertMessage('a2'));
    t.frames.flush();
    expect(s.messages(NS_MARKERS)).toHaveLength(0);
    t.setVisible(true);
    expect(s.messages(NS_MARKERS).map((m) => child(m, NS_MARKERS).name)).toEqual(['displayed']);
  });

  it('skips malformed alerts and alerts not from the alerts account', async () => {
    const t = await loggedIn();
    const s = t.xmpp.last();
    const bad = xml('alert', {
      xmlns: 'urn:tickdesk:alert:0',
      id: 'a3',
      rule: 'r1',
      symbol: 'BTCUSDT',
      condition: 'crossing-up',
      price: 'NaN',
      seq: '1',
      'event-time': 'x',
      'fired-at': 'y',
      priority: 'normal',
    });
    s.receive(alertMessage('a3', {}, {}, bad));
    s.receive(alertMessage('a4', {}, { from: 'mallory@desk.localhost/x' }));
    s.receive(alertMessage('a5', {}, { id: 'not-a5' }));
    expect(get(t.desk.alerts.items)).toEqual([]);
    expect(s.messages(NS_RECEIPTS)).toHaveLength(0);
  });

  it('keeps the newest first and merges REST history without duplicates', async () => {
    const t = fakeDesk({
      routes: {
        'GET /alerts': () =>
          json(200, {
            alerts: [
              {
                id: 'old1',
                ruleId: 'r1',
                owner: 'alice',
                recipient: 'alice',
                symbol: 'EURUSD',
                condition: 'entering-channel',
                lower: '1.08',
                upper: '1.09',
                price: '1.085',
                tickSeq: 1,
                eventTime: '2026-11-20T09:00:00Z',
                firedAt: '2026-11-20T09:00:00.000Z',
                priority: 'normal',
                body: 'x',
                state: 'acknowledged',
                attempts: 1,
                nextActionAt: 0,
                lifecycle: [
                  { event: 'fired', at: '2026-11-20T09:00:00Z' },
                  { event: 'acknowledged', at: '2026-11-20T09:01:00Z' },
                ],
              },
            ],
          }),
      },
    });
    await t.login();
    const s = t.xmpp.last();
    s.receive(alertMessage('new1'));
    await t.desk.alerts.load();
    const items = get(t.desk.alerts.items);
    expect(items.map((a) => a.id)).toEqual(['new1', 'old1']);
    expect(items[1]).toMatchObject({
      acknowledged: true,
      conditionText: 'entering-channel 1.08–1.09',
      replyTo: 'alerts@desk.localhost',
    });
  });

  it('an acknowledgement made while offline goes out after the reconnect', async () => {
    const t = await loggedIn();
    const s = t.xmpp.last();
    s.receive(alertMessage('a6'));
    t.frames.flush();
    s.drop();
    t.desk.alerts.acknowledge('a6');
    await t.timers.fire();
    const again = t.xmpp.last();
    expect(again).not.toBe(s);
    expect(again.messages(NS_MARKERS).map((m) => child(m, NS_MARKERS).name)).toEqual(['acknowledged']);
  });

  it('reads the rules again after one of them fired', async () => {
    let reads = 0;
    const rule = {
      id: 'r1kx9a2b',
      owner: 'alice',
      status: 'active',
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
      version: 1,
      symbol: 'BTCUSDT',
      condition: 'crossing-up',
      threshold: '65000',
      frequency: 'once',
      priority: 'critical',
    };
    const t = fakeDesk({
      routes: {
        'GET /rules': () =>
          json(200, { rules: [{ ...rule, ...(reads++ > 0 ? { status: 'triggered', version: 2 } : {}) }] }),
      },
    });
    await t.login();
    t.xmpp.last().receive(alertMessage('a7'));
    t.xmpp.last().receive(alertMessage('a7'));
    await t.timers.fire();
    expect(reads).toBe(2);
    expect(get(t.desk.rules.list)[0]!.status).toBe('triggered');
  });
});
