import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { encodeTickBatch, ticksNode, type TickRow } from '@tickdesk/schemas';
import { xml, type Element, type XmppClient } from '@tickdesk/xmpp';
import { createAlertsMetrics } from './alerts-metrics.js';
import { createAlertEngine } from './engine.js';
import type { RuleIndex } from './rules/index.js';
import type { StoredAlert } from './store/index.js';

const flush = () => new Promise((r) => setTimeout(r, 10));
const at = new Date(0).toISOString().replace('Z', '000Z');
const item = (symbol: string, seq: number, price: string): Element =>
  xml(
    'item',
    { id: `i${seq}` },
    encodeTickBatch({
      symbol,
      ticks: [{ symbol, seq, price, size: '1', side: 'buy', eventTime: at, ingestTime: at }],
      conflated: 0,
    }),
  );

/**
 * The engine on fakes, no watermark in Redis: the nodes' items are what the test puts in
 * `nodes` (oldest first; max_items='1' answers the newest), and every tick evaluated is noted.
 */
function setUp(symbols: string[]) {
  const nodes = new Map<string, Element[]>(symbols.map((s) => [ticksNode(s), []]));
  const client = {
    state: () => 'running',
    bareJid: () => 'alerts@desk.localhost',
    iq: {
      request: (iq: Element) => {
        const req = iq.getChild('pubsub')!.getChild('items')!;
        const all = nodes.get(String(req.attrs.node)) ?? [];
        const items = req.attrs.max_items ? all.slice(-Number(req.attrs.max_items)) : all;
        return Promise.resolve(xml('iq', { type: 'result' }, xml('pubsub', {}, xml('items', {}, ...items))));
      },
    },
  } as unknown as XmppClient;
  const redis = {
    hgetall: () => Promise.resolve({}),
    hget: () => Promise.resolve(null),
    hset: () => Promise.resolve(1),
  } as unknown as Redis;
  const evaluated: string[] = [];
  const index = {
    evaluate: (symbol: string, ticks: readonly TickRow[]) => {
      for (const t of ticks) evaluated.push(`${symbol}@${t.seq}`);
      return [];
    },
    seedPrice: () => undefined,
  } as unknown as RuleIndex;
  const engine = createAlertEngine({
    client,
    redis,
    log: pino({ level: 'silent' }),
    metrics: createAlertsMetrics(),
    service: 'pubsub.desk.localhost',
    symbols: new Set(symbols),
    index,
    sync: { reloadSymbol: () => Promise.resolve() },
    firings: { persist: () => Promise.resolve({ id: 'a' } as StoredAlert) },
    dispatch: () => Promise.resolve(),
    ownership: { owns: () => true, token: () => undefined, drop: () => Promise.resolve(), status: () => ({}) as never },
    heldByTakeover: () => false,
    watermarkKey: 'td:alerts:watermark',
  });
  const publish = (symbol: string, seq: number) => nodes.get(ticksNode(symbol))!.push(item(symbol, seq, '100'));
  return { engine, evaluated, publish };
}

describe('engine: an instrument with no watermark yet', () => {
  it('one engine: starts after the newest item its node held at start, an empty node from the first; a read-back after a lost session takes what came since', async () => {
    const { engine, evaluated, publish } = setUp(['ESZ6', 'NQZ6']);
    publish('ESZ6', 1);
    publish('ESZ6', 2); // history from before the engine
    await engine.start();
    await engine.catchUp();
    engine.running();
    expect(evaluated).toEqual([]);

    publish('ESZ6', 3); // published while the session was down
    publish('NQZ6', 1);
    engine.onReconnected();
    await flush();
    expect(evaluated).toEqual(['NQZ6@1', 'ESZ6@3']);
  });

  it('taken over (several engines): starts after its node’s newest item, and says there is nothing to read back', async () => {
    const { engine, evaluated, publish } = setUp(['ESZ6']);
    publish('ESZ6', 1);
    await engine.start();
    engine.running();
    expect(await engine.resumeSymbol('ESZ6')).toBe(false);

    publish('ESZ6', 2);
    engine.onReconnected();
    await flush();
    expect(evaluated).toEqual(['ESZ6@2']);
  });
});
