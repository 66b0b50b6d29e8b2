import type { Capped } from './alert-limits.js';

/** One firing over a cap. */
export interface SuppressedFiring {
  alertId: string;
  ruleId: string;
  trader: string;
  symbol: string;
  seq: number;
  price: string;
}

/** What the engine appends for firings it only counted: how many, since the recorded one, and the last. */
export interface SuppressionSummary {
  cap: Capped;
  first: SuppressedFiring;
  count: number;
  last: SuppressedFiring;
}

/**
 * Firings over a rate cap are recorded, never dropped in silence, but not one record each:
 * a trader's 500 once-per-bar rules could otherwise write hundreds of alerts and audit
 * records a second into a chain that never expires. Per cap key (the rule for the per-rule
 * cap, the trader for the per-owner cap) the first suppressed firing is recorded in full
 * (an alert in state `suppressed` and its audit record); the ones after it are counted,
 * and every `summaryMs` a count that grew becomes one more `suppressed` record on that
 * alert. A key quiet for a whole cap window is forgotten, so the next suppressed firing is
 * recorded in full again. At most one record per key per `summaryMs`, plus one per window.
 */
export function createSuppressionLedger({ summaryMs, now = Date.now }: { summaryMs: number; now?: () => number }) {
  interface Entry {
    cap: Capped;
    first: SuppressedFiring;
    last: SuppressedFiring;
    count: number;
    flushedAt: number;
    lastAt: number;
  }
  const open = new Map<string, Entry>();
  const keyOf = (cap: Capped, f: SuppressedFiring) => (cap.cap === 'rule' ? `rule:${f.ruleId}` : `owner:${f.trader}`);

  return {
    /** 'record' for the first firing of its key (store it in full), 'count' for the rest. */
    note(cap: Capped, f: SuppressedFiring): 'record' | 'count' {
      const t = now();
      const key = keyOf(cap, f);
      const e = open.get(key);
      if (!e) {
        open.set(key, { cap, first: f, last: f, count: 0, flushedAt: t, lastAt: t });
        return 'record';
      }
      e.count += 1;
      e.last = f;
      e.lastAt = t;
      return 'count';
    },
    /** Counts due for a record (taken: each is reported once); forgets keys quiet for a cap window. */
    due(all = false): SuppressionSummary[] {
      const t = now();
      const out: SuppressionSummary[] = [];
      for (const [key, e] of open) {
        if (e.count > 0 && (all || t - e.flushedAt >= summaryMs)) {
          out.push({ cap: e.cap, first: e.first, count: e.count, last: e.last });
          e.count = 0;
          e.flushedAt = t;
        }
        if (e.count === 0 && t - e.lastAt >= e.cap.windowMs) open.delete(key);
      }
      return out;
    },
    size: (): number => open.size,
  };
}
export type SuppressionLedger = ReturnType<typeof createSuppressionLedger>;
