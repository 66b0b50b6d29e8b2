import { INTERVAL_MICROS, type BarInterval } from '@tickdesk/schemas';
import type { RecorderStore } from '@tickdesk/recorder';
import { createRunCache } from './run-cache.js';
import { barJson, candlePageHead, candlePageJson, candlePageTail } from './candle-json.js';

/** Final candles of a range, oldest first, as bucket starts and Bar JSON. */
interface Run {
  starts: number[];
  bars: string[];
  /** The page's JSON up to and with these bars, once needed. */
  prefix?: Buffer;
  /** The page, when a page is exactly this run. */
  body?: Buffer;
  /** The last page made of this run and the open candles after it, by those candles as stored. */
  last?: { members: string[]; body: Buffer };
}

/** Cached runs are read again after this: trimmed or repaired history shows within it. */
const RUN_TTL_MS = 60_000;
/** Pages served from a cached run read the series' final mark at most this often. */
const MARK_REFRESH_MS = 1_000;

const alignUp = (micros: number, interval: number): number =>
  micros % interval === 0 ? micros : micros - (micros % interval) + interval;
const same = (a: readonly string[], b: readonly string[]): boolean =>
  a === b || (a.length === b.length && a.every((x, i) => x === b[i]));
// The bars, and the prefix and at most two pages made of them.
const runBytes = (run: Run): number => 400 + run.starts.length * 16 + 4 * run.bars.reduce((n, b) => n + b.length, 0);

/**
 * Pages of candles as JSON, with the final part of a range kept in memory. The recorder
 * publishes per series how far candles are final (never written again), so a run of
 * final candles is cached under (series, range, limit) and a page is that run, plus
 * the open candles after it read from Redis when the range reaches past it. Only the
 * open candles are read again (concurrent requests for the same ones share a read, so
 * an answer is at most one Redis round trip old); nothing needs invalidating unless the
 * stored history is replaced (the final mark goes down), which drops the series' runs.
 */
export function createCandlePages({
  store,
  cacheBytes,
  now = Date.now,
}: {
  store: Pick<RecorderStore, 'candleMembers'>;
  cacheBytes: number;
  now?: () => number;
}) {
  const runs = createRunCache<Run>({ maxBytes: cacheBytes, ttlMs: RUN_TTL_MS, sizeOf: runBytes, now });
  /** Per series: the final mark as last read and when, and a generation that changes when the history was replaced. */
  const marks = new Map<string, { final: number; at: number; gen: number }>();

  async function read(
    symbol: string,
    interval: BarInterval,
    from: number,
    to: number,
    limit: number,
    withFinal: boolean,
  ) {
    const got = await store.candleMembers(symbol, interval, from, to, limit, withFinal);
    const name = `${interval}:${symbol}`;
    const final = got.finalThrough ?? -Infinity;
    let mark = marks.get(name);
    if (!withFinal) {
      // Only the open candles after a cached run were asked for.
    } else if (!mark) marks.set(name, (mark = { final, at: now(), gen: 0 }));
    else if (final < mark.final) Object.assign(mark, { final, at: now(), gen: mark.gen + 1 });
    else Object.assign(mark, { final, at: now() });
    return { ...got, final, gen: mark?.gen ?? 0 };
  }

  /** Reads of open candles in flight, by what they read: requests for the same ones share a read. */
  const reading = new Map<string, ReturnType<typeof read>>();
  function readOpen(
    symbol: string,
    interval: BarInterval,
    from: number,
    to: number,
    limit: number,
    withFinal: boolean,
  ): ReturnType<typeof read> {
    const key = `${interval}:${symbol}|${from}|${to}|${limit}|${withFinal}`;
    let pending = reading.get(key);
    if (!pending) {
      pending = read(symbol, interval, from, to, limit, withFinal).finally(() => reading.delete(key));
      reading.set(key, pending);
    }
    return pending;
  }

  const barsOf = (symbol: string, interval: BarInterval, members: readonly string[]) =>
    members.map((m) => barJson(symbol, interval, m));

  /** The page of `head` followed by `tail`, as bytes: a cached head's JSON is copied, not encoded again. */
  function page(
    symbol: string,
    interval: BarInterval,
    limit: number,
    head: Run,
    tail?: { starts: number[]; bars: string[] },
  ): Buffer {
    const headCount = head.starts.length;
    const count = headCount + (tail?.starts.length ?? 0);
    const next = count <= limit ? undefined : limit < headCount ? head.starts[limit] : tail!.starts[limit - headCount];
    if (headCount > limit)
      return Buffer.from(candlePageJson(symbol, interval, head.bars.slice(0, limit).join(','), next));
    const prefix = (head.prefix ??= Buffer.from(candlePageHead(symbol, interval) + head.bars.join(',')));
    const rest = tail ? tail.bars.slice(0, limit - headCount) : [];
    return Buffer.concat([
      prefix,
      Buffer.from((headCount > 0 && rest.length > 0 ? ',' : '') + rest.join(',') + candlePageTail(next)),
    ]);
  }

  return {
    /**
     * The JSON of a CandlePage: candles whose bucket starts in [from, to), at most
     * `limit`, and nextCursor when there are more.
     */
    async json(
      symbol: string,
      interval: BarInterval,
      from: number,
      to: number,
      limit: number,
    ): Promise<Buffer | string> {
      const step = INTERVAL_MICROS[interval];
      // Buckets start at multiples of the interval: ranges that select the same buckets share a key.
      from = alignUp(from, step);
      if (to < Number.MAX_SAFE_INTEGER - step) to = alignUp(to, step);
      if (from >= to) return candlePageJson(symbol, interval, '');
      const name = `${interval}:${symbol}`;
      const mark = marks.get(name);
      if (mark && from <= mark.final) {
        const headEnd = Math.min(to, alignUp(mark.final + 1, step));
        const head = runs?.get(`${name}|${mark.gen}|${from}|${headEnd}|${limit}`);
        if (head && (head.starts.length > limit || headEnd === to))
          return (head.body ??= page(symbol, interval, limit, head));
        if (head) {
          // The open candles after the run. The mark is read again now and then: it only
          // rises, so the run stays right, and a lower one drops the series' runs.
          const open = await readOpen(
            symbol,
            interval,
            headEnd,
            to,
            limit + 1 - head.starts.length,
            now() - mark.at >= MARK_REFRESH_MS,
          );
          // The same open candles as last time make the same bytes (they change with the recorder's flushes, pages are asked for more often).
          if (head.last && same(head.last.members, open.members)) return head.last.body;
          const body = page(symbol, interval, limit, head, {
            starts: open.starts,
            bars: barsOf(symbol, interval, open.members),
          });
          head.last = { members: open.members, body };
          return body;
        }
      }
      const got = await read(symbol, interval, from, to, limit + 1, true);
      const bars = barsOf(symbol, interval, got.members);
      if (from <= got.final) {
        let n = 0;
        while (n < got.starts.length && got.starts[n]! <= got.final) n++;
        const head =
          n === got.starts.length
            ? { starts: got.starts, bars }
            : { starts: got.starts.slice(0, n), bars: bars.slice(0, n) };
        runs?.set(`${name}|${got.gen}|${from}|${Math.min(to, alignUp(got.final + 1, step))}|${limit}`, head);
      }
      return candlePageJson(symbol, interval, bars.slice(0, limit).join(','), got.starts[limit]);
    },
  };
}
