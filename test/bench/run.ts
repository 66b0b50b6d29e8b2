// Market-data benchmark: the XMPP server's raw pubsub ceiling and the feed pipeline's
// sustained throughput and latency, in one run. Prints a table and rewrites the
// matching section of docs/benchmarks.md. Run: npm run bench
import { spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createItemSubscriber, createPubsub } from '@tickdesk/xmpp';
import {
  decodeTickBatch,
  decodeTickRows,
  encodeTickBatch,
  formatMicros,
  parseTimestamp,
  ticksNode,
  DEFAULT_INSTRUMENTS,
  nowMicros,
} from '@tickdesk/schemas';
import { log, median, percentile, startBenchDesk } from './bench-desk.js';
import { writeSection } from './report.js';
import { cpuMeter, processRssMiB } from './process-cpu.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const RATES = (process.env.TICKDESK_BENCH_RATES ?? '25000,50000,100000').split(',').filter(Boolean).map(Number);
const SECONDS = Number(process.env.TICKDESK_BENCH_SECONDS ?? 8);
const WARMUP_S = 2;
/** Each pipeline rate runs this many times; the table gives every run and the median. */
const REPEAT = Number(process.env.TICKDESK_BENCH_REPEAT ?? 3);

const desk = await startBenchDesk();
const dispose = () => void desk.dispose().finally(() => process.exit(1));
process.once('uncaughtException', (err) => {
  process.stderr.write(`${err.stack}\n`);
  dispose();
});
process.once('unhandledRejection', (err) => {
  process.stderr.write(`${String(err)}\n`);
  dispose();
});
const rows: string[] = [];
const out = (s: string) => process.stdout.write(s + '\n');

// 1. Ceiling: a minimal publisher, pre-built items, no validation: one tick per publish,
//    then N ticks per item, each with one subscriber. Shows what the server itself costs.
const CEILING_CASES: Array<[ticksPerItem: number, window: number]> = [
  [1, 64],
  [20, 16],
  [50, 16],
  [100, 16],
  [200, 16],
  [500, 16],
];
if (process.env.TICKDESK_BENCH_CEILING !== '0') {
  for (const [perItem, window] of CEILING_CASES) {
    const pub = await desk.connect('feed', `ceiling-pub-${perItem}`);
    const sub = await desk.connect('bob', `ceiling-sub-${perItem}`);
    const node = ticksNode('MSFT');
    const lat: number[] = [];
    let received = 0;
    const s = createItemSubscriber({
      client: sub,
      service: desk.pubsubHost,
      nodes: [node],
      decode: decodeTickBatch,
      onItem: (b) => {
        received += b.ticks.length;
        lat.push(nowMicros() - parseTimestamp(b.ticks[0]!.ingestTime)!);
      },
      log,
    });
    await s.start();
    const pubsub = createPubsub(pub, desk.pubsubHost);
    let seq = 1;
    const item = () => {
      const stamp = formatMicros(nowMicros());
      return encodeTickBatch({
        symbol: 'MSFT',
        conflated: 0,
        ticks: Array.from({ length: perItem }, () => ({
          symbol: 'MSFT',
          seq: seq++,
          price: '415.31',
          size: '12',
          side: 'buy' as const,
          eventTime: stamp,
          ingestTime: stamp,
        })),
      });
    };
    let sent = 0;
    const meters = { server: cpuMeter(desk.xmpp.serverPid()), bench: cpuMeter(process.pid) };
    Object.values(meters).forEach((m) => m.start());
    const seconds = Math.max(3, SECONDS / 2);
    const end = Date.now() + seconds * 1000;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: window }, async () => {
        while (Date.now() < end) {
          await pubsub.publish(node, item());
          sent += perItem;
        }
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = { server: meters.server.stop(), bench: meters.bench.stop() };
    await new Promise((r) => setTimeout(r, 500));
    const sorted = lat.slice(Math.floor(lat.length * 0.2)).sort((a, b) => a - b);
    const line = `| server: ${perItem} tick${perItem > 1 ? 's' : ''} per item, ${window} in flight | ${Math.round(sent / elapsed).toLocaleString('en-US')} | ${Math.round(received / elapsed).toLocaleString('en-US')} | ${(percentile(sorted, 50) / 1000).toFixed(1)} | ${(percentile(sorted, 99) / 1000).toFixed(1)} | ${Math.round(sent / perItem / elapsed).toLocaleString('en-US')} items/s, publisher and subscriber in one process | – / ${cpu.server.toFixed(2)} / ${cpu.bench.toFixed(2)} |`;
    rows.push(line);
    out(line);
    await s.stop();
    await createPubsub(sub, desk.pubsubHost).unsubscribe(node);
    await pub.stop();
    await sub.stop();
  }
}

// 2. Pipeline: synthetic source → validate → batch → publish (feed process) → subscriber (this process).
interface PipelineRun {
  published: number;
  received: number;
  p50: number;
  p99: number;
  perItem: number;
  conflated: number;
  receivedAll: number;
  accepted: number;
  serverRss: number;
  cpu: { feed: number; server: number; subscriber: number };
}
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const pipelineRow = (label: string, r: PipelineRun) =>
  `| ${label} | ${fmt(r.published)} | ${fmt(r.received)} | ${(r.p50 / 1000).toFixed(1)} | ${(r.p99 / 1000).toFixed(1)} | ${r.perItem.toFixed(0)} ticks/item, ${r.conflated} conflated, ${fmt(r.receivedAll)} received of ${fmt(r.accepted)}, Prosody RSS ${r.serverRss.toFixed(0)} MiB | ${r.cpu.feed.toFixed(2)} / ${r.cpu.server.toFixed(2)} / ${r.cpu.subscriber.toFixed(2)} |`;

