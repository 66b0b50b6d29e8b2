import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAlertsConfig, type AlertService } from '@tickdesk/alerts';
import { xml, type XmppClient } from '@tickdesk/xmpp';
import { connect, desk, waitFor } from './helpers.js';
import { startLocalEngine, type LocalEngine } from './local-engine.js';
import { archive, idsOf, NS_MAM } from './mam.js';
import { publishPrices, trader, type Trader } from './trader.js';

// The desk's service accounts keep no message archive of their own (XEP-0313 §6 preferences,
// default 'never', set at provisioning): the engine's archive of every alert it sends and
// every receipt it gets grew to the server's per-account item limit, where Prosody rewrote it
// whole every 100 messages. The trader's archive keeps the alert.

let engine: LocalEngine;
let service: AlertService;
let engineClient: XmppClient;
let feed: XmppClient;
let bob: Trader | undefined;
let ruleId = '';
const config = resolveAlertsConfig({ pollMs: 50 });

beforeAll(async () => {
  engine = await startLocalEngine(config, 'service-archive-test');
  ({ service, engineClient, feed } = engine);
});

afterAll(async () => {
  if (ruleId) await service.engine.rules.remove(ruleId);
  await bob?.stop();
  await engine?.stop();
});

/** XEP-0313 §6: the account's archiving preferences. */
async function prefsDefault(client: XmppClient): Promise<string | undefined> {
  const reply = await client.iq.request(xml('iq', { type: 'get' }, xml('prefs', { xmlns: NS_MAM })));
  return (reply.name === 'prefs' ? reply : reply.getChild('prefs', NS_MAM))?.attrs.default as string | undefined;
}

describe(`the desk's service accounts keep no message archive (${desk().xmppServer})`, () => {
  it("the alerts account's archive holds nothing of an alert it sent, the trader's holds the alert", async () => {
    const start = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    bob = await trader('bob', { resource: `service-archive-${Math.random().toString(36).slice(2, 8)}` });
    await waitFor(() => service.engine.presence.get('bob').show === 'online', 10_000, 'bob online');
    const reply = await bob.say('alert AAPL crosses up 1000.25 "not in the engine archive"');
    expect(reply).toMatch(/^Added/);
    ruleId = /^Added (r[0-9a-z]+)/.exec(reply)?.[1] ?? '';
    await publishPrices(feed, 'AAPL', ['1000', '1000.5']);
    await waitFor(() => bob!.alerts.some((a) => a.payload.symbol === 'AAPL'), 10_000, 'the alert');
    const id = bob.alerts.find((a) => a.payload.symbol === 'AAPL')!.id;
    // The trader's archive has it (so the server has archived by now) and its receipt is back.
    await expect
      .poll(async () => idsOf(await archive(bob!.client, `alerts@${desk().domain}`, start)), {
        timeout: 10_000,
      })
      .toContain(id);
    await expect.poll(async () => (await service.engine.alerts.get(id))?.state, { timeout: 10_000 }).toBe('delivered');
    const own = await archive(engineClient, `bob@${desk().domain}`, start);
    expect(idsOf(own)).toEqual([]);
  });

  it('every service account has archiving preferences of never', async () => {
    for (const user of ['admin', 'feed', 'recorder', 'alerts']) {
      const client =
        user === 'alerts' ? engineClient : user === 'feed' ? feed : await connect(user, 'service-archive-test');
      try {
        expect({ user, default: await prefsDefault(client) }).toEqual({ user, default: 'never' });
      } finally {
        if (client !== engineClient && client !== feed) await client.stop();
      }
    }
  });
});
