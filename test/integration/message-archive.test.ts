import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAlertsConfig, type AlertService } from '@tickdesk/alerts';
import type { Element, XmppClient } from '@tickdesk/xmpp';
import { desk, waitFor } from './helpers.js';
import { startLocalEngine, type LocalEngine } from './local-engine.js';
import { archive, idsOf } from './mam.js';
import { publishPrices, trader, type Trader } from './trader.js';

// What the XMPP server itself keeps for a trader, on Prosody and on ejabberd alike: the
// archive of chat messages (XEP-0313) and messages to an offline account (XEP-0160).

const NS_DELAY = 'urn:xmpp:delay';

let engine: LocalEngine;
let service: AlertService;
let feed: XmppClient;
const open: Trader[] = [];
const config = resolveAlertsConfig({ pollMs: 50 });
const ruleIdOf = (reply: string) => /^Added (r[0-9a-z]+)/.exec(reply)?.[1] ?? '';
const ruleIds: string[] = [];

beforeAll(async () => {
  engine = await startLocalEngine(config, 'archive-test');
  ({ service, feed } = engine);
});

afterAll(async () => {
  for (const id of ruleIds) await service.engine.rules.remove(id);
  await Promise.all(open.map((t) => t.stop()));
  await engine?.stop();
});

async function traderOf(user: string) {
  const t = await trader(user, { resource: `archive-${Math.random().toString(36).slice(2, 8)}` });
  open.push(t);
  return t;
}

describe(`the XMPP server keeps a trader's messages (${desk().xmppServer})`, () => {
  it('archives an alert (XEP-0313): the trader finds it by querying the archive', async () => {
    const alice = await traderOf('alice');
    await waitFor(() => service.engine.presence.get('alice').show === 'online', 10_000, 'alice online');
    const reply = await alice.say('alert MSFT crosses up 1000.25 "archived"');
    expect(reply).toMatch(/^Added/);
    ruleIds.push(ruleIdOf(reply));
    await publishPrices(feed, 'MSFT', ['1000', '1000.5']);
    await waitFor(() => alice.alerts.some((a) => a.payload.symbol === 'MSFT'), 10_000, 'the alert');
    const id = alice.alerts.find((a) => a.payload.symbol === 'MSFT')!.id;
    let archived: Element[] = [];
    await expect
      .poll(async () => idsOf((archived = await archive(alice.client, `alerts@${desk().domain}`))), {
        timeout: 10_000,
      })
      .toContain(id);
    const message = archived.find((m) => m.attrs.id === id)!;
    expect(message.getChildText('body')).toContain('MSFT crossed up through 1000.25');
    expect(message.getChild('alert')).toBeDefined();
  });

  it('stores an alert to an offline trader and delivers it, marked delayed (XEP-0203), at their next login', async () => {
    const dan0 = await traderOf('dan');
    const reply = await dan0.say('alert EURUSD crosses down 0.5 "while away"');
    expect(reply).toMatch(/^Added/);
    ruleIds.push(ruleIdOf(reply));
    await dan0.stop();
    await waitFor(() => service.engine.presence.get('dan').show === 'offline', 10_000, 'dan offline');
    const since = new Date().toISOString();
    await publishPrices(feed, 'EURUSD', ['0.6', '0.4']);
    // The server has taken the alert (XEP-0198 ack) while dan is away.
    await expect
      .poll(
        async () =>
          (await service.engine.audit.range({ trader: 'dan', symbol: 'EURUSD', fromTime: since, limit: 50 })).map(
            (r) => r.event,
          ),
        { timeout: 10_000 },
      )
      .toContain('server-acked');
    const dan = await traderOf('dan');
    await waitFor(() => dan.alerts.some((a) => a.payload.symbol === 'EURUSD'), 10_000, 'the stored alert on login');
    const got = dan.alerts.find((a) => a.payload.symbol === 'EURUSD')!;
    expect(got.stanza.getChild('delay', NS_DELAY)?.attrs.stamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    await expect
      .poll(async () => (await service.engine.alerts.get(got.id))?.state, { timeout: 10_000 })
      .toBe('delivered');
  });
});
