// The sensor benchmark's subscriber count (test/bench/mqtt-sensors.ts): every tick of the sensor
// nodes, decoded strictly (decodeTickRows). A device's values are its message numbers in the run
// (1, 2, 3…), so per symbol the next value is known: a higher one means values missing, a lower
// one a duplicate or a value out of order. Latency runs from the event time (the payload's `time`,
// the device's publish) to the decode here; its first leg, to the adapter, ends at the tick's ingest
// time. Each process's clock is corrected to the wall clock (clockOffsetMicros).
import type { Logger } from 'pino';
import { decodeTickRows, nowMicros, ticksNode, type TickRows } from '@tickdesk/schemas';
import { createItemSubscriber, type XmppClient } from '@tickdesk/xmpp';

/**
 * What to add to this process's nowMicros() to read the system's wall clock. nowMicros() is
 * performance.timeOrigin + now(), and timeOrigin is off the wall clock by a different 1–5 ms
 * in every process (measured), far more than the latencies read here; Date.now() is the same
 * clock in every process, so its tick is caught (median of 5).
 */
export function clockOffsetMicros(): number {
  const samples = Array.from({ length: 5 }, () => {
    const before = Date.now();
    let ms = before;
    while (ms === before) ms = Date.now();
    return ms * 1000 - nowMicros();
  }).sort((a, b) => a - b);
  return samples[2]!;
}

const BUCKET_US = 100;
const MAX_BUCKET = 200_000; // 20 s: anything later lands in the last bucket

export interface SensorTallyReport {
  /** Ticks received while measuring, and since the last reset. */
  measured: number;
  total: number;
  /** Values skipped (a device's numbers jumped ahead), values seen again, values lower than expected. */
  missing: number;
  duplicates: number;
  disorder: number;
  /** Holes between consecutive seqs of one symbol. */
  seqHoles: number;
  p50: number;
  p99: number;
  /** Median from the device's publish to the adapter (the tick's ingest time). */
  p50ToAdapter: number;
}

/** The `p`th percentile of a histogram of 100 µs buckets, in ms (the middle of its bucket). */
function percentileMs(hist: Uint32Array, p: number, count: number): number {
  const rank = Math.ceil((p / 100) * count);
  let b = 0;
  for (let below = hist[0]!; below < rank && b < MAX_BUCKET; below += hist[b]!) b += 1;
  return count === 0 ? Number.NaN : ((b + 0.5) * BUCKET_US) / 1000;
}

/** Subscribes `client` to the ticks/ node of every sensor of the map and counts what arrives. */
export async function startSensorTally({
  client,
  service,
  sensors,
  log,
  adapterOffset,
}: {
  client: XmppClient;
  service: string;
  sensors: ReadonlyArray<{ symbol: string }>;
  log: Logger;
  /** The adapter's clockOffsetMicros(): its ingest times are its own nowMicros(). */
  adapterOffset: number;
}) {
  const offset = clockOffsetMicros();
  const hist = new Uint32Array(MAX_BUCKET + 1);
  const toAdapter = new Uint32Array(MAX_BUCKET + 1);
  const bucket = (us: number) => Math.min(MAX_BUCKET, Math.max(0, Math.floor(us / BUCKET_US)));
  let measuring = false;
  const c = { measured: 0, total: 0, missing: 0, duplicates: 0, disorder: 0, seqHoles: 0 };
  let next = new Map<string, number>();
  let lastSeq = new Map<string, number>();
  const sub = createItemSubscriber<TickRows>({
    client,
    service,
    nodes: sensors.map((s) => ticksNode(s.symbol)),
    decode: decodeTickRows,
    log,
    onItem: ({ symbol, rows }) => {
      const now = nowMicros() + offset;
      for (const row of rows) {
        c.total += 1;
        const value = Number(row.price);
        const expected = next.get(symbol) ?? 1;
        if (value === expected - 1) c.duplicates += 1;
        else if (value < expected) c.disorder += 1;
        else c.missing += value - expected;
        if (value >= expected) next.set(symbol, value + 1);
        const last = lastSeq.get(symbol);
        if (last !== undefined && row.seq > last + 1) c.seqHoles += row.seq - last - 1;
        lastSeq.set(symbol, row.seq);
        if (!measuring) continue;
        c.measured += 1;
        hist[bucket(now - row.eventMicros)]! += 1;
        toAdapter[bucket(row.ingestMicros + adapterOffset - row.eventMicros)]! += 1;
      }
    },
  });
  await sub.start();
  return {
    /** A new run: every device numbers its values from 1 again. */
    reset() {
      for (const k of Object.keys(c) as Array<keyof typeof c>) c[k] = 0;
      next = new Map();
      lastSeq = new Map();
      hist.fill(0);
      toAdapter.fill(0);
    },
    measure(on: boolean) {
      measuring = on;
    },
    /** Ticks received since the last reset (cheap: no percentiles). */
    total: () => c.total,
    report: (): SensorTallyReport => ({
      ...c,
      p50: percentileMs(hist, 50, c.measured),
      p99: percentileMs(hist, 99, c.measured),
      p50ToAdapter: percentileMs(toAdapter, 50, c.measured),
    }),
    stop: () => sub.stop(),
  };
}
