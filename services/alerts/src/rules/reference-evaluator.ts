import { compareDecimal, Decimal } from '@tickdesk/schemas';
import { checkSpec, DEFAULT_COOLDOWN_SECONDS, MAX_WINDOW_SECONDS } from './spec.js';
import type { EvalTick, Firing, RuleEvaluator, RuleSpec } from './types.js';

// Prices have at most 40 characters, so products have at most 80 digits: exact at 200.
const Exact = Decimal.clone({ precision: 200 });
const BAR_MICROS = { '1s': 1_000_000, '1m': 60_000_000, '1h': 3_600_000_000 } as const;

interface Instrument {
  last?: string;
  lastMicros: number;
  history: Array<{ t: number; price: string }>;
}

/** Lowest (or highest) price with time in (t − w, t]; the current tick is always in the history. */
function extreme(history: Instrument['history'], t: number, windowSeconds: number, lowest: boolean): string {
  let best: string | undefined;
  for (const h of history) {
    if (h.t <= t - windowSeconds * 1_000_000) continue;
    if (best === undefined || (lowest ? compareDecimal(h.price, best) < 0 : compareDecimal(h.price, best) > 0))
      best = h.price;
  }
  return best!;
}

/** Whether the rule's condition holds on a tick from `prev` to `p`, and the window reference for moves. */
function condition(
  s: RuleSpec,
  prev: string | undefined,
  p: string,
  inst: Instrument,
  t: number,
): { holds: boolean; reference?: string } {
  const vs = (x: string | undefined) => compareDecimal(p, x!);
  const inside = (x: string) => compareDecimal(x, s.lower!) >= 0 && compareDecimal(x, s.upper!) <= 0;
  switch (s.condition) {
    case 'crossing-up':
      return { holds: prev !== undefined && compareDecimal(prev, s.threshold!) < 0 && vs(s.threshold) >= 0 };
    case 'crossing-down':
      return { holds: prev !== undefined && compareDecimal(prev, s.threshold!) > 0 && vs(s.threshold) <= 0 };
    case 'crossing':
      return {
        holds:
          prev !== undefined &&
          ((compareDecimal(prev, s.threshold!) < 0 && vs(s.threshold) >= 0) ||
            (compareDecimal(prev, s.threshold!) > 0 && vs(s.threshold) <= 0)),
      };
    case 'greater-than':
      return { holds: vs(s.threshold) > 0 };
    case 'less-than':
      return { holds: vs(s.threshold) < 0 };
    case 'inside-channel':
      return { holds: inside(p) };
    case 'outside-channel':
      return { holds: !inside(p) };
    case 'entering-channel':
      return { holds: prev !== undefined && !inside(prev) && inside(p) };
    case 'exiting-channel':
      return { holds: prev !== undefined && inside(prev) && !inside(p) };
    case 'moving-up':
    case 'moving-up-percent': {
      const low = extreme(inst.history, t, s.windowSeconds!, true);
      const move = new Exact(p).minus(low);
      return {
        holds: s.condition === 'moving-up' ? move.gte(s.amount!) : move.times(100).gte(new Exact(s.amount!).times(low)),
        reference: low,
      };
    }
    case 'moving-down':
    case 'moving-down-percent': {
      const high = extreme(inst.history, t, s.windowSeconds!, false);
      const move = new Exact(high).minus(p);
      return {
        holds:
          s.condition === 'moving-down' ? move.gte(s.amount!) : move.times(100).gte(new Exact(s.amount!).times(high)),
        reference: high,
      };
    }
  }
}

/** After a firing at event time t: dormant until the next bar, or for the cooldown. */
function quietAfter(rule: { spec: RuleSpec; dormantUntil: number }, t: number): void {
  const s = rule.spec;
  if (s.frequency === 'once-per-bar')
    rule.dormantUntil = (Math.floor(t / BAR_MICROS[s.interval!]) + 1) * BAR_MICROS[s.interval!];
  else rule.dormantUntil = t + (s.cooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS) * 1_000_000;
}

/**
 * The oracle for the rule index: every rule is looked at on every tick, written as
 * plainly as the semantics in rule-index.ts allow. Slow by design.
 */
export function createReferenceEvaluator(): RuleEvaluator {
  const rules = new Map<string, { spec: RuleSpec; dormantUntil: number }>();
  const instruments = new Map<string, Instrument>();
  const instrument = (symbol: string): Instrument => {
    if (!instruments.has(symbol)) instruments.set(symbol, { lastMicros: -Infinity, history: [] });
    return instruments.get(symbol)!;
  };
  const observe = (inst: Instrument, price: string, eventMicros: number): number => {
    const t = Math.max(inst.lastMicros, eventMicros);
    inst.lastMicros = t;
    inst.history = inst.history.filter((h) => h.t > t - MAX_WINDOW_SECONDS * 1_000_000);
    inst.history.push({ t, price });
    return t;
  };

  return {
    upsert(spec) {
      checkSpec(spec);
      const rule = { spec: { ...spec }, dormantUntil: -Infinity };
      if (spec.lastFiredMicros !== undefined && spec.frequency !== 'once') quietAfter(rule, spec.lastFiredMicros);
      rules.set(spec.id, rule);
    },
    remove: (id) => rules.delete(id),
    evaluate(symbol, ticks: readonly EvalTick[]) {
      const inst = instrument(symbol);
      const out: Firing[] = [];
      for (const tick of ticks) {
        const t = observe(inst, tick.price, tick.eventMicros);
        const fired: Firing[] = [];
        for (const [id, rule] of rules) {
          const s = rule.spec;
          if (s.symbol !== symbol || t < rule.dormantUntil) continue;
          if (s.expiresAtMicros !== undefined && t >= s.expiresAtMicros) continue;
          const c = condition(s, inst.last, tick.price, inst, t);
          if (!c.holds) continue;
          fired.push({
            ruleId: id,
            symbol,
            seq: tick.seq,
            price: tick.price,
            previousPrice: inst.last,
            reference: c.reference,
            eventMicros: tick.eventMicros,
          });
          if (s.frequency === 'once') rules.delete(id);
          else quietAfter(rule, t);
        }
        out.push(...fired.sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0)));
        inst.last = tick.price;
      }
      return out;
    },
    expire(nowMicros) {
      const ids = [...rules]
        .filter(([, r]) => r.spec.expiresAtMicros !== undefined && r.spec.expiresAtMicros <= nowMicros)
        .map(([id]) => id);
      for (const id of ids) rules.delete(id);
      return ids.sort();
    },
    seedPrice(symbol, price, eventMicros) {
      const inst = instrument(symbol);
      observe(inst, price, eventMicros);
      inst.last = price;
    },
    get size() {
      return rules.size;
    },
    has: (id) => rules.has(id),
  };
}
