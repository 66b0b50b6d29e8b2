// Alert engine end to end through Prosody: (1) tick published → alert received by a
// trader's client, at a steady load; (2) alerts delivered and receipted per second in
// a burst. The engine runs in its own process, as `tickdesk run alerts` runs it.
// Run: node --conditions=tickdesk-source --import tsx test/bench/alerts-e2e.ts
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { alertKeys, createAlertStore, createRuleStore } from '@tickdesk/alerts';
import { decodeAlert, encodeTickBatch, formatMicros, nowMicros, NS_ALERT, ticksNode } from '@tickdesk/schemas';
import { createPubsub, presence, receiptFor, wantsReceipt, type Element } from '@tickdesk/xmpp';
import { portOf, startEngineProcess } from '../support/engine-process.js';
import { median, percentile, startBenchDesk } from './bench-desk.js';
import { writeSection } from './report.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const LATENCY_SECONDS = Number(process.env.TICKDESK_BENCH_SECONDS ?? 20);
const PROBES_PER_SECOND = 50;
const BACKGROUND_TICKS = 1_000; // ticks/s on other instruments while probing
const BURST = Number(process.env.TICKDESK_BENCH_BURST ?? 2_000);
const out = (s: string) => process.stdout.write(s + '\n');

const PROBES = LATENCY_SECONDS * PROBES_PER_SECOND;
// One trader holds every probe and burst rule: above the default per-trader cap, on purpose.
const MAX_RULES = PROBES + BURST + 10;
/** Thousandths as a decimal string: 6000010 → "6000.010". */
const milli = (n: number) => `${Math.floor(n / 1000)}.${String(n % 1000).padStart(3, '0')}`;

const desk = await startBenchDesk();
const redis = new Redis(desk.redis.url);
const engine = startEngineProcess({
  home: desk.home,
  domain: desk.domain,
  xmppPort: portOf(desk.service),
  redisPort: portOf(desk.redis.url),
  env: { TICKDESK_ALERTS_MAX_RULES_PER_TRADER: String(MAX_RULES) },
});
const rules = createRuleStore({ redis, maxRulesPerOwner: MAX_RULES });
const deliveredKey = alertKeys().byState('delivered');
const alerts = createAlertStore({ redis });
const cleanup = async () => {
  engine.child.kill('SIGTERM');
  redis.disconnect();
  await desk.dispose();
};

