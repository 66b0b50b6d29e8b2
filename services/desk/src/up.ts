import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { assertPortFree, DEFAULT_SENTINEL_MASTER, type ManagedProcess, type XmppServer } from '@tickdesk/infra';
import { DEFAULT_INSTRUMENTS, type DeskPart } from '@tickdesk/schemas';
import { loadAlertsConfig } from '@tickdesk/alerts';
import { loadRecorderConfig } from '@tickdesk/recorder';
import { redisPorts, type DeskConfig } from './config.js';
import { startDeskInfra } from './desk-infra.js';
import { failoverLines, resolveFailoverPreset } from './failover-preset.js';
import { provisionDesk } from './provision-desk.js';
import { clearDeskState, runningDeskPid, writeDeskState } from './state-file.js';
import { spawnService } from './service-process.js';
import { metricsPortsOf } from './metrics-ports.js';
import { createSupervisor, type PartStatus, type Running, type Supervisor, type SupervisorDeps } from './supervisor.js';
import { privateFolder } from './private-folder.js';
import { buildDeskTopology, clearDeskTopology, writeDeskTopology } from './topology.js';

const SERVICES = ['recorder', 'alerts', 'feed', 'api'] as const;
/** The XMPP server's part name, whichever server runs (desk.json, status, /health). */
const XMPP_PART = 'xmpp';

const running = (p: ManagedProcess): Running => ({ pid: p.pid, ended: p.ended, stop: () => p.stop() });
/** The server's own pid (ejabberd's runs under its start script), stopped the server's way. */
const xmppRunning = (x: XmppServer): Running => ({ pid: x.serverPid(), ended: x.process.ended, stop: () => x.stop() });

/**
 * `tickdesk up`: Prosody, Redis, provisioning, then one process per service, each
 * supervised (restarted with backoff, given up on after repeated exits: then the whole
 * desk stops with exit code 1), until Ctrl-C. Resolves with the exit code.
 */
