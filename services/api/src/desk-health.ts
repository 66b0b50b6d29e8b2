import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { parseDeskState, parseTimestamp, PartStateReport, type DeskPart, type DeskStateFile } from '@tickdesk/schemas';
import { Value } from '@sinclair/typebox/value';
import { createEngineHeartbeat, createLastPriceStore } from '@tickdesk/store';
import type { ComponentHealth, HealthProbe } from './health-probes.js';

/** A feed whose newest recorded tick is older than this is reported degraded. */
const FEED_STALE_MS = 60_000;
const STATE_TIMEOUT_MS = 1_000;

/** Which supervised part (desk.json) each /health component is. */
const PART_OF: Record<string, string> = {
  xmpp: 'xmpp',
  redis: 'redis',
  feeds: 'feed',
  recorder: 'recorder',
  engine: 'alerts',
  api: 'api',
};
/** The replica and sentinels of TICKDESK_REDIS_MODE=sentinel, as `tickdesk up` names them in desk.json. */
const REDIS_SET_PART = /^(redis-replica|sentinel-[1-9])$/;
/** The further engines of TICKDESK_ALERT_ENGINES=K, `alerts-2`…, components `engine-2`…. */
const ENGINE_PART = /^alerts-([0-9]+)$/;
/** The standbys of TICKDESK_FEED_STANDBY and TICKDESK_RECORDER_STANDBY, components of the same name. */
const STANDBY_PART = /^(feed|recorder)-standby$/;

export interface DeskHealthDeps {
  /** The desk's runtime folder: desk.json names the parts, their restarts and state ports. */
  home: string;
  xmppPort: number;
  redis: Redis;
  now?: () => number;
}

/**
 * Every component's own state: XMPP (each node's client port accepts connections: `xmpp`
 * is node 1, a cluster's other nodes are `xmpp-2`, `xmpp-3`… as in desk.json), the feed
 * (its own report: XMPP session up and publishing, and some instrument traded within
 * FEED_STALE_MS), the recorder (its own report), the engine (its heartbeat); each with
 * the restarts `tickdesk up` recorded for its process.
 */
export function deskHealth({ home, xmppPort, redis, now = Date.now }: DeskHealthDeps): HealthProbe {
  return async () => {
    const desk = readDesk(home);
    const parts = desk?.parts ?? {};
    const nodes = xmppNodeParts(desk, xmppPort);
    const standbys = Object.keys(parts).filter((p) => STANDBY_PART.test(p));
    // With a standby, which one publishes (records) what is the detail an operator watches.
    const withStandby = (service: string) => standbys.includes(`${service}-standby`);
    const [xmppStates, feeds, recorder, engine, standbyStates] = await Promise.all([
      Promise.all(nodes.map((n) => probePort(n.port, n.label))),
      Promise.all([partState(parts.feed, 'feed', withStandby('feed')), probeTicks(redis, now).catch(redisDown)]).then(
        ([own, ticks]) =>
          own.state !== 'running'
            ? own
            : ticks.state === 'running' && own.detail
              ? { ...ticks, detail: own.detail }
              : ticks,
      ),
      partState(parts.recorder, 'recorder', withStandby('recorder')),
      createEngineHeartbeat({ redis })
        .read(now(), parts.alerts && parts.alerts.pid > 0 ? parts.alerts.pid : undefined)
        .catch(redisDown),
      Promise.all(standbys.map((p) => partState(parts[p], p, true))),
    ]);
    const components: Record<string, ComponentHealth> = { feeds, engine };
    standbys.forEach((p, i) => (components[p] = standbyStates[i]!));
    // Several engines: each one's own report (state, and the instruments it holds as detail).
    const engineParts = Object.keys(parts)
      .filter((p) => ENGINE_PART.test(p))
      .map((p) => [`engine-${ENGINE_PART.exec(p)![1]}`, p] as const);
    if (engineParts.length > 0) {
      const [first, ...others] = await Promise.all(
        ['alerts', ...engineParts.map(([, p]) => p)].map((p) => partState(parts[p], `alert engine ${p}`, true)),
      );
      if (engine.state === 'running' && first!.detail) engine.detail = first!.detail;
      engineParts.forEach(([component], i) => (components[component] = others[i]!));
    }
    nodes.forEach((n, i) => (components[n.part] = xmppStates[i]!));
    // Without a desk (an API started on its own) there is no recorder report to read.
    if (desk) components.recorder = recorder;
    if (desk) components.api = { state: 'running' };
    // A Sentinel desk's other Redis processes, each its own component (`redis` is the primary the API reaches).
    const redisParts = Object.keys(parts)
      .filter((p) => REDIS_SET_PART.test(p))
      .map((p) => [p, p] as const);
    if (desk && parts['redis-replica']) markRedisPrimary(components, redis, desk.ports.redis);
    for (const [component, part] of [
      ...Object.entries(PART_OF),
      ...nodes.slice(1).map((n) => [n.part, n.part] as const),
      ...redisParts,
      ...engineParts,
      ...standbys.map((p) => [p, p] as const),
    ]) {
      const p = parts[part];
      if (!p) continue;
      const c = (components[component] ??= { state: 'running' });
      Object.assign(
        c,
        { restarts: p.restarts },
        p.lastExit ? { lastExit: p.lastExit.slice(0, 200) } : {},
        p.lastRestartAt ? { lastRestartAt: p.lastRestartAt } : {},
      );
      if (p.state === 'restarting' || p.state === 'failed')
        Object.assign(c, { state: 'degraded', detail: `${part} ${p.state}` });
      // Started again after an exit but not yet ready (a node still rejoining its cluster may already accept connections).
      else if (p.state === 'starting' && p.restarts > 0 && c.state === 'running')
        Object.assign(c, { state: 'starting', detail: `${part} starting` });
    }
    return components;
  };
}

