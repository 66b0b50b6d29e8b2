import { createReferenceEvaluator } from './reference-evaluator.js';
import { checkSpec, DEFAULT_COOLDOWN_SECONDS, MAX_WINDOW_SECONDS } from './spec.js';
import type { EvalTick, Firing, RuleEvaluator, RuleSpec } from './types.js';

/** A rational n ÷ d with d > 0, in plain BigInt: the oracle never rounds. */
interface Q {
  n: bigint;
  d: bigint;
}

function q(decimal: string): Q {
  const negative = decimal.startsWith('-');
  const [int, frac = ''] = (negative ? decimal.slice(1) : decimal).split('.');
  const n = BigInt(int! + frac);
  return { n: negative ? -n : n, d: 10n ** BigInt(frac.length) };
}
const sign = (x: bigint): number => (x > 0n ? 1 : x < 0n ? -1 : 0);
/** The sign of a − b: for a ratio a = p₁/p₂ and b = T, the sign of p₁ − T × p₂ (both denominators positive). */
const cmpQ = (a: Q, b: Q): number => sign(a.n * b.d - b.n * a.d);

/** A rational whose denominator is a power of ten, as a decimal string. */
function decimalOf(x: Q): string {
  if (x.n < 0n) return `-${decimalOf({ n: -x.n, d: x.d })}`;
  const digits = x.d.toString().length - 1;
  const s = x.n.toString().padStart(digits + 1, '0');
  const frac = s.slice(s.length - digits).replace(/0+$/, '');
  const int = s.slice(0, s.length - digits);
  return frac ? `${int}.${frac}` : int;
}

interface Leg {
  last?: string;
  t: number;
}

interface CrossRule {
  spec: RuleSpec;
  symbols: string[];
  dormantUntil: number;
  /** The series it reads (keyOf), if any. */
  key?: string;
}

/**
 * A series while some rule reads it: its values from the legs' prices when it was first
 * read, then on every tick or seeded price of a leg (a ratio whose denominator is ≤ 0 has
 * none for a while and keeps its last).
 */
interface SeriesState {
  spec: RuleSpec;
  symbols: string[];
  history: Array<{ t: number; v: Q }>;
  last?: Q;
  prev?: Q;
  /** The tick that last gave it a value. */
  at: number;
}

const BAR = { '1s': 1_000_000, '1m': 60_000_000, '1h': 3_600_000_000 } as const;

/**
 * The oracle for cross-evaluator.ts, written from its stated semantics: every rule looked
 * at on every tick, the series' values and every comparison in exact rationals.
 */
