// Fan-out benchmark: one feed (the real feed core, synthetic source) at R ticks/s over
// the 8 instruments, N subscribers each on every ticks/ node, on 127.0.0.1 only. Per
// row: tick deliveries/s, p50/p99 latency (feed ingest → decoded by the subscriber),
// losses (by seq and by count) and CPU per process. Prints a table and rewrites the
// fan-out section of docs/benchmarks.md.
// Run: node --conditions=tickdesk-source --import tsx test/bench/fanout.ts
// Settings (env): TICKDESK_FANOUT_SUBSCRIBERS (1,10,40,100), TICKDESK_FANOUT_RATES
// (10000,50000), TICKDESK_BENCH_SECONDS (8), TICKDESK_BENCH_REPEAT (3),
// TICKDESK_FANOUT_PROCS (subscriber processes, 2), TICKDESK_FANOUT_MAX_S (whole run, 1800),
// TICKDESK_FANOUT_BATCHING (adaptive,fixed: the feed's batching, alternated run by run so
// both see the same machine), TICKDESK_XMPP_SERVER (prosody), TICKDESK_FANOUT_SECTION (the docs section, fanout-<server>);
// TICKDESK_BENCH_BATCH_MS etc. reach the feed (feed-worker.ts).
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMPP_SERVER_KINDS, type XmppServerKind } from '@tickdesk/infra';
import { log, median, startBenchDesk } from './bench-desk.js';
import { cpuMeter } from './process-cpu.js';
import { writeSection } from './report.js';
import type { SubscriberReport } from './fanout-subscribers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const list = (v: string | undefined, d: string) => (v ?? d).split(',').filter(Boolean).map(Number);
const SUBSCRIBERS = list(process.env.TICKDESK_FANOUT_SUBSCRIBERS, '1,10,40,100');
const RATES = list(process.env.TICKDESK_FANOUT_RATES, '10000,50000');
const SECONDS = Number(process.env.TICKDESK_BENCH_SECONDS ?? 8);
const REPEAT = Number(process.env.TICKDESK_BENCH_REPEAT ?? 3);
const PROCS = Number(process.env.TICKDESK_FANOUT_PROCS ?? 2);
const MAX_S = Number(process.env.TICKDESK_FANOUT_MAX_S ?? 1800);
const SERVER = (process.env.TICKDESK_XMPP_SERVER ?? 'prosody') as XmppServerKind;
if (!XMPP_SERVER_KINDS.includes(SERVER)) throw new Error(`TICKDESK_XMPP_SERVER=${SERVER}: use ${XMPP_SERVER_KINDS.join(' or ')}`);
const BATCHING = (process.env.TICKDESK_FANOUT_BATCHING ?? 'adaptive,fixed').split(',').filter(Boolean) as Array<'adaptive' | 'fixed'>;
const WARMUP_S = 2;
const DRAIN_MS = 5000;
/** The goal (issue 12): 40 subscribers × 10,000 ticks/s delivered, nothing lost, p99 under 50 ms. */
const GOAL = { subscribers: 40, rate: 10_000, p99Ms: 50 };

const users = Array.from({ length: Math.max(...SUBSCRIBERS) }, (_, i) => `fan${String(i + 1).padStart(3, '0')}`);
// Compliance: a desk role entitled to every instrument, never linked as a trader.
const desk = await startBenchDesk({ extraUsers: users.map((u) => [u, 'compliance'] as const), xmppServer: SERVER });
const children = new Set<ChildProcess>();
const abort = (why: string) => {
  process.stderr.write(`${why}\n`);
  children.forEach((c) => c.kill('SIGKILL'));
  void desk.dispose().finally(() => process.exit(1));
};
process.once('uncaughtException', (err) => abort(err.stack ?? String(err)));
process.once('unhandledRejection', (err) => abort(String(err)));
setTimeout(() => abort(`fan-out benchmark: over TICKDESK_FANOUT_MAX_S=${MAX_S} s, stopped`), MAX_S * 1000).unref();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const nodeArgs = ['--conditions=tickdesk-source', '--import', 'tsx'];
const deskArgs = [desk.service, desk.domain, desk.caPath, desk.credentialsPath];

