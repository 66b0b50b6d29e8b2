import { describe, expect, it } from 'vitest';
import { createSyntheticFeed } from '@tickdesk/feed-synthetic';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { runFeed } from './feed-runner.js';
import { collectTicks, connect, dropConnection, waitFor } from './helpers.js';

describe('reconnection', () => {
  it('a subscriber whose connection drops reconnects with backoff, resubscribes and receives again', async () => {
    const alice = await connect('alice', 'reconnect');
    const reconnects: number[] = [];
    alice.on('reconnecting', (info) => reconnects.push(info.delayMs));
    const { ticks, sub } = await collectTicks(alice, ['AAPL']);
    const aapl = DEFAULT_INSTRUMENTS.filter((i) => i.symbol === 'AAPL');
    const run = await runFeed(createSyntheticFeed({ instruments: aapl, ratePerSecond: 200, seed: 5 }));
    await waitFor(() => ticks.length > 10, 10_000, 'ticks before the drop');

    // The network goes away under the client (the TLS wrapper's underlying socket).
    dropConnection(alice);
    // A reconnect may be done between two polls of state(): the 'reconnecting' event (emitted
    // only from the degraded state) shows the drop was noticed either way.
    await waitFor(() => alice.state() === 'degraded' || reconnects.length > 0, 5_000, 'degraded state');
    await waitFor(() => alice.state() === 'running', 15_000, 'reconnected');
    const after = ticks.length;
    await waitFor(() => ticks.length > after + 10, 10_000, 'ticks after reconnecting');

    await run.stop();
    await sub.stop();
    await alice.stop();
    expect(reconnects.length).toBeGreaterThanOrEqual(1);
    expect(reconnects[0]).toBeLessThan(250); // first retry within the initial cap
  });
});
