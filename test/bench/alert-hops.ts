// Tick to acknowledge, per hop: a desk (Prosody, Redis, the engine in its own process), once
// rules that fire at a steady rate, and a trader's client that answers every alert as the
// dashboard does when it is in view: a receipt on arrival, then the displayed and the
// acknowledged markers at once (no think time, so the figures are the desk's, not a
// person's). The hop durations are read back from the REST API (GET /v1/alerts/latency)
// as compliance reads them, printed and written to docs/benchmarks.md.
// Run: npm run bench:hops (TICKDESK_BENCH_SECONDS, default 15; TICKDESK_BENCH_RATE alerts/s, default 20)
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { alertKeys, createAlertStore, createAuditChain, createRuleStore } from '@tickdesk/alerts';
import { buildApp, createXmppPasswordVerifier, DESK_ROUTES, resolveApiConfig } from '@tickdesk/api';
import {
  decodeAlert,
  DEFAULT_INSTRUMENTS,
  encodeTickBatch,
  formatMicros,
  HOP_NAMES,
  nowMicros,
  NS_ALERT,
  ticksNode,
  type HopLatency,
} from '@tickdesk/schemas';
import { createPubsub, markerFor, presence, receiptFor, type Element } from '@tickdesk/xmpp';
import { portOf, startEngineProcess } from '../support/engine-process.js';
import { log, startBenchDesk } from './bench-desk.js';
import { writeSection } from './report.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SECONDS = Number(process.env.TICKDESK_BENCH_SECONDS ?? 15);
const RATE = Number(process.env.TICKDESK_BENCH_RATE ?? 20);
const BACKGROUND_TICKS = 1_000; // ticks/s on another instrument meanwhile
const PROBES = SECONDS * RATE;
const out = (s: string) => process.stdout.write(s + '\n');
/** Thousandths as a decimal string: 6000010 → "6000.010". */
const milli = (n: number) => `${Math.floor(n / 1000)}.${String(n % 1000).padStart(3, '0')}`;
const LABELS: Record<(typeof HOP_NAMES)[number], string> = {
  eventToIngest: 'event → ingest',
  ingestToFired: 'ingest → fired',
  firedToSent: 'fired → sent',
  sentToServerAcked: 'sent → server-acked (XEP-0198)',
  sentToDelivered: 'sent → delivered (XEP-0184 receipt)',
  deliveredToDisplayed: 'delivered → displayed (XEP-0333)',
  displayedToAcknowledged: 'displayed → acknowledged (XEP-0333)',
  tickToAcknowledged: 'tick → acknowledged',
};

const load = loadavg()[0]!;
const desk = await startBenchDesk();
const redis = new Redis(desk.redis.url);
const ports = { xmppPort: portOf(desk.service), redisPort: portOf(desk.redis.url) };
const engine = startEngineProcess({
  ...ports,
  env: { TICKDESK_ALERTS_MAX_RULES_PER_TRADER: String(PROBES + 10) },
  home: desk.home,
  domain: desk.domain,
});
const api = await buildApp({
  deps: {
    redis,
    log,
    domain: desk.domain,
    instruments: DEFAULT_INSTRUMENTS,
    rules: createRuleStore({ redis }),
    alerts: createAlertStore({ redis }),
    audit: createAuditChain({ redis, key: desk.credentials.audit }),
  },
  config: resolveApiConfig({ latencySampleMax: PROBES + 10 }),
  verifyPassword: createXmppPasswordVerifier({
    service: desk.service,
    domain: desk.domain,
    ca: desk.ca,
    log,
    timeoutMs: 10_000,
  }),
  routes: DESK_ROUTES,
});

