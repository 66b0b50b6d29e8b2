import { Edge } from './edge-list.js';
import type { InstrumentBook } from './instrument-book.js';
import { cmp, holds, KIND_ABOVE, KIND_BELOW, KIND_CROSS, PLACE_DIRECT, type LiveRule } from './live-rule.js';
import type { Placement } from './placement.js';
import { isLevel } from './spec.js';
import type { EvalTick, Firing } from './types.js';

/**
 * Which edges a move from the last price P to the current price C passes, so that the
 * rules behind them may change their answer. A predicate with boundary T changes:
 *   ABOVE (p ≥ T, p < T)  when T ∈ (P, C] going up,  T ∈ (C, P] going down;
 *   BELOW (p ≤ T, p > T)  when T ∈ [P, C) going up,  T ∈ [C, P) going down;
 *   CROSS (crossing T)    when T ∈ (P, C] going up,  T ∈ [C, P) going down.
 * With edges of equal price ordered ABOVE < CROSS < BELOW, each of these is one run of
 * the sorted edges: going up, from (P, BELOW) to (C, CROSS); going down, from (C, CROSS)
 * to (P, ABOVE). Nothing else can fire: a transition needs a change of side, and a level
 * in the index is false at P (the index's invariant), so it stays false unless passed.
 */
export class LevelPass {
  private readonly from = new Edge<null>(0, '0', 0, -1, null);
  private readonly to = new Edge<null>(0, '0', 0, Infinity, null);
  /** Scratch, reused across ticks; entries past the current count are stale. */
  private readonly touched: Edge<LiveRule>[] = [];

  constructor(private readonly place: Placement) {}

  /** Collect the edges passed by a move from the book's last price to `cur` (which differ); returns how many. */
  private collect(book: InstrumentBook, cur: string, curKey: number): number {
    const up = cmp(cur, curKey, book.lastStr, book.lastKey) > 0;
    const from = this.from;
    const to = this.to;
    from.key = up ? book.lastKey : curKey;
    from.value = up ? book.lastStr : cur;
    from.kind = up ? KIND_BELOW : KIND_CROSS;
    to.key = up ? curKey : book.lastKey;
    to.value = up ? cur : book.lastStr;
    to.kind = up ? KIND_CROSS : KIND_ABOVE;
    const toKey = to.key;
    const list = book.edges;
    const touched = this.touched;
    let n = 0;
    list.seekNear(from);
    const chunks = list.chunks;
    let ii = list.ii;
    scan: for (let ci = list.ci; ci < chunks.length; ci++, ii = 0) {
      const { keys, edges } = chunks[ci]!;
      for (; ii < keys.length; ii++) {
        const k = keys[ii]!;
        if (k > toKey || (k === toKey && compareTail(edges[ii]!, to) > 0)) break scan;
        touched[n++] = edges[ii]!;
      }
    }
    return n;
  }

  /** Fire the indexed rules that a tick from the last price to `cur` satisfies. */
  tick(book: InstrumentBook, tick: EvalTick, t: number, curKey: number, stamp: number, out: Firing[]): void {
    const touched = this.touched;
    for (let i = 0, n = this.collect(book, tick.price, curKey); i < n; i++) {
      const r = touched[i]!.rule;
      if (r.stamp === stamp) continue; // the other edge of a channel
      r.stamp = stamp;
      if (holds(r, true, book.lastStr, book.lastKey, tick.price, curKey))
        this.place.fire(book, r, tick, t, undefined, out);
    }
  }

  /** A seeded price moves the book without a tick: levels it passes may now hold, so they are evaluated directly next. */
  reseed(book: InstrumentBook, price: string, key: number): void {
    const touched = this.touched;
    for (let i = 0, n = this.collect(book, price, key); i < n; i++) {
      const r = touched[i]!.rule;
      if (isLevel(r.code) && r.place !== PLACE_DIRECT) {
        this.place.unplace(book, r);
        this.place.direct(book, r);
      }
    }
  }
}

// Keys are equal: order by exact value, then kind (the probe's seq is +∞).
function compareTail(e: Edge, to: Edge): number {
  if (e.value !== to.value) {
    const c = cmp(e.value, e.key, to.value, to.key);
    if (c !== 0) return c;
  }
  return e.kind - to.kind || -1;
}
