import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { parseTimestamp, type Tick, type TickBatch } from '@tickdesk/schemas';
import { createRecorder } from './recorder.js';
import { naiveBars, randomTicks, rng } from './naive.test-util.js';
import { usePrivateRedis } from './redis.test-util.js';

/*
 * A standby feed takes an instrument over (docs/operations.md, "Standby feed and leases"):
 * the recorder meets items read again after a reconnect, the new publisher's items with
 * seq continued above the old one's (a gap), and a late item of the publisher that lost
 * the lease. Each tick counts once in the candles' volume and trade count.
 */
const log = pino({ level: 'silent' });
const T0 = parseTimestamp('2024-03-01T09:58:30Z')!;
const redis = usePrivateRedis();

const items = (ticks: Tick[], n: number): TickBatch[] => {
  const out: TickBatch[] = [];
  for (let i = 0; i < ticks.length; i += n)
    out.push({ symbol: ticks[0]!.symbol, ticks: ticks.slice(i, i + n), conflated: 0 });
  return out;
};

describe('recorder across a feed takeover', () => {
  it("re-read items, the new publisher's items after a seq gap and a stale publisher's late item: candles stay exact", async () => {
    const r = rng(21);
    const all = randomTicks(r, 'ABC', 1_000, T0, { stepMicros: 50_000 });
    const old = all.slice(0, 600);
    // The new publisher continues above the old one's last seq, with a gap (ticks nobody published).
    const fresh = all.slice(650).map((t, i) => ({ ...t, seq: old[old.length - 1]!.seq + 100 + i }));
    const staleLate = all.slice(600, 620); // published by the old holder past its lease, arriving last

    const rec = createRecorder({ redis: redis.client, log });
    const oldItems = items(old, 20);
    for (const b of oldItems) rec.ingest(b);
    await rec.flush();
    for (const b of oldItems.slice(-5)) rec.ingest(b); // the recorder read the node's recent items again
    for (const b of items(fresh, 20)) rec.ingest(b);
    for (const b of items(staleLate, 20)) rec.ingest(b);
    await rec.flush();

    expect(rec.stats().dropped.duplicate).toBe(5 * 20 + staleLate.length);
    const kept = [...old, ...fresh];
    for (const interval of ['1s', '1m', '1h'] as const) {
      expect(await rec.store.candles('ABC', interval, 0, T0 + 3_600_000_000_0, 100_000)).toEqual(
        naiveBars(kept, interval),
      );
    }
    expect((await rec.store.lastPrice('ABC'))?.seq).toBe(fresh[fresh.length - 1]!.seq);

    // A recorder restarted after the takeover reads its place back and counts nothing twice.
    const again = createRecorder({ redis: redis.client, log });
    for (const b of items(fresh.slice(-40), 20)) again.ingest(b);
    await again.flush();
    expect(again.stats().dropped.duplicate).toBe(40);
    expect(await again.store.candles('ABC', '1m', 0, T0 + 3_600_000_000_0, 100_000)).toEqual(naiveBars(kept, '1m'));
  });

  it('an item stamped with a smaller lease than one already seen (a publisher that lost its lease) is not recorded, whatever its seq', async () => {
    const r = rng(22);
    const all = randomTicks(r, 'ABC', 300, T0, { stepMicros: 50_000 });
    const old = all.slice(0, 100);
    const fresh = all.slice(120, 200).map((t, i) => ({ ...t, seq: 500 + i }));
    // The old holder's own counter ran ahead: seq above everything the new one published.
    const stale = all.slice(200, 220).map((t, i) => ({ ...t, seq: 10_000 + i }));
    const rec = createRecorder({ redis: redis.client, log });
    for (const b of items(old, 20)) rec.ingest({ ...b, lease: 1 });
    for (const b of items(fresh, 20)) rec.ingest({ ...b, lease: 2 });
    for (const b of items(stale, 20)) rec.ingest({ ...b, lease: 1 });
    await rec.flush();
    expect(rec.stats().dropped.stale_publisher).toBe(stale.length);
    expect(await rec.store.candles('ABC', '1s', 0, T0 + 3_600_000_000_0, 100_000)).toEqual(
      naiveBars([...old, ...fresh], '1s'),
    );
    expect((await rec.store.lastPrice('ABC'))?.seq).toBe(fresh[fresh.length - 1]!.seq);
  });
});