async function pipelineRun(rate: number, attempt: number): Promise<PipelineRun> {
  const sub = await desk.connect(process.env.TICKDESK_BENCH_SUBSCRIBER ?? 'alice', `pipe-${rate}-${attempt}`);
  const lat: number[] = [];
  let received = 0;
  let measuring = false;
  let counted = 0;
  const s = createItemSubscriber({
    client: sub,
    service: desk.pubsubHost,
    nodes: DEFAULT_INSTRUMENTS.map((i) => ticksNode(i.symbol)),
    // The strict decoder the alert engine uses: every field checked, times kept as µs.
    decode: decodeTickRows,
    onItem: ({ rows }) => {
      const now = nowMicros();
      received += rows.length;
      if (!measuring) return;
      counted += rows.length;
      for (const r of rows) lat.push(now - r.ingestMicros);
    },
    log,
  });
  await s.start();
  const worker = spawn(
    process.execPath,
    [
      ...(process.env.TICKDESK_BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []),
      '--conditions=tickdesk-source',
      '--import',
      'tsx',
      join(root, 'test/bench/feed-worker.ts'),
      desk.service,
      desk.domain,
      desk.caPath,
      desk.credentialsPath,
      String(rate),
      String(SECONDS),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let stdout = '';
  worker.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise((r) => worker.once('exit', r));
  await new Promise((r) => setTimeout(r, 1500 + WARMUP_S * 1000));
  const meters = {
    feed: cpuMeter(worker.pid!),
    server: cpuMeter(desk.xmpp.serverPid()),
    subscriber: cpuMeter(process.pid),
  };
  Object.values(meters).forEach((m) => m.start());
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, (SECONDS - WARMUP_S - 1) * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = { feed: meters.feed.stop(), server: meters.server.stop(), subscriber: meters.subscriber.stop() };
  const serverRss = processRssMiB(desk.xmpp.serverPid());
  await exited;
  await new Promise((r) => setTimeout(r, 500));
  const feed = JSON.parse(
    stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{"accepted"'))
      .pop() ?? '{}',
  ) as { accepted: number; conflated: number; publishes: number; cpuSeconds: number; publishRttMs: number };
  process.stderr.write(`feed worker: ${JSON.stringify(feed)}\n`);
  const sorted = lat.sort((a, b) => a - b);
  await s.stop();
  await sub.stop();
  return {
    published: feed.accepted / SECONDS,
    received: counted / elapsed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    perItem: feed.accepted / Math.max(1, feed.publishes),
    conflated: feed.conflated,
    receivedAll: received,
    accepted: feed.accepted,
    serverRss,
    cpu,
  };
}

/** The goal: 100,000 ticks/s from feed to subscriber, nothing lost, p99 under 50 ms. */
const GOAL = { rate: 100_000, p99Micros: 50_000 };
const verdicts: string[] = [];

for (const rate of RATES) {
  const runs: PipelineRun[] = [];
  for (let attempt = 1; attempt <= REPEAT; attempt++) {
    const r = await pipelineRun(rate, attempt);
    runs.push(r);
    const line = pipelineRow(`pipeline at ${fmt(rate)} ticks/s offered, run ${attempt}`, r);
    rows.push(line);
    out(line);
  }
  if (rate >= GOAL.rate) {
    const met = runs.filter((r) => r.conflated === 0 && r.receivedAll === r.accepted && r.p99 < GOAL.p99Micros).length;
    verdicts.push(
      `Goal (${fmt(GOAL.rate)} ticks/s, nothing lost, p99 under ${GOAL.p99Micros / 1000} ms) at ${fmt(rate)} ticks/s offered: met in ${met} of ${runs.length} runs.`,
    );
    out(verdicts[verdicts.length - 1]!);
  }
  if (REPEAT > 1) {
    const mid = (f: (r: PipelineRun) => number) => median(runs.map(f));
    const line = pipelineRow(`**pipeline at ${fmt(rate)} ticks/s offered, median of ${REPEAT}**`, {
      published: mid((r) => r.published),
      received: mid((r) => r.received),
      p50: mid((r) => r.p50),
      p99: mid((r) => r.p99),
      perItem: mid((r) => r.perItem),
      conflated: mid((r) => r.conflated),
      receivedAll: mid((r) => r.receivedAll),
      accepted: mid((r) => r.accepted),
      serverRss: mid((r) => r.serverRss),
      cpu: { feed: mid((r) => r.cpu.feed), server: mid((r) => r.cpu.server), subscriber: mid((r) => r.cpu.subscriber) },
    });
    rows.push(line);
    out(line);
  }
}

await desk.dispose();
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Prosody 0.12 (Debian), ${new Date().toISOString().slice(0, 10)}`;
writeSection(
  join(root, 'docs/benchmarks.md'),
  'market-data',
  [
    `Machine: ${machine}. Command: \`npm run bench\` (${SECONDS} s per row, first ${WARMUP_S} s discarded). One run; the machine is shared, so read ratios, not absolutes.`,
    '',
    '| case | published ticks/s | received ticks/s | p50 ms | p99 ms | notes | CPU cores: feed / server / subscriber |',
    '|---|---:|---:|---:|---:|---|---|',
    ...rows,
    ...(verdicts.length > 0 ? ['', ...verdicts] : []),
  ].join('\n'),
);
out('docs/benchmarks.md updated');
process.exit(0);
