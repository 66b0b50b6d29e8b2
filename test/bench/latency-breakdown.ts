// Where a tick's latency goes at a given rate: the feed at 100,000 ticks/s (8 s, the
// first 2 s discarded) with one subscriber, each tick item traced from the feed to the
// subscriber. For every item: the wait (its oldest tick's ingest → the publish leaving
// the feed: batching and the publish window), delivery (publish leaving → the
// notification decoded by the subscriber: Prosody and the subscriber) and the publish
// round trip. Prints percentiles per run and rewrites its section of docs/benchmarks.md.
// Run: node --conditions=tickdesk-source --import tsx test/bench/latency-breakdown.ts
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createItemSubscriber } from '@tickdesk/xmpp';
import { decodeTickRows, nowMicros, ticksNode, DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { log, percentile, startBenchDesk } from './bench-desk.js';
import { writeSection } from './report.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const RATE = Number(process.env.TICKDESK_BENCH_RATE ?? 100_000);
const SECONDS = 8;
const WARMUP_MICROS = 2_000_000;
const RUNS = Number(process.env.TICKDESK_BENCH_REPEAT ?? 3);

const desk = await startBenchDesk();
const scratch = mkdtempSync(join(tmpdir(), 'tickdesk-trace-'));
const rows: string[] = [];
const ms = (micros: number) => (micros / 1000).toFixed(1);

for (let run = 1; run <= RUNS; run++) {
  const sub = await desk.connect('alice', `breakdown-${run}`);
  const received = new Map<string, number>();
  const subscriber = createItemSubscriber({
    client: sub,
    service: desk.pubsubHost,
    nodes: DEFAULT_INSTRUMENTS.map((i) => ticksNode(i.symbol)),
    decode: decodeTickRows,
    onItem: ({ symbol, rows: ticks }) => void received.set(`${symbol}:${ticks[0]!.seq}`, nowMicros()),
    log,
  });
  await subscriber.start();
  const tracePath = join(scratch, `run-${run}.txt`);
  const worker = spawn(
    process.execPath,
    [
      '--conditions=tickdesk-source',
      '--import',
      'tsx',
      join(root, 'test/bench/feed-worker.ts'),
      desk.service,
      desk.domain,
      desk.caPath,
      desk.credentialsPath,
      String(RATE),
      String(SECONDS),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, TICKDESK_BENCH_TRACE: tracePath },
    },
  );
  let stdout = '';
  worker.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  await new Promise((r) => worker.once('exit', r));
  await new Promise((r) => setTimeout(r, 300));
  const feed = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { conflated: number };

  const lines = readFileSync(tracePath, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '));
  const start = Math.min(...lines.map((f) => Number(f[1])));
  const wait: number[] = [],
    deliver: number[] = [],
    rtt: number[] = [],
    oldest: number[] = [];
  let lost = 0;
  for (const [key, sent, ingest, roundTrip] of lines) {
    if (Number(sent) - start < WARMUP_MICROS) continue;
    const at = received.get(key!);
    if (at === undefined) {
      lost += 1;
      continue;
    }
    wait.push(Number(sent) - Number(ingest));
    deliver.push(at - Number(sent));
    rtt.push(Number(roundTrip));
    oldest.push(at - Number(ingest));
  }
  const stat = (xs: number[]) => {
    const s = xs.sort((a, b) => a - b);
    return `${ms(percentile(s, 50))} / ${ms(percentile(s, 99))}`;
  };
  const line = `| run ${run} | ${wait.length.toLocaleString('en-US')} | ${stat(wait)} | ${stat(deliver)} | ${stat(rtt)} | ${stat(oldest)} | ${lost} | ${feed.conflated} |`;
  rows.push(line);
  process.stdout.write(line + '\n');
  await subscriber.stop();
  await sub.stop();
}

await desk.dispose();
rmSync(scratch, { recursive: true, force: true });
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Prosody 0.12 (Debian), ${new Date().toISOString().slice(0, 10)}`;
writeSection(
  join(root, 'docs/benchmarks.md'),
  'latency-breakdown',
  [
    `Machine: ${machine}. Command: \`node --conditions=tickdesk-source --import tsx test/bench/latency-breakdown.ts\` (${RATE.toLocaleString('en-US')} ticks/s offered, ${SECONDS} s per run, first 2 s discarded). Milliseconds, p50 / p99 over the tick items of a run; the oldest tick of each item is its slowest.`,
    '',
    '| run | items | wait: oldest tick ingested → publish sent | delivery: publish sent → subscriber decoded | publish round trip | oldest tick: ingested → decoded | items not received | ticks conflated |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n'),
);
process.exit(0);
