// The latency floor at a low rate: tick handed to the feed core → alert received by a
// trader's client, at 1,000 ticks/s across the desk's instruments, once with every
// instrument batched for batchMs (eagerMaxRate 0, the feed before eager publishing) and
// once with the feed's defaults. The feed core runs in this process (its ticks' ingest
// time is the start), the engine in its own from the built code, as `tickdesk up` runs it
// (the script builds first).
// Every probe tick (50 a second, on ESZ6) crosses one `once` rule of a ladder, as in
// alerts-e2e.ts; the other ticks go to the other instruments.
// Run: npm run bench:floor (TICKDESK_BENCH_SECONDS per phase, default 15; TICKDESK_BENCH_RATE, default 1,000)
import { once } from 'node:events';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createRuleStore } from '@tickdesk/alerts';
import { createFeed, createFeedMetrics, type FeedConfig, type FeedSource } from '@tickdesk/feed-core';
import { decodeAlert, DEFAULT_INSTRUMENTS, nowMicros, NS_ALERT, ticksNode } from '@tickdesk/schemas';
import { createPubsub, presence, receiptFor, wantsReceipt, type Element, type Pubsub } from '@tickdesk/xmpp';
import { writeSection } from './report.js';
import { log, percentile, startBenchDesk } from './bench-desk.js';
import { portOf, startEngineProcess } from '../support/engine-process.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SECONDS = Number(process.env.TICKDESK_BENCH_SECONDS ?? 15);
const RATE = Number(process.env.TICKDESK_BENCH_RATE ?? 1_000);
const PROBES_PER_SECOND = 50;
const PROBE = 'ESZ6';
const PROBES = SECONDS * PROBES_PER_SECOND;
const PHASES: Array<{ name: string; config: Partial<FeedConfig> }> = [
  { name: 'every instrument batched (eagerMaxRate 0, batchMs 10)', config: { eagerMaxRate: 0 } },
  { name: 'defaults: eager at most 1,000 ticks/s per instrument', config: {} },
];
const MAX_RULES = PHASES.length * PROBES + 10;
const out = (s: string) => process.stdout.write(s + '\n');
/** ESZ6 moves by its tick size, 0.25: quarter q as a price, and the level halfway to the next. */
const quarter = (q: number) => `${Math.floor(q / 4)}.${['00', '25', '50', '75'][q % 4]}`;
const aboveQuarter = (q: number) => `${Math.floor(q / 4)}.${['125', '375', '625', '875'][q % 4]}`;
const others = DEFAULT_INSTRUMENTS.filter((i) => i.symbol !== PROBE);

