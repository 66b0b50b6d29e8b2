import type { Edge, EdgeList } from './edge-list.js';
import type { InstrumentBook } from './instrument-book.js';
import type { LiveRule } from './live-rule.js';
import { moveReaches } from './exact-move.js';
import type { Placement } from './placement.js';
import { MAX_WINDOW_SECONDS } from './spec.js';
import type { EvalTick, Firing } from './types.js';

const RETENTION_MICROS = MAX_WINDOW_SECONDS * 1_000_000;

/**
 * Moves: per window group, the window's low (high) comes from the instrument's
 * monotonic deque, and the armed rules, sorted by amount, fire a prefix. The move is
 * first judged in doubles with a generous error bound; only amounts within that bound
 * of the move are decided exactly (BigInt), so the answer is always exact.
 */
export class WindowPass {
  /** Scratch, reused across ticks; entries past the current count are stale. */
  private readonly fired: Edge<LiveRule>[] = [];
  private count = 0;

  constructor(private readonly place: Placement) {}

  /** Record the tick's price in the window deques (also for seeded prices). */
  observe(book: InstrumentBook, t: number, key: number, price: string): void {
    book.lows.push(t, key, price);
    book.highs.push(t, key, price);
    book.lows.dropThrough(t - RETENTION_MICROS);
    book.highs.dropThrough(t - RETENTION_MICROS);
  }

  tick(book: InstrumentBook, tick: EvalTick, t: number, curKey: number, out: Firing[]): void {
    this.observe(book, t, curKey, tick.price);
    const groups = book.groups;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      // The remembered low (high) still holds, this tick is not beyond it, and it is short of the trigger.
      if (t < g.until && (g.up ? curKey > g.refKey && curKey < g.trigger : curKey < g.refKey && curKey > g.trigger))
        continue;
      const q = g.up ? book.lows : book.highs;
      const pos = q.windowStart(t - g.windowMicros);
      const refKey = q.keyAt(pos);
      g.remember(refKey, q.timeAt(pos));
      const d = g.up ? curKey - refKey : refKey - curKey;
      // Both d and the keys carry relative errors of a few 2^-53 of the prices involved
      // (magnitudes: a sensor's values may be negative).
      const span = Math.abs(curKey) + Math.abs(refKey);
      const tol = 2e-15 * span;
      // amount·ref ≤ d·100 ⇔ amount ≤ q100 when ref > 0; when ref ≤ 0 (a sensor's value)
      // every amount qualifies, as d ≥ 0 (the window's low or high includes this tick).
      const q100 = refKey <= 0 ? Infinity : (100 * d) / refKey;
      const tolPct = refKey <= 0 ? 0 : (1e-13 * span) / refKey + 1e-15 * q100;
      const amounts = g.minAmount <= d + tol;
      const percents = g.minPercent <= q100 + tolPct;
      if (!amounts && !percents) continue;
      const ref = q.strAt(pos);
      this.count = 0;
      if (amounts) this.prefix(g.amounts, d, tol, tick.price, ref, g.up, false);
      if (percents) this.prefix(g.percents, q100, tolPct, tick.price, ref, g.up, true);
      const fired = this.fired;
      for (let j = 0, n = this.count; j < n; j++) this.place.fire(book, fired[j]!.rule, tick, t, ref, out);
    }
  }

  /** Collect the rules whose amount is at most `limit` (± tol, then exactly). */
  private prefix(
    list: EdgeList<LiveRule>,
    limit: number,
    tol: number,
    price: string,
    ref: string,
    up: boolean,
    percent: boolean,
  ): void {
    const chunks = list.chunks;
    const fired = this.fired;
    for (let ci = 0; ci < chunks.length; ci++) {
      const { keys, edges } = chunks[ci]!;
      for (let ii = 0; ii < keys.length; ii++) {
        const k = keys[ii]!;
        if (k > limit + tol) return;
        if (k >= limit - tol && !moveReaches(price, ref, edges[ii]!.value, up, percent)) return;
        fired[this.count++] = edges[ii]!;
      }
    }
  }
}
