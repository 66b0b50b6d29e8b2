// One analyst's count for the federation benchmark: the ticks of the benchmark's publisher
// (seq from 1) that reach a session, their latency from ingest and the holes between seqs.
// Rows are read without the strict decoder (`seq-offset price size side event-offset
// ingest-offset`, offsets from the item's seq and time), as the fan-out benchmark does.
import { nowMicros, parseTimestamp, ticksNode, DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { createItemSubscriber, type Element, type XmppClient } from '@tickdesk/xmpp';
import type { Logger } from 'pino';

/**
 * Desk A's own feed keeps running (at 1 tick/s) and numbers its ticks from its start time
 * in µs (about 1.8e15); the benchmark's publisher numbers from 1. Seqs at or above this
 * are the desk feed's, not counted.
 */
const OWN_SEQ_BELOW = 1e12;
const BUCKET_US = 100;
const MAX_BUCKET = 200_000; // 20 s: anything later lands in the last bucket

interface Item {
  symbol: string;
  firstSeq: number;
  count: number;
  conflated: number;
  ingests: number[];
}

function readItem(el: Element): { ok: true; value: Item | null } | { ok: false; reason: string } {
  const a = el.attrs as Record<string, string | undefined>;
  const base = a.time === undefined ? undefined : parseTimestamp(a.time);
  if (el.name !== 'ticks' || !a.symbol || base === undefined) return { ok: false, reason: 'not a ticks item' };
  const firstSeq = Number(a.seq);
  if (!(firstSeq < OWN_SEQ_BELOW)) return { ok: true, value: null };
  const rows = el.children.join('').split(';');
  if (rows.length !== Number(a.count)) return { ok: false, reason: `count ${a.count}, rows ${rows.length}` };
  const ingests = rows.map((r) => base + Number(r.slice(r.lastIndexOf(' ') + 1)));
  return {
    ok: true,
    value: { symbol: a.symbol, firstSeq, count: rows.length, conflated: Number(a.conflated ?? 0), ingests },
  };
}

export interface TallyReport {
  /** Ticks received while measuring. */
  measured: number;
  /** Ticks received since the last reset. */
  total: number;
  /** Ticks missing between consecutive seqs of one instrument since the last reset. */
  missing: number;
  conflated: number;
  p50: number;
  p99: number;
}

function percentileMs(hist: Uint32Array, p: number): number {
  const total = hist.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let b = 0; b < hist.length; b++) {
    seen += hist[b]!;
    if (total > 0 && seen >= (p / 100) * total) return (b + 0.5) / (1000 / BUCKET_US);
  }
  return Number.NaN;
}

/** Subscribes `client` to every ticks/ node of `service` (the local pubsub or a partner desk's) and counts. */
export async function startTally({ client, service, log }: { client: XmppClient; service: string; log: Logger }) {
  const hist = new Uint32Array(MAX_BUCKET + 1);
  let measuring = false;
  let measured = 0;
  let total = 0;
  let missing = 0;
  let conflated = 0;
  let lastSeq = new Map<string, number>();
  const sub = createItemSubscriber({
    client,
    service,
    nodes: DEFAULT_INSTRUMENTS.map((i) => ticksNode(i.symbol)),
    decode: readItem,
    log,
    onItem: (item) => {
      if (!item) return;
      const now = nowMicros();
      total += item.count;
      conflated += item.conflated;
      const last = lastSeq.get(item.symbol);
      if (last !== undefined && item.firstSeq > last + 1) missing += item.firstSeq - last - 1;
      lastSeq.set(item.symbol, item.firstSeq + item.count - 1);
      if (!measuring) return;
      measured += item.count;
      for (const t of item.ingests) hist[Math.min(MAX_BUCKET, Math.max(0, Math.floor((now - t) / BUCKET_US)))]! += 1;
    },
  });
  await sub.start();
  return {
    reset() {
      measured = total = missing = conflated = 0;
      lastSeq = new Map();
      hist.fill(0);
    },
    measure(on: boolean) {
      measuring = on;
    },
    report: (): TallyReport => ({
      measured,
      total,
      missing,
      conflated,
      p50: percentileMs(hist, 50),
      p99: percentileMs(hist, 99),
    }),
    stop: () => sub.stop(),
  };
}
