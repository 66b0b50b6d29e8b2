import type { Redis } from 'ioredis';
import { createAuditChain } from '@tickdesk/alerts';
import { ticksKey } from '@tickdesk/recorder';
import type { DeskStateFile } from '@tickdesk/schemas';

/** A jump in seq this large is a feed that started again (first seq = its start time in µs), not ticks lost. */
const RESTART_JUMP = 1_000_000;
const PAGE = 2_000;

/**
 * The audit chain read on from where the last poll stopped: records per event for the
 * soak's traders, and each fired alert's trader and chain seq (what "fired" means here:
 * a `fired` record; a suppressed firing has a `suppressed` record and is never sent).
 */
export function chainCounter(redis: Redis, traders: ReadonlySet<string>) {
  const chain = createAuditChain({ redis });
  const events: Record<string, number> = {};
  const fired = new Map<string, { trader: string; seq: number }>();
  let firedTwice = 0;
  let after = 0;
  return {
    events,
    fired,
    firedTwice: () => firedTwice,
    tip: () => after,
    async poll(): Promise<void> {
      for (;;) {
        const page = await chain.range({ afterSeq: after, limit: PAGE });
        for (const r of page) {
          if (!traders.has(r.trader)) continue;
          events[r.event] = (events[r.event] ?? 0) + 1;
          if (r.event !== 'fired') continue;
          if (fired.has(r.alertId)) firedTwice += 1;
          else fired.set(r.alertId, { trader: r.trader, seq: r.seq });
        }
        if (page.length > 0) after = page[page.length - 1]!.seq;
        if (page.length < PAGE) return;
      }
    },
  };
}

/**
 * Prometheus text → sum of each metric's samples over its labels (counters and gauges
 * alike), and each `reason` or `cap` label's own as `name{reason="…"}`.
 */
function sumMetrics(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    if (!Number.isFinite(v)) continue;
    out[m[1]!] = (out[m[1]!] ?? 0) + v;
    const why = /\b(reason|cap)="([^"]*)"/.exec(m[2] ?? '');
    if (why) out[`${m[1]}{${why[1]}="${why[2]}"}`] = (out[`${m[1]}{${why[1]}="${why[2]}"}`] ?? 0) + v;
  }
  return out;
}

/**
 * Each service's /metrics (the API's on its own port), summed per metric name, only the
 * names `keep` matches; a service not answering (restarting) is left out.
 */
export async function scrapeServices(
  state: DeskStateFile,
  apiUrl: string,
  keep: RegExp,
): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  const urls = Object.entries(state.parts).flatMap(([part, p]) =>
    p.metricsPort
      ? [[part, `http://127.0.0.1:${p.metricsPort}/metrics`]]
      : part === 'api'
        ? [[part, `${apiUrl}/metrics`]]
        : [],
  );
  await Promise.all(
    urls.map(async ([part, url]) => {
      try {
        const res = await fetch(url!, { signal: AbortSignal.timeout(3_000) });
        const all = sumMetrics(await res.text());
        out[part!] = Object.fromEntries(Object.entries(all).filter(([n]) => keep.test(n.replace(/\{.*$/, ''))));
      } catch {
        // not answering now
      }
    }),
  );
  return out;
}

export interface HistoryTotals {
  /** Ticks in the recorder's history over the windows read so far. */
  recorded: number;
  /** Seqs never recorded: inside a window, and between the last tick of a window and the first of the next. */
  missing: number;
  /** Feed restarts seen as a seq jump (their ticks are not counted as missing). */
  restarts: number;
  /** A window whose first tick's seq was not above the previous window's last. */
  disorder: number;
}

/**
 * The recorder's tick history read in consecutive event-time windows, with three cheap
 * reads per instrument (ZCOUNT and the first and last member): every instrument's seq
 * rises by one per tick, so last − first + 1 − count is what the window lacks. A window
 * is read well after its end (the caller's lag), so a recorder running late has written
 * it; the history keeps 100,000 ticks per instrument (160 s at 625 ticks/s each), so
 * lag + window must stay under that.
 */
export function historyReader(redis: Redis, symbols: readonly string[]) {
  const totals: HistoryTotals = { recorded: 0, missing: 0, restarts: 0, disorder: 0 };
  const lastSeq = new Map<string, number>();
  const seqOf = (member: string | undefined) => (member === undefined ? undefined : Number(member.split('|')[0]));
  return {
    totals,
    /** Adds the window [fromMs, toMs) of event time. */
    async window(fromMs: number, toMs: number): Promise<void> {
      const lo = String(fromMs * 1000);
      const hi = `(${toMs * 1000}`;
      for (const symbol of symbols) {
        const key = ticksKey(symbol);
        const [count, first, last] = await Promise.all([
          redis.zcount(key, lo, hi),
          redis.zrangebyscore(key, lo, hi, 'LIMIT', 0, 1).then((m) => seqOf(m[0])),
          redis.zrevrangebyscore(key, hi, lo, 'LIMIT', 0, 1).then((m) => seqOf(m[0])),
        ]);
        if (count === 0 || first === undefined || last === undefined) continue;
        totals.recorded += count;
        const prev = lastSeq.get(symbol);
        if (prev !== undefined) {
          const jump = first - prev - 1;
          if (jump < 0) totals.disorder += 1;
          else if (jump > RESTART_JUMP) totals.restarts += 1;
          else totals.missing += jump;
        }
        if (last - first > RESTART_JUMP) totals.restarts += 1;
        else totals.missing += Math.max(0, last - first + 1 - count);
        lastSeq.set(symbol, last);
      }
    },
  };
}
