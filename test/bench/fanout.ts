// Fan-out benchmark: one feed (the real feed core, synthetic source) at R ticks/s over
// the 8 instruments, N subscribers each on every ticks/ node, on 127.0.0.1 only, for each
// XMPP server in turn (Prosody, ejabberd ×1, an ejabberd cluster of 3 nodes: the feed on
// node 1, the subscribers spread over the nodes). Per row: tick deliveries/s, p50/p99
// latency (feed ingest → decoded by the subscriber), losses (by seq and by count) and CPU
// per process (each server node's own). Prints a table and rewrites the fan-out section
// of docs/benchmarks.md.
// Run: node --conditions=tickdesk-source --import tsx test/bench/fanout.ts
// Settings (env): TICKDESK_FANOUT_SERVERS (prosody,ejabberd,ejabberd:3; `:K` nodes),
// TICKDESK_FANOUT_SUBSCRIBERS (1,10,40,100), TICKDESK_FANOUT_RATES
// (10000,50000), TICKDESK_BENCH_SECONDS (8), TICKDESK_BENCH_REPEAT (3),
// TICKDESK_FANOUT_PROCS (subscriber processes, 2), TICKDESK_FANOUT_MAX_S (whole run, 3600),
// TICKDESK_FANOUT_BATCHING (adaptive,fixed: the feed's batching, alternated run by run so
// both see the same machine), TICKDESK_FANOUT_SM (on: the subscribers' XEP-0198 stream
// management; `on,off` alternates it run by run), TICKDESK_FANOUT_SECTION (the docs section, fanout; `none` writes nothing);
// TICKDESK_FANOUT_NOTIFICATION_TYPE (the ticks/ nodes' pubsub#notification_type: headline
// or normal; unset leaves the server's default); TICKDESK_BENCH_BATCH_MS etc. reach the feed (feed-worker.ts).
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMPP_SERVER_KINDS, type XmppServerKind } from '@tickdesk/infra';
import { DEFAULT_INSTRUMENTS, ticksNode } from '@tickdesk/schemas';
import { createPubsub } from '@tickdesk/xmpp';
import { median, startBenchDesk } from './bench-desk.js';
import { cpuMeter, processCpuSeconds } from './process-cpu.js';
import { writeSection } from './report.js';
import type { SubscriberReport } from './fanout-subscribers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const list = (v: string | undefined, d: string) => (v ?? d).split(',').filter(Boolean).map(Number);
const SUBSCRIBERS = list(process.env.TICKDESK_FANOUT_SUBSCRIBERS, '1,10,40,100');
const RATES = list(process.env.TICKDESK_FANOUT_RATES, '10000,50000');
const SECONDS = Number(process.env.TICKDESK_BENCH_SECONDS ?? 8);
const REPEAT = Number(process.env.TICKDESK_BENCH_REPEAT ?? 3);
const PROCS = Number(process.env.TICKDESK_FANOUT_PROCS ?? 2);
const MAX_S = Number(process.env.TICKDESK_FANOUT_MAX_S ?? 3600);
const SERVERS = (
  process.env.TICKDESK_FANOUT_SERVERS ??
  process.env.TICKDESK_XMPP_SERVER ??
  'prosody,ejabberd,ejabberd:3'
)
  .split(',')
  .filter(Boolean)
  .map((spec) => {
    const [kind, nodes = '1'] = spec.split(':') as [XmppServerKind, string?];
    if (!XMPP_SERVER_KINDS.includes(kind) || !/^[1-9]$/.test(nodes) || (kind !== 'ejabberd' && nodes !== '1')) {
      throw new Error(
        `TICKDESK_FANOUT_SERVERS: ${spec}? use ${XMPP_SERVER_KINDS.join(' or ')}, ejabberd:<nodes> for a cluster`,
      );
    }
    return { kind, nodes: Number(nodes), label: `${kind} ×${nodes}` };
  });
const NOTIFICATION_TYPE = process.env.TICKDESK_FANOUT_NOTIFICATION_TYPE;
if (NOTIFICATION_TYPE !== undefined && !['headline', 'normal'].includes(NOTIFICATION_TYPE))
  throw new Error('TICKDESK_FANOUT_NOTIFICATION_TYPE: headline or normal');
const SM = (process.env.TICKDESK_FANOUT_SM ?? 'on').split(',').filter(Boolean) as Array<'on' | 'off'>;
if (SM.some((v) => v !== 'on' && v !== 'off')) throw new Error('TICKDESK_FANOUT_SM: on, off or on,off');
const BATCHING = (process.env.TICKDESK_FANOUT_BATCHING ?? 'adaptive,fixed').split(',').filter(Boolean) as Array<
  'adaptive' | 'fixed'