/** Subscriber processes holding `n` accounts between them. */
async function startSubscribers(n: number) {
  const procs = Math.min(n, PROCS);
  const kids = Array.from({ length: procs }, (_, p) => {
    const mine = users.slice(0, n).filter((_, i) => i % procs === p);
    const c = fork(join(root, 'test/bench/fanout-subscribers.ts'), [...deskArgs, mine.join(',')], { execArgv: nodeArgs, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(c);
    return c;
  });
  await Promise.all(kids.map((c) => new Promise<void>((resolve, reject) => {
    c.once('exit', (code) => reject(new Error(`subscriber process exited (${code}) before it was ready`)));
    c.on('message', (m: { ready?: boolean }) => m.ready && resolve());
  })));
  kids.forEach((c) => c.removeAllListeners('exit'));
  const send = (cmd: string) => kids.forEach((c) => c.send({ cmd }));
  const report = () => Promise.all(kids.map((c) => new Promise<SubscriberReport>((resolve) => {
    const on = (m: { report?: SubscriberReport }) => {
      if (!m.report) return;
      c.off('message', on);
      resolve(m.report);
    };
    c.on('message', on);
    c.send({ cmd: 'report' });
  })));
  return {
    pids: kids.map((c) => c.pid!),
    send,
    report,
    async quit() {
      await Promise.all(kids.map((c) => new Promise((r) => { c.once('exit', r); c.send({ cmd: 'quit' }); })));
      kids.forEach((c) => children.delete(c));
    },
  };
}
type Subscribers = Awaited<ReturnType<typeof startSubscribers>>;

interface Run { n: number; rate: number; batching: string; published: number; deliveries: number; p50: number; p99: number; perItem: number; lost: number; missing: number; conflated: number; cpu: { server: number; feed: number; subscribers: number }; load: number }

function percentileMs(hist: Map<number, number>, p: number): number {
  const total = [...hist.values()].reduce((a, b) => a + b, 0);
  let seen = 0;
  for (const [b, c] of [...hist.entries()].sort((x, y) => x[0] - y[0])) {
    seen += c;
    if (seen >= (p / 100) * total) return (b + 0.5) / 10;
  }
  return Number.NaN;
}

async function runCase(n: number, rate: number, batching: 'adaptive' | 'fixed', subs: Subscribers): Promise<Run> {
  const load = loadavg()[0]!;
  subs.send('reset');
  const env = { ...process.env, TICKDESK_BENCH_ADAPTIVE: batching === 'adaptive' ? '1' : '0' };
  const worker = spawn(process.execPath, [...nodeArgs, join(root, 'test/bench/feed-worker.ts'), ...deskArgs, String(rate), String(SECONDS)], { stdio: ['ignore', 'pipe', 'inherit'], env });
  children.add(worker);
  let stdout = '';
  worker.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise((r) => worker.once('exit', r));
  await sleep(1500 + WARMUP_S * 1000);
  const meters = { server: cpuMeter(desk.serverPid()), feed: cpuMeter(worker.pid!), subscribers: subs.pids.map(cpuMeter) };
  meters.server.start();
  meters.feed.start();
  meters.subscribers.forEach((m) => m.start());
  subs.send('measure');
  const t0 = performance.now();
  await sleep((SECONDS - WARMUP_S - 1) * 1000);
  subs.send('stop');
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = { server: meters.server.stop(), feed: meters.feed.stop(), subscribers: meters.subscribers.reduce((a, m) => a + m.stop(), 0) };
  await exited;
  children.delete(worker);
  const feed = JSON.parse(stdout.trim().split('\n').filter((l) => l.startsWith('{"accepted"')).pop() ?? '{}') as { accepted: number; conflated: number; publishes: number; batchMs?: number };
  // Let the last notifications arrive, for at most DRAIN_MS.
  let reports = await subs.report();
  for (const end = Date.now() + DRAIN_MS; Date.now() < end && reports.reduce((a, r) => a + r.total, 0) < feed.accepted * n; await sleep(250)) reports = await subs.report();
  const hist = new Map<number, number>();
  for (const r of reports) for (const [b, c] of r.histogram) hist.set(b, (hist.get(b) ?? 0) + c);
  const sum = (f: (r: SubscriberReport) => number) => reports.reduce((a, r) => a + f(r), 0);
  return {
    n, rate, load, cpu, batching: `${batching}${feed.batchMs !== undefined ? `, ${feed.batchMs} ms` : ''}`,
    published: feed.accepted / SECONDS,
    deliveries: sum((r) => r.measured) / elapsed,
    p50: percentileMs(hist, 50), p99: percentileMs(hist, 99),
    perItem: feed.accepted / Math.max(1, feed.publishes),
    lost: feed.accepted * n - sum((r) => r.total), missing: sum((r) => r.missing), conflated: feed.conflated,
  };
}

const row = (label: string, r: Run) =>
  `| ${label} | ${r.batching} | ${fmt(r.published)} | ${fmt(r.deliveries)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.perItem.toFixed(0)} | ${fmt(r.lost)} / ${fmt(r.missing)} / ${fmt(r.conflated)} | ${r.cpu.server.toFixed(2)} / ${r.cpu.feed.toFixed(2)} / ${r.cpu.subscribers.toFixed(2)} | ${r.load.toFixed(1)} |`;
const goalMet = (r: Run) => r.lost === 0 && r.missing === 0 && r.conflated === 0 && r.deliveries >= 0.99 * GOAL.subscribers * GOAL.rate && r.p99 < GOAL.p99Ms;

const rows: string[] = [];
const verdicts: string[] = [];
const out = (s: string) => process.stdout.write(s + '\n');
for (const n of SUBSCRIBERS) {
  const subs = await startSubscribers(n);
  for (const rate of RATES) {
    const runs = new Map(BATCHING.map((b) => [b, [] as Run[]]));
    for (let attempt = 1; attempt <= REPEAT; attempt++) {
      for (const batching of BATCHING) {
        const r = await runCase(n, rate, batching, subs);
        runs.get(batching)!.push(r);
        rows.push(row(`${SERVER} ×1, ${n} × ${fmt(rate)}, run ${attempt}`, r));
        out(rows[rows.length - 1]!);
      }
    }
    for (const [batching, mine] of REPEAT > 1 ? runs : []) {
      const mid = (f: (r: Run) => number) => median(mine.map(f));
      rows.push(row(`**${SERVER} ×1, ${n} × ${fmt(rate)}, median of ${REPEAT}**`, {
        n, rate, batching, published: mid((r) => r.published), deliveries: mid((r) => r.deliveries), p50: mid((r) => r.p50), p99: mid((r) => r.p99), perItem: mid((r) => r.perItem),
        lost: mid((r) => r.lost), missing: mid((r) => r.missing), conflated: mid((r) => r.conflated), load: mid((r) => r.load),
        cpu: { server: mid((r) => r.cpu.server), feed: mid((r) => r.cpu.feed), subscribers: mid((r) => r.cpu.subscribers) },
      }));
      out(rows[rows.length - 1]!);
    }
    for (const [batching, mine] of n === GOAL.subscribers && rate === GOAL.rate ? runs : []) {
      verdicts.push(`Goal on ${SERVER} ×1 with ${batching} batching (${GOAL.subscribers} × ${fmt(GOAL.rate)} ticks/s: ≥ 99 % of ${fmt(GOAL.subscribers * GOAL.rate)} deliveries/s measured, nothing lost, p99 under ${GOAL.p99Ms} ms): ${mine.map((r, i) => `run ${i + 1} ${goalMet(r) ? 'met' : 'not met'}`).join(', ')}.`);
      out(verdicts[verdicts.length - 1]!);
    }
  }
  await subs.quit();
}

await desk.dispose();
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${SERVER}, ${new Date().toISOString().slice(0, 16)}Z`;
const batchEnv = Object.entries(process.env).filter(([k]) => /^TICKDESK_(BENCH|FANOUT)_/.test(k) && !/_(SECTION|MAX_S)$/.test(k)).map(([k, v]) => `${k}=${v}`).join(' ');
writeSection(join(root, 'docs/benchmarks.md'), process.env.TICKDESK_FANOUT_SECTION ?? `fanout-${SERVER}`, [
  `Machine: ${machine}. Command: \`${batchEnv ? `${batchEnv} ` : ''}npm run bench:fanout\` (${SECONDS} s per run, first ${WARMUP_S} s and last 1 s not measured; ${Math.min(PROCS, Math.max(...SUBSCRIBERS))} subscriber processes). Shared machine: the last column is the 1-minute load average before the run.`,
  '',
  '| case: server, subscribers × offered ticks/s | feed batching, last wait | published ticks/s | deliveries/s | p50 ms | p99 ms | ticks/item | lost / missing by seq / conflated | CPU cores: server / feed / subscribers | load |',
  '|---|---|---:|---:|---:|---:|---:|---|---|---:|',
  ...rows,
  ...(verdicts.length > 0 ? ['', ...verdicts] : []),
].join('\n'));
out('docs/benchmarks.md updated');
process.exit(0);
