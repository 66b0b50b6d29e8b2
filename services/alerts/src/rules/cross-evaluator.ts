/**
 * Rules across instruments, on top of the rule index (docs/alerts-protocol.md "Rules
 * across instruments"). Semantics, which reference-cross.ts implements independently:
 * - A spread Σ cᵢ × pᵢ or a ratio p₁ ÷ p₂ is a series of its own with a value on every
 *   tick of any of its legs once every leg has a last price (a ratio also needs p₂ > 0);
 *   before that it has no value and its rules cannot fire. Its rules are the rule index's
 *   rules on that series, with every operator and frequency meaning what it means for a
 *   price: a crossing compares the series' value before and after the tick. A spread is
 *   an exact decimal sum; a ratio compared with T is the sign of p₁ − T × p₂ (ratioKey).
 * - An AND rule holds on a tick of one of its instruments when every condition holds:
 *   a level or channel condition at its instrument's current price (this tick's for the
 *   ticking instrument, the last one for the others); a one-way crossing or a channel
 *   entry/exit only on a tick of its own instrument, from the price before to this one
 *   (so at most one is allowed per rule). It fires on such ticks as its frequency permits
 *   (once: on the tick that makes all hold). An instrument without a price yet holds nothing.
 * - Event time of a series or an AND rule: the latest event time among its instruments'
 *   ticks (and seeded prices); bars, cooldowns, windows and expiry run on it.
 * - Firings carry the rule's symbol; the price is the spread's value, or for a ratio
 *   and an AND the rule's symbol's price; `leg` names the ticking instrument when it is
 *   another, `legs` every instrument's price. Within a tick, firings are ordered by rule id.
 * Cost: a tick of an instrument no cross rule reads goes to the index as a batch; one that
 * some read is evaluated tick by tick, once per series it is a leg of (each an indexed
 * evaluation, O(log n + k)), plus a look at each AND rule that reads it.
 */
import { AndRules, type LegState } from './and-rules.js';
import { createRuleIndex } from './rule-index.js';
import { seriesKey, seriesSymbols, seriesValue } from './series-value.js';
import type { EvalTick, Firing, RuleEvaluator, RuleSpec } from './types.js';

interface Series {
  key: string;
  spec: NonNullable<RuleSpec['series']>;
  symbols: string[];
  rules: number;
}

const byRuleId = (a: Firing, b: Firing): number => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0);
const everything = (): boolean => true;