export async function up(config: DeskConfig, log: Logger, out: (line: string) => void): Promise<number> {
  const home = config.TICKDESK_HOME;
  const previous = runningDeskPid(home);
  if (previous !== undefined) {
    throw new Error(`a desk is already running from ${home} (pid ${previous}); stop it with: npm run tickdesk -- down`);
  }
  // A signal during start-up would kill up with servers half-started and left running:
  // noted here, acted on between the steps of the start (below).
  let interrupted = false;
  const onStartSignal = () => {
    interrupted = true;
    out('stopping once the start-up step under way has ended…');
  };
  process.on('SIGINT', onStartSignal);
  process.on('SIGTERM', onStartSignal);
  const server = config.TICKDESK_XMPP_SERVER;
  const ports = {
    xmpp: config.TICKDESK_XMPP_PORT,
    xmppTls: config.TICKDESK_XMPP_TLS_PORT,
    xmppHttp: config.TICKDESK_XMPP_HTTP_PORT,
    ...(server === 'ejabberd' ? { xmppDist: config.TICKDESK_XMPP_DIST_PORT } : {}),
    redis: config.TICKDESK_REDIS_PORT,
  };
  // The API starts last, as a child: say now, by name, if its port is taken.
  await assertPortFree(config.TICKDESK_API_PORT, 'the REST API', 'TICKDESK_API_PORT');
  // Never one of the desk's own configured ports (a sentinel's, not bound yet when chosen).
  const metricsChooser = metricsPortsOf(config);
  const metricsPorts = await metricsChooser.services();
  // TICKDESK_FEED_STANDBY=1: a second feed process, `feed-standby`; both publish an instrument only while holding its lease.
  const standbyFeed = config.TICKDESK_FEED_STANDBY === 1;
  // TICKDESK_ALERT_ENGINES=K: engines `alerts`, `alerts-2`…`alerts-K` share the instruments by leases.
  // TICKDESK_FAILOVER=1 resolved once here: every child gets the resolved values (engines read TICKDESK_ALERT_ENGINES themselves).
  const failover = resolveFailoverPreset(process.env);
  const extraEngines = Array.from({ length: loadAlertsConfig(failover.env).engines - 1 }, (_, k) => `alerts-${k + 2}`);
  // TICKDESK_RECORDER_STANDBY=1: a second recorder process, `recorder-standby`; each records an instrument only while holding its lease.
  const recorderConfig = loadRecorderConfig(failover.env);
  const standbyRecorder = recorderConfig.standby === 1;
  const services: string[] = [...(standbyFeed ? ['recorder', 'alerts', 'feed', 'feed-standby', 'api'] : [...SERVICES])];
  services.splice(services.indexOf('alerts') + 1, 0, ...extraEngines);
  if (standbyRecorder) services.splice(services.indexOf('recorder') + 1, 0, 'recorder-standby');
  const partPorts: Record<string, number> = {
    ...metricsPorts,
    ...(standbyFeed ? { 'feed-standby': await metricsChooser.free() } : {}),
  };
  for (const e of extraEngines) partPorts[e] = await metricsChooser.free();
  if (standbyRecorder) partPorts['recorder-standby'] = await metricsChooser.free();
  const logs = join(home, 'logs');
  privateFolder(home);
  privateFolder(logs, { files: true });
  // Built once: every service started below reads it (TICKDESK_TOPOLOGY) instead of rebuilding addresses.
  const topology = buildDeskTopology(config);
  const topologyPath = writeDeskTopology(home, topology);
  const deskLog = join(logs, 'desk.log');
  const report = (line: string) => {
    const stamped = `${new Date().toISOString()} ${line}`;
    out(stamped);
    appendFileSync(deskLog, stamped + '\n', { mode: 0o600 });
  };
  const redisLayout = redisPorts(config);
  const infra = await startDeskInfra({
    home,
    domain: config.TICKDESK_DOMAIN,
    ports,
    logLevel: 'info',
    xmppServer: server,
    xmppNodeCount: config.TICKDESK_XMPP_NODES,
    federation: topology.federation,
    redisSetup: {
      mode: config.TICKDESK_REDIS_MODE,
      sentinelPorts: redisLayout.sentinels,
      downAfterMs: config.TICKDESK_REDIS_DOWN_AFTER_MS,
      ...(redisLayout.replica ? { replicaPort: redisLayout.replica } : {}),
    },
  });
  // Node 1 is the part `xmpp` (as a single server); the other nodes of a cluster are xmpp-2, xmpp-3…
  const extraNodes = infra.xmppServers
    .slice(1)
    .map((s, k) => ({ part: `${XMPP_PART}-${k + 2}`, index: k + 1, first: true }));
  const logOf: Record<string, string> = { [XMPP_PART]: infra.xmpp.logPath };
  // Redis's parts: `redis`, and in Sentinel mode `redis-replica`, `sentinel-1`…`sentinel-3` (stopped first).
  const redisParts = infra.redisParts.map((p) => ({ part: p, first: true }));
  for (const { part } of redisParts) logOf[part.name] = part.logPath;
  for (const n of extraNodes) logOf[n.part] = infra.xmppServers[n.index]!.logPath;
  for (const s of services) logOf[s] = join(logs, `${s}.log`);
  const parts = new Map<string, Supervisor>();
  const statuses = new Map<string, PartStatus>();
  const startedAt = new Date().toISOString();
  let ready = false;
  let stopping = false;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((r) => (finish = r));

  const save = () => {
    if (!ready || stopping) return;
    const recorded: Record<string, DeskPart> = {};
    for (const [name, s] of statuses) {
      const port = partPorts[name];
      recorded[name] = {
        state: s.state,
        pid: s.pid,
        restarts: s.restarts,
        ...(s.lastExit ? { lastExit: s.lastExit } : {}),
        ...(s.lastRestartAt ? { lastRestartAt: s.lastRestartAt } : {}),
        ...(port ? { metricsPort: port } : {}),
      };
    }
    writeDeskState(home, {
      pid: process.pid,
      startedAt,
      domain: config.TICKDESK_DOMAIN,
      ports,
      xmppServer: server,
      xmppNodes: [...infra.xmppNodes],
      parts: recorded,
    });
  };
  const supervise = (name: string, start: SupervisorDeps['start']) => {
    const sup = createSupervisor({
      name,
      start,
      policy: { maxRestarts: config.TICKDESK_RESTART_MAX, windowMs: config.TICKDESK_RESTART_WINDOW_MS },
      report,
      onChange: (s) => {
        statuses.set(name, s);
        save();
      },
      onGiveUp: () => {
        report(`${name} keeps failing; see ${logOf[name]}. Stopping the desk.`);
        void stopAll().then(() => finish(1));
      },
    });
    parts.set(name, sup);
    return sup;
  };

  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    out('stopping…');
    // Services first, then the servers they use.
    await Promise.all(services.flatMap((s) => parts.get(s) ?? []).map((sup) => sup.stop()));
    // A node not supervised yet (start-up failed before it) is stopped as it is.
    for (const n of [...extraNodes].reverse())
      await (parts.get(n.part)?.stop() ?? infra.xmppServers[n.index]!.stop().catch(() => undefined));
    await parts.get(XMPP_PART)?.stop();
    await infra.stopEpmd();
    for (const { part } of [...redisParts].reverse()) await parts.get(part.name)?.stop();
    if (!parts.has(XMPP_PART)) await infra.stop();
    clearDeskState(home);
    clearDeskTopology(home);
    out('stopped.');
  };

  let firstXmpp = true;
  const childEnv = {
    ...failover.env,
    TICKDESK_HOME: home,
    TICKDESK_TOPOLOGY: topologyPath,
    TICKDESK_FEED_METRICS_PORT: String(metricsPorts.feed),
    TICKDESK_RECORDER_METRICS_PORT: String(metricsPorts.recorder),
    TICKDESK_ALERTS_METRICS_PORT: String(metricsPorts.alerts),
  };
  const envOf = (name: string): NodeJS.ProcessEnv => {
    if (standbyRecorder && name.startsWith('recorder')) {
      return name === 'recorder'
        ? { ...childEnv, TICKDESK_RECORDER_LEASE: 'primary' }
        : { ...childEnv, TICKDESK_RECORDER_LEASE: 'standby', TICKDESK_RECORDER_METRICS_PORT: String(partPorts[name]) };
    }
    if (name.startsWith('alerts-'))
      return { ...childEnv, TICKDESK_ALERTS_PART: name, TICKDESK_ALERTS_METRICS_PORT: String(partPorts[name]) };
    if (!standbyFeed || !name.startsWith('feed')) return childEnv;
    return name === 'feed'
      ? { ...childEnv, TICKDESK_FEED_LEASE: 'primary' }
      : { ...childEnv, TICKDESK_FEED_LEASE: 'standby', TICKDESK_FEED_METRICS_PORT: String(partPorts[name]) };
  };
  const checkInterrupted = () => {
    if (interrupted) throw new StartInterrupted();
  };
  try {
    checkInterrupted();
    // Restarted with the same rendered config, data, ports and credentials.
    for (const r of redisParts) {
      // A Sentinel desk's data node comes back in the role the sentinels give it (a replica of the promoted one after a fail-over).
      await supervise(r.part.name, async ({ signal }) =>
        running(
          r.first
            ? ((r.first = false), r.part.process)
            : await r.part.restart({ signal, report: (l) => report(`${r.part.name}: ${l}`) }),
        ),
      ).start();
    }
    await supervise(XMPP_PART, async () =>
      xmppRunning(firstXmpp ? ((firstXmpp = false), infra.xmpp) : await infra.restartXmpp()),
    ).start();
    for (const n of extraNodes) {
      await supervise(n.part, async () =>
        xmppRunning(n.first ? ((n.first = false), infra.xmppServers[n.index]!) : await infra.restartXmppNode(n.index)),
      ).start();
    }
    checkInterrupted();
    await provisionDesk({ infra, instruments: DEFAULT_INSTRUMENTS, log });
    checkInterrupted();
    for (const name of services)
      await supervise(name, () =>
        spawnService(
          name === 'feed-standby'
            ? 'feed'
            : name === 'recorder-standby'
              ? 'recorder'
              : name.startsWith('alerts-')
                ? 'alerts'
                : name,
          logOf[name]!,
          envOf(name),
        ),
      ).start();
    checkInterrupted();
  } catch (err) {
    await stopAll();
    if (err instanceof StartInterrupted) return 130;
    throw err;
  }
  ready = true;
  save();
  const users = Object.values(infra.credentials.accounts)
    .filter((a) => a.role !== 'service')
    .map((a) => `${a.user} (${a.role})`);
  out(
    [
      '',
      'tickdesk is running',
      `  XMPP (STARTTLS, SCRAM)   127.0.0.1:${ports.xmpp}   ${server}, domain ${infra.domain}, pubsub ${infra.pubsubHost}`,
      `  dashboard                http://localhost:${config.TICKDESK_API_PORT}   log in with an XMPP account, e.g. alice@${infra.domain}`,
      `  REST API                 http://localhost:${config.TICKDESK_API_PORT}/v1 (OpenAPI at /docs), login with an XMPP account`,
      `  XMPP WebSocket           ws://localhost:${config.TICKDESK_API_PORT}/xmpp-websocket (proxied to 127.0.0.1:${ports.xmppHttp})`,
      config.TICKDESK_REDIS_MODE === 'sentinel'
        ? `  Redis (Sentinel, AOF)    primary 127.0.0.1:${infra.redis.port}, replica :${infra.redis.port === ports.redis ? redisLayout.replica : ports.redis}, sentinels :${redisLayout.sentinels.join(', :')} (master ${DEFAULT_SENTINEL_MASTER})`
        : `  Redis (AOF)              127.0.0.1:${ports.redis}`,
      `  feed                     ${config.TICKDESK_FEED}${config.TICKDESK_FEED === 'synthetic' ? `, ${config.TICKDESK_FEED_RATE} ticks/s over ${DEFAULT_INSTRUMENTS.length} instruments` : ''}${standbyFeed ? `, with a standby (one publisher per instrument, lease ${config.TICKDESK_FEED_LEASE_TTL_MS} ms)` : ''}`,
      ...(standbyRecorder
        ? [
            `  recorder                 with a standby (one recorder per instrument, lease ${recorderConfig.leaseTtlMs} ms)`,
          ]
        : []),
      `  alerts                   chat with alerts@${infra.domain} ("help"), or its ad-hoc commands${extraEngines.length ? `; ${extraEngines.length + 1} engines sharing the instruments` : ''}`,
      ...failoverLines(failover, {
        server,
        nodes: config.TICKDESK_XMPP_NODES,
        redisMode: config.TICKDESK_REDIS_MODE,
        parts: services,
      }),
      ...(topology.federation
        ? [
            `  federation (s2s)         ${topology.federation.s2sInterface}:${topology.federation.s2sPort}, TLS and certificates only; peers ${topology.federation.peers.map((p) => `${p.domain} (${p.host}:${p.port})`).join(', ')}`,
          ]
        : []),
      `  nodes                    ticks/<SYMBOL>, bars/<SYMBOL> for ${DEFAULT_INSTRUMENTS.map((i) => i.symbol).join(', ')}`,
      `  users                    ${users.join(', ')}`,
      `  credentials              ${infra.credentialsPath}`,
      `  CA certificate           ${infra.caPath}`,
      `  health, metrics          http://localhost:${config.TICKDESK_API_PORT}/health, /metrics (API)`,
      `  service metrics          ${(['feed', 'recorder', 'alerts'] as const).map((s) => `${s} http://127.0.0.1:${metricsPorts[s]}/metrics`).join(', ')}`,
      `  supervision              every part restarts when it exits; restarts in ${deskLog} and \`tickdesk status\``,
      `  logs                     ${logs}, ${infra.xmpp.logPath}, ${redisParts.map((r) => r.part.logPath).join(', ')}`,
      '',
      'Press Ctrl-C to stop.',
    ].join('\n'),
  );
  // Kept for every signal, not once: a second Ctrl-C (or timeout(1), which signals the child
  // and then its whole group) would otherwise kill up half-way and leave the servers running.
  const onSignal = () => {
    if (stopping) return out('still stopping (the XMPP nodes one after the other, then Redis)…');
    void stopAll().then(() => finish(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.off('SIGINT', onStartSignal);
  process.off('SIGTERM', onStartSignal);
  return finished;
}

/** A signal came while the desk was starting: stopped instead of started (exit code 130, as for Ctrl-C). */
class StartInterrupted extends Error {}
