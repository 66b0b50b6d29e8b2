import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { resolveAlertsConfig, startAlertService, type AlertService } from '@tickdesk/alerts';
import { xml, type Element, type XmppClient } from '@tickdesk/xmpp';
import { connect, credentials, desk, log, waitFor } from './helpers.js';
import { publishPrices, trader, type Trader } from './trader.js';

// The desk's service accounts keep no message archive of their own (XEP-0313 §6 preferences,
// default 'never', set at provisioning): the engine's archive of every alert it sends and
// every receipt it gets grew to the server's per-account item limit, where Prosody rewrote it
// whole every 100 messages. The trader's archive keeps the alert.

const NS_MAM = 'urn:xmpp:mam:2';
const NS_FORWARD = 'urn:xmpp:forward:0';

let service: AlertService;
let engineClient: XmppClient;
let feed: XmppClient;
let redis: Redis;
let bob: Trader | undefined;
let ruleId = '';
const config = resolveAlertsConfig({ pollMs: 50 });

beforeAll(async () => {
  redis = new Redis(desk().redisUrl);
  engineClient = await connect('alerts', 'service-archive-test');
  feed = await connect('feed', 'service-archive-test');
  service = await startAlertService({
    client: engineClient,
    redis,
    log,
    config,
    domain: desk().domain,
    service: desk().pubsubHost,
    instruments: DEFAULT_INSTRUMENTS,
    auditKey: credentials().audit,
  });
});

afterAll(async () => {
  if (ruleId) await service.engine.rules.remove(ruleId);
  await bob?.stop();
  await service?.stop();
  await engineClient?.stop();
  await feed?.stop();
  redis?.disconnect();
});

/** XEP-0313 §4: the account's archived messages with `peer` since `start`, newest last (at most 50). */
async function archive(client: XmppClient, peer: string, start: string): Promise<Element[]> {
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
      xml('field', { var: 'start' }, xml('value', {}, start)),
    );
    const rsm = xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', {}, '50'), xml('before'));
    // The result IQ comes after every result message (§4.1.2).
    await client.iq.request(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_MAM, queryid }, form, rsm)));
    return found;
  } finally {
    client.removeListener('stanza', onStanza);
  }
}

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
      .poll(
        async () =>
          (await archive(bob!.client, `alerts@${desk().domain}`, start)).map((m) => m.attrs.id as string | undefined),
        {
          timeout: 10_000,
        },
      )
      .toContain(id);
    await expect.poll(async () => (await service.engine.alerts.get(id))?.state, { timeout: 10_000 }).toBe('delivered');
    const own = await archive(engineClient, `bob@${desk().domain}`, start);
    expect(own.map((m) => m.attrs.id as string | undefined)).toEqual([]);
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
