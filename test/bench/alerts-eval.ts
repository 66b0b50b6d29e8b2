// Alert rule evaluation, in process: 1,000,000 active rules over 1,000 instruments and a
// random-walk tick stream through the rule index, next to the naive reference scan over
// the same rules in the same run. Prints a table and rewrites the alerts-eval section of
// docs/benchmarks.md. Run (about two minutes; the heap needs more than Node's default):
//   node --max-old-space-size=6144 --expose-gc --conditions=tickdesk-source --import tsx test/bench/alerts-eval.ts
// TICKDESK_BENCH_ALERT_RULES, _TICKS, _NAIVE_TICKS, _REPEAT and _SEED adjust a run.
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuleCondition } from '@tickdesk/schemas';
// The alerts package's entry point does not export the evaluator yet: import the module itself.
import {
  createReferenceEvaluator,
  createRuleIndex,
  type EvalTick,
  type Firing,
  type RuleEvaluator,
  type RuleSpec,
} from '../../services/alerts/src/rules/index.js';
import { mulberry32 } from '@tickdesk/feed-synthetic';
import { crossBench } from './alerts-eval-cross.js';
import { writeSection } from './report.js';

const COMMAND =
  'node --max-old-space-size=6144 --expose-gc --conditions=tickdesk-source --import tsx test/bench/alerts-eval.ts';
const root = fileURLToPath(new URL('../../', import.meta.url));
const env = (name: string, fallback: number) => Number(process.env[`TICKDESK_BENCH_ALERT_${name}`] ?? fallback);
const RULES = env('RULES', 1_000_000);
const INSTRUMENTS = 1_000;
const TICKS = env('TICKS', 2_000_000);
const NAIVE_TICKS = env('NAIVE_TICKS', 200);
/** Each stream runs this many times on a freshly loaded index; the table gives the median and every run. */
const REPEAT = env('REPEAT', 3);
const BATCH = 20; // ticks per evaluate() call: one item of the ticks node carries 1–100
const TICK_GAP_MICROS = 100_000; // each instrument ticks 10 times a second of event time
const out = (s: string) => process.stdout.write(s + '\n');

/** mulberry32 and a normal deviate from it: the same workload on every run. */
function prng(seed: number) {
  const random = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return { random, gauss };
}
const { random, gauss } = prng(env('SEED', 42));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

/** Prices are integers of cents in the generator and canonical decimal strings everywhere else. */
const cents = (c: number): string => {
  const s = String(Math.max(1, Math.round(c))).padStart(3, '0');
  const frac = s.slice(-2).replace(/0+$/, '');
  return frac ? `${s.slice(0, -2)}.${frac}` : s.slice(0, -2);
};

const symbols = Array.from({ length: INSTRUMENTS }, (_, i) => `S${String(i).padStart(4, '0')}`);
const startCents = symbols.map(() => Math.round(10 ** (1 + random() * 4) * 100)); // 10 to 100,000
const START_MICROS = Date.UTC(2026, 0, 5) * 1000;

