import { loadAlertsConfig } from '@tickdesk/alerts';
import { loadRecorderConfig } from '@tickdesk/recorder';
import { feedSources, type DeskConfig } from './config.js';
import { resolveFailoverPreset, type FailoverResolution } from './failover-preset.js';
import type { MetricsPorts } from './metrics-ports.js';

const SERVICES = ['recorder', 'alerts', 'feed', 'api'] as const;

/** The service processes `up` starts, read from the desk's settings once. */
export interface DeskServices {
  /** Part names in start order: recorder[, recorder-standby], alerts[, alerts-2…], feed[, feed-standby][, feed-<source>…][, mqtt-demo], api. */
  readonly names: readonly string[];
  /** The feed's, recorder's and alerts' metrics ports (their primaries'). */
  readonly metrics: { feed: number; recorder: number; alerts: number };
  /** Every part's metrics port, the standbys' and extra engines' included (desk.json). */
  readonly partPorts: Readonly<Record<string, number>>;
  /** TICKDESK_FAILOVER=1 resolved once: every child gets the resolved values. */
  readonly failover: FailoverResolution;
  /** `alerts-2`…`alerts-K` beside `alerts` (TICKDESK_ALERT_ENGINES=K). */
  readonly extraEngines: readonly string[];
  readonly standbyFeed: boolean;
  /** Each feed part and the one source it runs: `feed` the first of TICKDESK_FEED, `feed-<source>` each further one. */
  readonly feedParts: Readonly<Record<string, string>>;
  readonly standbyRecorder: boolean;
  readonly recorderLeaseTtlMs: number;
  /** What a part runs (`tickdesk run <program>`): a standby or an extra engine runs its service. */
  programOf(name: string): string;
  /** A part's environment: the resolved settings, `base`, the metrics ports, and its lease role or part name. */
  envOf(name: string, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
}

/**
 * The services of a desk, their metrics ports chosen once (so they survive restarts) and
 * the environment each process is started with. Reads the process environment only
 * through the fail-over preset (`env`), as every child will.
 */
export async function deskServices(
  config: DeskConfig,
  metricsChooser: MetricsPorts,
  env: NodeJS.ProcessEnv = process.env,
  /** `mqttDemo`: the demo device process `mqtt-demo` runs too, after the feeds (run-mqtt-demo.ts). */
  { mqttDemo = false }: { mqttDemo?: boolean } = {},
): Promise<DeskServices> {
  // Never one of the desk's own configured ports (a sentinel's, not bound yet when chosen).
  const metrics = await metricsChooser.services();
  // TICKDESK_FEED_STANDBY=1: a second feed process, `feed-standby`; both publish an instrument only while holding its lease.
  const standbyFeed = config.TICKDESK_FEED_STANDBY === 1;
  // TICKDESK_ALERT_ENGINES=K: engines `alerts`, `alerts-2`…`alerts-K` share the instruments by leases.
  // Engines read TICKDESK_ALERT_ENGINES themselves.
  const failover = resolveFailoverPreset(env);
  const extraEngines = Array.from({ length: loadAlertsConfig(failover.env).engines - 1 }, (_, k) => `alerts-${k + 2}`);
  // TICKDESK_RECORDER_STANDBY=1: a second recorder process, `recorder-standby`; each records an instrument only while holding its lease.
  const recorderConfig = loadRecorderConfig(failover.env);
  const standbyRecorder = recorderConfig.standby === 1;
  // One process per feed source (TICKDESK_FEED=synthetic,mqtt): each publishes its own instruments only.
  const [first, ...further] = feedSources(config);
  const feedParts: Record<string, string> = { feed: first! };
  if (standbyFeed) feedParts['feed-standby'] = first!;
  for (const source of further) feedParts[`feed-${source}`] = source;
  const names: string[] = [...SERVICES];
  names.splice(names.indexOf('feed'), 1, ...Object.keys(feedParts));
  names.splice(names.indexOf('alerts') + 1, 0, ...extraEngines);
  if (standbyRecorder) names.splice(names.indexOf('recorder') + 1, 0, 'recorder-standby');
  if (mqttDemo) names.splice(names.indexOf('api'), 0, 'mqtt-demo');
  const partPorts: Record<string, number> = {
    ...metrics,
    ...(standbyFeed ? { 'feed-standby': await metricsChooser.free() } : {}),
  };
  for (const source of further) partPorts[`feed-${source}`] = await metricsChooser.free();
  for (const e of extraEngines) partPorts[e] = await metricsChooser.free();
  if (standbyRecorder) partPorts['recorder-standby'] = await metricsChooser.free();
  const port = (name: string) => String(partPorts[name]);
  return {
    names,
    metrics,
    partPorts,
    failover,
    extraEngines,
    standbyFeed,
    feedParts,
    standbyRecorder,
    recorderLeaseTtlMs: recorderConfig.leaseTtlMs,
    programOf: (name) =>
      name in feedParts
        ? 'feed'
        : name === 'recorder-standby'
          ? 'recorder'
          : name.startsWith('alerts-')
            ? 'alerts'
            : name,
    envOf(name, base) {
      const childEnv = {
        ...failover.env,
        ...base,
        TICKDESK_FEED_METRICS_PORT: String(metrics.feed),
        TICKDESK_RECORDER_METRICS_PORT: String(metrics.recorder),
        TICKDESK_ALERTS_METRICS_PORT: String(metrics.alerts),
      };
      if (standbyRecorder && name.startsWith('recorder')) {
        return name === 'recorder'
          ? { ...childEnv, TICKDESK_RECORDER_LEASE: 'primary' }
          : { ...childEnv, TICKDESK_RECORDER_LEASE: 'standby', TICKDESK_RECORDER_METRICS_PORT: port(name) };
      }
      if (name.startsWith('alerts-'))
        return { ...childEnv, TICKDESK_ALERTS_PART: name, TICKDESK_ALERTS_METRICS_PORT: port(name) };
      const source = feedParts[name];
      if (source === undefined) return childEnv;
      // Each feed process runs one source, the first on the feed's metrics port.
      const feedEnv = { ...childEnv, TICKDESK_FEED: source };
      if (name !== 'feed') feedEnv.TICKDESK_FEED_METRICS_PORT = port(name);
      if (!standbyFeed || !(name === 'feed' || name === 'feed-standby')) return feedEnv;
      return { ...feedEnv, TICKDESK_FEED_LEASE: name === 'feed' ? 'primary' : 'standby' };
    },
  };
}