export function createReferenceCrossEvaluator(): RuleEvaluator {
  const plain = createReferenceEvaluator();
  const rules = new Map<string, CrossRule>();
  const legs = new Map<string, Leg>();
  const leg = (s: string): Leg => legs.get(s) ?? legs.set(s, { t: -Infinity }).get(s)!;
  const series = new Map<string, SeriesState>();
  const keyOf = (spec: RuleSpec): string => JSON.stringify(spec.series);
  let tickNo = 0;

  /** The series' value at the legs' prices now, recorded; false when it has none. */
  function observe(st: SeriesState): boolean {
    const v = value(st.spec, (y) => leg(y).last);
    if (v === undefined) return false;
    const t = Math.max(...st.symbols.map((y) => leg(y).t));
    st.history = st.history.filter((h) => h.t > t - MAX_WINDOW_SECONDS * 1_000_000);
    st.history.push({ t, v });
    st.prev = st.last;
    st.last = v;
    return true;
  }
  /** A series no rule reads any more is forgotten: read again later, it starts afresh. */
  const readers = new Map<string, number>();
  function drop(id: string): boolean {
    const r = rules.get(id);
    if (!r) return false;
    rules.delete(id);
    if (!r.spec.series) return true;
    const k = r.key!;
    const n = readers.get(k)! - 1;
    if (n > 0) readers.set(k, n);
    else {
      readers.delete(k);
      series.delete(k);
    }
    return true;
  }

  const symbolsOf = (s: RuleSpec): string[] => {
    const out = [s.symbol];
    if (s.series?.kind === 'spread') for (const l of s.series.legs) if (!out.includes(l.symbol)) out.push(l.symbol);
    if (s.series?.kind === 'ratio' && !out.includes(s.series.denominator)) out.push(s.series.denominator);
    for (const c of s.and ?? []) if (!out.includes(c.symbol)) out.push(c.symbol);
    return out;
  };

  /** The series' value at these prices, or undefined (a price unknown, a ratio's denominator ≤ 0). */
  function value(s: RuleSpec, price: (symbol: string) => string | undefined): Q | undefined {
    const series = s.series!;
    if (series.kind === 'ratio') {
      const a = price(series.numerator);
      const b = price(series.denominator);
      if (a === undefined || b === undefined) return undefined;
      const [x, y] = [q(a), q(b)];
      if (y.n <= 0n) return undefined;
      return { n: x.n * y.d, d: x.d * y.n };
    }
    let sum: Q = { n: 0n, d: 1n };
    for (const l of series.legs) {
      const p = price(l.symbol);
      if (p === undefined) return undefined;
      const [c, x] = [q(l.coefficient), q(p)];
      const term = { n: c.n * x.n, d: c.d * x.d };
      const d = sum.d > term.d ? sum.d : term.d;
      sum = { n: sum.n * (d / sum.d) + term.n * (d / term.d), d };
    }
    return sum;
  }

  /** Whether a level, crossing or channel condition holds from prev to cur (rationals). */
  function holds(
    c: Pick<RuleSpec, 'condition' | 'threshold' | 'lower' | 'upper'>,
    prev: Q | undefined,
    cur: Q,
  ): boolean {
    const T = c.threshold === undefined ? undefined : q(c.threshold);
    const inside = (x: Q) => cmpQ(x, q(c.lower!)) >= 0 && cmpQ(x, q(c.upper!)) <= 0;
    const up = prev !== undefined && T !== undefined && cmpQ(prev, T) < 0 && cmpQ(cur, T) >= 0;
    const down = prev !== undefined && T !== undefined && cmpQ(prev, T) > 0 && cmpQ(cur, T) <= 0;
    switch (c.condition) {
      case 'crossing':
        return up || down;
      case 'crossing-up':
        return up;
      case 'crossing-down':
        return down;
      case 'greater-than':
        return cmpQ(cur, T!) > 0;
      case 'less-than':
        return cmpQ(cur, T!) < 0;
      case 'inside-channel':
        return inside(cur);
      case 'outside-channel':
        return !inside(cur);
      case 'entering-channel':
        return prev !== undefined && !inside(prev) && inside(cur);
      case 'exiting-channel':
        return prev !== undefined && inside(prev) && !inside(cur);
      default:
        throw new Error(`no such condition here: ${c.condition}`);
    }
  }

  /** A series rule on a tick of `x` (its series observed already): the firing, or undefined. */
  function seriesFiring(r: CrossRule, x: string, tick: EvalTick): Firing | undefined {
    const s = r.spec;
    const st = series.get(r.key!)!;
    if (st.at !== tickNo) return undefined;
    const [prev, cur] = [st.prev, st.last!];
    const t = Math.max(...r.symbols.map((y) => leg(y).t));
    if (t < r.dormantUntil || (s.expiresAtMicros !== undefined && t >= s.expiresAtMicros)) return undefined;
    let reference: Q | undefined;
    if (s.condition.startsWith('moving')) {
      const upward = s.condition === 'moving-up';
      const inWindow = st.history.filter((h) => h.t > t - s.windowSeconds! * 1_000_000).map((h) => h.v);
      reference = inWindow.reduce((a, b) => ((upward ? cmpQ(b, a) < 0 : cmpQ(b, a) > 0) ? b : a));
      const move = upward
        ? { n: cur.n * reference.d - reference.n * cur.d, d: cur.d * reference.d }
        : { n: reference.n * cur.d - cur.n * reference.d, d: cur.d * reference.d };
      if (cmpQ(move, q(s.amount!)) < 0) return undefined;
    } else if (!holds(s, prev, cur)) return undefined;
    const spread = s.series!.kind === 'spread';
    return {
      ruleId: s.id,
      symbol: s.symbol,
      seq: tick.seq,
      price: spread ? decimalOf(cur) : leg(s.symbol).last!,
      previousPrice: spread && prev !== undefined ? decimalOf(prev) : undefined,
      reference: reference && decimalOf(reference),
      eventMicros: tick.eventMicros,
      ...(x === s.symbol ? {} : { leg: x }),
      legs: r.symbols.map((y) => ({ symbol: y, price: leg(y).last! })),
    };
  }

  function andFiring(
    r: CrossRule,
    x: string,
    tick: EvalTick,
    prevOf: (s: string) => string | undefined,
  ): Firing | undefined {
    const s = r.spec;
    const t = Math.max(...r.symbols.map((y) => leg(y).t));
    if (t < r.dormantUntil || (s.expiresAtMicros !== undefined && t >= s.expiresAtMicros)) return undefined;
    for (const c of [s, ...s.and!]) {
      const now = leg(c.symbol).last;
      if (now === undefined) return undefined;
      const transition = ['crossing-up', 'crossing-down', 'entering-channel', 'exiting-channel'].includes(c.condition);
      if (transition && c.symbol !== x) return undefined;
      const before = c.symbol === x ? prevOf(x) : now;
      if (!holds(c as RuleSpec, before === undefined ? undefined : q(before), q(now))) return undefined;
    }
    return {
      ruleId: s.id,
      symbol: s.symbol,
      seq: tick.seq,
      price: leg(s.symbol).last!,
      ...(x === s.symbol ? { previousPrice: prevOf(x) } : { leg: x }),
      eventMicros: tick.eventMicros,
      legs: r.symbols.map((y) => ({ symbol: y, price: leg(y).last! })),
    };
  }

  function quiet(r: CrossRule, t: number): void {
    const s = r.spec;
    if (s.frequency === 'once-per-bar') r.dormantUntil = (Math.floor(t / BAR[s.interval!]) + 1) * BAR[s.interval!];
    else r.dormantUntil = t + (s.cooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS) * 1_000_000;
  }

  return {
    upsert(spec) {
      plain.remove(spec.id);
      drop(spec.id);
      if (!spec.series && !spec.and) return plain.upsert(spec);
      checkSpec(spec);
      const r: CrossRule = { spec: { ...spec }, symbols: symbolsOf(spec), dormantUntil: -Infinity, key: keyOf(spec) };
      if (spec.lastFiredMicros !== undefined && spec.frequency !== 'once') quiet(r, spec.lastFiredMicros);
      rules.set(spec.id, r);
      if (spec.series) readers.set(keyOf(spec), (readers.get(keyOf(spec)) ?? 0) + 1);
      if (spec.series && !series.has(keyOf(spec))) {
        const st: SeriesState = { spec: r.spec, symbols: r.symbols, history: [], at: -1 };
        series.set(keyOf(spec), st);
        observe(st);
      }
    },
    remove(id) {
      return drop(id) || plain.remove(id);
    },
    evaluate(symbol, ticks, owns = () => true) {
      const out: Firing[] = [];
      for (const tick of ticks) {
        const fired = owns(symbol) ? plain.evaluate(symbol, [tick]) : [];
        const l = leg(symbol);
        const before = l.last;
        l.last = tick.price;
        l.t = Math.max(l.t, tick.eventMicros);
        const prevOf = (y: string) => (y === symbol ? before : leg(y).last);
        tickNo++;
        for (const st of series.values()) if (st.symbols.includes(symbol) && observe(st)) st.at = tickNo;
        for (const r of [...rules.values()]) {
          if (!r.symbols.includes(symbol)) continue;
          const f = r.spec.series ? seriesFiring(r, symbol, tick) : andFiring(r, symbol, tick, prevOf);
          if (!f || !owns(r.spec.symbol)) continue;
          fired.push(f);
          if (r.spec.frequency === 'once') drop(r.spec.id);
          else quiet(r, Math.max(...r.symbols.map((y) => leg(y).t)));
        }
        out.push(...fired.sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0)));
      }
      return out;
    },
    expire(nowMicros) {
      const ids = [...rules.values()]
        .filter((r) => r.spec.expiresAtMicros !== undefined && r.spec.expiresAtMicros <= nowMicros)
        .map((r) => r.spec.id);
      for (const id of ids) drop(id);
      return [...ids, ...plain.expire(nowMicros)].sort();
    },
    seedPrice(symbol, price, eventMicros) {
      plain.seedPrice(symbol, price, eventMicros);
      const l = leg(symbol);
      l.last = price;
      l.t = Math.max(l.t, eventMicros);
      for (const st of series.values()) if (st.symbols.includes(symbol)) observe(st);
    },
    get size() {
      return plain.size + rules.size;
    },
    has: (id) => rules.has(id) || plain.has(id),
  };
}
