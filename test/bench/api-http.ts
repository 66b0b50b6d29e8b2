// REST API over HTTP: requests per second and latency of GET …/last and GET …/candles
// next to a trivial route registered on the same app (same plugins and hooks), with
// autocannon, in several runs (ratios are taken within a run). Redis is private and
// seeded with the recorder's own store. Prints a table and rewrites the `api-http`
// section of docs/benchmarks.md.
// Run: node --conditions=tickdesk-source --import tsx test/bench/api-http.ts
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { FastifyPluginAsync } from 'fastify';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { DEFAULT_INSTRUMENTS, formatMicros, type Tick } from '@tickdesk/schemas';
import { createAlertStore, createAuditChain, createRuleStore } from '@tickdesk/alerts';
import { createRecorderStore, finalField, resolveRecorderConfig, type Candle } from '@tickdesk/recorder';
import { freePort, newRedisPassword, REDIS_ADMIN_RULES, startRedis } from '@tickdesk/infra';
import { buildApp, DESK_ROUTES, resolveApiConfig, USERS_KEY } from '@tickdesk/api';
import { writeSection } from './report.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SECONDS = Number(process.env.TICKDESK_BENCH_SECONDS ?? 5);
const WARMUP_S = Number(process.env.TICKDESK_BENCH_WARMUP ?? 2);
const CONNECTIONS = Number(process.env.TICKDESK_BENCH_CONNECTIONS ?? 10);
const RUNS = Number(process.env.TICKDESK_BENCH_RUNS ?? 3);
const CANDLES = 5_000;
/** A chart of 4 hours of 1m candles: what the dashboard asks for. */
const PAGE = 240;
/** The recorder's default: the newest 10 buckets per series stay open, older ones are final. */
const OPEN_BUCKETS = 10;
const DOMAIN = 'desk.localhost';
const PASSWORD = 'bench-password';
/** Comma-separated parts of route paths to run alone (for profiling); docs/benchmarks.md is then left alone. */
const ONLY = process.env.TICKDESK_BENCH_ONLY?.split(',').filter(Boolean);
const out = (s: string) => process.stdout.write(s + '\n');

// autocannon ships no types; the little of its programmatic API used here.
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  latency: { p50: number; p99: number; average: number };
  throughput: { total: number };
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  workers?: number;
  headers?: Record<string, string>;
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

// 1. A private Redis with a trader and the recorder's keys, written by the recorder's store.
const dir = mkdtempSync(join(tmpdir(), 'tickdesk-bench-api-'));
const redisServer = await startRedis({
  dir,
  port: await freePort(),
  users: [{ name: 'bench', password: newRedisPassword(), rules: REDIS_ADMIN_RULES }],
});
// As server.ts connects it: auto-pipelining on.
const redis = new Redis(redisServer.url, { enableAutoPipelining: true });
let closeApp: () => Promise<void> = async () => undefined;
let flushes: NodeJS.Timeout | undefined;
const cleanup = async () => {
  clearInterval(flushes);
  await closeApp();
  redis.disconnect();
  await redisServer.stop();
  rmSync(dir, { recursive: true, force: true });
};
const fail = (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  void cleanup().finally(() => process.exit(1));
};
process.once('uncaughtException', fail);
process.once('unhandledRejection', fail);

await redis.hset(USERS_KEY, 'alice', 'trader');
const recorderConfig = resolveRecorderConfig();
const store = createRecorderStore({
  redis,
  limits: { maxTicksPerInstrument: recorderConfig.maxTicksPerInstrument, candleLimits: recorderConfig.candleLimits },
});
const MINUTE = 60_000_000;
const nowMicros = Date.now() * 1000;
const decimals = (step: string) => (step.split('.')[1] ?? '').length;
let seed = 42;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;

