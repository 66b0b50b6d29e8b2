import type { Redis } from 'ioredis';
import { ticksKey } from '@tickdesk/recorder';

/**
 * A jump in seq this large is a feed that started again (its first seq is the start time
 * in µs, services/desk/src/run-feed.ts), not ticks lost: counted as a restart.
 */
const RESTART_JUMP = 1_000_000;
/**
 * A jump at least this large where the fencing token changes is another feed taking over
 * with its own seq base (its start time in µs: two feeds never start within 10 ms of each
 * other). A smaller one is ticks nobody published: the same feed taking its lease back after
 * it could not renew it (Redis away), or a standby whose seq continues above the node's.
 */
const TAKEOVER_JUMP = 10_000;

export interface SeqGaps {
  /** Seqs skipped between consecutive ticks (or items) of one feed run. */
  missing: number;
  /** Places where seqs were skipped (an item lost, however many ticks it carried). */
  holes: number;
  /** Items out of order or repeated. */
  disorder: number;
  /** The feed's restarts seen as a jump. */
  restarts: number;
  count: number;
}

/**
 * Gaps in a list of [first, last] seq ranges in arrival order. A large jump up to a seq in
 * `starts` (the first one published under a new fencing token) is a take-over by a feed
 * with a seq base of its own, counted as a restart.
 */
function seqGaps(ranges: ReadonlyArray<readonly [number, number]>, starts: ReadonlySet<number> = new Set()): SeqGaps {
  const r: SeqGaps = { missing: 0, holes: 0, disorder: 0, restarts: 0, count: ranges.length };
  for (let k = 1; k < ranges.length; k++) {
    const jump = ranges[k]![0] - ranges[k - 1]![1] - 1;
    if (jump < 0) r.disorder += 1;
    else if (jump > RESTART_JUMP || (jump >= TAKEOVER_JUMP && starts.has(ranges[k]![0]))) r.restarts += 1;
    else if (jump > 0) {
      r.missing += jump;
      r.holes += 1;
    }
  }
  return r;
}

/** Adds up per-instrument gaps. */
export function total(per: Record<string, SeqGaps>): SeqGaps {
  const t: SeqGaps = { missing: 0, holes: 0, disorder: 0, restarts: 0, count: 0 };
  for (const g of Object.values(per)) for (const k of Object.keys(t) as Array<keyof SeqGaps>) t[k] += g[k];
  return t;
}

type Items = Map<string, Array<{ first: number; last: number; lease?: number; at: number }>>;

/** Per instrument, the first seq of each item whose fencing token differs from the item before it: where another feed took over. */
export function publisherStarts(items: Items): Record<string, Set<number>> {
  const out: Record<string, Set<number>> = {};
  for (const [symbol, list] of items)
    out[symbol] = new Set(list.filter((i, k) => k > 0 && i.lease !== list[k - 1]!.lease).map((i) => i.first));
  return out;
}

/**
 * Per instrument, the gaps in the recorder's tick history between two times (ms); a seq
 * stored twice (two members) counts as disorder.
 */
export async function recordedGaps(
  redis: Redis,
  symbols: readonly string[],
  fromMs: number,
  toMs: number,
  starts: Record<string, Set<number>> = {},
): Promise<Record<string, SeqGaps>> {
  const out: Record<string, SeqGaps> = {};
  for (const symbol of symbols) {
    const all = (await redis.zrangebyscore(ticksKey(symbol), fromMs * 1000, toMs * 1000)).map((m) =>
      Number(m.split('|')[0]),
    );
    const seqs = [...new Set(all)].sort((a, b) => a - b);
    out[symbol] = seqGaps(
      seqs.map((s) => [s, s] as const),
      starts[symbol],
    );
    out[symbol].disorder += all.length - seqs.length;
  }
  return out;
}

/** Per instrument, the gaps in the items an analyst's client received between two times (tickWatcher's items). */
export function receivedGaps(items: Items, fromMs: number, toMs: number): Record<string, SeqGaps> {
  const out: Record<string, SeqGaps> = {};
  const starts = publisherStarts(items);
  for (const [symbol, list] of items)
    out[symbol] = seqGaps(
      list.filter((i) => i.at >= fromMs && i.at <= toMs).map((i) => [i.first, i.last] as const),
      starts[symbol],
    );
  return out;
}
