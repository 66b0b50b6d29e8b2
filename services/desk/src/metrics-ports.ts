import { assertPortFree, freePort as loopbackFreePort } from '@tickdesk/infra';
import { redisPorts, xmppNodePorts, type DeskConfig } from './config.js';

/** Tries of the free-port source before `up` gives up: a port it returns again and again is taken by the desk. */
export const MAX_METRICS_PORT_TRIES = 100;

/**
 * Every loopback port the desk's own parts are configured to bind: the API, each XMPP
 * node's client, direct-TLS, HTTP and distribution ports (and a cluster's epmd, on the
 * distribution port − 1), Redis, its replica and sentinels, and metrics ports set by hand.
 * Most of them are bound only later in the start (the sentinels after both data nodes,
 * the services last), so a port free now may still be one of them.
 */
export function deskPorts(config: DeskConfig): Set<number> {
  const redis = redisPorts(config);
  const nodes = xmppNodePorts(config);
  return new Set(
    [
      config.TICKDESK_API_PORT,
      ...nodes.flatMap((n) => [n.c2sPort, n.c2sDirectTlsPort, n.httpPort, n.distPort]),
      ...(config.TICKDESK_XMPP_SERVER === 'ejabberd' ? [nodes[0]!.distPort - 1] : []),
      redis.primary,
      ...(redis.replica !== undefined ? [redis.replica] : []),
      ...redis.sentinels,
      config.TICKDESK_FEED_METRICS_PORT,
      config.TICKDESK_RECORDER_METRICS_PORT,
      config.TICKDESK_ALERTS_METRICS_PORT,
    ].filter((p) => p !== 0),
  );
}

export interface MetricsPorts {
  /** The feed's, recorder's and alerts' ports: the configured ones (checked free), or chosen for those left at 0. */
  services(): Promise<{ feed: number; recorder: number; alerts: number }>;
  /** A free loopback port for one more part (an extra engine, a standby): none of the desk's ports, none chosen before. */
  free(): Promise<number>;
}

/**
 * The metrics ports `up` gives its service processes, chosen once so they survive restarts,
 * never one of `deskPorts` (a recorder given a sentinel's port before the sentinel bound it
 * failed 22 times in a row). `freePort` is the source of candidates (tests inject one).
 */
export function metricsPortsOf(
  config: DeskConfig,
  { freePort = loopbackFreePort }: { freePort?: () => Promise<number> } = {},
): MetricsPorts {
  const taken = deskPorts(config);
  const free = async () => {
    for (let i = 0; i < MAX_METRICS_PORT_TRIES; i++) {
      const port = await freePort();
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
    throw new Error(
      `no free loopback port for a metrics endpoint outside the desk's own ports in ${MAX_METRICS_PORT_TRIES} tries`,
    );
  };
  const pick = async (configured: number, name: string, envVar: string) => {
    if (configured === 0) return free();
    await assertPortFree(configured, `the ${name} metrics endpoint`, envVar);
    return configured;
  };
  return {
    async services() {
      return {
        feed: await pick(config.TICKDESK_FEED_METRICS_PORT, 'feed', 'TICKDESK_FEED_METRICS_PORT'),
        recorder: await pick(config.TICKDESK_RECORDER_METRICS_PORT, 'recorder', 'TICKDESK_RECORDER_METRICS_PORT'),
        alerts: await pick(config.TICKDESK_ALERTS_METRICS_PORT, 'alerts', 'TICKDESK_ALERTS_METRICS_PORT'),
      };
    },
    free,
  };
}
