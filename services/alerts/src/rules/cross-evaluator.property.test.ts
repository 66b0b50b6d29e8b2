import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../../test/support/seeded-random.js';
import { createCrossEvaluator } from './cross-evaluator.js';
import { createReferenceCrossEvaluator } from './reference-cross.js';
import type { RuleEvaluator, RuleSpec } from './types.js';

const SYMBOLS = ['A', 'B', 'C'];
const LEVELS: RuleSpec['condition'][] = [
  'crossing',
  'crossing-up',
  'crossing-down',
  'greater-than',
  'less-than',
  'entering-channel',
  'exiting-channel',
  'inside-channel',
  'outside-channel',
];
const AND_PARTS: RuleSpec['condition'][] = [
  'crossing-up',
  'crossing-down',
  'greater-than',
  'less-than',
  'inside-channel',
  'outside-channel',
  'entering-channel',
  'exiting-channel',
];
const COEFFICIENTS = ['1', '-1', '-15', '0.5', '-2.25', '3', '-0.125'];

class Gen {
  readonly r: () => number;
  time = 1_000_000_000;
  constructor(seed: number) {
    this.r = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  /** Prices on a coarse grid (so that spreads and ratios land on thresholds), sometimes zero. */
  price(): string {
    const tenths = this.int(60);
    return this.r() < 0.05 ? '0' : tenths % 10 === 0 ? String(tenths / 10) : (tenths / 10).toFixed(1);
  }
  /** Signed levels for spreads, on a grid of quarters. */
  spreadLevel(): string {
    const quarters = this.int(161) - 80;
    return String(quarters / 4);
  }
  ratioLevel(): string {
    return this.pick(['0.5', '1', '1.5', '2', '3', '0.3333333333', '0.25', '4']);
  }
  micros(): number {
    const x = this.r();
    this.time += x < 0.1 ? 0 : x < 0.15 ? -300_000 : this.pick([100_000, 1_000_000, 7_000_000, 61_000_000]);
    return this.time;
  }
  level(spec: RuleSpec, make: () => string): void {
    if (spec.condition.includes('channel')) {
      const [a, b] = [make(), make()];
      [spec.lower, spec.upper] = Number(a) <= Number(b) ? [a, b] : [b, a];
    } else spec.threshold = make();
  }
  frequency(spec: RuleSpec): void {
    const f = this.pick(['once', 'once-per-bar', 'every-time'] as const);
    spec.frequency = f;
    if (f === 'once-per-bar') spec.interval = this.pick(['1s', '1m'] as const);
    if (f === 'every-time') spec.cooldownSeconds = this.pick([0, 1, 5, 60]);
    if (this.r() < 0.1) spec.expiresAtMicros = this.time + this.int(200) * 1_000_000;
  }
  rule(id: string): RuleSpec {
    const kind = this.pick(['plain', 'spread', 'ratio', 'and'] as const);
    const [a, b, c] = [...SYMBOLS].sort(() => this.r() - 0.5) as [string, string, string];
    const spec: RuleSpec = { id, symbol: a, condition: 'crossing', frequency: 'once' };
    if (kind === 'plain') {
      spec.condition = this.pick(LEVELS);
      this.level(spec, () => this.price());
    } else if (kind === 'spread') {
      const moving = this.r() < 0.2;
      spec.condition = moving ? this.pick(['moving-up', 'moving-down'] as const) : this.pick(LEVELS);
      const legs = [a, b, ...(this.r() < 0.3 ? [c] : [])].map((symbol, i) => ({
        symbol,
        coefficient: i === 0 ? this.pick(['1', '2', '-1']) : this.pick(COEFFICIENTS),
      }));
      spec.series = { kind: 'spread', legs };
      if (moving) {
        spec.amount = this.pick(['0.5', '1', '2.5', '10']);
        spec.windowSeconds = this.pick([1, 5, 60]);
      } else this.level(spec, () => this.spreadLevel());
    } else if (kind === 'ratio') {
      spec.condition = this.pick(LEVELS);
      spec.series = { kind: 'ratio', numerator: a, denominator: b };
      this.level(spec, () => this.ratioLevel());
    } else {
      const transition = (x: string) =>
        ['crossing-up', 'crossing-down', 'entering-channel', 'exiting-channel'].includes(x);
      spec.condition = this.pick(AND_PARTS);
      this.level(spec, () => this.price());
      let transitions = transition(spec.condition) ? 1 : 0;
      spec.and = Array.from({ length: 1 + this.int(3) }, () => {
        let condition = this.pick(AND_PARTS);
        while (transition(condition) && transitions > 0) condition = this.pick(AND_PARTS);
        if (transition(condition)) transitions++;
        const part: RuleSpec = { id, symbol: this.pick([b, c, a]), condition, frequency: 'once' };
        this.level(part, () => this.price());
        return { symbol: part.symbol, condition, threshold: part.threshold, lower: part.lower, upper: part.upper };
      }).map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as typeof p);
    }
    this.frequency(spec);
    return spec;
  }
}