try {
  await engine.running;
  const feed = await desk.connect('feed', 'bench');
  const pubsub = createPubsub(feed, desk.pubsubHost);
  let seq = 1;
  const publish = (symbol: string, prices: string[]) => {
    const t = formatMicros(nowMicros());
    return pubsub.publish(
      ticksNode(symbol),
      encodeTickBatch({
        symbol,
        conflated: 0,
        ticks: prices.map((price) => ({
          symbol,
          seq: seq++,
          price,
          size: '1',
          side: 'buy' as const,
          eventTime: t,
          ingestTime: t,
        })),
      }),
    );
  };

  // A trader's client: receipts on arrival, arrival times by alert id.
  const alice = await desk.connect('alice', 'bench');
  const arrived = new Map<string, number>();
  const arrivedBySeq = new Map<number, number>();
  alice.on('stanza', (st: Element) => {
    const el = st.name === 'message' ? st.getChild('alert', NS_ALERT) : undefined;
    if (!el) return;
    const res = decodeAlert(el);
    if (!res.ok) return;
    if (!arrived.has(res.value.id)) {
      arrived.set(res.value.id, nowMicros());
      arrivedBySeq.set(res.value.seq, nowMicros());
    }
    if (wantsReceipt(st)) void alice.send(receiptFor(String(st.attrs.from), String(st.attrs.id)));
  });
  await alice.send(presence('available'));
  await new Promise((r) => setTimeout(r, 2_000)); // the engine sees alice online

  // 1. Latency: every probe tick crosses one rule of a ladder of once rules (every-time
  // rules may not fire more than once per minimum cooldown); 1,000 ticks/s elsewhere.
  // Probe i moves the price from 6000 + i/100 to 6000 + (i+1)/100, across the threshold between.
  for (let i = 0; i < PROBES; i++) {
    await rules.create('alice', {
      symbol: 'ESZ6',
      condition: 'crossing-up',
      threshold: milli(6_000_005 + i * 10),
      frequency: 'once',
      priority: 'normal',
    });
  }
  await new Promise((r) => setTimeout(r, 1_000));
  const sentAt = new Map<number, number>(); // probe tick seq → publish time
  await publish('ESZ6', ['6000']); // a previous price, so the first probe crosses
  let background = true;
  const backgroundLoop = (async () => {
    let p = 0;
    while (background) {
      await publish(
        'BTCUSDT',
        Array.from({ length: BACKGROUND_TICKS / 100 }, () => `6500${p++ % 10}.5`),
      );
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const before = arrived.size;
  for (let i = 0; i < PROBES; i++) {
    sentAt.set(seq, nowMicros());
    await publish('ESZ6', [milli(6_000_000 + (i + 1) * 10)]);
    await new Promise((r) => setTimeout(r, 1000 / PROBES_PER_SECOND));
  }
  background = false;
  await backgroundLoop;
  await new Promise((r) => setTimeout(r, 2_000));
  const probes = [...sentAt].filter(([s]) => arrivedBySeq.has(s));
  const probeArrivals = probes.length;
  const lat = probes.map(([s, t]) => (arrivedBySeq.get(s)! - t) / 1000).slice(Math.floor(probes.length * 0.1));
  const sorted = [...lat].sort((a, b) => a - b);
  const latencyRow = `| tick published → alert received (${PROBES_PER_SECOND} alerts/s, ${BACKGROUND_TICKS.toLocaleString('en-US')} other ticks/s, receipts on) | ${probeArrivals.toLocaleString('en-US')} of ${sentAt.size.toLocaleString('en-US')} | ${percentile(sorted, 50).toFixed(1)} | ${percentile(sorted, 99).toFixed(1)} |`;
  out(latencyRow);

  // 2. Burst: BURST rules cross on one tick; time until every alert is delivered (receipt recorded).
  for (let i = 1; i <= BURST; i++) {
    await rules.create('alice', {
      symbol: 'USDJPY',
      condition: 'crossing-up',
      threshold: `170.${String(i).padStart(5, '0')}`,
      frequency: 'once',
      priority: 'normal',
    });
  }
  await publish('USDJPY', ['169']);
  await new Promise((r) => setTimeout(r, 2_000));
  const deliveredBefore = await redis.zcard(deliveredKey);
  const t0 = performance.now();
  await publish('USDJPY', ['171']);
  let firstAll = 0;
  for (;;) {
    const delivered = (await redis.zcard(deliveredKey)) - deliveredBefore;
    if (!firstAll && arrived.size - before - probeArrivals >= BURST) firstAll = performance.now();
    if (delivered >= BURST) break;
    if (performance.now() - t0 > 300_000) throw new Error(`burst: ${delivered} of ${BURST} delivered after 300 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - t0) / 1000;
  const receivedSeconds = (firstAll - t0) / 1000;
  const burstRow = `| burst of ${BURST.toLocaleString('en-US')} alerts from one tick: received by the client | ${Math.round(BURST / receivedSeconds).toLocaleString('en-US')} alerts/s | all in ${receivedSeconds.toFixed(2)} s |\n| … and delivered (receipt recorded, audited) | ${Math.round(BURST / seconds).toLocaleString('en-US')} alerts/s | all in ${seconds.toFixed(2)} s |`;
  out(burstRow);
  const sample = await alerts.list({ trader: 'alice', limit: 1 });
  out(`sample lifecycle: ${sample.alerts[0]?.lifecycle.map((s) => s.event).join(' → ')}`);

  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Prosody 0.12 (Debian), ${new Date().toISOString().slice(0, 10)}`;
  writeSection(
    join(root, 'docs/benchmarks.md'),
    'alerts-e2e',
    [
      `Machine: ${machine}. Command: \`node --conditions=tickdesk-source --import tsx test/bench/alerts-e2e.ts\`. The engine runs in its own process; the publisher and the trader's client (which sends receipts) share the benchmark process. One run; the first 10 % of probes discarded.`,
      '',
      '| case | alerts | p50 ms | p99 ms |',
      '|---|---:|---:|---:|',
      latencyRow,
      '',
      '| case | rate | time |',
      '|---|---:|---:|',
      burstRow,
      '',
      `Median latency ${median(lat).toFixed(1)} ms over ${lat.length} probes.`,
    ].join('\n'),
  );
  out('docs/benchmarks.md updated');
  await alice.stop();
  await feed.stop();
} finally {
  await cleanup();
}
process.exit(0);
