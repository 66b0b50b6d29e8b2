import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../../test/support/seeded-random.js';
import { createReferenceEvaluator } from './reference-evaluator.js';
import { createRuleIndex } from './rule-index.js';
import type { EvalTick, RuleEvaluator, RuleSpec } from './types.js';

/** mulberry32: a small seeded PRNG, so that a failing case can be replayed from its seed. */
const prng = mulberry32;

const CONDITIONS: RuleSpec['condition'][] = [
  'crossing',
  'crossing-up',
  'crossing-down',
  'greater-than',
  'less-than',
  'entering-channel',
  'exiting-channel',
  'inside-channel',
  'outside-channel',
  'moving-up',
  'moving-down',
  'moving-up-percent',
  'moving-down-percent',
];
const UNIT = 10n ** 21n;
/** A sensor instrument: its values may be zero or negative. */
const SENSOR = 'S';

/** A canonical decimal from an integer of 10^-21 units. */
function decimal(units: bigint): string {
  if (units < 0n) return `-${decimal(-units)}`;
  const s = units.toString().padStart(22, '0');
  const frac = s.slice(-21).replace(/0+$/, '');
  return frac ? `${s.slice(0, -21)}.${frac}` : s.slice(0, -21);
}

class Gen {
  readonly r: () => number;
  time: number;
  constructor(readonly seed: number) {
    this.r = prng(seed);
    this.time = Math.floor(this.r() * 1e12);
  }
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  /**
   * Prices on a 0.1 grid from 0 to 4, sometimes nudged by 1e-18 or 1e-21 (ties in doubles);
   * a sensor's values (`signed`) on the same grid from -2 to 2, zero and its neighbours included.
   */
  price(signed = false): string {
    let units = BigInt(this.int(41) - (signed ? 20 : 0)) * (UNIT / 10n);
    const nudge = this.r();
    if (nudge < 0.1) units += this.pick([-1000n, 1000n, -1n, 1n]);
    return decimal(units < 0n && !signed ? 0n : units);
  }
  /** A walk on the same grid, so that ticks revisit rule prices. */
  step(prev: string | undefined, signed = false): string {
    if (prev === undefined || this.r() < 0.15) return this.price(signed);
    const units = BigInt(Math.round(Number(prev) * 10)) + BigInt(this.int(5) - 2);
    return decimal(units < 0n && !signed ? 0n : units * (UNIT / 10n));
  }
  micros(): number {
    const x = this.r();
    // Mostly forwards, sometimes the same instant, sometimes a little back in time.
    this.time +=
      x < 0.1 ? 0 : x < 0.15 ? -300_000 : this.pick([100_000, 500_000, 1_000_000, 2_000_000, 7_000_000, 61_000_000]);
    return this.time;
  }
  rule(symbols: string[]): RuleSpec {
    const condition = this.pick(CONDITIONS);
    const spec: RuleSpec = { id: `r${this.int(40)}`, symbol: this.pick(symbols), condition, frequency: 'once' };
    const signed = spec.symbol === SENSOR;
    if (condition.includes('channel')) {
      const [a, b] = [this.price(signed), this.price(signed)];
      [spec.lower, spec.upper] = Number(a) <= Number(b) ? [a, b] : [b, a];
    } else if (condition.startsWith('moving')) {
      spec.amount = condition.endsWith('percent')
        ? this.pick(['1', '2.5', '5', '10', '12.5', '25', '33.333333333333333333', '50', '100', '0.000000000000000001'])
        : this.pick(['0.1', '0.2', '0.3', '0.5', '1', '0.000000000000000001', '0.100000000000000000001']);
      spec.windowSeconds = this.pick([1, 2, 5, 60]);
    } else {
      spec.threshold = this.price(signed);
    }
    const f = this.r();
    if (f < 0.3) spec.frequency = 'once';
    else if (f < 0.55) Object.assign(spec, { frequency: 'once-per-bar', interval: this.pick(['1s', '1m'] as const) });
    else Object.assign(spec, { frequency: 'every-time', cooldownSeconds: this.pick([0, 0, 1, 3, undefined]) });
    if (this.r() < 0.15) spec.expiresAtMicros = this.time + this.int(60_000_000);
    if (this.r() < 0.15) spec.lastFiredMicros = this.time - this.int(90_000_000);
    return spec;
  }
}

/** Deep equality for what the evaluators return (undefined fields count as absent, like toEqual). */
function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const k of keys) if (!equal(ra[k], rb[k])) return false;
  return true;
}

