/**
 * The rule index: evaluates every active rule of an instrument on each of its ticks,
 * at a cost per tick of O(log n + k) for n rules and k firings. Pure: no I/O, no clock.
 *
 * Semantics (the reference evaluator implements the same, naively). Prices, thresholds
 * and amounts are canonical decimal strings, compared exactly; a sensor's values and
 * thresholds may be zero or negative (amounts never are).
 * - Ticks of one `evaluate` call are processed in order, each against the previous
 *   price of that instrument: the previous tick, across calls, or the price given to
 *   `seedPrice` (which moves the price without firing anything). Before the first
 *   price there is no previous price.
 * - Event time: a tick whose eventMicros is earlier than the latest seen for its
 *   instrument counts as happening at that latest time (windows, bars and cooldowns
 *   never run backwards). Firings carry the tick's own eventMicros.
 * - crossing-up T fires on a tick with price ≥ T when the previous price < T;
 *   crossing-down on price ≤ T when previous > T; crossing on either. No previous
 *   price, no crossing. A tick that jumps over several thresholds fires each once.
 * - greater-than: price > T; less-than: price < T.
 * - Channels [lower, upper], inclusive: inside-channel: lower ≤ p ≤ upper;
 *   outside-channel: otherwise; entering-channel: previous outside and current inside;
 *   exiting-channel: previous inside and current outside (both need a previous price).
 * - moving-up: p − low ≥ amount, low = the lowest price of the instrument among its
 *   prices (ticks and seeded prices, including those from before the rule was added)
 *   with event time in (t − windowSeconds, t], the current tick included; moving-down:
 *   high − p ≥ amount; moving-up-percent: (p − low)·100 ≥ amount·low;
 *   moving-down-percent: (high − p)·100 ≥ amount·high. Exact, taken literally (a low
 *   or high ≤ 0, a sensor's, satisfies any percentage; rule validation refuses
 *   percentage rules on sensors whose range reaches zero).
 * - A rule fires on every tick where its condition holds, as its frequency permits:
 *   once fires and the rule is removed (size and has() no longer count it);
 *   once-per-bar fires at most once per bar (bars are multiples of 1 s, 1 m or 1 h of
 *   event time since the epoch) and is then dormant until the first tick in a later
 *   bar, which is evaluated normally (a crossing on that tick is against the tick
 *   before it, even if that one fell in the dormant bar); every-time fires, then is
 *   dormant until cooldownSeconds of event time have passed since the firing (a tick
 *   at exactly that time may fire; 0 = no cooldown, 60 when absent).
 * - A rule added, replaced (state reset) or re-armed while its condition already
 *   holds fires on the next tick if it still holds there. A rule given lastFiredMicros
 *   (once-per-bar, every-time) starts dormant as if it had fired at that event time.
 * - Within one tick, firings are ordered by rule id (string order).
 * - Expiry at T: no tick with event time ≥ T fires the rule (a tick dated T exactly
 *   does not), and `expire(now)` removes the rule once the wall clock reaches T
 *   (expiresAtMicros ≤ now); until then it still counts in size and has().
 *
 * How: prices carry a double key next to the string; different keys order exactly
 * (correct rounding is monotonic) and equal keys fall back to the strings. Transitions
 * and levels are indexed per instrument by their boundary prices (level-pass.ts); an
 * armed level in the index is false at the last price, so a tick only looks at the
 * edges between the last price and its own. Levels that hold (just added, just woken,
 * every-time without cooldown) are evaluated directly on the next tick instead. Rules
 * dormant for a bar or a cooldown leave the index and wait in a per-instrument heap of
 * wake-up times. Moves share a monotonic deque per instrument and fire sorted prefixes
 * per window group (window-pass.ts).
 */
import { InstrumentBook } from './instrument-book.js';
import { LevelPass } from './level-pass.js';
import { cmp, holds, LiveRule, PLACE_DIRECT, PLACE_DORMANT, PLACE_NONE } from './live-rule.js';
import { Placement } from './placement.js';
import { priceKey } from './price-key.js';
import { checkSpec, FREQ_ONCE, isMove, wakeTime } from './spec.js';
import type { EvalTick, Firing, RuleEvaluator, RuleSpec } from './types.js';
import { WakeHeap } from './wake-heap.js';
import { WindowPass } from './window-pass.js';

export type RuleIndex = RuleEvaluator;

