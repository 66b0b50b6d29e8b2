import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entitle } from '@tickdesk/desk';
import { createPubsub, type XmppClient } from '@tickdesk/xmpp';
import { ticksNode } from '@tickdesk/schemas';
import { createSyntheticFeed } from '@tickdesk/feed-synthetic';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { runFeed } from './feed-runner.js';
import { collectTicks, connect, desk, refusal, SUBSCRIBE_REFUSED, waitFor } from './helpers.js';

let admin: XmppClient;
let eve: XmppClient;
beforeAll(async () => {
  admin = await connect('admin', 'entitlements');
  eve = await connect('eve', 'entitlements');
});
afterAll(async () => {
  await entitle(admin, desk().pubsubHost, `eve@${desk().domain}`, ['USDJPY'], 'none').catch(() => {});
  await admin?.stop();
  await eve?.stop();
});

describe('entitlements by affiliation', () => {
  it('a granted analyst receives an instrument; after revocation neither delivery nor a new subscription', async () => {
    const eveJid = `eve@${desk().domain}`;
    const pubsub = createPubsub(eve, desk().pubsubHost);
    const refused = await pubsub.subscribe(ticksNode('USDJPY')).catch(refusal);
    expect(refused).toMatch(SUBSCRIBE_REFUSED);

    await entitle(admin, desk().pubsubHost, eveJid, ['USDJPY'], 'member');
    const { ticks, sub } = await collectTicks(eve, ['USDJPY']);
    const usdjpy = DEFAULT_INSTRUMENTS.filter((i) => i.symbol === 'USDJPY');
    const run = await runFeed(createSyntheticFeed({ instruments: usdjpy, ratePerSecond: 500, seed: 3 }));
    await waitFor(() => ticks.length >= 20, 10_000, 'ticks while entitled');

    await entitle(admin, desk().pubsubHost, eveJid, ['USDJPY'], 'none');
    await new Promise((r) => setTimeout(r, 300)); // let in-flight notifications land
    const atRevocation = ticks.length;
    await new Promise((r) => setTimeout(r, 700));
    await run.stop();
    await sub.stop();
    expect(ticks.length).toBe(atRevocation);
    expect(await pubsub.subscribe(ticksNode('USDJPY')).catch(refusal)).toMatch(SUBSCRIBE_REFUSED);
  });
});
