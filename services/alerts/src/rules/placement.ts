import type { InstrumentBook, WindowGroup } from './instrument-book.js';
import { holds, LiveRule, PLACE_DIRECT, PLACE_DORMANT, PLACE_GONE, PLACE_INDEXED, PLACE_NONE } from './live-rule.js';
import { FREQ_ONCE, isLevel, isMove, wakeTime } from './spec.js';
import type { EvalTick, Firing } from './types.js';

/** The rule index's shared state: its rules, its instruments, and moving rules between places. */
export class Placement {
  readonly byId = new Map<string, LiveRule>();
  readonly books = new Map<string, InstrumentBook>();

  private groupOf(book: InstrumentBook, r: LiveRule): WindowGroup {
    return book.group(r.windowMicros, r.code === 9 || r.code === 11);
  }

  /** Put an armed rule where ticks find it, given that it is false at the price the book will hold after this tick (levels). */
  index(book: InstrumentBook, r: LiveRule): void {
    r.place = PLACE_INDEXED;
    if (isMove(r.code)) {
      this.groupOf(book, r).add(r.a, r.code >= 11);
      return;
    }
    book.edges.insert(r.a);
    if (r.b) book.edges.insert(r.b);
  }

  direct(book: InstrumentBook, r: LiveRule): void {
    r.place = PLACE_DIRECT;
    book.direct.push(r);
  }

  /** Arm a new rule between ticks: a level that already holds at the last price (or with no price yet) is evaluated on the next tick. */
  arm(book: InstrumentBook, r: LiveRule): void {
    if (isLevel(r.code) && (!book.hasLast || holds(r, false, '', 0, book.lastStr, book.lastKey))) this.direct(book, r);
    else this.index(book, r);
  }

  /** Make an unplaced rule dormant until event time `wake`: the first tick at or after it evaluates the rule directly. */
  sleep(book: InstrumentBook, r: LiveRule, wake: number): void {
    r.place = PLACE_DORMANT;
    r.wake = wake;
    book.wakes.push(wake, r);
  }

  /** Take a rule out of the index; list and heap entries are skipped lazily by their place. */
  unplace(book: InstrumentBook, r: LiveRule): void {
    if (r.place === PLACE_INDEXED) {
      if (isMove(r.code)) {
        const g = this.groupOf(book, r);
        g.delete(r.a, r.code >= 11);
        book.dropGroupIfEmpty(g);
      } else {
        book.edges.remove(r.a);
        if (r.b) book.edges.remove(r.b);
      }
    }
    r.place = PLACE_NONE;
  }

  retire(book: InstrumentBook, r: LiveRule): void {
    this.unplace(book, r);
    r.place = PLACE_GONE;
    this.byId.delete(r.id);
  }

  /**
   * Record a firing at event time `t` and apply the rule's frequency: once retires it;
   * a bar or a cooldown makes it dormant; every-time without cooldown keeps it armed
   * (a level that still holds is evaluated directly on the next tick). A rule whose
   * expiry is at or before `t` does not fire and, since the instrument's event time
   * never runs back, never will: it leaves the index but stays known until `expire()`
   * retires it and reports it.
   */
  fire(
    book: InstrumentBook,
    r: LiveRule,
    tick: EvalTick,
    t: number,
    reference: string | undefined,
    out: Firing[],
  ): void {
    if (t >= r.expiresAtMicros) return this.unplace(book, r);
    out.push({
      ruleId: r.id,
      symbol: book.symbol,
      seq: tick.seq,
      price: tick.price,
      previousPrice: book.hasLast ? book.lastStr : undefined,
      reference,
      eventMicros: tick.eventMicros,
    });
    if (r.freq === FREQ_ONCE) return this.retire(book, r);
    const wake = wakeTime(r.freq, r.periodMicros, t);
    if (wake > t) {
      this.unplace(book, r);
      this.sleep(book, r, wake);
    } else if (isLevel(r.code)) {
      this.unplace(book, r);
      this.direct(book, r);
    } else if (r.place !== PLACE_INDEXED) {
      this.index(book, r);
    }
  }
}