function run(seed: number, owns: (s: string) => boolean) {
  const g = new Gen(seed);
  const evaluators: RuleEvaluator[] = [createCrossEvaluator(), createReferenceCrossEvaluator()];
  const rules = Array.from({ length: 12 }, (_, i) => g.rule(`r${String(i).padStart(2, '0')}`));
  for (const ev of evaluators) for (const r of rules) ev.upsert(r);
  const trace: unknown[][] = [[], []];
  const last = new Map<string, string>();
  let seq = 1;
  for (let step = 0; step < 150; step++) {
    const symbol = g.pick(SYMBOLS);
    const x = g.r();
    if (x < 0.03) {
      const price = g.price();
      const t = g.micros();
      evaluators.forEach((ev) => ev.seedPrice(symbol, price, t));
      continue;
    }
    if (x < 0.05) {
      const now = g.time + g.int(100) * 1_000_000;
      evaluators.forEach((ev, i) => trace[i]!.push({ expired: ev.expire(now) }));
      continue;
    }
    if (x < 0.07) {
      const id = g.pick(rules).id;
      evaluators.forEach((ev, i) => trace[i]!.push({ removed: ev.remove(id) }));
      continue;
    }
    if (x < 0.12) {
      // A rule added or replaced while prices are known: its series starts from the legs' prices now.
      const r = g.rule(`r${String(g.int(16)).padStart(2, '0')}`);
      evaluators.forEach((ev) => ev.upsert(r));
      continue;
    }
    const n = 1 + g.int(3);
    const ticks = Array.from({ length: n }, () => {
      // A walk, so that prices revisit thresholds; sometimes a jump.
      const prev = last.get(symbol);
      const price =
        prev === undefined || g.r() < 0.2
          ? g.price()
          : Math.max(0, Number(prev) + (g.int(5) - 2) / 10)
              .toFixed(1)
              .replace(/\.0$/, '');
      last.set(symbol, price);
      return { seq: seq++, price, eventMicros: g.micros() };
    });
    evaluators.forEach((ev, i) => trace[i]!.push(...ev.evaluate(symbol, ticks, owns)));
    evaluators.forEach((ev, i) => trace[i]!.push({ size: ev.size }));
  }
  return trace;
}

describe('cross-instrument rules: the evaluator against the BigInt reference', () => {
  it('fires the same rules on the same ticks with the same fields, 120 random desks', () => {
    let firings = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const [mine, oracle] = run(seed, () => true);
      expect(mine, `seed ${seed}`).toEqual(oracle);
      firings += mine!.filter((e) => (e as { ruleId?: string }).ruleId !== undefined).length;
    }
    // The generator reaches firings at all (a test that compares two empty lists proves nothing).
    expect(firings).toBeGreaterThan(400);
  }, 60_000);

  it('with several engines: only the rules whose own instrument this engine holds fire, on every leg tick', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const [mine, oracle] = run(seed, (s) => s !== 'B');
      expect(mine, `seed ${seed}`).toEqual(oracle);
    }
  }, 60_000);
});
