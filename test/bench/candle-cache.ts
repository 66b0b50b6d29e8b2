// The candle route's cache of final-candle runs: the hand-written byte-bounded LRU the API
// had (byte-lru.ts, kept below as the reference) against the npm lru-cache package as the
// API now configures it (services/api/src/run-cache.ts: maxSize in bytes, sizeCalculation,
// ttl read on every get). The workload is the route's: keys as candle-pages.ts makes them,
// 500-candle runs of real Bar JSON (about 377 kB each as the route counts them), the
// default 32 MB bound. A hot set that fits is hit; a miss is a range never asked before,
// set after its (not measured) read, as the route does. Gets/s (a miss counts its set) at
// several hit ratios, the hit ratio reached, and the heap the cache holds beyond its
// values, as medians of interleaved rounds. Figures in docs/benchmarks.md. Run:
//   node --conditions=tickdesk-source --import tsx test/bench/candle-cache.ts
// (TICKDESK_BENCH_RUNS rounds per figure, 9 by default)
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LRUCache } from 'lru-cache';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MAX_BYTES = 32 * 2 ** 20;
const TTL_MS = 60_000;
const CANDLES = 500;
const HOT = 40; // the hot set: 40 runs of ~377 kB, half the bound, the other half for misses
const POOL = 400;
const OPS = 200_000;
const ROUNDS = Number(process.env.TICKDESK_BENCH_RUNS ?? 9);
const RATIOS = [1, 0.99, 0.9, 0.5, 0];

interface Run {
  starts: number[];
  bars: string[];
}
interface RunCache {
  get(key: string): Run | undefined;
  /** Counts the run's bytes with runBytes, as the route did for the one and sizeCalculation does for the other. */
  set(key: string, run: Run): void;
  entries(): number;
  bytes(): number;
}

// As candle-pages.ts counts a run: the bars, the prefix and at most two pages made of them.
const runBytes = (run: Run): number => 400 + run.starts.length * 16 + 4 * run.bars.reduce((n, b) => n + b.length, 0);

const bar = (i: number, k: number): string =>
  JSON.stringify({
    symbol: 'BTCUSDT',
    interval: '1m',
    start: new Date(Date.UTC(2026, 0, 1) + (i * CANDLES + k) * 60_000).toISOString(),
    open: (65000 + k).toFixed(2),
    high: (65010 + k).toFixed(2),
    low: (64990 + k).toFixed(2),
    close: (65005 + k).toFixed(2),
    volume: (12.3456 + k / 1000).toFixed(6),
    trades: 40 + (k % 17),
    final: true,
  });
const runsOf = (candles: number): Run[] =>
  Array.from({ length: POOL }, (_, i) => ({
    starts: Array.from({ length: candles }, (_, k) => (i * CANDLES + k) * 60_000_000),
    bars: Array.from({ length: candles }, (_, k) => bar(i, k)),
  }));
const pool = runsOf(CANDLES);
const sizes = pool.map(runBytes);
// Short runs (a page of 5 candles) make many entries: the per-entry cost of each structure shows.
const small = runsOf(5);
const key = (i: number): string => `1m:BTCUSDT|0|${i * 30_000_000_000}|${(i + 1) * 30_000_000_000}|${CANDLES}`;

/** The API's former cache (services/api/src/byte-lru.ts until lru-cache replaced it), as it was. */
function createByteLru<V>({
  maxBytes,
  ttlMs,
  now = Date.now,
}: {
  maxBytes: number;
  ttlMs: number;
  now?: () => number;
}) {
  const TOUCH_MS = 1_000; // a hit moved its entry to the recent end at most this often
  const entries = new Map<string, { value: V; bytes: number; expires: number; touched: number }>();
  let total = 0;
  const remove = (key: string, bytes: number) => {
    entries.delete(key);
    total -= bytes;
  };
  return {
    get(key: string): V | undefined {
      const entry = entries.get(key);
      if (!entry) return undefined;
      const t = now();
      if (entry.expires <= t) {
        remove(key, entry.bytes);
        return undefined;
      }
      if (t - entry.touched >= TOUCH_MS) {
        entries.delete(key);
        entries.set(key, entry);
        entry.touched = t;
      }
      return entry.value;
    },
    set(key: string, value: V, bytes: number): void {
      const old = entries.get(key);
      if (old) remove(key, old.bytes);
      if (bytes > maxBytes) return;
      const t = now();
      entries.set(key, { value, bytes, expires: t + ttlMs, touched: t });
      total += bytes;
      for (const [k, e] of entries) {
        if (total <= maxBytes) break;
        remove(k, e.bytes);
      }
    },
    size: (): number => entries.size,
    bytes: (): number => total,
  };
}