/** Rules as traders write them: levels and crossings near the price, some channels, some moves. */
function makeRule(n: number): RuleSpec {
  const i = n % INSTRUMENTS;
  const p = startCents[i]!;
  const near = () => cents(p * (1 + gauss() * 0.03));
  const x = random();
  const spec: RuleSpec = { id: `r${n.toString(36)}`, symbol: symbols[i]!, condition: 'crossing', frequency: 'once' };
  let condition: RuleCondition;
  if (x < 0.4) {
    condition = pick(['crossing', 'crossing-up', 'crossing-down'] as const);
    spec.threshold = near();
  } else if (x < 0.7) {
    // Alerts look away from the price: above it for greater-than, below it for less-than.
    condition = pick(['greater-than', 'less-than'] as const);
    const d = Math.abs(gauss() * 0.03) + 0.001;
    spec.threshold = cents(condition === 'greater-than' ? p * (1 + d) : p * (1 - d));
  } else if (x < 0.85) {
    condition = pick(['entering-channel', 'exiting-channel', 'inside-channel', 'outside-channel'] as const);
    const away = condition === 'entering-channel' || condition === 'inside-channel';
    const mid = away ? p * (1 + (random() < 0.5 ? -1 : 1) * (0.02 + random() * 0.04)) : p;
    const half = mid * (0.002 + random() * 0.01);
    [spec.lower, spec.upper] = [cents(mid - half), cents(mid + half)];
  } else {
    condition = pick(['moving-up', 'moving-down', 'moving-up-percent', 'moving-down-percent'] as const);
    spec.amount = condition.endsWith('percent') ? pick(['0.5', '1', '2', '5']) : cents(p * (0.005 + random() * 0.05));
    spec.windowSeconds = pick([60, 300, 3600]);
  }
  spec.condition = condition;
  const f = random();
  if (f < 0.2) Object.assign(spec, { frequency: 'once-per-bar', interval: pick(['1m', '1h'] as const) });
  else if (f < 0.4) Object.assign(spec, { frequency: 'every-time', cooldownSeconds: pick([60, 300, 900]) });
  return spec;
}

type Batch = { symbol: string; ticks: EvalTick[] };

/**
 * A random walk per instrument with σ per tick, in batches of one instrument's ticks,
 * made a chunk at a time: like ticks decoded from the feed just before evaluation, they
 * are fresh in the cache, not two million objects made long before.
 */
function tickStream(sigma: number): (batches: number) => Batch[] {
  const { random, gauss } = prng(env('SEED', 42) + 1);
  const price = [...startCents];
  const clock = symbols.map(() => START_MICROS);
  let seq = 0;
  return (count) => {
    const batches: Batch[] = [];
    for (let n = 0; n < count; n++) {
      const i = Math.floor(random() * INSTRUMENTS);
      const ticks: EvalTick[] = [];
      for (let k = 0; k < BATCH; k++) {
        price[i] = Math.max(1, Math.round(price[i]! * (1 + gauss() * sigma)));
        clock[i]! += TICK_GAP_MICROS;
        ticks.push({ seq: ++seq, price: cents(price[i]), eventMicros: clock[i]! });
      }
      batches.push({ symbol: symbols[i]!, ticks });
    }
    return batches;
  };
}