/**
 * Sentinel mode: the part (`redis` on desk.json's Redis port, `redis-replica` on the next)
 * that the API's connection reaches is the primary, since the client connects to the primary
 * the sentinels name and checks its ROLE; after a fail-over that is the part started as the replica.
 */
function markRedisPrimary(components: Record<string, ComponentHealth>, redis: Redis, redisPort: number): void {
  const port = (redis as Partial<Pick<Redis, 'stream'>>).stream?.remotePort;
  if (port !== redisPort && port !== redisPort + 1) return;
  const [primary, replica] = port === redisPort ? ['redis', 'redis-replica'] : ['redis-replica', 'redis'];
  (components[primary] ??= { state: 'running' }).role = 'primary';
  (components[replica] ??= { state: 'running' }).role = 'replica';
}

const redisDown = (): ComponentHealth => ({ state: 'degraded', detail: 'not readable while Redis is down' });

function readDesk(home: string): DeskStateFile | undefined {
  try {
    return parseDeskState(readFileSync(join(home, 'desk.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** A service's own state from GET /state on its loopback metrics port (`withDetail`: its detail while running too). */
async function partState(part: DeskPart | undefined, who: string, withDetail = false): Promise<ComponentHealth> {
  if (!part?.metricsPort) return { state: 'running' };
  try {
    const res = await fetch(`http://127.0.0.1:${part.metricsPort}/state`, {
      signal: AbortSignal.timeout(STATE_TIMEOUT_MS),
    });
    const body: unknown = await res.json();
    if (!Value.Check(PartStateReport, body)) return { state: 'degraded', detail: `unreadable state from the ${who}` };
    return body.state === 'running' || body.state === 'starting'
      ? { state: body.state, ...(withDetail && body.detail ? { detail: body.detail.slice(0, 300) } : {}) }
      : {
          state: 'degraded',
          detail: `${who} reports ${body.state}${body.detail ? `: ${body.detail}` : ''}`.slice(0, 300),
        };
  } catch {
    return { state: 'degraded', detail: `the ${who} does not answer` };
  }
}

/** Each XMPP node with its part name (`xmpp`, `xmpp-2`…) and client port; node 1 alone without a cluster in desk.json. */
function xmppNodeParts(
  desk: DeskStateFile | undefined,
  xmppPort: number,
): Array<{ part: string; port: number; label: string }> {
  const listed = desk?.xmppNodes ?? [];
  if (listed.length <= 1) return [{ part: 'xmpp', port: xmppPort, label: 'XMPP' }];
  return listed.map((n, i) => ({
    part: i === 0 ? 'xmpp' : `xmpp-${i + 1}`,
    port: n.c2sPort,
    label: `XMPP node ${i + 1} (${n.name})`,
  }));
}

function probePort(port: number, label: string): Promise<ComponentHealth> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', timeout: 1_000 });
    const done = (h: ComponentHealth) => {
      socket.destroy();
      resolve(h);
    };
    socket.once('connect', () => done({ state: 'running' }));
    socket.once('timeout', () =>
      done({ state: 'degraded', detail: `${label} port ${port}: connect timed out`.slice(0, 300) }),
    );
    socket.once('error', (err) =>
      done({ state: 'degraded', detail: `${label} port ${port}: ${err.message}`.slice(0, 300) }),
    );
  });
}

async function probeTicks(redis: Redis, now: () => number): Promise<ComponentHealth> {
  let newest = 0;
  for (const last of await createLastPriceStore({ redis }).all()) {
    const at = parseTimestamp(String(last.ingestTime)) ?? 0;
    newest = Math.max(newest, at / 1000);
  }
  if (newest === 0) return { state: 'starting', detail: 'no tick recorded yet' };
  const ageMs = now() - newest;
  return ageMs <= FEED_STALE_MS
    ? { state: 'running' }
    : { state: 'degraded', detail: `newest tick recorded ${Math.round(ageMs / 1000)} s ago` };
}
