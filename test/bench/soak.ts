// Soak benchmark (not CI): a whole desk from the build (`tickdesk up` from dist/, a temporary
// TICKDESK_HOME, free ports, 127.0.0.1 only) under 5,000 ticks/s and 1,000 rules of 10
// traders whose clients send receipts, for an hour. Every 30 s it samples each desk
// process (RSS, open fds, CPU; JS heap from the services' /metrics) and the desk's counts
// (ticks published and recorded, alerts fired, received, receipts); at the end it reports
// per process the RSS and fds after the warm-up, at the middle and at the end, their
// least-squares slope per hour and a flat verdict, and alerts fired / received / lost.
// Writes every sample to test/artifacts/soak-<time>.json and a section of docs/benchmarks.md.
// Run: npm run bench:soak. Settings (env): TICKDESK_SOAK_MINUTES (60), TICKDESK_SOAK_SAMPLE_S
// (30), TICKDESK_SOAK_WARMUP_S (120), TICKDESK_SOAK_RATE (5000 ticks/s), TICKDESK_SOAK_RULES
// (1000), TICKDESK_SOAK_TRADERS (10), TICKDESK_SOAK_FAILOVER (0; 1: the fail-over desk),
// TICKDESK_SOAK_XMPP_SERVER (prosody), TICKDESK_SOAK_FLAT_MIB_H (10),
// TICKDESK_SOAK_SECTION (soak, or soak-failover; `none` writes nothing).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { startClusterDesk, type ClusterDesk } from '../cluster/cluster-desk.js';
import { traderOn, type ClusterTrader } from '../cluster/desk-watchers.js';
import { deskRedis } from '../chaos/burst.js';
import { writeSection } from './report.js';
import { chainCounter, historyReader, scrapeServices } from './soak-counters.js';
import { addTrader, createRules, perTraderPerMinute, planRules, type SoakRulePlan } from './soak-load.js';
import { createProcSampler } from './soak-procs.js';
import { procRows, type SoakSample } from './soak-report.js';
import { deskLabel, soakSection } from './soak-section.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
function setting(name: string, def: number, min: number, max: number): number {
  const v = Number(process.env[name] ?? def);
  if (!Number.isFinite(v) || v < min || v > max)
    throw new Error(`${name}=${process.env[name]}: a number from ${min} to ${max}`);
  return v;
}
const MINUTES = setting('TICKDESK_SOAK_MINUTES', 60, 1, 24 * 60);
// Each sample reads the recorder's history up to HISTORY_LAG_MS ago: lag + interval stay within the 160 s it keeps at 5,000 ticks/s.
const SAMPLE_S = setting('TICKDESK_SOAK_SAMPLE_S', 30, 5, 90);
const HISTORY_LAG_MS = 30_000;
const WARMUP_S = setting('TICKDESK_SOAK_WARMUP_S', 120, 0, 3600);
const RATE = setting('TICKDESK_SOAK_RATE', 5000, 1, 100_000);
const RULES = setting('TICKDESK_SOAK_RULES', 1000, 10, 5000);
const TRADER_COUNT = setting('TICKDESK_SOAK_TRADERS', 10, 1, 100);
const FLAT = { mibPerH: setting('TICKDESK_SOAK_FLAT_MIB_H', 10, 0, 10_000), fdsPerH: 5 };
const FAILOVER = process.env.TICKDESK_SOAK_FAILOVER === '1';
const XMPP = process.env.TICKDESK_SOAK_XMPP_SERVER === 'ejabberd' ? 'ejabberd' : 'prosody';
const SECTION = process.env.TICKDESK_SOAK_SECTION ?? (FAILOVER ? 'soak-failover' : 'soak');
/** After the load: every alert fired until then has this long to reach its trader (receipt timeout 10 s, one resend). */
const DRAIN_MS = 90_000;
/** The whole run is stopped past this, whatever happens. */
const MAX_MS = (MINUTES * 60 + 20 * 60) * 1000;

const plan: SoakRulePlan = {
  traders: Array.from({ length: TRADER_COUNT }, (_, i) => `soak${String(i + 1).padStart(2, '0')}`),
  rulesPerTrader: Math.floor(RULES / TRADER_COUNT),
  crossingPerTrader: Math.floor(RULES / TRADER_COUNT / 10),
  levelCooldownS: 120,
  crossingCooldownS: 60,
};
// The fail-over desk: one setting when the build has it, else the separate ones it stands for.
const failoverEnv: Record<string, string> = !FAILOVER
  ? {}
  : existsSync(join(root, 'services/desk/dist/failover-preset.js'))
    ? { TICKDESK_FAILOVER: '1' }
    : { TICKDESK_ALERT_ENGINES: '2', TICKDESK_FEED_STANDBY: '1' };