const byRuleId = (a: Firing, b: Firing): number => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0);

export function createRuleIndex(): RuleIndex {
  const place = new Placement();
  const levels = new LevelPass(place);
  const windows = new WindowPass(place);
  const expiries = new WakeHeap<LiveRule>();
  let seq = 0;
  let stamp = 0;

  const bookFor = (symbol: string): InstrumentBook => {
    let book = place.books.get(symbol);
    if (!book) place.books.set(symbol, (book = new InstrumentBook(symbol)));
    return book;
  };

  function remove(id: string): boolean {
    const r = place.byId.get(id);
    if (!r) return false;
    place.retire(place.books.get(r.symbol)!, r);
    return true;
  }

  function tick(book: InstrumentBook, tick: EvalTick, out: Firing[]): void {
    const t = tick.eventMicros > book.lastMicros ? tick.eventMicros : book.lastMicros;
    book.lastMicros = t;
    const cur = tick.price;
    const curKey = priceKey(cur);
    const start = out.length;
    const thisTick = ++stamp;
    // Rules to evaluate directly on this tick; rules re-armed now go to the next list.
    const due = book.direct;
    book.direct = book.spare;
    while (book.wakes.peekTime() <= t) {
      const r = book.wakes.pop();
      if (r.place !== PLACE_DORMANT || r.wake > t) continue; // stale entry
      if (isMove(r.code)) place.index(book, r);
      else {
        r.place = PLACE_DIRECT;
        due.push(r);
      }
    }
    if (book.hasLast && cmp(cur, curKey, book.lastStr, book.lastKey) !== 0)
      levels.tick(book, tick, t, curKey, thisTick, out);
    for (let i = 0; i < due.length; i++) {
      const r = due[i]!;
      if (r.place !== PLACE_DIRECT) continue; // removed, or listed twice
      r.place = PLACE_NONE;
      if (holds(r, book.hasLast, book.lastStr, book.lastKey, cur, curKey)) place.fire(book, r, tick, t, undefined, out);
      else place.index(book, r); // a level that does not hold is false at the new last price
    }
    while (due.length !== 0) due.pop(); // cheaper than setting length, a runtime call
    book.spare = due;
    windows.tick(book, tick, t, curKey, out);
    if (out.length - start > 1) {
      const mine = out.splice(start).sort(byRuleId);
      for (const f of mine) out.push(f);
    }
    book.hasLast = true;
    book.lastStr = cur;
    book.lastKey = curKey;
  }

  return {
    upsert(spec: RuleSpec): void {
      checkSpec(spec);
      remove(spec.id);
      const r = new LiveRule(spec, ++seq);
      place.byId.set(r.id, r);
      const book = bookFor(r.symbol);
      // Dormant as if it had fired then; the next tick at or after the wake-up evaluates it.
      if (spec.lastFiredMicros !== undefined && r.freq !== FREQ_ONCE)
        place.sleep(book, r, wakeTime(r.freq, r.periodMicros, spec.lastFiredMicros));
      else place.arm(book, r);
      if (r.expiresAtMicros !== Infinity) expiries.push(r.expiresAtMicros, r);
    },
    remove,
    evaluate(symbol: string, ticks: readonly EvalTick[]): Firing[] {
      const out: Firing[] = [];
      const book = bookFor(symbol);
      for (let i = 0; i < ticks.length; i++) tick(book, ticks[i]!, out);
      return out;
    },
    expire(nowMicros: number): string[] {
      const ids: string[] = [];
      while (expiries.peekTime() <= nowMicros) {
        const r = expiries.pop();
        if (place.byId.get(r.id) === r && remove(r.id)) ids.push(r.id);
      }
      return ids.sort();
    },
    seedPrice(symbol: string, price: string, eventMicros: number): void {
      const book = bookFor(symbol);
      const t = eventMicros > book.lastMicros ? eventMicros : book.lastMicros;
      book.lastMicros = t;
      const key = priceKey(price);
      if (book.hasLast && cmp(price, key, book.lastStr, book.lastKey) !== 0) levels.reseed(book, price, key);
      windows.observe(book, t, key, price);
      book.forgetWindows();
      book.hasLast = true;
      book.lastStr = price;
      book.lastKey = key;
    },
    get size() {
      return place.byId.size;
    },
    has: (id: string) => place.byId.has(id),
  };
}
