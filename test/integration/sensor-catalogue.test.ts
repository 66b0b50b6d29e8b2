import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entitle, provisionNodes } from '@tickdesk/desk';
import { createPubsub, type XmppClient } from '@tickdesk/xmpp';
import { barsNode, deskInstruments, encodeTickBatch, formatMicros, nowMicros, ticksNode } from '@tickdesk/schemas';
import { collectTicks, connect, desk, refusal, SUBSCRIBE_REFUSED, waitFor } from './helpers.js';

// A sensor map's entry as `up` puts it in the topology.
const FREEZER = {
  topic: 'itest/site9/freezer',
  symbol: 'IOT.ITEST9.FREEZER',
  name: 'Site 9 freezer',
  unit: '°C',
  decimals: 1,
  min: '-40',
  max: '10',
};

let feed: XmppClient;
let admin: XmppClient;
let eve: XmppClient;
beforeAll(async () => {
  feed = await connect('feed', 'sensor-catalogue');
  admin = await connect('admin', 'sensor-catalogue');
  eve = await connect('eve', 'sensor-catalogue');
});
afterAll(async () => {
  await entitle(admin, desk().pubsubHost, `eve@${desk().domain}`, [FREEZER.symbol], 'none').catch(() => {});
  await Promise.all([feed, admin, eve].map((c) => c?.stop()));
});

describe("the desk's catalogue on the XMPP server", () => {
  it('a sensor of the map gets its two nodes like any instrument; an analyst granted it receives its values', async () => {
    const catalogue = deskInstruments({ sensors: [FREEZER] });
    const sensors = catalogue.filter((i) => i.kind === 'sensor');
    expect(sensors.map((i) => i.symbol)).toEqual([FREEZER.symbol]);
    // What `up` does with the catalogue (provisionDesk): the nodes, owned by the feed and co-owned by the admin.
    await provisionNodes(feed, desk().pubsubHost, sensors, [`admin@${desk().domain}`]);
    const nodes = (await createPubsub(eve, desk().pubsubHost).nodes()).map((n) => n.node);
    expect(nodes).toEqual(expect.arrayContaining([ticksNode(FREEZER.symbol), barsNode(FREEZER.symbol)]));

    const eveJid = `eve@${desk().domain}`;
    const pubsub = createPubsub(eve, desk().pubsubHost);
    expect(await pubsub.subscribe(ticksNode(FREEZER.symbol)).catch(refusal)).toMatch(SUBSCRIBE_REFUSED);
    await entitle(admin, desk().pubsubHost, eveJid, [FREEZER.symbol], 'member');
    const { ticks, sub } = await collectTicks(eve, [FREEZER.symbol]);
    const t = formatMicros(nowMicros());
    await createPubsub(feed, desk().pubsubHost).publish(
      ticksNode(FREEZER.symbol),
      encodeTickBatch({
        symbol: FREEZER.symbol,
        kind: 'sensor',
        conflated: 0,
        ticks: [
          { symbol: FREEZER.symbol, seq: 1, price: '-18.5', size: '0', side: 'unknown', eventTime: t, ingestTime: t },
        ],
      }),
    );
    await waitFor(() => ticks.length === 1, 10_000, 'the sensor value');
    await sub.stop();
    expect(ticks[0]).toMatchObject({ symbol: FREEZER.symbol, price: '-18.5' });
  });
});
