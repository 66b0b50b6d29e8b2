import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { assertPortFree, type ManagedProcess, type XmppServer } from '@tickdesk/infra';
import { deskInstruments } from '@tickdesk/schemas';
import { redisPorts, type DeskConfig } from './config.js';
import { deskBanner } from './desk-banner.js';
import { startDeskInfra } from './desk-infra.js';
import { deskMqtt, MQTT_PART } from './desk-mqtt.js';
import { deskServices } from './desk-services.js';
import { runsMqttDemo } from './run-mqtt-demo.js';
import { createDeskSupervision } from './desk-supervision.js';
import { provisionDesk } from './provision-desk.js';
import { clearDeskState, runningDeskPid } from './state-file.js';
import { spawnService } from './service-process.js';
import { metricsPortsOf } from './metrics-ports.js';
import type { Running } from './supervisor.js';
import { privateFolder } from './private-folder.js';
import { buildDeskTopology, clearDeskTopology, writeDeskTopology } from './topology.js';

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
  // Ctrl-C reaches the servers too (one process group): no restart of one that exits now.
  let haltParts: () => void = () => undefined;
  const onStartSignal = () => {
    interrupted = true;
    haltParts();
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
  // Built once: every service started below reads it (TICKDESK_TOPOLOGY) instead of rebuilding addresses.
  const topology = buildDeskTopology(config);
  const services = await deskServices(config, metricsPortsOf(config), process.env, {
    mqttDemo: runsMqttDemo(config, topology),
  });
  const logs = join(home, 'logs');
  privateFolder(home);
  privateFolder(logs, { files: true });
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
    log,
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
  for (const s of services.names) logOf[s] = join(logs, `${s}.log`);
  // The sensors' broker (TICKDESK_FEED lists mqtt), supervised like Redis.
  const mqtt = topology.mqtt
    ? deskMqtt({
        home,
        address: topology.mqtt,
        listen: config.TICKDESK_MQTT_INTERFACE,
        credentials: infra.credentials,
        devicesMax: config.TICKDESK_MQTT_DEVICES_MAX,
      })
    : undefined;
  if (mqtt) logOf[mqtt.name] = mqtt.logPath;
  let stopping = false;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((r) => (finish = r));
  const parts = createDeskSupervision({
    home,
    desk: {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      domain: config.TICKDESK_DOMAIN,
      ports: { ...ports, ...(topology.mqtt ? { mqtt: topology.mqtt.port } : {}) },
      xmppServer: server,
      xmppNodes: [...infra.xmppNodes],
    },
    partPorts: services.partPorts,
    policy: { maxRestarts: config.TICKDESK_RESTART_MAX, windowMs: config.TICKDESK_RESTART_WINDOW_MS },
    report,
    logOf,
    onGiveUp: () => {
      void stopAll().then(() => finish(1));
    },
  });

  haltParts = () => parts.stopping();

  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    parts.stopping();
    out('stopping…');
    // Services first, then the servers they use.
    await Promise.all(services.names.flatMap((s) => parts.part(s) ?? []).map((sup) => sup.stop()));
    await parts.part(MQTT_PART)?.stop();
    // A node not supervised yet (start-up failed before it) is stopped as it is.
    for (const n of [...extraNodes].reverse())
      await (parts.part(n.part)?.stop() ?? infra.xmppServers[n.index]!.stop().catch(() => undefined));
    await parts.part(XMPP_PART)?.stop();
    await infra.stopEpmd();
    for (const { part } of [...redisParts].reverse()) await parts.part(part.name)?.stop();
    if (!parts.part(XMPP_PART)) await infra.stop();
    clearDeskState(home);
    clearDeskTopology(home);
    out('stopped.');
  };

  let firstXmpp = true;
  const checkInterrupted = () => {
    if (interrupted) throw new StartInterrupted();
  };
  try {
    checkInterrupted();
    // Restarted with the same rendered config, data, ports and credentials.
    for (const r of redisParts) {
      // A Sentinel desk's data node comes back in the role the sentinels give it (a replica of the promoted one after a fail-over).
      await parts
        .supervise(r.part.name, async ({ signal }) =>
          running(
            r.first
              ? ((r.first = false), r.part.process)
              : await r.part.restart({ signal, report: (l) => report(`${r.part.name}: ${l}`) }),
          ),
        )
        .start();
    }
    await parts
      .supervise(XMPP_PART, async () =>
        xmppRunning(firstXmpp ? ((firstXmpp = false), infra.xmpp) : await infra.restartXmpp()),
      )
      .start();
    for (const n of extraNodes) {
      await parts
        .supervise(n.part, async () =>
          xmppRunning(
            n.first ? ((n.first = false), infra.xmppServers[n.index]!) : await infra.restartXmppNode(n.index),
          ),
        )
        .start();
    }
    if (mqtt) await parts.supervise(mqtt.name, async () => running(await mqtt.start())).start();
    checkInterrupted();
    await provisionDesk({ infra, instruments: deskInstruments(topology), log });
    checkInterrupted();
    const base = { TICKDESK_HOME: home, TICKDESK_TOPOLOGY: topologyPath };
    for (const name of services.names)
      await parts
        .supervise(name, () => spawnService(services.programOf(name), logOf[name]!, services.envOf(name, base)))
        .start();
    checkInterrupted();
  } catch (err) {
    await stopAll();
    if (err instanceof StartInterrupted) return 130;
    throw err;
  }
  parts.started();
  out(
    deskBanner({
      config,
      infra,
      services,
      federation: topology.federation,
      instruments: deskInstruments(topology),
      mqttLog: mqtt?.logPath,
      logs,
      deskLog,
    }),
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
