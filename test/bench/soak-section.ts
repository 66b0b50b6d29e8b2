import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import type { SoakRulePlan } from './soak-load.js';
import type { RestartNote } from './soak-procs.js';
import { procTable, restartLines, slope, type ProcRow, type SoakSample } from './soak-report.js';

export interface SoakSummary {
  fired: number;
  receivedOfThose: number;
  lost: number;
  lostIds: string[];
  receivedAll: number;
  receivedByKind: { level: number; crossing: number };
  firedTwice: number;
  duplicatesById: number;
  shownTwice: number;
  events: Record<string, number>;
  finalSample: SoakSample;
}

const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const rate = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');

/** The desk a run used, in the section's words. */
export const deskLabel = (xmpp: string, failover: boolean, env: Record<string, string>): string =>
  `${xmpp}, ${
    failover
      ? `fail-over desk (${Object.entries(env)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}: Redis in Sentinel mode)`
      : 'one Redis, one alert engine'
  }`;

/** The docs/benchmarks.md section of one soak run. */
export function soakSection(r: {
  machine: string;
  command: string;
  startedAt: Date;
  endedAt: Date;
  desk: string;
  rate: number;
  plan: SoakRulePlan;
  perTraderPerMinute: number;
  warmupS: number;
  sampleS: number;
  drainS: number;
  flat: { mibPerH: number; fdsPerH: number };
  samples: SoakSample[];
  rows: ProcRow[];
  restarts: RestartNote[];
  summary: SoakSummary;
  artifact: string;
}): string {
  const { plan, samples, summary: s } = r;
  const loads = samples.map((x) => x.load1);
  const levels = (plan.rulesPerTrader - plan.crossingPerTrader) * plan.traders.length;
  const crossings = plan.crossingPerTrader * plan.traders.length;
  const warm = samples.find((x) => x.t >= r.warmupS) ?? samples[0]!;
  const last = samples[samples.length - 1]!;
  const dt = last.t - warm.t;
  const after = samples.filter((x) => x.t >= r.warmupS);
  const redisSlope = slope(
    after.map((x) => x.t / 3600),
    after.map((x) => x.redisUsedMiB),
  );
  const tk = s.finalSample.ticks;
  const conflated = feedConflated(s.finalSample) - feedConflated(samples[0]!);
  const minutes = Math.round(samples[samples.length - 1]!.t / 60);
  return [
    `Machine: ${r.machine}. Command: \`${r.command}\`, ${r.startedAt.toISOString().slice(0, 16)}Z to ${r.endedAt.toISOString().slice(11, 16)}Z (${minutes} min of load). Desk: \`tickdesk up\` from dist/, ${r.desk}.`,
    `Load: the synthetic feed at ${fmt(r.rate)} ticks/s over the ${DEFAULT_INSTRUMENTS.length} instruments; ${fmt(levels + crossings)} every-time rules of ${plan.traders.length} traders (clients on one Prosody session each, sending receipts), created evenly over the first ${plan.levelCooldownS} s: ${fmt(levels)} level rules (cooldown ${plan.levelCooldownS} s, true all along: ${rate(levels / plan.levelCooldownS)} alerts/s expected) and ${fmt(crossings)} crossing rules ${CROSSING_NOTE} (cooldown ${plan.crossingCooldownS} s: at most ${rate(crossings / plan.crossingCooldownS)} alerts/s). One trader's rules send at most ${fmt(r.perTraderPerMinute)} alerts per 60 s, under the per-trader cap of 60. Shared machine: 1-minute load average during the run ${rate(mean(loads))} (${rate(Math.min(...loads))} to ${rate(Math.max(...loads))}). Samples every ${r.sampleS} s; warm = the first sample from minute ${rate(r.warmupS / 60)} on; per hour = least-squares slope over the samples from there (a restarted process: over its last run's). Flat: RSS within ±${r.flat.mibPerH} MiB/h and fds within ±${r.flat.fdsPerH}/h. Every sample: \`${r.artifact}\`.`,
    '',
    ...procTable(r.rows),
    '',
    `Redis dataset (INFO used_memory): ${rate(warm.redisUsedMiB)} MiB warm, ${rate(last.redisUsedMiB)} MiB at the end (${redisSlope >= 0 ? '+' : ''}${rate(redisSlope)} MiB/h): the data the desk keeps (audit chain, alerts, 1 s candles for a day) grows with the run, the tick history is capped.`,
    '',
    '| alerts | count |',
    '|---|---:|',
    `| fired until the end of the load (audit chain \`fired\` records) | ${fmt(s.fired)} |`,
    `| of those received by the traders (within ${r.drainS} s after) | ${fmt(s.receivedOfThose)} |`,
    `| **lost** (fired, never received) | **${fmt(s.lost)}** |`,
    `| firing rate after warm-up, alerts/s (expected ${rate(levels / plan.levelCooldownS)} + up to ${rate(crossings / plan.crossingCooldownS)}) | ${rate((last.alerts.fired - warm.alerts.fired) / dt)} |`,
    `| received in all: level rules / crossing rules | ${fmt(s.receivedByKind.level)} / ${fmt(s.receivedByKind.crossing)} |`,
    `| receipts recorded (\`delivered\` records) / resent | ${fmt(s.events.delivered ?? 0)} / ${fmt(s.events.resent ?? 0)} |`,
    `| suppressed firings (over a cap; \`tickdesk_alerts_suppressed_total\`) | ${fmt(s.finalSample.alerts.suppressed)} |`,
    `| received twice by id / shown twice / fired twice | ${fmt(s.duplicatesById)} / ${fmt(s.shownTwice)} / ${fmt(s.firedTwice)} |`,
    '',
    '| ticks | count |',
    '|---|---:|',
    `| published by the feeds after warm-up (accepted − conflated), per second | ${rate((last.ticks.published - warm.ticks.published) / dt)} |`,
    `| handed to the recorder after warm-up, per second | ${rate((last.ticks.recorderTicks - warm.ticks.recorderTicks) / dt)} |`,
    `| in the recorder's history, whole run (read in ${r.sampleS} s windows) | ${fmt(tk.historyRecorded)} |`,
    `| missing from the history (seqs skipped) / feed restarts seen | ${fmt(tk.historyMissing)} / ${fmt(tk.historyRestarts)} |`,
    `| of those, conflated by the feed (dropped under back-pressure before publishing, counted in the next item's \`conflated\`; its counter over the run) | ${fmt(conflated)} |`,
    `| **lost between the feed and the history** (missing − conflated) | **${fmt(tk.historyMissing - conflated)}** |`,
    `| dropped by the recorder, by reason (its counters, whole run) | ${dropped(s.finalSample) || 'none'} |`,
    ...(r.restarts.length > 0
      ? ['', 'Restarts during the run:', ...restartLines(r.restarts)]
      : ['', 'No process restarted during the run.']),
    ...(s.lostIds.length > 0 ? ['', `Lost (first ${s.lostIds.length}): ${s.lostIds.join(', ')}`] : []),
  ].join('\n');
}

const CROSSING_NOTE = 'every 400 price ticks around the reference price';
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** The recorder processes' `tickdesk_recorder_dropped_total{reason}` at a sample, added up per reason. */
function dropped(sample: SoakSample): string {
  const by = new Map<string, number>();
  for (const m of Object.values(sample.metrics)) {
    for (const [k, v] of Object.entries(m)) {
      const r = /^tickdesk_recorder_dropped_total\{reason="([^"]*)"\}$/.exec(k)?.[1];
      if (r !== undefined && v > 0) by.set(r, (by.get(r) ?? 0) + v);
    }
  }
  return [...by].map(([r, v]) => `${r} ${fmt(v)}`).join(', ');
}

/** The feeds' `tickdesk_feed_conflated_total` at a sample (a restarted feed's starts again from 0). */
const feedConflated = (sample: SoakSample): number =>
  Object.values(sample.metrics).reduce((a, m) => a + (m.tickdesk_feed_conflated_total ?? 0), 0);