>;
const WARMUP_S = 2;
const DRAIN_MS = 5000;
/** The goal: 40 subscribers × 10,000 ticks/s delivered, nothing lost, p99 under 50 ms. */
const GOAL = { subscribers: 40, rate: 10_000, p99Ms: 50 };

const users = Array.from({ length: Math.max(...SUBSCRIBERS) }, (_, i) => `fan${String(i + 1).padStart(3, '0')}`);
type Desk = Awaited<ReturnType<typeof startBenchDesk>>;
let desk: Desk | undefined;
const children = new Set<ChildProcess>();
const abort = (why: string) => {
  process.stderr.write(`${why}\n`);
  children.forEach((c) => c.kill('SIGKILL'));
  void (desk?.dispose() ?? Promise.resolve()).finally(() => process.exit(1));
};
process.once('uncaughtException', (err) => abort(err.stack ?? String(err)));
process.once('unhandledRejection', (err) => abort(String(err)));
setTimeout(() => abort(`fan-out benchmark: over TICKDESK_FANOUT_MAX_S=${MAX_S} s, stopped`), MAX_S * 1000).unref();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const nodeArgs = ['--conditions=tickdesk-source', '--import', 'tsx'];
const deskArgs = (d: Desk) => [d.service, d.domain, d.caPath, d.credentialsPath];

/** Subscriber processes holding `n` accounts between them; account i logs in on node i mod K. */
async function startSubscribers(d: Desk, n: number, sm: 'on' | 'off') {
  const procs = Math.min(n, PROCS);
  const kids = Array.from({ length: procs }, (_, p) => {
    const mine = users
      .slice(0, n)
      .map((u, i) => `${u}:${i % d.services.length}`)
      .filter((_, i) => i % procs === p);
    const c = fork(
      join(root, 'test/bench/fanout-subscribers.ts'),
      [d.services.join(','), ...deskArgs(d).slice(1), mine.join(',')],
      {
        execArgv: nodeArgs,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: { ...process.env, TICKDESK_FANOUT_SM: sm },
      },
    );
    children.add(c);
    return c;
  });
  await Promise.all(
    kids.map(
      (c) =>
        new Promise<void>((resolve, reject) => {
          c.once('exit', (code) => reject(new Error(`subscriber process exited (${code}) before it was ready`)));
          c.on('message', (m: { ready?: boolean }) => m.ready && resolve());
        }),
    ),
  );
  kids.forEach((c) => c.removeAllListeners('exit'));
  const send = (cmd: string) => kids.forEach((c) => c.send({ cmd }));
  const report = () =>
    Promise.all(
      kids.map(
        (c) =>
          new Promise<SubscriberReport>((resolve) => {
            const on = (m: { report?: SubscriberReport }) => {
              if (!m.report) return;
              c.off('message', on);
              resolve(m.report);
            };
            c.on('message', on);
            c.send({ cmd: 'report' });
          }),
      ),
    );
  return {
    pids: kids.map((c) => c.pid!),
    send,
    report,
    async quit() {
      await Promise.all(
        kids.map(
          (c) =>
            new Promise((r) => {
              c.once('exit', r);
              c.send({ cmd: 'quit' });
            }),
        ),
      );
      kids.forEach((c) => children.delete(c));
    },
  };
}
type Subscribers = Awaited<ReturnType<typeof startSubscribers>>;

interface Run {
  n: number;
  rate: number;
  batching: string;
  published: number;
  deliveries: number;
  p50: number;
  p99: number;
  perItem: number;
  lost: number;
  missing: number;
  conflated: number;
  cpu: { server: number; nodes: number[]; feed: number; subscribers: number };
  load: number;
  usPerNotification: number;
}

function percentileMs(hist: Map<number, number>, p: number): number {
  const total = [...hist.values()].reduce((a, b) => a + b, 0);
  let seen = 0;
  for (const [b, c] of [...hist.entries()].sort((x, y) => x[0] - y[0])) {
    seen += c;
    if (seen >= (p / 100) * total) return (b + 0.5) / 10;
  }
  return Number.NaN;
}

