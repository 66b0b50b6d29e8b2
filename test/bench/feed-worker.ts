// A feed process for the pipeline benchmarks: synthetic source at a given rate for a
// given time, published through the real feed core. Args: service domain ca-path
// credentials-path rate seconds. TICKDESK_BENCH_ADAPTIVE=0 turns adaptive batching off, TICKDESK_BENCH_EAGER_MAX_RATE=0 eager publishing. With TICKDESK_BENCH_TRACE=<file>, it also writes one
// line per tick item: `symbol:first-seq sent-µs oldest-ingest-µs round-trip-µs ticks`.
import { readFileSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { connectAs, type Credentials } from '@tickdesk/desk';
import { createFeed, createFeedMetrics } from '@tickdesk/feed-core';
import { createSyntheticFeed } from '@tickdesk/feed-synthetic';
import { DEFAULT_INSTRUMENTS, nowMicros, parseTimestamp } from '@tickdesk/schemas';
import { createPubsub, type Element, type Pubsub } from '@tickdesk/xmpp';

const [service, domain, caPath, credsPath, rateText, secondsText] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const tracePath = process.env.TICKDESK_BENCH_TRACE;
const log = pino({ level: 'warn' });
const credentials = JSON.parse(readFileSync(credsPath, 'utf8')) as Credentials;
const client = await connectAs(
  { service, domain, ca: readFileSync(caPath, 'utf8') },
  credentials,
  'feed',
  log,
  `bench-${process.pid}`,
);
const metrics = createFeedMetrics();
const source = createSyntheticFeed({ instruments: DEFAULT_INSTRUMENTS, ratePerSecond: Number(rateText), seed: 7 });
const trace: string[] = [];
const pubsub = tracePath ? tracing(createPubsub(client, `pubsub.${domain}`)) : createPubsub(client, `pubsub.${domain}`);
const feed = createFeed({
  source,
  pubsub,
  instruments: DEFAULT_INSTRUMENTS,
  log,
  metrics,
  config: {
    bars: true,
    ...(process.env.TICKDESK_BENCH_MAX_BATCH ? { maxBatch: Number(process.env.TICKDESK_BENCH_MAX_BATCH) } : {}),
    ...(process.env.TICKDESK_BENCH_IN_FLIGHT ? { maxInFlight: Number(process.env.TICKDESK_BENCH_IN_FLIGHT) } : {}),
    ...(process.env.TICKDESK_BENCH_BATCH_MS ? { batchMs: Number(process.env.TICKDESK_BENCH_BATCH_MS) } : {}),
    ...(process.env.TICKDESK_BENCH_ADAPTIVE ? { adaptiveBatch: process.env.TICKDESK_BENCH_ADAPTIVE !== '0' } : {}),
    ...(process.env.TICKDESK_BENCH_EAGER_MAX_RATE
      ? { eagerMaxRate: Number(process.env.TICKDESK_BENCH_EAGER_MAX_RATE) }
      : {}),
  },
});
const cpu0 = process.cpuUsage();
await feed.start();
await new Promise((r) => setTimeout(r, Number(secondsText) * 1000));
const { batchMs } = feed.stats();
await feed.stop();
const cpu = process.cpuUsage(cpu0);
if (tracePath) writeFileSync(tracePath, trace.join('\n') + '\n');
const published = (await metrics.ticks.get()).values.reduce((a, v) => a + v.value, 0);
const conflated = (await metrics.conflated.get()).values.reduce((a, v) => a + v.value, 0);
const publishes = (await metrics.publishes.get()).values.reduce((a, v) => a + v.value, 0);
const hist = (await metrics.publishSeconds.get()).values;
const sum = hist.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
const count = hist.find((v) => v.metricName?.endsWith('_count'))?.value ?? 1;
process.stdout.write(
  JSON.stringify({
    accepted: published,
    conflated,
    publishes,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    publishRttMs: (sum / count) * 1000,
    batchMs,
  }) + '\n',
);
await client.stop();
process.exit(0);

/**
 * Records when each tick item leaves and when its reply comes back. The oldest tick's
 * ingest time is read from the item's first row (`seq-offset price size side
 * event-offset ingest-offset`, offsets from the item's `time`), without decoding the rest.
 */
function tracing(inner: Pubsub): Pubsub {
  return Object.assign(Object.create(inner) as Pubsub, {
    async publish(node: string, payload: Element, id?: string, timeoutMs?: number) {
      const sent = nowMicros();
      const result = await inner.publish(node, payload, id, timeoutMs);
      if (node.startsWith('ticks/')) {
        const body = String(payload.children[0] ?? '');
        const firstRow = body.slice(0, (body.indexOf(';') + 1 || body.length + 1) - 1);
        const oldest = parseTimestamp(payload.attrs.time as string)! + Number(firstRow.split(' ')[5]);
        trace.push(
          `${payload.attrs.symbol}:${payload.attrs.seq} ${sent} ${oldest} ${nowMicros() - sent} ${payload.attrs.count}`,
        );
      }
      return result;
    },
  });
}
