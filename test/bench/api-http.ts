// REST API over HTTP: requests per second and latency of GET …/last and GET …/candles
// next to a trivial route registered on the same app (same plugins and hooks), in one
// run, with autocannon. Redis is private and seeded with the recorder's own store.
// Prints a table and rewrites the `api-http` section of docs/benchmarks.md.
// Run: node --conditions=tickdesk-source --import tsx test/bench/api-http.ts
import { mkdtempSync, rmSync } from 'node:fs';
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
import { createRecorderStore, resolveRecorderConfig, type Candle } from '@tickdesk/recorder';
import { freePort, startRedis } from '@tickdesk/infra';
import { buildApp, DESK_ROUTES, resolveApiConfig, USERS_KEY } from '@tickdesk/api';
import { writeSection } from './report.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SECONDS = Number(process.env.TICKDESK_BENCH_SECONDS ?? 10);
const WARMUP_S = Number(process.env.TICKDESK_BENCH_WARMUP ?? 3);
const CONNECTIONS = Number(process.env.TICKDESK_BENCH_CONNECTIONS ?? 10);
const CANDLES = 5_000;
const PAGE = 100;
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
type Autocannon = (opts: { url: string; connections: number; duration: number; workers?: number; headers?: Record<string, string> }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

// 1. A private Redis with a trader and the recorder's keys, written by the recorder's store.
const dir = mkdtempSync(join(tmpdir(), 'tickdesk-bench-api-'));
const redisServer = await startRedis({ dir, port: await freePort() });
// As server.ts connects it: auto-pipelining on.
const redis = new Redis(redisServer.url, { enableAutoPipelining: true });
let closeApp: () => Promise<void> = async () => undefined;
const cleanup = async () => {
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
const store = createRecorderStore({ redis, limits: { maxTicksPerInstrument: recorderConfig.maxTicksPerInstrument, candleLimits: recorderConfig.candleLimits } });
const MINUTE = 60_000_000;
const nowMicros = Date.now() * 1000;
const decimals = (step: string) => (step.split('.')[1] ?? '').length;
let seed = 42;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);

const last = new Map<string, Tick>();
DEFAULT_INSTRUMENTS.forEach((ins, i) => {
  const price = (Number(ins.referencePrice ?? '100') * (1 + (random() - 0.5) / 100)).toFixed(decimals(ins.tickSize));
  const t = formatMicros(nowMicros - i * 1000);
  last.set(ins.symbol, { symbol: ins.symbol, seq: 1_000_000 + i, price, size: (Number(ins.lotSize) * (1 + Math.floor(random() * 50))).toFixed(decimals(ins.lotSize)), side: random() < 0.5 ? 'buy' : 'sell', eventTime: t, ingestTime: t });
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
    symbol: 'BTCUSDT', interval: '1m', start,
    open: open.toFixed(2), high: high.toFixed(2), low: low.toFixed(2), close: close.toFixed(2),
    volume: (random() * 40).toFixed(3), trades: 50 + Math.floor(random() * 2_000),
  });
}
await store.write({ ticks: new Map(), last, candles, tickCount: 0 });
const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';

// 2. The app as server.ts builds it (desk routes included), plus the trivial routes under /v1.
const Ok = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'], additionalProperties: false } as const;
const trivialRoutes: FastifyPluginAsync = async (v1) => {
  v1.get('/trivial', { schema: { response: { 200: Ok } } }, async () => ({ ok: true }));
  v1.get('/trivial-auth', { onRequest: v1.authenticate, schema: { response: { 200: Ok } } }, async () => ({ ok: true }));
};
const app = await buildApp({
  deps: {
    redis,
    log: pino({ level: 'warn' }),
    domain: DOMAIN,
    instruments: DEFAULT_INSTRUMENTS,
    rules: createRuleStore({ redis }),
    alerts: createAlertStore({ redis }),
    audit: createAuditChain({ redis }),
  },
  config: resolveApiConfig({ secret: 'bench-secret-bench-secret-bench-secret' }),
  verifyPassword: async (user, password) => user === 'alice' && password === PASSWORD,
  routes: [...DESK_ROUTES, trivialRoutes],
});
const port = await freePort();
await app.listen({ port, host: '127.0.0.1' });
closeApp = () => app.close();
const base = `http://127.0.0.1:${port}`;