const last = new Map<string, Tick>();
DEFAULT_INSTRUMENTS.forEach((ins, i) => {
  const price = (Number(ins.referencePrice ?? '100') * (1 + (random() - 0.5) / 100)).toFixed(decimals(ins.tickSize));
  const t = formatMicros(nowMicros - i * 1000);
  last.set(ins.symbol, {
    symbol: ins.symbol,
    seq: 1_000_000 + i,
    price,
    size: (Number(ins.lotSize) * (1 + Math.floor(random() * 50))).toFixed(decimals(ins.lotSize)),
    side: random() < 0.5 ? 'buy' : 'sell',
    eventTime: t,
    ingestTime: t,
  });
});
// 1m candles of BTCUSDT up to the current minute: a random walk around the reference price.
const candles = new Map<string, Candle>();
const firstStart = (Math.floor(nowMicros / MINUTE) - CANDLES + 1) * MINUTE;
let close = 65_000;
for (let i = 0; i < CANDLES; i++) {
  const start = firstStart + i * MINUTE;
  const open = close;
  close = Math.max(1, open * (1 + (random() - 0.5) * 0.004));
  const high = Math.max(open, close) * (1 + random() * 0.001);
  const low = Math.min(open, close) * (1 - random() * 0.001);
  candles.set(`1m|BTCUSDT|${start}`, {
    symbol: 'BTCUSDT',
    interval: '1m',
    start,
    open: open.toFixed(2),
    high: high.toFixed(2),
    low: low.toFixed(2),
    close: close.toFixed(2),
    volume: (random() * 40).toFixed(3),
    trades: 50 + Math.floor(random() * 2_000),
  });
}
// With them, the final mark the recorder publishes: every bucket but the newest OPEN_BUCKETS is closed.
const finalThrough = firstStart + (CANDLES - OPEN_BUCKETS - 1) * MINUTE;
await store.write({
  ticks: new Map(),
  last,
  candles,
  tickCount: 0,
  final: new Map([[finalField('1m', 'BTCUSDT'), finalThrough]]),
});
const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
// A live desk while the routes are measured: the recorder flushes every 50 ms, each flush
// rewriting the open candle and the last price (one trade per flush here).
const FLUSH_MS = 50;
const openId = `1m|BTCUSDT|${firstStart + (CANDLES - 1) * MINUTE}`;
let openCandle = candles.get(openId)!;
let lastTick = last.get('BTCUSDT')!;
flushes = setInterval(() => {
  const price = (Number(openCandle.close) * (1 + (random() - 0.5) / 1_000)).toFixed(2);
  openCandle = {
    ...openCandle,
    close: price,
    high: Number(price) > Number(openCandle.high) ? price : openCandle.high,
    low: Number(price) < Number(openCandle.low) ? price : openCandle.low,
    volume: (Number(openCandle.volume) + 0.001).toFixed(3),
    trades: openCandle.trades + 1,
  };
  lastTick = {
    ...lastTick,
    seq: lastTick.seq + 1,
    price,
    eventTime: formatMicros(Date.now() * 1000),
    ingestTime: formatMicros(Date.now() * 1000),
  };
  void store.write({
    ticks: new Map(),
    last: new Map([['BTCUSDT', lastTick]]),
    candles: new Map([[openId, openCandle]]),
    tickCount: 0,
  });
}, FLUSH_MS);

// 2. The app as server.ts builds it (desk routes included), plus the trivial routes under /v1.
const Ok = {
  type: 'object',
  properties: { ok: { type: 'boolean' } },
  required: ['ok'],
  additionalProperties: false,
} as const;
const trivialRoutes: FastifyPluginAsync = async (v1) => {
  v1.get('/trivial', { schema: { response: { 200: Ok } } }, async () => ({ ok: true }));
  v1.get('/trivial-auth', { onRequest: v1.authenticate, schema: { response: { 200: Ok } } }, async () => ({
    ok: true,
  }));
};
const deskApp = async (candleCacheMb?: number) => {
  const app = await buildApp({
    deps: {
      redis,
      log: pino({ level: 'warn' }),
      domain: DOMAIN,
      instruments: DEFAULT_INSTRUMENTS,
      rules: createRuleStore({ redis }),
      alerts: createAlertStore({ redis }),
      audit: createAuditChain({ redis, key: { key: randomBytes(32).toString('base64url'), keyedFrom: 1 } }),
    },
    config: resolveApiConfig({
      secret: 'bench-secret-bench-secret-bench-secret',
      ...(candleCacheMb === undefined ? {} : { candleCacheMb }),
    }),
    verifyPassword: async (user, password) => user === 'alice' && password === PASSWORD,
    routes: [...DESK_ROUTES, trivialRoutes],
  });
  await app.listen({ port: await freePort(), host: '127.0.0.1' });
  return { app, base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
};
// The second app has the candle cache off: every page is read from Redis, as before there was one.
const [{ app, base }, uncached] = [await deskApp(), await deskApp(0)];
closeApp = async () => {
  await app.close();
  await uncached.app.close();
};

// A real token, by the login route.
const login = await fetch(`${base}/v1/auth/token`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ jid: `alice@${DOMAIN}`, password: PASSWORD }),
});
if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
const { token } = (await login.json()) as { token: string };
const headers = { authorization: `Bearer ${token}` };

