// A feed process for the pipeline benchmark: synthetic source at a given rate for a
// given time, published through the real feed core. Args: service domain ca-path
// credentials-path rate seconds.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { connectAs, type Credentials } from '@tickdesk/desk';
import { createFeed, createFeedMetrics } from '@tickdesk/feed-core';
import { createSyntheticFeed } from '@tickdesk/feed-synthetic';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { createPubsub } from '@tickdesk/xmpp';

const [service, domain, caPath, credsPath, rateText, secondsText] = process.argv.slice(2) as [string, string, string, string, string, string];
const log = pino({ level: 'warn' });
const credentials = JSON.parse(readFileSync(credsPath, 'utf8')) as Credentials;
const client = await connectAs({ service, domain, ca: readFileSync(caPath, 'utf8') }, credentials, 'feed', log, `bench-${process.pid}`);
const metrics = createFeedMetrics();
const source = createSyntheticFeed({ instruments: DEFAULT_INSTRUMENTS, ratePerSecond: Number(rateText), seed: 7 });
const feed = createFeed({ source, pubsub: createPubsub(client, `pubsub.${domain}`), instruments: DEFAULT_INSTRUMENTS, log, metrics, config: { bars: true, ...(process.env.TICKDESK_BENCH_MAX_BATCH ? { maxBatch: Number(process.env.TICKDESK_BENCH_MAX_BATCH) } : {}), ...(process.env.TICKDESK_BENCH_IN_FLIGHT ? { maxInFlight: Number(process.env.TICKDESK_BENCH_IN_FLIGHT) } : {}), ...(process.env.TICKDESK_BENCH_BATCH_MS ? { batchMs: Number(process.env.TICKDESK_BENCH_BATCH_MS) } : {}) } });
const cpu0 = process.cpuUsage();
await feed.start();
await new Promise((r) => setTimeout(r, Number(secondsText) * 1000));
await feed.stop();
const cpu = process.cpuUsage(cpu0);
const published = (await metrics.ticks.get()).values.reduce((a, v) => a + v.value, 0);
const conflated = (await metrics.conflated.get()).values.reduce((a, v) => a + v.value, 0);
const publishes = (await metrics.publishes.get()).values.reduce((a, v) => a + v.value, 0);
const hist = (await metrics.publishSeconds.get()).values;
const sum = hist.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
const count = hist.find((v) => v.metricName?.endsWith('_count'))?.value ?? 1;
process.stdout.write(JSON.stringify({ accepted: published, conflated, publishes, cpuSeconds: (cpu.user + cpu.system) / 1e6, publishRttMs: (sum / count) * 1000 }) + '\n');
await client.stop();
process.exit(0);
