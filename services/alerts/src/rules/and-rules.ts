import { compareDecimal, type RuleCondition } from '@tickdesk/schemas';
import { FREQ_ONCE, frequencyCode, periodMicros, wakeTime } from './spec.js';
import type { EvalTick, Firing, RuleSpec } from './types.js';

/** One condition of an AND rule, on one instrument. */
interface Part {
  symbol: string;
  condition: RuleCondition;
  threshold?: string;
  lower?: string;
  upper?: string;
}

interface AndRule {
  id: string;
  symbol: string;
  parts: Part[];
  /** Its instruments, each once, its own first. */
  symbols: string[];
  freq: number;
  periodMicros: number;
  expiresAtMicros: number;
  wake: number;
}

/** What the AND rules read of an instrument: its last price, the one before, its latest event time. */
export interface LegState {
  last?: string;
  lastMicros: number;
}

const inside = (p: Part, x: string): boolean => compareDecimal(x, p.lower!) >= 0 && compareDecimal(x, p.upper!) <= 0;

/**
 * Whether one part holds on a tick of `ticking` from `prev` to `cur` (semantics in
 * cross-evaluator.ts): a part on another instrument is judged at that one's last price,
 * and its transitions cannot happen on this tick.
 */
function partHolds(
  p: Part,
  ticking: string,
  prev: string | undefined,
  cur: string,
  legs: Map<string, LegState>,
): boolean {
  const mine = p.symbol === ticking;
  const x = mine ? cur : legs.get(p.symbol)?.last;
  if (x === undefined) return false;
  switch (p.condition) {
    case 'greater-than':
      return compareDecimal(x, p.threshold!) > 0;
    case 'less-than':
      return compareDecimal(x, p.threshold!) < 0;
    case 'inside-channel':
      return inside(p, x);
    case 'outside-channel':
      return !inside(p, x);
    case 'crossing-up':
      return (
        mine && prev !== undefined && compareDecimal(prev, p.threshold!) < 0 && compareDecimal(x, p.threshold!) >= 0
      );
    case 'crossing-down':
      return (
        mine && prev !== undefined && compareDecimal(prev, p.threshold!) > 0 && compareDecimal(x, p.threshold!) <= 0
      );
    case 'entering-channel':
      return mine && prev !== undefined && !inside(p, prev) && inside(p, x);
    case 'exiting-channel':
      return mine && prev !== undefined && inside(p, prev) && !inside(p, x);
    default:
      throw new Error(`not a condition of an AND: ${p.condition}`);
  }
}

/**
 * The AND rules: each is looked at on every tick of any of its instruments, so a tick
 * costs O(k) for the k AND rules on its instrument (at most the rules a trader may store:
 * TICKDESK_ALERTS_MAX_RULES_PER_TRADER), not indexed by threshold.
 */
export class AndRules {
  private readonly byId = new Map<string, AndRule>();
  private readonly bySymbol = new Map<string, Set<AndRule>>();

  get size(): number {
    return this.byId.size;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  watches(symbol: string): boolean {
    return (this.bySymbol.get(symbol)?.size ?? 0) > 0;
  }

  upsert(spec: RuleSpec): void {
    this.remove(spec.id);
    const parts: Part[] = [
      {
        symbol: spec.symbol,
        condition: spec.condition,
        threshold: spec.threshold,
        lower: spec.lower,
        upper: spec.upper,
      },
      ...spec.and!.map((c) => ({ ...c, condition: c.condition as RuleCondition })),
    ];
    const freq = frequencyCode(spec);
    const period = periodMicros(spec);
    const r: AndRule = {
      id: spec.id,
      symbol: spec.symbol,
      parts,
      symbols: [...new Set(parts.map((p) => p.symbol))],
      freq,
      periodMicros: period,
      expiresAtMicros: spec.expiresAtMicros ?? Infinity,
      wake:
        spec.lastFiredMicros !== undefined && freq !== FREQ_ONCE
          ? wakeTime(freq, period, spec.lastFiredMicros)
          : -Infinity,
    };
    this.byId.set(r.id, r);
    for (const p of r.symbols) {
      let set = this.bySymbol.get(p);
      if (!set) this.bySymbol.set(p, (set = new Set()));
      set.add(r);
    }
  }

  remove(id: string): boolean {
    const r = this.byId.get(id);
    if (!r) return false;
    this.byId.delete(id);
    for (const s of r.symbols) this.bySymbol.get(s)?.delete(r);
    return true;
  }

  /**
   * The AND rules that fire on a tick of `symbol` (its price already in `legs`); `prev`: its
   * price before; `latest`: the event time of a set of instruments.
   */
  tick(
    symbol: string,
    tick: EvalTick,
    prev: string | undefined,
    legs: Map<string, LegState>,
    owns: (home: string) => boolean,
    latest: (symbols: readonly string[]) => number,
    out: Firing[],
  ): void {
    for (const r of this.bySymbol.get(symbol) ?? []) {
      if (!owns(r.symbol)) continue;
      const t = latest(r.symbols);
      if (t < r.wake || t >= r.expiresAtMicros) continue;
      if (!r.parts.every((p) => partHolds(p, symbol, prev, tick.price, legs))) continue;
      out.push({
        ruleId: r.id,
        symbol: r.symbol,
        seq: tick.seq,
        price: symbol === r.symbol ? tick.price : legs.get(r.symbol)!.last!,
        ...(symbol === r.symbol ? { previousPrice: prev } : { leg: symbol }),
        legs: r.symbols.map((s) => ({ symbol: s, price: s === symbol ? tick.price : legs.get(s)!.last! })),
        eventMicros: tick.eventMicros,
      });
      if (r.freq === FREQ_ONCE) this.remove(r.id);
      else r.wake = wakeTime(r.freq, r.periodMicros, t);
    }
  }

  /** Remove the rules whose expiry ≤ now; their ids. */
  expire(nowMicros: number): string[] {
    const ids = [...this.byId.values()].filter((r) => r.expiresAtMicros <= nowMicros).map((r) => r.id);
    for (const id of ids) this.remove(id);
    return ids;
  }
}
