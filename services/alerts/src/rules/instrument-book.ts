import { EdgeList, type Edge } from './edge-list.js';
import type { LiveRule } from './live-rule.js';
import { MonoDeque } from './mono-deque.js';
import { WakeHeap } from './wake-heap.js';

/**
 * The armed move rules of one instrument with one window and one direction: they share
 * the window's low (up) or high (down), and are sorted by amount, so that a tick fires
 * a prefix of each list.
 *
 * Most ticks change nothing for a group: the window's low stays the low until it ages
 * out of the window or a tick goes below it, and no rule can fire until the price
 * reaches the low plus the smallest amount. The group remembers that low (`refKey`),
 * until when it holds (`until`), and that price (`trigger`, a conservative bound in
 * doubles), so such a tick costs two comparisons (window-pass.ts).
 */
export class WindowGroup {
  readonly amounts = new EdgeList<LiveRule>();
  readonly percents = new EdgeList<LiveRule>();
  /** The smallest amount of each list (Infinity when empty): most ticks fire nothing, and this says so in one read. */
  minAmount = Infinity;
  minPercent = Infinity;
  refKey = 0;
  /** −Infinity when the cache is invalid (rules added or removed, a seeded price). */
  until = -Infinity;
  trigger = 0;

  constructor(
    readonly windowMicros: number,
    readonly up: boolean,
  ) {}

  get size(): number {
    return this.amounts.size + this.percents.size;
  }

  add(edge: Edge<LiveRule>, percent: boolean): void {
    if (percent) {
      this.percents.insert(edge);
      this.minPercent = this.percents.firstKey();
    } else {
      this.amounts.insert(edge);
      this.minAmount = this.amounts.firstKey();
    }
    this.until = -Infinity;
  }

  delete(edge: Edge<LiveRule>, percent: boolean): void {
    if (percent) {
      this.percents.remove(edge);
      this.minPercent = this.percents.firstKey();
    } else {
      this.amounts.remove(edge);
      this.minAmount = this.amounts.firstKey();
    }
    this.until = -Infinity;
  }

  /** Remember the window's low (high) and when it leaves the window; derive the trigger. */
  remember(refKey: number, refTime: number): void {
    this.refKey = refKey;
    this.until = refTime + this.windowMicros;
    // Margins of 1e-12 of the magnitudes involved dwarf the rounding of these sums: a
    // tick that could fire is never skipped. A low or high ≤ 0 (a sensor's value)
    // satisfies every percentage (rule-index.ts): no tick is skipped then.
    const { minAmount: a, minPercent: p } = this;
    const margin = 1e-12 * (Math.abs(refKey) + a);
    if (this.up) {
      const byAmount = a === Infinity ? Infinity : refKey + a - margin;
      const byPercent = p === Infinity ? Infinity : refKey <= 0 ? -Infinity : refKey * (1 + p / 100) * (1 - 1e-12);
      this.trigger = Math.min(byAmount, byPercent);
    } else {
      const byAmount = a === Infinity ? -Infinity : refKey - a + margin;
      const byPercent =
        p === Infinity ? -Infinity : refKey <= 0 ? Infinity : refKey * (1 - p / 100) + 1e-12 * refKey * (1 + p / 100);
      this.trigger = Math.max(byAmount, byPercent);
    }
  }
}

/** Everything the index keeps per instrument. */
export class InstrumentBook {
  hasLast = false;
  lastStr = '';
  lastKey = 0;
  /** Latest event time seen; an earlier tick counts as happening at this time. */
  lastMicros = -Infinity;
  /** Armed transition and level rules, by boundary price. Levels here are false at the last price. */
  readonly edges = new EdgeList<LiveRule>();
  /** Rules to evaluate directly on the next tick; entries whose rule moved elsewhere are skipped. */
  direct: LiveRule[] = [];
  spare: LiveRule[] = [];
  readonly wakes = new WakeHeap<LiveRule>();
  readonly lows = new MonoDeque(true);
  readonly highs = new MonoDeque(false);
  groups: WindowGroup[] = [];

  constructor(readonly symbol: string) {}

  group(windowMicros: number, up: boolean): WindowGroup {
    for (const g of this.groups) if (g.windowMicros === windowMicros && g.up === up) return g;
    const g = new WindowGroup(windowMicros, up);
    this.groups.push(g);
    return g;
  }

  /** A seeded price may be a new low or high for every window. */
  forgetWindows(): void {
    for (const g of this.groups) g.until = -Infinity;
  }

  dropGroupIfEmpty(g: WindowGroup): void {
    if (g.size === 0) this.groups = this.groups.filter((x) => x !== g);
  }
}