const implementations: Record<string, () => RunCache> = {
  'byte-lru (hand-written)': () => {
    const lru = createByteLru<Run>({ maxBytes: MAX_BYTES, ttlMs: TTL_MS });
    return {
      get: (k) => lru.get(k),
      set: (k, run) => lru.set(k, run, runBytes(run)),
      entries: lru.size,
      bytes: lru.bytes,
    };
  },
  'lru-cache 11 (as the API)': () => {
    const lru = new LRUCache<string, Run>({
      maxSize: MAX_BYTES,
      sizeCalculation: runBytes,
      ttl: TTL_MS,
      ttlResolution: 0,
      perf: { now: Date.now },
    });
    return {
      get: (k) => lru.get(k),
      set: (k, run) => void lru.set(k, run),
      entries: () => lru.size,
      bytes: () => lru.calculatedSize,
    };
  },
};

/** A deterministic sequence: which requests hit the hot set, and which hot key. */
function schedule(ratio: number): Uint32Array {
  let x = 0x9e3779b9;
  const next = () => ((x = (x ^ (x << 13)) >>> 0), (x = (x ^ (x >>> 17)) >>> 0), (x = (x ^ (x << 5)) >>> 0));
  return Uint32Array.from({ length: OPS }, () => (next() / 2 ** 32 < ratio ? next() % HOT : HOT + 1));
}

function round(make: () => RunCache, plan: Uint32Array): { getsPerS: number; hitRatio: number } {
  const cache = make();
  for (let h = 0; h < HOT; h++) cache.set(key(h), pool[h]!);
  let fresh = HOT;
  let hits = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) {
    const h = plan[i]!;
    const k = h < HOT ? key(h) : key(fresh++);
    if (cache.get(k) !== undefined) hits++;
    else {
      const v = h < HOT ? h : HOT + (fresh % (POOL - HOT));
      cache.set(k, pool[v]!);
    }
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { getsPerS: OPS / s, hitRatio: hits / OPS };
}

/** Heap a full cache holds beyond the runs (they live in the pool) and their keys: full against dropped, after GCs. */
function held(make: () => RunCache, runs: Run[], sets: number): { entries: number; counted: number; heap: number } {
  const keys = Array.from({ length: sets }, (_, i) => key(10_000 + i));
  const fill = () => {
    const cache = make();
    for (let i = 0; i < sets; i++) cache.set(keys[i]!, runs[i % POOL]!);
    gc();
    gc();
    return { entries: cache.entries(), counted: cache.bytes(), full: process.memoryUsage().heapUsed };
  };
  const { full, ...out } = fill();
  gc();
  gc();
  return { ...out, heap: full - process.memoryUsage().heapUsed };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const names = Object.keys(implementations);
console.log(
  `candle-cache: ${CANDLES}-candle runs of ${Math.round(median(sizes) / 1024)} kB counted, bound ${MAX_BYTES / 2 ** 20} MB, ` +
    `${OPS.toLocaleString('en')} gets a round, median of ${ROUNDS} interleaved rounds; node ${process.version}`,
);
for (const ratio of RATIOS) {
  const plan = schedule(ratio);
  const got: Record<string, { getsPerS: number[]; hitRatio: number[] }> = {};
  for (const n of names) got[n] = { getsPerS: [], hitRatio: [] };
  round(implementations[names[0]!]!, plan); // warm-up
  round(implementations[names[1]!]!, plan);
  for (let r = 0; r < ROUNDS; r++) {
    for (const n of r % 2 ? [...names].reverse() : names) {
      const out = round(implementations[n]!, plan);
      got[n]!.getsPerS.push(out.getsPerS);
      got[n]!.hitRatio.push(out.hitRatio);
    }
  }
  for (const n of names) {
    const g = got[n]!;
    console.log(
      `  hit ${(ratio * 100).toFixed(0).padStart(3)} %  ${n.padEnd(26)} ${Math.round(median(g.getsPerS)).toLocaleString('en').padStart(12)} gets/s` +
        `  (rounds ${Math.round(Math.min(...g.getsPerS)).toLocaleString('en')}–${Math.round(Math.max(...g.getsPerS)).toLocaleString('en')})` +
        `  hits reached ${(median(g.hitRatio) * 100).toFixed(1)} %`,
    );
  }
}
for (const [what, runs, sets] of [
  ['500-candle runs', pool, 4 * POOL],
  ['5-candle runs', small, 20_000],
] as const) {
  for (const n of names) {
    const m = [0, 1, 2].map(() => held(implementations[n]!, runs, sets));
    const h = median(m.map((x) => x.heap));
    console.log(
      `  memory  ${n.padEnd(26)} ${what}: ${m[0]!.entries.toLocaleString('en')} entries, ` +
        `${(m[0]!.counted / 2 ** 20).toFixed(1)} MB counted, ${(h / 1024).toFixed(0)} kB heap held beyond the runs`,
    );
  }
}