async function runCase(
  d: Desk,
  n: number,
  rate: number,
  batching: 'adaptive' | 'fixed',
  subs: Subscribers,
): Promise<Run> {
  const load = loadavg()[0]!;
  subs.send('reset');
  const env = { ...process.env, TICKDESK_BENCH_ADAPTIVE: batching === 'adaptive' ? '1' : '0' };
  const worker = spawn(
    process.execPath,
    [...nodeArgs, join(root, 'test/bench/feed-worker.ts'), ...deskArgs(d), String(rate), String(SECONDS)],
    { stdio: ['ignore', 'pipe', 'inherit'], env },
  );
  children.add(worker);
  let stdout = '';
  worker.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise((r) => worker.once('exit', r));
  // The server's CPU for the whole case (feed start → drained) over the notifications it
  // delivered: a cost per notification that a busy machine delays but hardly changes.
  const cost0 = d.serverPids().reduce((a, pid) => a + processCpuSeconds(pid), 0);
  await sleep(1500 + WARMUP_S * 1000);
  const meters = {
    nodes: d.serverPids().map(cpuMeter),
    feed: cpuMeter(worker.pid!),
    subscribers: subs.pids.map(cpuMeter),
  };
  meters.nodes.forEach((m) => m.start());
  meters.feed.start();
  meters.subscribers.forEach((m) => m.start());
  subs.send('measure');
  const t0 = performance.now();
  await sleep((SECONDS - WARMUP_S - 1) * 1000);
  subs.send('stop');
  const elapsed = (performance.now() - t0) / 1000;
  const nodes = meters.nodes.map((m) => m.stop());
  const cpu = {
    server: nodes.reduce((a, b) => a + b, 0),
    nodes,
    feed: meters.feed.stop(),
    subscribers: meters.subscribers.reduce((a, m) => a + m.stop(), 0),
  };
  await exited;
  children.delete(worker);
  const feed = JSON.parse(
    stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{"accepted"'))
      .pop() ?? '{}',
  ) as { accepted: number; conflated: number; publishes: number; batchMs?: number };
  // Let the last notifications arrive, for at most DRAIN_MS.
  let reports = await subs.report();
  for (
    const end = Date.now() + DRAIN_MS;
    Date.now() < end && reports.reduce((a, r) => a + r.total, 0) < feed.accepted * n;
    await sleep(250)
  )
    reports = await subs.report();
  const costS = d.serverPids().reduce((a, pid) => a + processCpuSeconds(pid), 0) - cost0;
  const hist = new Map<number, number>();
  for (const r of reports) for (const [b, c] of r.histogram) hist.set(b, (hist.get(b) ?? 0) + c);
  const sum = (f: (r: SubscriberReport) => number) => reports.reduce((a, r) => a + f(r), 0);
  return {
    n,
    rate,
    load,
    cpu,
    batching: `${batching}${feed.batchMs !== undefined ? `, ${feed.batchMs} ms` : ''}`,
    published: feed.accepted / SECONDS,
    deliveries: sum((r) => r.measured) / elapsed,
    p50: percentileMs(hist, 50),
    p99: percentileMs(hist, 99),
    perItem: feed.accepted / Math.max(1, feed.publishes),
    lost: feed.accepted * n - sum((r) => r.total),
    missing: sum((r) => r.missing),
    conflated: feed.conflated,
    usPerNotification:
      (costS * 1e6) /
      Math.max(
        1,
        sum((r) => r.items),
      ),
  };
}

const serverCpu = (c: Run['cpu']) =>
  `${c.server.toFixed(2)}${c.nodes.length > 1 ? ` (${c.nodes.map((x) => x.toFixed(2)).join(' + ')})` : ''}`;
const row = (label: string, r: Run) =>
  `| ${label} | ${r.batching} | ${fmt(r.published)} | ${fmt(r.deliveries)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.perItem.toFixed(0)} | ${fmt(r.lost)} / ${fmt(r.missing)} / ${fmt(r.conflated)} | ${serverCpu(r.cpu)} / ${r.cpu.feed.toFixed(2)} / ${r.cpu.subscribers.toFixed(2)} | ${r.usPerNotification.toFixed(0)} | ${r.load.toFixed(1)} |`;
const goalMet = (r: Run) =>
  r.lost === 0 &&
  r.missing === 0 &&
  r.conflated === 0 &&
  r.deliveries >= 0.99 * GOAL.subscribers * GOAL.rate &&
  r.p99 < GOAL.p99Ms;

const rows: string[] = [];
const verdicts: string[] = [];
const out = (s: string) => process.stdout.write(s + '\n');
// The variants of a case, alternated run by run: the feed's batching and, when asked, the subscribers' stream management.
const variants = SM.flatMap((sm) =>
  BATCHING.map((batching) => ({
    sm,
    batching,
    key: `${batching}${SM.length > 1 || sm === 'off' ? `, SM ${sm}` : ''}`,
  })),
);
for (const server of SERVERS) {
  // Compliance: a desk role entitled to every instrument, never linked as a trader.
  const d = (desk = await startBenchDesk({
    extraUsers: users.map((u) => [u, 'compliance'] as const),
    xmppServer: server.kind,
    xmppNodes: server.nodes,
  }));
  if (NOTIFICATION_TYPE) {
    const feed = await d.connect('feed', 'fanout-config');
    const pubsub = createPubsub(feed, d.pubsubHost);
    for (const i of DEFAULT_INSTRUMENTS)
      await pubsub.configure(ticksNode(i.symbol), { notification_type: NOTIFICATION_TYPE });
    await feed.stop();
  }
  for (const n of SUBSCRIBERS) {
    // One set of sessions per value of TICKDESK_FANOUT_SM, started afresh for each run when it alternates.
    let subs: { sm: 'on' | 'off'; s: Subscribers } | undefined;
    const subsFor = async (sm: 'on' | 'off') => {
      if (subs?.sm === sm) return subs.s;
      await subs?.s.quit();
      subs = { sm, s: await startSubscribers(d, n, sm) };
      return subs.s;
    };
    for (const rate of RATES) {
      const runs = new Map(variants.map((v) => [v.key, [] as Run[]]));
      for (let attempt = 1; attempt <= REPEAT; attempt++) {
        for (const v of variants) {
          const r = await runCase(d, n, rate, v.batching, await subsFor(v.sm));
          if (v.sm === 'off') r.batching += ', SM off';
          runs.get(v.key)!.push(r);
          rows.push(row(`${server.label}, ${n} × ${fmt(rate)}, run ${attempt}`, r));
          out(rows[rows.length - 1]!);
        }
      }
      for (const [key, mine] of REPEAT > 1 ? runs : []) {
        const mid = (f: (r: Run) => number) => median(mine.map(f));
        rows.push(
          row(`**${server.label}, ${n} × ${fmt(rate)}, median of ${REPEAT}**`, {
            n,
            rate,
            batching: key,
            published: mid((r) => r.published),
            deliveries: mid((r) => r.deliveries),
            p50: mid((r) => r.p50),
            p99: mid((r) => r.p99),
            perItem: mid((r) => r.perItem),
            lost: mid((r) => r.lost),
            missing: mid((r) => r.missing),
            conflated: mid((r) => r.conflated),
            load: mid((r) => r.load),
            usPerNotification: mid((r) => r.usPerNotification),
            cpu: {
              server: mid((r) => r.cpu.server),
              nodes: mine[0]!.cpu.nodes.map((_, i) => mid((r) => r.cpu.nodes[i]!)),
              feed: mid((r) => r.cpu.feed),
              subscribers: mid((r) => r.cpu.subscribers),
            },
          }),
        );
        out(rows[rows.length - 1]!);
      }
      for (const [key, mine] of n === GOAL.subscribers && rate === GOAL.rate ? runs : []) {
        verdicts.push(
          `Goal on ${server.label} with ${key} (${GOAL.subscribers} × ${fmt(GOAL.rate)} ticks/s: ≥ 99 % of ${fmt(GOAL.subscribers * GOAL.rate)} deliveries/s measured, nothing lost, p99 under ${GOAL.p99Ms} ms): ${mine.map((r, i) => `run ${i + 1} ${goalMet(r) ? 'met' : 'not met'}`).join(', ')}.`,
        );
        out(verdicts[verdicts.length - 1]!);
      }
    }
    await subs?.s.quit();
  }
  await d.dispose();
  desk = undefined;
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${SERVERS.map((s) => s.label).join(', ')}, ${new Date().toISOString().slice(0, 16)}Z`;
const batchEnv = Object.entries(process.env)
  .filter(([k]) => /^TICKDESK_(BENCH|FANOUT)_/.test(k) && !/_(SECTION|MAX_S)$/.test(k))
  .map(([k, v]) => `${k}=${v}`)
  .join(' ');
const section = process.env.TICKDESK_FANOUT_SECTION ?? 'fanout';
// `none`: a trial run that leaves the file alone.
if (section !== 'none')
  writeSection(
    join(root, 'docs/benchmarks.md'),
    section,
    [
      `Machine: ${machine}. Command: \`${batchEnv ? `${batchEnv} ` : ''}npm run bench:fanout\` (${SECONDS} s per run, first ${WARMUP_S} s and last 1 s not measured; ${Math.min(PROCS, Math.max(...SUBSCRIBERS))} subscriber processes; on a cluster the feed is on node 1 and subscriber i on node i mod K, and the server CPU is the sum of the nodes' with each node's in brackets; µs per notification is the server's CPU from the feed's start until every notification arrived, over the notifications, one per tick item and subscriber). Shared machine: the last column is the 1-minute load average before the run.`,
      '',
      '| case: server, subscribers × offered ticks/s | feed batching, last wait | published ticks/s | deliveries/s | p50 ms | p99 ms | ticks/item | lost / missing by seq / conflated | CPU cores: server / feed / subscribers | server CPU µs per notification | load |',
      '|---|---|---:|---:|---:|---:|---:|---|---|---:|---:|',
      ...rows,
      ...(verdicts.length > 0 ? ['', ...verdicts] : []),
    ].join('\n'),
  );
if (section !== 'none') out('docs/benchmarks.md updated');
process.exit(0);
