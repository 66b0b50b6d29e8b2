import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAlertsConfig } from '@tickdesk/alerts';
import { entitle, provisionNodes } from '@tickdesk/desk';
import {
  DEFAULT_INSTRUMENTS,
  encodeTickBatch,
  formatMicros,
  nowMicros,
  ticksNode,
  type SensorInstrument,
} from '@tickdesk/schemas';
import { createPubsub, type XmppClient } from '@tickdesk/xmpp';
import { connect, desk, waitFor } from './helpers.js';
import { startLocalEngine, type LocalEngine } from './local-engine.js';
import { trader, type Trader } from './trader.js';

const FREEZER: SensorInstrument = {
  kind: 'sensor',
  symbol: 'IOT.ITEST8.FREEZER',
  name: 'Site 8 freezer',
  unit: '°C',
  decimals: 1,
  min: '-40',
  max: '10',
};

let engine: LocalEngine;
let admin: XmppClient;
let alice: Trader | undefined;
let seq = 0;

/** One item of the freezer's values, as the MQTT feed publishes them (kind='sensor'). */
async function publishValues(values: readonly string[]): Promise<void> {
  const t = formatMicros(nowMicros());
  const ticks = values.map((price) => ({
    symbol: FREEZER.symbol,
    seq: ++seq,
    price,
    size: '0',
    side: 'unknown' as const,
    eventTime: t,
    ingestTime: t,
  }));
  await createPubsub(engine.feed, desk().pubsubHost).publish(
    ticksNode(FREEZER.symbol),
    encodeTickBatch({ symbol: FREEZER.symbol, kind: 'sensor', conflated: 0, ticks }),
  );
}

beforeAll(async () => {
  admin = await connect('admin', 'alerts-sensor');
  const feed = await connect('feed', 'alerts-sensor-provision');
  // What `up` does for a sensor of the map: its nodes, and the engine's account a member of them.
  await provisionNodes(feed, desk().pubsubHost, [FREEZER], [`admin@${desk().domain}`]);
  await feed.stop();
  await entitle(admin, desk().pubsubHost, `alerts@${desk().domain}`, [FREEZER.symbol], 'member');
  engine = await startLocalEngine(resolveAlertsConfig({ pollMs: 50 }), 'alerts-sensor', [
    ...DEFAULT_INSTRUMENTS,
    FREEZER,
  ]);
});

afterAll(async () => {
  await alice?.stop();
  if (engine)
    for await (const rule of engine.service.engine.rules.all()) await engine.service.engine.rules.remove(rule.id);
  await engine?.stop();
  await admin?.stop();
});

describe('alerts on a sensor instrument, end to end', () => {
  it('"crosses down -18" and "below 0" fire on the negative values that reach them; a percentage is refused', async () => {
    alice = await trader('alice', { resource: 'alerts-sensor' });
    await waitFor(() => engine.service.engine.presence.get('alice').show === 'online', 10_000, 'alice online');
    expect(await alice.say(`alert ${FREEZER.symbol} up 5% in 5m`)).toMatch(/condition.*percentage/i);
    expect(await alice.say(`alert ${FREEZER.symbol} crosses down -18`)).toMatch(/^Added r[0-9a-z]+ /);
    expect(await alice.say(`alert ${FREEZER.symbol} below 0`)).toMatch(/^Added r[0-9a-z]+ /);
    await publishValues(['0.5', '-17.9']);
    await waitFor(() => alice!.alerts.length >= 1, 10_000, 'the below-0 alert');
    await publishValues(['-18', '-18.5']);
    await waitFor(() => alice!.alerts.length >= 2, 10_000, 'the crossing alert');
    const byCondition = Object.fromEntries(alice.alerts.map((a) => [a.payload.condition, a.payload]));
    expect(byCondition['less-than']).toMatchObject({ threshold: '0', price: '-17.9', previousPrice: '0.5' });
    expect(byCondition['crossing-down']).toMatchObject({ threshold: '-18', price: '-18', previousPrice: '-17.9' });
    expect(alice.malformed).toEqual([]);
    expect(alice.alerts).toHaveLength(2);
  });
});