const gc = (globalThis as { gc?: () => void }).gc;
const heapMiB = () => {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function load(ev: RuleEvaluator, specs: RuleSpec[]): number {
  symbols.forEach((s, i) => ev.seedPrice(s, cents(startCents[i]!), START_MICROS));
  const t0 = performance.now();
  for (const spec of specs) ev.upsert(spec);
  return (performance.now() - t0) / 1000;
}

/**
 * Evaluate `ticks` ticks of a stream, made 10,000 at a time outside the clocks. Wall
 * time, and CPU time of this process: on a shared machine the second is the steadier.
 */
function run(
  ev: RuleEvaluator,
  next: (batches: number) => Batch[],
  ticks: number,
): { seconds: number; cpuSeconds: number; firings: Firing[][] } {
  const firings: Firing[][] = [];
  let seconds = 0;
  let cpuSeconds = 0;
  for (let left = Math.ceil(ticks / BATCH); left > 0;) {
    const batches = next(Math.min(left, 500));
    left -= batches.length;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (const b of batches) firings.push(ev.evaluate(b.symbol, b.ticks));
    seconds += (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    cpuSeconds += (cpu.user + cpu.system) / 1e6;
  }
  return { seconds, cpuSeconds, firings };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

out(`$ ${COMMAND}`);
const specs = Array.from({ length: RULES }, (_, n) => makeRule(n));
const counts = new Map<string, number>();
for (const s of specs) counts.set(s.condition, (counts.get(s.condition) ?? 0) + 1);
// σ per tick at 10 ticks a second: 0.01 % is about 2 % an hour (a busy crypto market), 0.05 % about 10 % an hour.
const STREAMS = [
  { label: 'volatile market, σ 0.01 % a tick', sigma: 0.0001 },
  { label: 'stress, σ 0.05 % a tick', sigma: 0.0005 },
];
out(
  `workload: ${fmt(RULES)} rules on ${INSTRUMENTS} instruments, ${fmt(TICKS)} ticks per stream in batches of ${BATCH}`,
);

// 0. Rules across instruments (alerts-eval-cross.ts); alone with TICKDESK_BENCH_ALERT_PART=cross.
const machineLine = () =>
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}. Command: \`TICKDESK_BENCH_ALERT_PART=cross ${COMMAND}\`. The machine is shared.`;
const cross = crossBench({
  specs,
  symbols,
  startCents,
  cents,
  random,
  gauss,
  stream: () => tickStream(STREAMS[0]!.sigma),
  load,
  run,
  ticks: TICKS,
  naiveTicks: Math.ceil(NAIVE_TICKS / BATCH) * BATCH,
  fmt,
  out,
});
writeSection(join(root, 'docs/benchmarks.md'), 'alerts-eval-cross', `${machineLine()}\n\n${cross}`);
if (process.env.TICKDESK_BENCH_ALERT_PART === 'cross') {
  out('docs/benchmarks.md updated (rules across instruments only)');
  process.exit(0);
}

// 1. The rule index, freshly loaded for each run (in a function, so that the previous
//    index is garbage when the next one is measured).
function measureIndex(stream: (typeof STREAMS)[number], attempt: number) {
  const heapBefore = heapMiB();
  const index = createRuleIndex();
  const loadSeconds = load(index, specs);
  const heap = heapMiB() - heapBefore;
  const rss = process.memoryUsage().rss / 2 ** 20;
  const r = run(index, tickStream(stream.sigma), TICKS);
  const fired = r.firings.reduce((a, f) => a + f.length, 0);
  const rate = TICKS / r.seconds;
  const cpuRate = TICKS / r.cpuSeconds;
  out(
    `rule index, ${stream.label}, run ${attempt}: load ${loadSeconds.toFixed(2)} s, +${fmt(heap)} MiB heap (rss ${fmt(rss)} MiB), ${fmt(rate)} ticks/s (${fmt(cpuRate)} per CPU-second), ${fmt(fired)} firings, ${fmt(index.size)} rules left`,
  );
  return {
    rate,
    cpuRate,
    loadSeconds,
    heap,
    rss,
    fired,
    left: index.size,
    firings: r.firings.slice(0, Math.ceil((NAIVE_TICKS * 50) / BATCH)),
  };
}
const indexRuns = STREAMS.map((stream) => {
  const runs = Array.from({ length: REPEAT }, (_, i) => measureIndex(stream, i + 1));
  const m = (f: (r: (typeof runs)[number]) => number) => median(runs.map(f));
  return {
    stream,
    runs,
    rate: m((r) => r.rate),
    cpuRate: m((r) => r.cpuRate),
    loadSeconds: m((r) => r.loadSeconds),
    heap: m((r) => r.heap),
    rss: m((r) => r.rss),
    first: runs[0]!,
  };
});
const volatile = { rate: indexRuns[0]!.rate, firings: indexRuns[0]!.first.firings };

// 2. The naive reference over all rules, then over the instrument's rules only (one
//    reference evaluator per instrument), on the first ticks of the volatile stream.
const naiveTicks = Math.ceil(NAIVE_TICKS / BATCH) * BATCH;
const naive = createReferenceEvaluator();
const naiveLoad = load(naive, specs);
const naiveRun = run(naive, tickStream(STREAMS[0]!.sigma), naiveTicks);
const naiveRate = naiveTicks / naiveRun.seconds;
const same = JSON.stringify(naiveRun.firings) === JSON.stringify(volatile.firings.slice(0, naiveRun.firings.length));
out(
  `naive scan: load ${naiveLoad.toFixed(2)} s, ${fmt(naiveRate)} ticks/s, firings ${same ? 'identical to' : 'DIFFERENT FROM'} the index's on the same ticks`,
);

const perInstrument = new Map<string, RuleEvaluator>(symbols.map((s) => [s, createReferenceEvaluator()]));
const byInstrument: RuleEvaluator = {
  upsert: (s) => perInstrument.get(s.symbol)!.upsert(s),
  remove: () => false,
  evaluate: (symbol, ticks) => perInstrument.get(symbol)!.evaluate(symbol, ticks),
  expire: () => [],
  seedPrice: (symbol, price, t) => perInstrument.get(symbol)!.seedPrice(symbol, price, t),
  size: 0,
  has: () => false,
};
load(byInstrument, specs);
const splitTicks = Math.ceil((NAIVE_TICKS * 50) / BATCH) * BATCH;
const splitRun = run(byInstrument, tickStream(STREAMS[0]!.sigma), splitTicks);
const splitRate = splitTicks / splitRun.seconds;
const splitSame =
  JSON.stringify(splitRun.firings) === JSON.stringify(volatile.firings.slice(0, splitRun.firings.length));
out(`naive scan per instrument: ${fmt(splitRate)} ticks/s, firings ${splitSame ? 'identical' : 'DIFFERENT'}`);

const mix = [...counts].map(([c, n]) => `${c} ${((100 * n) / RULES).toFixed(1)} %`).join(', ');
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
const table = [
  `Machine: ${machine}. Command: \`${COMMAND}\`. One process; each index row is the median of ${REPEAT} runs on a freshly loaded index (every run in the notes). The machine is shared, so read ratios and CPU-seconds rather than absolutes.`,
  '',
  `Workload: ${fmt(RULES)} rules on ${INSTRUMENTS} instruments (${mix}; 60 % once, 20 % once-per-bar, 20 % every-time with a 1 to 15 minute cooldown), thresholds and channels spread around each instrument's price (σ 3 %), moves over 1 minute to 1 hour; each instrument ticks 10 times a second of event time, as a random walk; ${fmt(TICKS)} ticks per stream in batches of ${BATCH} ticks of one instrument (one evaluate() call each). The naive scans run on the first ticks of the volatile stream and must return the index's firings.`,
  '',
  '| evaluator | ticks | ticks/s | vs naive scan | ticks per CPU-second | firings | notes |',
  '|---|---:|---:|---:|---:|---:|---|',
  ...indexRuns.map(
    (r) =>
      `| rule index, ${r.stream.label} | ${fmt(TICKS)} | **${fmt(r.rate)}** | **${fmt(r.rate / naiveRate)}×** | ${fmt(r.cpuRate)} | ${fmt(r.first.fired)} | runs: ${r.runs.map((x) => fmt(x.rate)).join(', ')} ticks/s; load ${r.loadSeconds.toFixed(2)} s; +${fmt(r.heap)} MiB heap, rss ${fmt(r.rss)} MiB after loading; ${fmt(r.first.left)} rules left |`,
  ),
  `| naive scan of every rule (reference evaluator) | ${fmt(naiveTicks)} | ${fmt(naiveRate)} | 1× | ${fmt(naiveTicks / naiveRun.cpuSeconds)} | ${fmt(naiveRun.firings.flat().length)} | load ${naiveLoad.toFixed(2)} s; firings ${same ? 'identical to' : '**differ from**'} the index's on these ticks |`,
  `| naive scan of the instrument's rules (a reference evaluator per instrument) | ${fmt(splitTicks)} | ${fmt(splitRate)} | ${fmt(splitRate / naiveRate)}× | ${fmt(splitTicks / splitRun.cpuSeconds)} | ${fmt(splitRun.firings.flat().length)} | the index (volatile stream) is ${fmt(volatile.rate / splitRate)}× faster; firings ${splitSame ? 'identical' : '**differ**'} |`,
].join('\n');
out('');
out(table);
writeSection(join(root, 'docs/benchmarks.md'), 'alerts-eval', table);
out('docs/benchmarks.md updated');