const chartFrom = firstStart + (CANDLES - PAGE) * MINUTE;
const pastFrom = chartFrom - 2 * PAGE * MINUTE;
const candlesOf = (from: number, to?: number) =>
  `/v1/instruments/BTCUSDT/candles?interval=1m&from=${encodeURIComponent(formatMicros(from))}${to === undefined ? '' : `&to=${encodeURIComponent(formatMicros(to))}`}`;
const pageOf = (n: number) => (b: unknown) => (b as { candles?: unknown[] }).candles?.length === n;
// The dashboard's own backfill (ui/src/lib/stores/chart.ts): the last 5,000 1m candles up to now, from on the hour, one page.
const HOUR = 60 * MINUTE;
const backfillFrom = Math.max(firstStart, Math.floor((nowMicros - 5_000 * MINUTE) / HOUR) * HOUR);
const backfillCount = CANDLES - (backfillFrom - firstStart) / MINUTE;
const ROUTES: Array<{ label: string; path: string; base?: string; check: (body: unknown) => boolean }> = [
  {
    label: 'GET /v1/trivial (no token, `{"ok":true}`)',
    path: '/v1/trivial',
    check: (b) => (b as { ok?: boolean }).ok === true,
  },
  {
    label: 'GET /v1/instruments/BTCUSDT/last',
    path: '/v1/instruments/BTCUSDT/last',
    check: (b) => (b as { symbol?: string }).symbol === 'BTCUSDT',
  },
  {
    label: `GET …/candles, chart: 1m, last 4 h up to now (${PAGE} candles; the ${OPEN_BUCKETS} open ones read from Redis each time, the newest rewritten every ${FLUSH_MS} ms)`,
    path: candlesOf(chartFrom),
    check: pageOf(PAGE),
  },
  {
    label: `GET …/candles, history: 1m, 4 h from 12 h ago (${PAGE} candles, all final)`,
    path: candlesOf(pastFrom, pastFrom + PAGE * MINUTE),
    check: pageOf(PAGE),
  },
  {
    label: `GET …/candles, the dashboard's backfill: 1m, last 5,000 up to now, limit 5,100 (${backfillCount.toLocaleString('en-US')} candles)`,
    path: `${candlesOf(backfillFrom)}&limit=5100`,
    check: pageOf(backfillCount),
  },
  {
    label: `GET …/candles, chart, candle cache off (TICKDESK_API_CANDLE_CACHE_MB=0)`,
    path: candlesOf(chartFrom),
    base: uncached.base,
    check: pageOf(PAGE),
  },
  {
    label: 'GET /v1/trivial-auth (trivial + bearer token check)',
    path: '/v1/trivial-auth',
    check: (b) => (b as { ok?: boolean }).ok === true,
  },
];

// 3. Each route measured between two measurements of the trivial route (T A T B T …), and its
//    ratio taken to the mean of those two, so that load from elsewhere on a shared machine
//    drifts out. autocannon runs in a worker thread so that the app has the main thread's
//    event loop to itself. Besides requests/s: the CPU time of the app's thread per request,
//    which other processes hardly disturb.
interface Row {
  rps: number;
  p50: number;
  p99: number;
  bytes: number;
  busy: number;
  cpuUs: number;
}
const threadCpuMicros = (): number => {
  try {
    // Linux: utime and stime of the main thread, in USER_HZ (100) ticks.
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
};
async function measure(r: (typeof ROUTES)[number]): Promise<Row> {
  const url = (r.base ?? base) + r.path;
  const res = await fetch(url, { headers });
  const text = await res.text();
  if (res.status !== 200 || !r.check(JSON.parse(text)))
    throw new Error(`${r.path}: ${res.status} ${text.slice(0, 300)}`);
  await autocannon({ url, connections: CONNECTIONS, duration: WARMUP_S, workers: 1, headers });
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = threadCpuMicros();
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, workers: 1, headers });
  const cpu = threadCpuMicros() - cpu0;
  const elu = performance.eventLoopUtilization(elu0);
  if (result.errors || result.timeouts || result.non2xx)
    throw new Error(`${r.path}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`);
  // CPU per request includes the worker's start-up and wind-down, a few ms per window.
  return {
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    bytes: Buffer.byteLength(text),
    busy: elu.utilization,
    cpuUs: cpu / result['2xx'],
  };
}
const show = (run: number, label: string, row: Row, ratio = '') =>
  out(
    `run ${run}: ${label}: ${Math.round(row.rps)} req/s${ratio}, p50 ${row.p50} ms, p99 ${row.p99} ms, ${row.bytes} bytes, app loop ${Math.round(row.busy * 100)} % busy, app thread ${row.cpuUs.toFixed(0)} µs CPU/request`,
  );