try {
  await engine.running;
  const feed = await desk.connect('feed', 'bench');
  const pubsub = createPubsub(feed, desk.pubsubHost);
  let seq = 1;
  // The benchmark is the feed: each tick is stamped (event and ingest) as it is published.
  const publish = (symbol: string, prices: readonly string[]) => {
    const stamp = formatMicros(nowMicros());
    const ticks = prices.map((price) => ({ price, size: '1', side: 'buy' as const, symbol, seq: seq++ }));
    const batch = { conflated: 0, symbol, ticks: ticks.map((t) => ({ ...t, eventTime: stamp, ingestTime: stamp })) };
    return pubsub.publish(ticksNode(symbol), encodeTickBatch(batch));
  };

  const alice = await desk.connect('alice', 'bench');
  const seen = new Set<string>();
  alice.on('stanza', (st: Element) => {
    const el = st.name === 'message' ? st.getChild('alert', NS_ALERT) : undefined;
    if (!el || !decodeAlert(el).ok) return;
    const id = String(st.attrs.id);
    if (seen.has(id)) return;
    seen.add(id);
    const from = String(st.attrs.from);
    void alice.send(receiptFor(from, id));
    void alice.send(markerFor(from.split('/')[0]!, id, 'displayed'));
    void alice.send(markerFor(from.split('/')[0]!, id, 'acknowledged'));
  });
  await alice.send(presence('available'));
  await new Promise((r) => setTimeout(r, 2_000)); // the engine sees alice online

  // Probe i moves ESZ6 from 6000 + i/100 to 6000 + (i+1)/100, across one once rule's threshold.
  const rules = createRuleStore({ redis, maxRulesPerOwner: PROBES + 10 });
  const rung = { symbol: 'ESZ6', condition: 'crossing-up', frequency: 'once', priority: 'normal' } as const;
  for (const threshold of Array.from({ length: PROBES }, (_, i) => milli(6_000_005 + i * 10)))
    await rules.create('alice', { ...rung, threshold });
  await new Promise((r) => setTimeout(r, 1_000));
  await publish('ESZ6', ['6000']);
  // 100 items a second of BACKGROUND_TICKS / 100 ticks each, until the probes are done.
  let background = true;
  const other = Array.from({ length: BACKGROUND_TICKS / 100 }, (_, k) => `65000.${k}`);
  const backgroundLoop = (async () => {
    for (; background; await new Promise((r) => setTimeout(r, 10))) await publish('BTCUSDT', other);
  })();
  let from = '';
  for (let i = 0; i < PROBES; i++) {
    // The first 10 % warm the desk up and are left out of the window read back.
    if (i === Math.floor(PROBES / 10)) from = new Date().toISOString();
    await publish('ESZ6', [milli(6_000_000 + (i + 1) * 10)]);
    await new Promise((r) => setTimeout(r, 1000 / RATE));
  }
  background = false;
  await backgroundLoop;
  const acknowledged = alertKeys().byState('acknowledged');
  for (const t0 = Date.now(); (await redis.zcard(acknowledged)) < seen.size && Date.now() - t0 < 20_000;)
    await new Promise((r) => setTimeout(r, 100));
  const to = new Date(Date.now() + 1).toISOString();

  const login = await api.inject({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { jid: `carol@${desk.domain}`, password: desk.credentials.accounts.carol!.password },
  });
  const token = login.json<{ token: string }>().token;
  const res = await api.inject({
    url: `/v1/alerts/latency?from=${from}&to=${to}`,
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.statusCode !== 200) throw new Error(`GET /v1/alerts/latency: ${res.statusCode} ${res.body}`);
  const summary = res.json<HopLatency>();
  const ms = (v: number | undefined) => (v === undefined ? '–' : String(v));
  const rows = HOP_NAMES.map((n) => {
    const s = summary.hops[n];
    return `| ${LABELS[n]} | ${s.count.toLocaleString('en-US')} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${ms(s.max)} |`;
  });
  const table = ['| hop | alerts | p50 ms | p90 ms | p99 ms | max ms |', '|---|---:|---:|---:|---:|---:|', ...rows];
  table.forEach((l) => out(l));
  out(`${seen.size} of ${PROBES} alerts received; ${summary.sampled} read back`);

  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Prosody 0.12 (Debian), ${new Date().toISOString().slice(0, 16)}Z`;
  writeSection(
    join(root, 'docs/benchmarks.md'),
    'alert-hops',
    [
      `Machine: ${machine}. Command: \`npm run bench:hops\` (${SECONDS} s, ${RATE} alerts/s among ${BACKGROUND_TICKS.toLocaleString('en-US')} other ticks/s; the client answers receipt, displayed and acknowledged at once; the first 10 % of alerts left out). ${seen.size.toLocaleString('en-US')} of ${PROBES.toLocaleString('en-US')} alerts received, ${summary.sampled.toLocaleString('en-US')} read back from \`GET /v1/alerts/latency\`. Shared machine: 1-minute load average ${load.toFixed(1)} before the run.`,
      '',
      ...table,
    ].join('\n'),
  );
  out('docs/benchmarks.md updated');
  await alice.stop();
  await feed.stop();
} finally {
  engine.child.kill('SIGTERM');
  await api.close();
  redis.disconnect();
  await desk.dispose();
}
process.exit(0);
