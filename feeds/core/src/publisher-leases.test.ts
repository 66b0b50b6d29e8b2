import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeTickRows, ticksNode } from '@tickdesk/schemas';
import type { Pubsub } from '@tickdesk/xmpp';
import { until } from '../../../test/support/private-redis.js';
import { usePrivateRedis } from '../../../test/support/use-private-redis.js';
import { createPublisherLeases, type PublisherLeases } from './publisher-leases.js';

const log = pino({ level: 'silent' });
const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
const redis = usePrivateRedis({ flush: false });
const running: PublisherLeases[] = [];

/** A pubsub whose nodes hold the items given (newest last); `failing` makes reads fail. */
function fakePubsub(lastSeq: Record<string, number>, state = { failing: false }) {
  const row = (seq: number) => ({ seq, price: '1', size: '1', side: 'buy' as const, eventMicros: 1, ingestMicros: 1 });
  return {
    state,
    pubsub: {
      items: async (node: string) => {
        if (state.failing) throw new Error('item-not-found');
        const symbol = SYMBOLS.find((s) => ticksNode(s) === node)!;
        const last = lastSeq[symbol];
        return last === undefined
          ? []
          : [
              { id: 'a', payload: encodeTickRows(symbol, [row(last - 5), row(last)], 0) },
              { id: 'b', payload: encodeTickRows(symbol, [row(last - 9)], 0) },
            ];
      },
    } as unknown as Pubsub,
  };
}

function leases(owner: string, pubsub: Pubsub, standby = false) {
  const l = createPublisherLeases({
    redis: redis.connect(),
    pubsub,
    symbols: SYMBOLS,
    owner,
    log,
    ttlMs: 600,
    pollMs: 100,
    standby,
  });
  running.push(l);
  return l;
}

afterAll(async () => {
  for (const l of running) await l.stop();
});

describe('publisher leases (one active feed per instrument)', () => {
  it("the primary holds every instrument; the standby takes them over when it stops, seq above the node's newest", async () => {
    const nodes = fakePubsub({ BTCUSDT: 500 });
    const a = leases('a', nodes.pubsub);
    const b = leases('b', nodes.pubsub, true);
    await a.start();
    await b.start();
    expect(a.held()).toEqual(SYMBOLS);
    const tokenA = a.gate.token('BTCUSDT')!;
    await new Promise((r) => setTimeout(r, 900));
    expect(b.held()).toEqual([]);
    expect(b.gate.token('BTCUSDT')).toBeUndefined();

    await a.stop();
    expect(a.held()).toEqual([]);
    await until(() => b.held().length === SYMBOLS.length, 2_000);
    expect(b.gate.token('BTCUSDT')).toBeGreaterThan(tokenA);
    // A source seq at or below the node's newest (500) is shifted above it for the whole tenure...
    expect([b.gate.seq('BTCUSDT', 7), b.gate.seq('BTCUSDT', 8)]).toEqual([501, 502]);
    // ...and one already above it is kept: the gap shows what was missed.
    expect(b.gate.seq('ETHUSDT', 40)).toBe(40);
    await b.stop();
  });

  it('does not publish an instrument whose node it cannot read: it lets the lease go and tries again', async () => {
    const nodes = fakePubsub({ BTCUSDT: 10 }, { failing: true });
    const a = leases('c', nodes.pubsub);
    await a.start();
    expect(a.held()).toEqual([]);
    nodes.state.failing = false;
    await until(() => a.held().length === SYMBOLS.length, 2_000);
    expect(a.gate.seq('BTCUSDT', 3)).toBe(11);
    await a.stop();
  });
});