export function createCrossEvaluator(base: RuleEvaluator = createRuleIndex()): RuleEvaluator {
  const legs = new Map<string, LegState>();
  const series = new Map<string, Series>();
  const seriesByRule = new Map<string, Series>();
  const readers = new Map<string, Set<Series>>();
  const ands = new AndRules();
  // A series read again after no rule read it starts afresh, in a book of its own.
  let generation = 0;

  const leg = (symbol: string): LegState => {
    let l = legs.get(symbol);
    if (!l) legs.set(symbol, (l = { lastMicros: -Infinity }));
    return l;
  };
  const latest = (symbols: readonly string[]): number => Math.max(...symbols.map((s) => leg(s).lastMicros));
  const valueOf = (s: Series): string | undefined =>
    seriesValue(
      s.spec,
      s.symbols.map((x) => legs.get(x)?.last),
    );

  function unregister(id: string): void {
    const s = seriesByRule.get(id);
    if (!s) return;
    seriesByRule.delete(id);
    if (--s.rules > 0) return;
    series.delete(seriesKey(s.spec));
    for (const x of s.symbols) readers.get(x)?.delete(s);
  }

  function remove(id: string): boolean {
    if (ands.remove(id)) return true;
    unregister(id);
    return base.remove(id);
  }

  function register(spec: RuleSpec): string {
    const name = seriesKey(spec.series!);
    let s = series.get(name);
    if (!s) {
      const key = `${name}#${++generation}`;
      s = { key, spec: spec.series!, symbols: seriesSymbols(spec.series!), rules: 0 };
      series.set(name, s);
      for (const x of s.symbols) {
        let set = readers.get(x);
        if (!set) readers.set(x, (set = new Set()));
        set.add(s);
      }
      // A series no rule read went without values: its book starts from the legs' prices now.
      const v = valueOf(s);
      if (v !== undefined) base.seedPrice(key, v, latest(s.symbols));
    }
    s.rules++;
    seriesByRule.set(spec.id, s);
    return s.key;
  }

  const reads = (symbol: string): boolean => (readers.get(symbol)?.size ?? 0) > 0 || ands.watches(symbol);

  function seriesTick(s: Series, x: string, tick: EvalTick, owns: (s: string) => boolean, out: Firing[]): void {
    const v = valueOf(s);
    if (v === undefined) return;
    const home = s.symbols[0]!;
    const t = latest(s.symbols);
    if (!owns(home)) return base.seedPrice(s.key, v, t);
    const ratio = s.spec.kind === 'ratio';
    for (const f of base.evaluate(s.key, [{ seq: tick.seq, price: v, eventMicros: t }])) {
      if (!base.has(f.ruleId)) unregister(f.ruleId); // fired once
      out.push({
        ...f,
        symbol: home,
        price: ratio ? legs.get(home)!.last! : f.price,
        previousPrice: ratio ? undefined : f.previousPrice,
        eventMicros: tick.eventMicros,
        ...(x === home ? {} : { leg: x }),
        legs: s.symbols.map((y) => ({ symbol: y, price: legs.get(y)!.last! })),
      });
    }
  }

  function tickOf(symbol: string, tick: EvalTick, owns: (s: string) => boolean, out: Firing[]): void {
    const start = out.length;
    if (owns(symbol)) out.push(...base.evaluate(symbol, [tick]));
    const l = leg(symbol);
    const prev = l.last;
    l.last = tick.price;
    if (tick.eventMicros > l.lastMicros) l.lastMicros = tick.eventMicros;
    for (const s of readers.get(symbol) ?? []) seriesTick(s, symbol, tick, owns, out);
    ands.tick(symbol, tick, prev, legs, owns, latest, out);
    if (out.length - start > 1) {
      const mine = out.splice(start).sort(byRuleId);
      for (const f of mine) out.push(f);
    }
  }

  return {
    upsert(spec: RuleSpec): void {
      remove(spec.id);
      if (spec.and !== undefined) return ands.upsert(spec);
      if (spec.series === undefined) return base.upsert(spec);
      const { series: _series, ...plain } = spec;
      const key = register(spec);
      try {
        base.upsert({ ...plain, symbol: key });
      } catch (err) {
        unregister(spec.id);
        throw err;
      }
    },
    remove,
    /** `owns`: whether this engine evaluates the rules of that symbol (several engines); the others' ticks only move their series. */
    evaluate(symbol: string, ticks: readonly EvalTick[], owns: (symbol: string) => boolean = everything): Firing[] {
      if (!reads(symbol)) {
        for (const t of ticks) {
          const l = leg(symbol);
          l.last = t.price;
          if (t.eventMicros > l.lastMicros) l.lastMicros = t.eventMicros;
        }
        return owns(symbol) ? base.evaluate(symbol, ticks) : [];
      }
      const out: Firing[] = [];
      for (const t of ticks) tickOf(symbol, t, owns, out);
      return out;
    },
    expire(nowMicros: number): string[] {
      const ids = [...base.expire(nowMicros), ...ands.expire(nowMicros)];
      for (const id of ids) unregister(id);
      return ids.sort();
    },
    seedPrice(symbol: string, price: string, eventMicros: number): void {
      base.seedPrice(symbol, price, eventMicros);
      const l = leg(symbol);
      l.last = price;
      if (eventMicros > l.lastMicros) l.lastMicros = eventMicros;
      for (const s of readers.get(symbol) ?? []) {
        const v = valueOf(s);
        if (v !== undefined) base.seedPrice(s.key, v, latest(s.symbols));
      }
    },
    get size() {
      return base.size + ands.size;
    },
    has: (id: string) => base.has(id) || ands.has(id),
    reads,
  };
}