let desk: ClusterDesk | undefined;
let redis: Redis | undefined;
const traders: ClusterTrader[] = [];
let stopping = false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const out = (s: string) => process.stdout.write(`${s}\n`);
async function shutdown(code: number): Promise<never> {
  stopping = true;
  for (const t of traders) await t.client.stop().catch(() => undefined);
  redis?.disconnect();
  await desk?.stop().catch(() => undefined);
  process.exit(code);
}
const abort = (why: string) => {
  process.stderr.write(`${why}\n`);
  if (!stopping) void shutdown(1);
};
process.once('SIGINT', () => abort('soak: interrupted, stopping the desk'));
process.once('SIGTERM', () => abort('soak: terminated, stopping the desk'));
process.once('uncaughtException', (err) => abort(err.stack ?? String(err)));
process.once('unhandledRejection', (err) => abort(String(err)));
setTimeout(() => abort(`soak: over ${MAX_MS / 60_000} min, stopped`), MAX_MS).unref();

const startedAt = new Date();
out(
  `soak: ${MINUTES} min, ${RATE} ticks/s, ${plan.rulesPerTrader * TRADER_COUNT} rules of ${TRADER_COUNT} traders, ${XMPP}${
    FAILOVER
      ? `, fail-over desk (${Object.entries(failoverEnv)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')})`
      : ''
  }`,
);
desk = await startClusterDesk({
  nodes: 1,
  xmppServer: XMPP,
  redisMode: FAILOVER ? 'sentinel' : 'single',
  readyTimeoutMs: 240_000,
  env: { TICKDESK_FEED_RATE: String(RATE), ...failoverEnv },
});
out(`desk up in ${desk.home}`);
redis = deskRedis(desk);
for (const t of plan.traders) await addTrader(desk, t);
for (const t of plan.traders) traders.push(await traderOn(desk, t, 0));
out(`${TRADER_COUNT} traders online`);

const rules = planRules(plan);
const sampler = createProcSampler(() => desk.state());
const chain = chainCounter(redis, new Set(plan.traders));
const history = historyReader(
  redis,
  DEFAULT_INSTRUMENTS.map((i) => i.symbol),
);
const KEEP =
  /^tickdesk_(feed_ticks_total|feed_conflated_total|feed_unleased_ticks_total|feed_publish_errors_total|recorder_ticks_total|recorder_dropped_total|recorder_pending_ticks|alerts_ticks_total|alerts_fired_total|alerts_suppressed_total)$|nodejs_heap_size_used_bytes$|nodejs_eventloop_lag_p99_seconds$/;
const samples: SoakSample[] = [];
const t0 = Date.now();
let historyFrom = t0;
const kinds = new Map<string, 'level' | 'crossing'>();
const creating = createRules(redis, rules, plan.levelCooldownS * 1000, () => stopping, kinds);

const sum = (m: Record<string, Record<string, number>>, name: string) =>
  Object.values(m).reduce((a, x) => a + (x[name] ?? 0), 0);
async function takeSample(): Promise<SoakSample> {
  const at = Date.now();
  const procs = sampler.sample(at);
  const metrics = await scrapeServices(desk!.state(), desk!.apiUrl, KEEP);
  await chain.poll();
  const to = at - HISTORY_LAG_MS;
  if (to > historyFrom) {
    await history.window(historyFrom, to);
    historyFrom = to;
  }
  const used = Number(/used_memory:(\d+)/.exec(await redis!.info('memory'))?.[1] ?? Number.NaN);
  const received = new Set(traders.flatMap((t) => t.received.map((r) => r.id))).size;
  const e = chain.events;
  return {
    t: (at - t0) / 1000,
    at: new Date(at).toISOString(),
    load1: loadavg()[0]!,
    procs,
    metrics,
    redisUsedMiB: used / 2 ** 20,
    ticks: {
      // A standby's ticks without the lease are dropped before they count as accepted.
      published: sum(metrics, 'tickdesk_feed_ticks_total') - sum(metrics, 'tickdesk_feed_conflated_total'),
      recorderTicks: sum(metrics, 'tickdesk_recorder_ticks_total'),
      historyRecorded: history.totals.recorded,
      historyMissing: history.totals.missing,
      historyRestarts: history.totals.restarts,
    },
    alerts: {
      rules: kinds.size,
      fired: chain.fired.size,
      received,
      suppressed: sum(metrics, 'tickdesk_alerts_suppressed_total'),
      delivered: e.delivered ?? 0,
      resent: e.resent ?? 0,
      events: { ...e },
    },
  };
}
const line = (s: SoakSample) => {
  const rss = Object.entries(s.procs)
    .map(([n, p]) => `${n} ${p.rssMiB.toFixed(0)}M/${p.fds}fd`)
    .join(', ');
  return `t=${s.t.toFixed(0)}s load ${s.load1.toFixed(2)} | ticks published ${s.ticks.published} recorded ${s.ticks.historyRecorded} missing ${s.ticks.historyMissing} | alerts fired ${s.alerts.fired} received ${s.alerts.received} delivered ${s.alerts.delivered} suppressed ${s.alerts.suppressed} | ${rss}`;
};

const artifacts = join(root, 'test/artifacts');
mkdirSync(artifacts, { recursive: true });
const artifact = join(artifacts, `soak-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
const settings = { MINUTES, SAMPLE_S, WARMUP_S, RATE, plan, FAILOVER, failoverEnv, XMPP, FLAT };
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
// Written at every sample too, so a run that ends badly keeps what it saw.
const save = (extra: object = {}) =>
  writeFileSync(
    artifact,
    JSON.stringify({ startedAt, machine, settings, restarts: sampler.restarts, ...extra, samples }, null, 1),
  );

const end = t0 + MINUTES * 60_000;
let endedEarly = '';
for (let k = 0; !stopping; k++) {
  try {
    if (!desk.alive()) throw new Error('tickdesk up has exited');
    const s = await takeSample();
    samples.push(s);
    out(line(s));
    save();
  } catch (err) {
    endedEarly = (err as Error).message;
    process.stderr.write(`soak: sampling stopped: ${endedEarly}\n${desk.diagnostics()}\n`);
    break;
  }
  const next = t0 + (k + 1) * SAMPLE_S * 1000;
  if (next > end) break;
  await sleep(next - Date.now());
}
if (endedEarly) {
  save({ endedEarly });
  await shutdown(1);
}
await creating;
// The end of the load: alerts fired up to here must all arrive; the rules keep firing meanwhile.
await chain.poll();
const endTip = chain.tip();
const receivedIds = () => new Set(traders.flatMap((t) => t.received.map((r) => r.id)));
const undelivered = () => {
  const got = receivedIds();
  return [...chain.fired].filter(([id, f]) => f.seq <= endTip && !got.has(id));
};
for (const until = Date.now() + DRAIN_MS; Date.now() < until && undelivered().length > 0; await sleep(2_000))
  await chain.poll();
const lost = undelivered();
const finalSample = await takeSample();
const firedByEnd = [...chain.fired.values()].filter((f) => f.seq <= endTip).length;
const got = receivedIds();
const receivedByKind = { level: 0, crossing: 0 };
const seenIds = new Set<string>();
for (const r of traders.flatMap((t) => t.received)) {
  if (seenIds.has(r.id)) continue;
  seenIds.add(r.id);
  const kind = kinds.get(r.rule);
  if (kind) receivedByKind[kind] += 1;
}

const rows = procRows(samples, WARMUP_S, FLAT);
const summary = {
  fired: firedByEnd,
  receivedOfThose: firedByEnd - lost.length,
  lost: lost.length,
  lostIds: lost.slice(0, 50).map(([id, f]) => `${f.trader}:${id}`),
  receivedAll: got.size,
  receivedByKind,
  firedTwice: chain.firedTwice(),
  duplicatesById: traders.reduce((a, t) => a + t.duplicates(), 0),
  shownTwice: traders.reduce((a, t) => a + t.shownTwice(), 0),
  events: chain.events,
  finalSample,
};
const env = Object.entries(process.env)
  .filter(([k]) => k.startsWith('TICKDESK_SOAK_') && k !== 'TICKDESK_SOAK_SECTION')
  .map(([k, v]) => `${k}=${v}`)
  .join(' ');
const section = {
  machine,
  command: `${env ? `${env} ` : ''}npm run bench:soak`,
  startedAt,
  endedAt: new Date(),
  desk: deskLabel(XMPP, FAILOVER, failoverEnv),
  rate: RATE,
  plan,
  perTraderPerMinute: perTraderPerMinute(plan),
  warmupS: WARMUP_S,
  sampleS: SAMPLE_S,
  drainS: DRAIN_MS / 1000,
  flat: FLAT,
  artifact: artifact.slice(root.length),
};
save({ summary, rows, section });
const body = soakSection({ ...section, samples, rows, restarts: sampler.restarts, summary });
out(body);
if (SECTION !== 'none') writeSection(join(root, 'docs/benchmarks.md'), SECTION, body);
out(`samples in ${artifact}${SECTION !== 'none' ? `; docs/benchmarks.md section ${SECTION} updated` : ''}`);
await shutdown(0);