const selected = ROUTES.filter((x) => !ONLY || ONLY.some((o) => x.path.includes(o)));
if (ONLY) {
  for (let run = 1; run <= RUNS; run++) for (const r of selected) show(run, r.label, await measure(r));
  await cleanup();
  process.exit(0);
}
const [trivialRoute, ...others] = ROUTES;
interface Paired {
  row: Row;
  ratio: number;
  cpuRatio: number;
}
const results = new Map<string, Paired[]>(ROUTES.map((r) => [r.label, []]));
for (let run = 1; run <= RUNS; run++) {
  let before = await measure(trivialRoute!);
  show(run, trivialRoute!.label, before);
  results.get(trivialRoute!.label)!.push({ row: before, ratio: 1, cpuRatio: 1 });
  for (const r of others) {
    const row = await measure(r);
    const after = await measure(trivialRoute!);
    const paired = {
      row,
      ratio: row.rps / ((before.rps + after.rps) / 2),
      cpuRatio: (before.cpuUs + after.cpuUs) / 2 / row.cpuUs,
    };
    results.get(r.label)!.push(paired);
    show(run, r.label, row, ` (${paired.ratio.toFixed(2)}× trivial; by app CPU ${paired.cpuRatio.toFixed(2)}×)`);
    show(run, trivialRoute!.label, after);
    results.get(trivialRoute!.label)!.push({ row: after, ratio: 1, cpuRatio: 1 });
    before = after;
  }
}

await cleanup();
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const table = [
  '| route | requests/s | p50 ms | p99 ms | × trivial | × trivial, each run | × trivial by app CPU | app CPU µs/request | response bytes | app loop busy |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...ROUTES.map((r) => {
    const all = results.get(r.label)!;
    const m = (f: (x: Paired) => number) => median(all.map(f));
    const each = r === trivialRoute ? '–' : all.map((x) => x.ratio.toFixed(2)).join(', ');
    return `| ${r.label} | ${fmt(m((x) => x.row.rps))} | ${m((x) => x.row.p50)} | ${m((x) => x.row.p99)} | ${m((x) => x.ratio).toFixed(2)} | ${each} | ${m((x) => x.cpuRatio).toFixed(2)} | ${m((x) => x.row.cpuUs).toFixed(0)} | ${fmt(all[0]!.row.bytes)} | ${Math.round(m((x) => x.row.busy) * 100)} % |`;
  }),
];
out(table.join('\n'));
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Redis ${redisVersion}, ${new Date().toISOString().slice(0, 10)}`;
writeSection(
  join(root, 'docs/benchmarks.md'),
  'api-http',
  [
    `Machine: ${machine}. Command: \`node --conditions=tickdesk-source --import tsx test/bench/api-http.ts\`. ${RUNS} runs; in each, every route is measured between two measurements of the trivial route, each measurement ${WARMUP_S} s of warm-up then ${SECONDS} s counted, autocannon with ${CONNECTIONS} connections (keep-alive, no pipelining) in a worker thread of the same process; "× trivial" is the route's requests/s over the mean of the trivial route's just before and after, "× trivial by app CPU" the same with the CPU time of the app's thread per request (inverted), which load from other processes hardly changes; the columns are medians over the runs. The app (as server.ts builds it, with the desk routes) listens on 127.0.0.1 in the main thread; a private Redis on the same machine holds a last price per default instrument and ${CANDLES.toLocaleString('en-US')} 1m candles of BTCUSDT up to the current minute, written with the recorder's store together with the final mark the recorder publishes (all but the newest ${OPEN_BUCKETS} buckets final); while the routes are measured, the open candle and the last price are rewritten every ${FLUSH_MS} ms, as the recorder's flushes do on a live desk. The trivial routes are registered on the same app under /v1 (same plugins and hooks: rate limit, metrics, response schema). Every request of the market-data routes and of trivial-auth carries a bearer token from \`POST /v1/auth/token\`. autocannon records whole milliseconds. The machine is shared, so read the ratios, not the absolutes.`,
    '',
    ...table,
  ].join('\n'),
);
out('docs/benchmarks.md updated');
process.exit(0);
