import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startRecorderService, ticksKey } from '@tickdesk/recorder';
import { createPubsub, createXmppClient, type XmppClient } from '@tickdesk/xmpp';
import { ticksNode } from '@tickdesk/schemas';
import { connect, credentials, desk, dropConnection, log, waitFor } from './helpers.js';
import { publishPrices } from './trader.js';

let redis: Redis | undefined;
let client: XmppClient | undefined;
let feed: XmppClient | undefined;
let service: Awaited<ReturnType<typeof startRecorderService>> | undefined;

afterAll(async () => {
  await service?.stop();
  await client?.stop();
  await feed?.stop();
  await redis?.flushdb();
  redis?.disconnect();
});

const SYMBOL = 'EURUSD';
const prices = async (): Promise<string[]> =>
  (await redis!.zrange(ticksKey(SYMBOL), 0, -1)).map((m) => m.split('|')[1]!);

describe('recorder after its XMPP session is lost', () => {
  // Its node died or the network dropped: nothing published in between reached the new
  // session (XEP-0060 §12.2), so the history would keep a hole the nodes can still fill.
  it('records the ticks published while it was reconnecting', async () => {
    const d = desk();
    // A database of its own, so ticks other tests published do not mix in.
    redis = new Redis(`${d.redisUrl}/6`);
    await redis.flushdb();
    client = createXmppClient({
      service: d.service,
      domain: d.domain,
      username: 'recorder',
      password: credentials().accounts.recorder!.password,
      ca: d.ca,
      log,
      resource: 'recorder-reconnect-test',
      reconnect: { initialMs: 2_000, maxMs: 2_000 },
    });
    await client.start();
    feed = await connect('feed', 'recorder-reconnect-test');
    // The recorder reads the node's recent items back when it starts: none from earlier files.
    await createPubsub(feed, d.pubsubHost).purge(ticksNode(SYMBOL));
    service = await startRecorderService({
      client,
      redis,
      log,
      service: d.pubsubHost,
      symbols: [SYMBOL],
      config: { flushIntervalMs: 50 },
    });
    await publishPrices(feed, SYMBOL, ['1.1001']);
    await waitFor(() => service!.recorder.stats().ticks > 0, 5_000, 'the first tick');

    dropConnection(client);
    await waitFor(() => client!.state() === 'degraded', 5_000, 'the recorder session to drop');
    await publishPrices(feed, SYMBOL, ['1.1002', '1.1003']); // while the recorder has no session
    const stillAway = client.state() === 'degraded';
    await waitFor(() => client!.state() === 'running', 10_000, 'the recorder to reconnect');
    await new Promise((r) => setTimeout(r, 500)); // its presence is in: live ticks flow again
    await publishPrices(feed, SYMBOL, ['1.1004']);

    expect(stillAway, 'the ticks were published before the recorder was back').toBe(true);
    let got: string[] = [];
    const end = Date.now() + 10_000;
    while (Date.now() < end && (got = await prices()).length < 4) await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(['1.1001', '1.1002', '1.1003', '1.1004']);
  });
});