/** One random session applied to both evaluators; returns the number of firings compared. */
function session(seed: number, ops: number): number {
  const g = new Gen(seed);
  const x = g.r();
  // SENSOR's values and thresholds are signed: below, at and above zero.
  const symbols = x < 0.25 ? ['A'] : x < 0.5 ? [SENSOR] : x < 0.75 ? ['A', 'B'] : ['A', SENSOR];
  const evs: RuleEvaluator[] = [createRuleIndex(), createReferenceEvaluator()];
  const [index, ref] = evs as [RuleEvaluator, RuleEvaluator];
  const last = new Map<string, string>();
  let seq = 0;
  let firings = 0;
  // expect() only on a difference: building its messages for every op would dominate the run.
  const same = (got: unknown, want: unknown, what: () => string): void => {
    if (!equal(got, want)) expect(got, `seed ${seed}: ${what()}`).toEqual(want);
  };
  const both = <T>(f: (e: RuleEvaluator) => T, what: string): void => same(f(index), f(ref), () => what);
  for (let i = 0, n = g.int(25); i < n; i++) {
    const spec = g.rule(symbols);
    evs.forEach((e) => e.upsert({ ...spec }));
  }
  for (let op = 0; op < ops; op++) {
    const x = g.r();
    if (x < 0.55) {
      const symbol = g.pick(symbols);
      const batch: EvalTick[] = [];
      for (let i = 0, n = 1 + g.int(6); i < n; i++) {
        const price = g.step(last.get(symbol), symbol === SENSOR);
        last.set(symbol, price);
        batch.push({ seq: ++seq, price, eventMicros: g.micros() });
      }
      const got = index.evaluate(symbol, batch);
      same(got, ref.evaluate(symbol, batch), () => `op ${op} evaluate ${symbol} ${JSON.stringify(batch)}`);
      firings += got.length;
    } else if (x < 0.8) {
      const spec = g.rule(symbols);
      evs.forEach((e) => e.upsert({ ...spec }));
    } else if (x < 0.9) {
      const id = `r${g.int(40)}`;
      both((e) => e.remove(id), `op ${op} remove ${id}`);
    } else if (x < 0.95) {
      const now = g.time + g.int(30_000_000);
      both((e) => e.expire(now), `op ${op} expire ${now}`);
    } else {
      const symbol = g.pick(symbols);
      const price = g.price(symbol === SENSOR);
      last.set(symbol, price);
      const t = g.micros();
      evs.forEach((e) => e.seedPrice(symbol, price, t));
    }
    both((e) => e.size, `op ${op} size`);
  }
  for (let i = 0; i < 40; i++) both((e) => e.has(`r${i}`), `has r${i}`);
  return firings;
}

describe('rule index against the reference evaluator', () => {
  // About 4 s on a quiet 2-core machine; the timeout leaves room for a busy one.
  it('gives the same firings in the same order on 4,000 random sessions', { timeout: 30_000 }, () => {
    let firings = 0;
    for (let seed = 1; seed <= 4000; seed++) firings += session(seed, 40);
    expect(firings).toBeGreaterThan(10_000); // the sessions do exercise firing
  });

  it.each(['A', SENSOR])(
    'agrees on long sessions with many rules on %s (index chunks split and merge)',
    { timeout: 30_000 },
    (symbol) => {
      const g = new Gen(99);
      const evs: RuleEvaluator[] = [createRuleIndex(), createReferenceEvaluator()];
      for (let i = 0; i < 3000; i++) {
        const spec = { ...g.rule([symbol]), id: `q${i}` };
        if (spec.condition.startsWith('moving') && g.r() < 0.8) continue; // keep the reference quick
        evs.forEach((e) => e.upsert({ ...spec }));
      }
      let price: string | undefined;
      for (let b = 0; b < 60; b++) {
        const batch: EvalTick[] = [];
        for (let i = 0; i < 10; i++)
          batch.push({ seq: b * 10 + i, price: (price = g.step(price, symbol === SENSOR)), eventMicros: g.micros() });
        expect(evs[0]!.evaluate(symbol, batch)).toEqual(evs[1]!.evaluate(symbol, batch));
        for (let i = 0; i < 50; i++) {
          const spec = { ...g.rule([symbol]), id: `q${g.int(3000)}` };
          evs.forEach((e) => e.upsert({ ...spec }));
        }
        expect(evs[0]!.size).toBe(evs[1]!.size);
      }
    },
  );
});