const desk = await startBenchDesk();
const [xmppPort, redisPort] = [portOf(desk.service), portOf(desk.redis.url)];
const env = { TICKDESK_ALERTS_MAX_RULES_PER_TRADER: String(MAX_RULES) };
const engine = startEngineProcess({ home: desk.home, domain: desk.domain, xmppPort, redisPort, env, built: true });
const redis = new Redis(desk.redis.url);
// Ticks come from the loop below through the sink; the source only waits for the stop.
const source: FeedSource = {
  name: 'floor',
  state: () => 'running',
  run: async (_sink, signal) => void (await once(signal, 'abort')),
};
const rows: string[] = [];
try {
  await engine.running;
  const rules = createRuleStore({ redis, maxRulesPerOwner: MAX_RULES });
  const alice = await desk.connect('alice', 'floor');
  const arrivedBySeq = new Map<number, number>();
  alice.on('stanza', (st: Element) => {
    const el = st.name === 'message' ? st.getChild('alert', NS_ALERT) : undefined;
    const res = el ? decodeAlert(el) : undefined;
    if (!res?.ok) return;
    if (!arrivedBySeq.has(res.value.seq)) arrivedBySeq.set(res.value.seq, nowMicros());
    if (wantsReceipt(st)) void alice.send(receiptFor(String(st.attrs.from), String(st.attrs.id)));
  });
  await alice.send(presence('available'));
  // Probe i moves ESZ6 from quarter 24,000 + i to 24,001 + i, across the rule between them.
  for (let i = 0; i < MAX_RULES - 10; i++) {
    await rules.create('alice', {
      symbol: PROBE,
      condition: 'crossing-up',
      threshold: aboveQuarter(24_000 + i),
      frequency: 'once',
      priority: 'normal',
    });
  }
  await new Promise((r) => setTimeout(r, 2_000)); // the engine sees the rules and alice online

  const client = await desk.connect('feed', 'floor');
  const inner = createPubsub(client, desk.pubsubHost);
  // When each probe item leaves the feed, by its first tick's seq: the tick's wait in the feed.
  const leftAt = new Map<number, number>();
  const pubsub: Pubsub = Object.assign(Object.create(inner) as Pubsub, {
    publish(node: string, payload: Element, id?: string, timeoutMs?: number) {
      if (node === ticksNode(PROBE)) leftAt.set(Number(payload.attrs.seq), nowMicros());
      return inner.publish(node, payload, id, timeoutMs);
    },
  });
  const seqs = new Map<string, number>();
  const nextSeq = (symbol: string) => {
    const s = (seqs.get(symbol) ?? 0) + 1;
    seqs.set(symbol, s);
    return s;
  };
  let probe = 0;
  for (const phase of PHASES) {
    const metrics = createFeedMetrics();
    const feed = createFeed({
      source,
      pubsub,
      instruments: DEFAULT_INSTRUMENTS,
      log,
      metrics,
      config: { bars: false, ...phase.config },
    });
    await feed.start();
    const push = (symbol: string, price: string) =>
      feed.sink.push({ symbol, seq: nextSeq(symbol), price, size: '1', eventTimeMicros: nowMicros() });
    push(PROBE, quarter(24_000 + probe)); // a previous price, so the first probe crosses
    await new Promise((r) => setTimeout(r, 500));
    const sentAt = new Map<number, number>(); // probe seq → handed to the feed
    const load = loadavg()[0]!;
    const t0 = nowMicros();
    let background = 0;
    let probes = 0;
    // Ticks at their due times, checked every millisecond: other instruments at random, a probe every 20 ms.
    while (probes < PROBES) {
      const elapsed = nowMicros() - t0;
      while (probes < PROBES && probes * (1e6 / PROBES_PER_SECOND) <= elapsed) {
        probes += 1;
        probe += 1;
        sentAt.set((seqs.get(PROBE) ?? 0) + 1, nowMicros());
        push(PROBE, quarter(24_000 + probe));
      }
      while ((background + probes) * (1e6 / RATE) <= elapsed) {
        const i = others[Math.floor(Math.random() * others.length)]!;
        background += 1;
        push(i.symbol, i.referencePrice);
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    const seconds = (nowMicros() - t0) / 1e6;
    await new Promise((r) => setTimeout(r, 2_000));
    await feed.stop();
    const got = [...sentAt].filter(([s]) => arrivedBySeq.has(s));
    const ms = (xs: number[]) => xs.slice(Math.floor(xs.length * 0.1)).sort((a, b) => a - b);
    const lat = ms(got.map(([s, t]) => (arrivedBySeq.get(s)! - t) / 1000));
    const wait = ms([...sentAt].filter(([s]) => leftAt.has(s)).map(([s, t]) => (leftAt.get(s)! - t) / 1000));
    const published = (await metrics.publishes.get()).values.reduce((a, v) => a + v.value, 0);
    const ticks = (await metrics.ticks.get()).values.reduce((a, v) => a + v.value, 0);
    const row = `| ${phase.name} | ${Math.round((background + probes) / seconds).toLocaleString('en-US')} | ${(ticks / published).toFixed(2)} | ${percentile(wait, 50).toFixed(1)} / ${percentile(wait, 99).toFixed(1)} | ${got.length} of ${sentAt.size} | ${percentile(lat, 50).toFixed(1)} | ${percentile(lat, 99).toFixed(1)} | ${lat.at(-1)!.toFixed(1)} | ${load.toFixed(1)} |`;
    out(row);
    rows.push(row);
  }
  await alice.stop();
  await client.stop();
} finally {
  engine.child.kill('SIGTERM');
  redis.disconnect();
  await desk.dispose();
}

const [cpu] = cpus();
const machine = [
  `${cpus().length} × ${cpu?.model ?? 'cpu'}`,
  `${Math.round(totalmem() / 2 ** 30)} GiB`,
  `Node ${process.version}`,
  'Prosody 0.12 (Debian)',
  `${new Date().toISOString().slice(0, 16)}Z`,
].join(', ');
const table = join(root, 'docs/benchmarks.md');
writeSection(
  table,
  'alert-floor',
  [
    `Machine: ${machine}. Command: \`npm run bench:floor\` (${SECONDS} s per row, ${PROBES_PER_SECOND} probe alerts/s among ${RATE.toLocaleString('en-US')} ticks/s, the first 10 % of probes discarded). Shared machine: the last column is the 1-minute load average before the row.`,
    '',
    '| feed | ticks/s | ticks per item | probe tick in the feed, p50 / p99 ms | alerts received | tick → alert p50 ms | p99 ms | max ms | load |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n'),
);
out('docs/benchmarks.md updated');
process.exit(0);
