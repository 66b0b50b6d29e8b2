// The sensor benchmark's figures (test/bench/mqtt-sensors.ts): one run, the median of a rate's
// runs, and their Markdown rows.
import { median } from './bench-desk.js';

/** The processes of the pipeline whose CPU is read. */
export const PROCESSES = ['adapter', 'broker', 'xmpp', 'devices', 'subscriber'] as const;
export type Costs = Record<(typeof PROCESSES)[number], number>;

export interface Run {
  /** Publishes the devices sent per second. */
  published: number;
  /** Ticks the subscriber received per second while measuring. */
  received: number;
  /** Acknowledged by the broker to a device and never received. */
  lost: number;
  missing: number;
  duplicates: number;
  disorder: number;
  seqHoles: number;
  refused: number;
  p50: number;
  p99: number;
  p50ToAdapter: number;
  /** The devices' median PUBACK wait; the adapter's mean XMPP publish round trip and its batch wait (ms). */
  ackP50: number;
  publishRtt: number;
  batchMs: number;
  /** Most QoS 1 messages the adapter held unacknowledged (its window: the receive maximum). */
  maxUnacked: number;
  /** Cores busy while measuring. */
  cores: Costs;
  /** CPU time over the messages the devices sent, the whole run and its drain included (µs). */
  us: Costs;
  load: number;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const each = (c: Costs, digits: number) => PROCESSES.map((p) => c[p].toFixed(digits)).join(' / ');

export const TABLE_HEAD = [
  '| case: offered | published msg/s | received ticks/s | lost / missing / duplicated / out of order / seq holes | refused | p50 ms | p99 ms | p50 ms to the adapter | device PUBACK p50 ms | XMPP publish mean / batch wait ms | adapter: most unacknowledged | CPU cores: adapter / mosquitto / Prosody / devices / subscriber | CPU µs per message: the same | load |',
  '|---|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---|---|---:|',
];

export const row = (name: string, r: Run): string =>
  `| ${name} | ${fmt(r.published)} | ${fmt(r.received)} | ${[r.lost, r.missing, r.duplicates, r.disorder, r.seqHoles].map(fmt).join(' / ')} | ${fmt(r.refused)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.p50ToAdapter.toFixed(1)} | ${r.ackP50.toFixed(1)} | ${r.publishRtt.toFixed(1)} / ${r.batchMs.toFixed(0)} | ${fmt(r.maxUnacked)} | ${each(r.cores, 2)} | ${each(r.us, 0)} | ${r.load.toFixed(1)} |`;

/** Each figure's median over the runs of one rate. */
export function medianRun(runs: Run[]): Run {
  const mid = (f: (r: Run) => number) => median(runs.map(f));
  const costs = (k: 'cores' | 'us') => Object.fromEntries(PROCESSES.map((p) => [p, mid((r) => r[k][p])])) as Costs;
  const numbers = Object.fromEntries(
    (Object.keys(runs[0]!) as Array<keyof Run>)
      .filter((k) => k !== 'cores' && k !== 'us')
      .map((k) => [k, mid((r) => r[k])]),
  ) as Omit<Run, 'cores' | 'us'>;
  return { ...numbers, cores: costs('cores'), us: costs('us') };
}

/** Every value a device's broker acknowledged arrived once and in order. */
export const clean = (r: Run): boolean => r.lost === 0 && r.missing === 0 && r.duplicates === 0 && r.disorder === 0;
