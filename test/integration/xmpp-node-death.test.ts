import { createTcpRelay } from '../support/tcp-relay.js';
import { afterAll, describe, expect, it } from 'vitest';
import { createFeed, createFeedMetrics } from '@tickdesk/feed-core';
import { createSyntheticFeed } from '@tickdesk/feed-synthetic';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { createPubsub, createXmppClient, type XmppClient } from '@tickdesk/xmpp';
import { credentials, desk, log, waitFor } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a busy client whose XMPP server dies again and again', () => {
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => void uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  afterAll(() => void process.off('uncaughtException', onUncaught));

  it('never throws out of a socket or parser handler, and publishes again once the server is back', async () => {
    const d = desk();
    const proxy = await createTcpRelay(Number(new URL(d.service.replace('xmpp://', 'http://')).port));
    const client: XmppClient = createXmppClient({
      service: `xmpp://127.0.0.1:${proxy.port}`,
      domain: d.domain,
      ca: d.ca,
      log,
      username: 'feed',
      password: credentials().accounts.feed!.password,
      resource: `node-death-${Date.now()}`,
      reconnect: { initialMs: 5, maxMs: 40 },
    });
    await client.start();
    const pubsub = createPubsub(client, d.pubsubHost);
    let published = 0;
    const counted = {
      ...pubsub,
      publish: async (...a: Parameters<typeof pubsub.publish>) => {
        const r = await pubsub.publish(...a);
        published += 1;
        return r;
      },
    };
    const aapl = DEFAULT_INSTRUMENTS.filter((i) => i.symbol === 'AAPL');
    const feed = createFeed({
      source: createSyntheticFeed({ instruments: aapl, ratePerSecond: 2_000, seed: 19 }),
      pubsub: counted,
      instruments: DEFAULT_INSTRUMENTS,
      log,
      metrics: createFeedMetrics(),
      connected: () => client.state() === 'running',
    });
    await feed.start();
    await waitFor(() => published > 20, 10_000, 'publishes before the first kill');

    // Kills land anywhere: mid-stanza, during STARTTLS, SASL, binding, or right after online.
    let kills = 0;
    for (let i = 0; i < 40; i++) {
      await sleep(5 + ((i * 37) % 120));
      if (proxy.connections() === 0) continue;
      proxy.kill(i % 2 === 0);
      kills += 1;
    }
    await waitFor(() => client.state() === 'running', 20_000, 'online after the last kill');
    const before = published;
    await waitFor(() => published > before + 20, 15_000, 'publishes after the last kill');

    await feed.stop();
    await client.stop();
    await proxy.close();
    expect(kills).toBeGreaterThanOrEqual(20);
    expect(uncaught).toEqual([]);
  });
});
