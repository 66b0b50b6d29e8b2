import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { TickRow } from '@tickdesk/schemas';
import type { XmppClient } from '@tickdesk/xmpp';
import { createAlertsMetrics } from './alerts-metrics.js';
import { createAlertEngine } from './engine.js';
import type { StampedFiring } from './firing-ingest.js';
import type { RuleIndex } from './rules/index.js';
import type { StoredAlert } from './store/index.js';

/** A promise and its resolver: a Redis reply (or a firing's outbox write) the test lets through. */
function gate<T = void>() {
  let open!: (v: T) => void;
  const promise = new Promise<T>((r) => (open = r));
  return { promise, open };
}
const flush = () => new Promise((r) => setTimeout(r, 0));
const row = (seq: number, price: string): TickRow => ({
  seq,
  price,
  size: '1',
  side: 'unknown',
  eventMicros: seq,
  ingestMicros: seq,
});

/** The engine on fakes: ticks at price 'fire' fire one rule; every watermark write waits for the test. */
function setUp() {
  const hsets: Array<{ fields: Record<string, string>; reply: ReturnType<typeof gate<number>> }> = [];
  const redis = {
    hset: (_key: string, ...args: [Record<string, string>] | [string, string]) => {
      const fields = typeof args[0] === 'string' ? { [args[0]]: args[1]! } : args[0];
      const reply = gate<number>();
      hsets.push({ fields, reply });
      return reply.promise;
    },
    hgetall: () => Promise.resolve({}),
  } as unknown as Redis;
  const persisted: StampedFiring[] = [];
  const outbox = new Map<number, ReturnType<typeof gate<void>>>();
  const index = {
    evaluate: (symbol: string, ticks: readonly TickRow[]) =>
      ticks
        .filter((t) => t.price === 'fire')
        .map((t) => ({ ruleId: 'r1', symbol, seq: t.seq, price: t.price, eventMicros: t.eventMicros })),
    seedPrice: () => undefined,
  } as unknown as RuleIndex;
  const engine = createAlertEngine({
    client: { state: () => 'running' } as unknown as XmppClient,
    redis,
    log: pino({ level: 'silent' }),
    metrics: createAlertsMetrics(),
    service: 'pubsub.desk.localhost',
    symbols: new Set(['ESZ6', 'NQZ6']),
    index,
    sync: { reloadSymbol: () => Promise.resolve() },
    firings: {
      persist: async (f) => {
        const g = gate();
        outbox.set(f.seq, g);
        await g.promise;
        persisted.push(f);
        return { id: `a${f.seq}` } as StoredAlert;
      },
    },
    dispatch: () => Promise.resolve(),
    ownership: { owns: () => true, token: () => undefined, drop: () => Promise.resolve(), status: () => ({}) as never },
    heldByTakeover: () => false,
    watermarkKey: 'td:alerts:watermark',
  });
  const seqOf = (json: string | undefined) => (json ? (JSON.parse(json) as { seq: number }).seq : undefined);
  return { engine, hsets, outbox, persisted, seqOf };
}

describe('engine: the watermark', () => {
  it('the next batch is evaluated and its firing stored while the previous batch’s watermark is still being written', async () => {
    const { engine, hsets, outbox } = setUp();
    engine.enqueue({ symbol: 'ESZ6', rows: [row(1, '100')], conflated: 0 });
    engine.enqueue({ symbol: 'ESZ6', rows: [row(2, 'fire')], conflated: 0 });
    await flush();
    expect(hsets).toHaveLength(1); // seq 1's watermark, not answered
    expect(outbox.has(2)).toBe(true); // the firing went to the outbox all the same
  });

  it('is written only once the firings of its batch (and of every batch before) are in the outbox', async () => {
    const { engine, hsets, outbox, seqOf } = setUp();
    engine.enqueue({ symbol: 'ESZ6', rows: [row(1, 'fire')], conflated: 0 });
    engine.enqueue({ symbol: 'NQZ6', rows: [row(1, '5')], conflated: 0 });
    await flush();
    expect(hsets).toHaveLength(0);
    outbox.get(1)!.open();
    await flush();
    expect(hsets).toHaveLength(1);
    expect(seqOf(hsets[0]!.fields.ESZ6)).toBe(1);
  });

  it('while a write is outstanding, only the newest watermark of each instrument is written next', async () => {
    const { engine, hsets, seqOf } = setUp();
    engine.enqueue({ symbol: 'ESZ6', rows: [row(1, '100')], conflated: 0 });
    await flush();
    for (const seq of [2, 3, 4]) engine.enqueue({ symbol: 'ESZ6', rows: [row(seq, '100')], conflated: 0 });
    engine.enqueue({ symbol: 'NQZ6', rows: [row(7, '5')], conflated: 0 });
    await flush();
    expect(hsets).toHaveLength(1);
    hsets[0]!.reply.open(1);
    await flush();
    expect(hsets).toHaveLength(2);
    expect(seqOf(hsets[1]!.fields.ESZ6)).toBe(4);
    expect(seqOf(hsets[1]!.fields.NQZ6)).toBe(7);
  });

  it('stop() resolves once the last watermark is written', async () => {
    const { engine, hsets } = setUp();
    engine.enqueue({ symbol: 'ESZ6', rows: [row(1, '100')], conflated: 0 });
    let stopped = false;
    void engine.stop().then(() => (stopped = true));
    await flush();
    expect(stopped).toBe(false);
    hsets[0]!.reply.open(1);
    await flush();
    expect(stopped).toBe(true);
  });
});