// A real token, by the login route.
const login = await fetch(`${base}/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jid: `alice@${DOMAIN}`, password: PASSWORD }) });
if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
const { token } = (await login.json()) as { token: string };
const headers = { authorization: `Bearer ${token}` };

const pageFrom = firstStart + (CANDLES - 2 * PAGE) * MINUTE;
const candlesPath = `/v1/instruments/BTCUSDT/candles?interval=1m&from=${encodeURIComponent(formatMicros(pageFrom))}&to=${encodeURIComponent(formatMicros(pageFrom + PAGE * MINUTE))}`;
const ROUTES: Array<{ label: string; path: string; check: (body: unknown) => boolean }> = [
  { label: 'GET /v1/trivial (no token, `{"ok":true}`)', path: '/v1/trivial', check: (b) => (b as { ok?: boolean }).ok === true },
  { label: 'GET /v1/instruments/BTCUSDT/last', path: '/v1/instruments/BTCUSDT/last', check: (b) => (b as { symbol?: string }).symbol === 'BTCUSDT' },
  { label: `GET /v1/instruments/BTCUSDT/candles (1m, ${PAGE} candles)`, path: candlesPath, check: (b) => (b as { candles?: unknown[] }).candles?.length === PAGE },
  { label: 'GET /v1/trivial-auth (trivial + bearer token check)', path: '/v1/trivial-auth', check: (b) => (b as { ok?: boolean }).ok === true },
];

// 3. Each route: a warm-up, then the measured run. autocannon runs in a worker thread so that
//    the app has the main thread's event loop to itself.
interface Row { label: string; rps: number; p50: number; p99: number; bytes: number; busy: number; usPerRequest: number }
const rows: Row[] = [];
for (const r of ROUTES.filter((x) => !ONLY || ONLY.some((o) => x.path.includes(o)))) {
  const res = await fetch(base + r.path, { headers });
  const text = await res.text();
  if (res.status !== 200 || !r.check(JSON.parse(text))) throw new Error(`${r.path}: ${res.status} ${text.slice(0, 300)}`);
  const url = base + r.path;
  await autocannon({ url, connections: CONNECTIONS, duration: WARMUP_S, workers: 1, headers });
  const elu0 = performance.eventLoopUtilization();
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, workers: 1, headers });
  const elu = performance.eventLoopUtilization(elu0);
  if (result.errors || result.timeouts || result.non2xx) throw new Error(`${r.path}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`);
  const row = {
    label: r.label, rps: result['2xx'] / result.duration, p50: result.latency.p50, p99: result.latency.p99, bytes: Buffer.byteLength(text),
    // The app's event loop: how busy it was, and its busy time per request (includes the worker's start-up and wind-down).
    busy: elu.utilization, usPerRequest: (elu.active * 1000) / result['2xx'],
  };
  rows.push(row);
  out(`${row.label}: ${Math.round(row.rps)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, ${row.bytes} bytes, app loop ${Math.round(row.busy * 100)} % busy, ${row.usPerRequest.toFixed(0)} µs/request`);
}

await cleanup();
if (ONLY) process.exit(0);
const trivial = rows[0]!.rps;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const table = [
  '| route | requests/s | p50 ms | p99 ms | × trivial | response bytes | app loop busy | app µs/request |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.label} | ${fmt(r.rps)} | ${r.p50} | ${r.p99} | ${(r.rps / trivial).toFixed(2)} | ${fmt(r.bytes)} | ${Math.round(r.busy * 100)} % | ${r.usPerRequest.toFixed(0)} |`),
];
out(table.join('\n'));
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Redis ${redisVersion}, ${new Date().toISOString().slice(0, 10)}`;
writeSection(join(root, 'docs/benchmarks.md'), 'api-http', [
  `Machine: ${machine}. Command: \`node --conditions=tickdesk-source --import tsx test/bench/api-http.ts\`. One run: per route ${WARMUP_S} s of warm-up, then ${SECONDS} s measured, autocannon with ${CONNECTIONS} connections (keep-alive, no pipelining) in a worker thread of the same process; the app (as server.ts builds it, with the desk routes) listens on 127.0.0.1 in the main thread; a private Redis on the same machine holds a last price per default instrument and ${CANDLES.toLocaleString('en-US')} 1m candles of BTCUSDT, written with the recorder's store. The trivial routes are registered on the same app under /v1 (same plugins and hooks: rate limit, metrics, response schema). Every request of the market-data routes and of trivial-auth carries a bearer token from \`POST /v1/auth/token\`. autocannon records whole milliseconds. The machine is shared, so read the ratios, not the absolutes.`,
  '',
  ...table,
].join('\n'));
out('docs/benchmarks.md updated');
process.exit(0);
