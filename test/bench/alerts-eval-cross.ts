// Rules across instruments in the alerts-eval benchmark (run it with
// TICKDESK_BENCH_ALERT_PART=cross to measure only these): the same 1,000,000-rule workload
// with a tenth of its rules replaced by spreads, ratios and ANDs, through the cross
// evaluator (services/alerts/src/rules/cross-evaluator.ts), against the single-instrument
// index on the same ticks, and the BigInt reference on the first ticks.
import type { RuleSpec } from '../../services/alerts/src/rules/index.js';
import { createCrossEvaluator, createRuleIndex } from '../../services/alerts/src/rules/index.js';
import { createReferenceCrossEvaluator } from '../../services/alerts/src/rules/reference-cross.js';
import type { EvalTick, Firing, RuleEvaluator } from '../../services/alerts/src/rules/types.js';

type Batch = { symbol: string; ticks: EvalTick[] };
export interface CrossBenchContext {
  specs: RuleSpec[];
  symbols: string[];
  startCents: number[];
  cents: (c: number) => string;
  random: () => number;
  gauss: () => number;
  stream: () => (batches: number) => Batch[];
  load: (ev: RuleEvaluator, specs: RuleSpec[]) => number;
  run: (
    ev: RuleEvaluator,
    next: (batches: number) => Batch[],
    ticks: number,
  ) => { seconds: number; cpuSeconds: number; firings: Firing[][] };
  ticks: number;
  naiveTicks: number;
  fmt: (n: number) => string;
  out: (s: string) => void;
}

/** Spreads a − k·b with k the pair's price ratio (so the spread starts near 0), ratios a / b, and ANDs of two instruments. */
function crossRule(n: number, ctx: CrossBenchContext, series: number): RuleSpec {
  const { symbols, startCents, cents, random, gauss } = ctx;
  const s = n % series;
  const i = s % symbols.length;
  const j = (i + 1 + (Math.floor(s / symbols.length) % 7)) % symbols.length;
  const [a, b] = [symbols[i]!, symbols[j]!];
  const [pa, pb] = [startCents[i]!, startCents[j]!];
  const id = `x${n.toString(36)}`;
  const x = random();
  const frequency =
    random() < 0.6 ? { frequency: 'once' as const } : { frequency: 'every-time' as const, cooldownSeconds: 300 };
  if (x < 0.7) {
    const k = (pa / pb).toPrecision(4);
    const coefficient = `-${k}`;
    const threshold = cents(pa * gauss() * 0.03);
    return {
      id,
      symbol: a,
      condition: random() < 0.5 ? 'crossing' : 'greater-than',
      threshold: threshold.startsWith('0') || random() < 0.5 ? threshold : `-${threshold}`,
      series: {
        kind: 'spread',
        legs: [
          { symbol: a, coefficient: '1' },
          { symbol: b, coefficient },
        ],
      },
      ...frequency,
    };
  }
  if (x < 0.9)
    return {
      id,
      symbol: a,
      condition: random() < 0.5 ? 'crossing-up' : 'less-than',
      threshold: ((pa / pb) * (1 + gauss() * 0.03)).toPrecision(6).replace(/\.?0+$/, ''),
      series: { kind: 'ratio', numerator: a, denominator: b },
      ...frequency,
    };
  return {
    id,
    symbol: a,
    condition: 'crossing-up',
    threshold: cents(pa * (1 + Math.abs(gauss()) * 0.01)),
    and: [{ symbol: b, condition: 'greater-than', threshold: cents(pb * (1 + gauss() * 0.01)) }],
    ...frequency,
  };
}

export function crossBench(ctx: CrossBenchContext): string {
  const { specs, fmt, out } = ctx;
  const CROSS = Math.round(specs.length / 10);
  const SERIES = 5_000; // pairs: a spread and a ratio on each, each instrument a leg of about twenty series
  const mixed = specs.map((s, n) => (n % 10 === 9 ? crossRule(n, ctx, SERIES) : s));
  const kinds = { spread: 0, ratio: 0, and: 0 };
  for (const s of mixed) {
    if (s.series) kinds[s.series.kind]++;
    else if (s.and) kinds.and++;
  }
  const measure = (label: string, make: () => RuleEvaluator, rules: RuleSpec[]) => {
    const ev = make();
    const loadSeconds = ctx.load(ev, rules);
    const r = ctx.run(ev, ctx.stream(), ctx.ticks);
    const fired = r.firings.reduce((a, f) => a + f.length, 0);
    const row = {
      label,
      rate: ctx.ticks / r.seconds,
      cpuRate: ctx.ticks / r.cpuSeconds,
      loadSeconds,
      fired,
      firings: r.firings,
    };
    out(
      `${label}: load ${loadSeconds.toFixed(2)} s, ${fmt(row.rate)} ticks/s (${fmt(row.cpuRate)} per CPU-second), ${fmt(fired)} firings`,
    );
    return row;
  };
  const single = measure('rule index, the 1,000,000 single-instrument rules', createRuleIndex, specs);
  const cross = measure(`cross evaluator, ${fmt(CROSS)} of them rules across instruments`, createCrossEvaluator, mixed);
  const reference = createReferenceCrossEvaluator();
  ctx.load(reference, mixed);
  const naive = ctx.run(reference, ctx.stream(), ctx.naiveTicks);
  const naiveRate = ctx.naiveTicks / naive.seconds;
  const same = JSON.stringify(naive.firings) === JSON.stringify(cross.firings.slice(0, naive.firings.length));
  out(
    `BigInt reference: ${fmt(naiveRate)} ticks/s, firings ${same ? 'identical to' : 'DIFFERENT FROM'} the cross evaluator's`,
  );
  return [
    `Workload: the single-instrument workload above, with every tenth rule (${fmt(CROSS)}) replaced by a rule across instruments: ${fmt(kinds.spread)} spreads a − k × b (k the pair's price ratio to 4 digits, level within 3 % of a's price, crossing or greater-than), ${fmt(kinds.ratio)} ratios a / b (crossing-up or less-than within 3 % of the ratio), ${fmt(kinds.and)} ANDs (a crossing up, b greater than); pairs drawn from ${fmt(SERIES)} (a spread and a ratio of one pair being two series: up to ${fmt(2 * SERIES)} distinct series, each instrument a leg of about twenty); the volatile stream (σ 0.01 % a tick), ${fmt(ctx.ticks)} ticks. One run each.`,
    '',
    '| evaluator | rules | ticks/s | ticks per CPU-second | firings | notes |',
    '|---|---:|---:|---:|---:|---|',
    `| rule index, single-instrument rules only | ${fmt(specs.length)} | **${fmt(single.rate)}** | ${fmt(single.cpuRate)} | ${fmt(single.fired)} | load ${single.loadSeconds.toFixed(2)} s |`,
    `| cross evaluator, 90 % single-instrument, 10 % across instruments | ${fmt(mixed.length)} | **${fmt(cross.rate)}** | ${fmt(cross.cpuRate)} | ${fmt(cross.fired)} | load ${cross.loadSeconds.toFixed(2)} s; ${(single.rate / cross.rate).toFixed(1)}× the single-instrument cost per tick |`,
    `| BigInt reference (every rule on every tick) | ${fmt(mixed.length)} | ${fmt(naiveRate)} | ${fmt(ctx.naiveTicks / naive.cpuSeconds)} | ${fmt(naive.firings.flat().length)} | ${fmt(ctx.naiveTicks)} ticks; firings ${same ? 'identical to' : '**differ from**'} the cross evaluator's on them |`,
  ].join('\n');
}
