import type { Logger } from 'pino';
import { Redis } from 'ioredis';
import { deskInstruments } from '@tickdesk/schemas';
import { createPubsub } from '@tickdesk/xmpp';
import { provisionAccount } from '@tickdesk/accounts';
import type { Service } from './cli-args.js';
import type { DeskConfig } from './config.js';
import { connectAs, deskRedisOptions, deskTarget } from './connect.js';
import { newPassword, saveCredentials, type Role } from './credentials.js';
import { exitOnUncaught } from './fatal.js';
import { deskSessions } from './provision-desk.js';
import { runAlerts } from './run-alerts.js';
import { runApi } from './run-api.js';
import { runFeed } from './run-feed.js';
import { runRecorder } from './run-recorder.js';
import { isAlive, readDeskState } from './state-file.js';
import { deskTopology } from './topology.js';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** How long `down` waits for the desk to stop after its SIGTERM: up stops every part in turn. */
const DOWN_WAIT_MS = 20_000;

export async function down(config: DeskConfig, io: CliIo): Promise<number> {
  const s = readDeskState(config.TICKDESK_HOME);
  if (!s || !isAlive(s.pid)) {
    io.out('no desk is running');
    return 0;
  }
  process.kill(s.pid, 'SIGTERM');
  for (let waited = 0; waited < DOWN_WAIT_MS && isAlive(s.pid); waited += 100)
    await new Promise((r) => setTimeout(r, 100));
  if (!isAlive(s.pid)) {
    io.out('desk stopped');
    return 0;
  }
  io.err(`tickdesk: desk (pid ${s.pid}) did not stop in ${DOWN_WAIT_MS / 1000} s`);
  return 1;
}

/** `tickdesk run <service>` (how up starts its children): runs until SIGTERM or SIGINT. */
export async function run(config: DeskConfig, service: Service, log: Logger): Promise<number> {
  exitOnUncaught(log.child({ service }));
  const topology = deskTopology(config);
  const runners: Record<Service, () => Promise<() => Promise<void>>> = {
    feed: () => runFeed(config, topology, log),
    recorder: () => runRecorder(config, topology, process.env, log),
    alerts: () => runAlerts(config, topology, process.env, log),
    api: () => runApi(topology, process.env, log),
    'mqtt-demo': async () => (await import('./run-mqtt-demo.js')).runMqttDemo(config, topology, log),
  };
  const stop = await runners[service]();
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await stop();
  return 0;
}

export async function nodes(config: DeskConfig, io: CliIo, log: Logger): Promise<number> {
  const topology = deskTopology(config);
  const t = deskTarget(topology);
  const admin = await connectAs(t.xmpp, t.credentials, 'admin', log, 'cli');
  try {
    const pubsub = createPubsub(admin, topology.pubsubHost);
    for (const n of await pubsub.nodes()) {
      const c = await pubsub.configuration(n.node);
      io.out(
        `${n.node.padEnd(16)} access=${c.access_model?.[0]} publish=${c.publish_model?.[0]} max_items=${c.max_items?.[0]}  ${n.name ?? ''}`,
      );
    }
  } finally {
    await admin.stop();
  }
  return 0;
}

export function usersList(config: DeskConfig, io: CliIo): number {
  for (const a of Object.values(deskTarget(deskTopology(config)).credentials.accounts))
    io.out(`${a.user.padEnd(12)} ${a.role}`);
  return 0;
}

export async function usersAdd(config: DeskConfig, name: string, role: Role, io: CliIo, log: Logger): Promise<number> {
  const topology = deskTopology(config);
  const t = deskTarget(topology);
  const existing = t.credentials.accounts[name];
  if (existing) {
    io.err(`tickdesk: ${name} already exists (role ${existing.role})`);
    return 1;
  }
  const acct = { user: name, role, password: newPassword() };
  const admin = await connectAs(t.xmpp, t.credentials, 'admin', log, 'cli');
  const redis = new Redis(deskRedisOptions(topology, t.credentials, 'desk'));
  try {
    // The same path as POST /v1/users: account, role, entitlements, a trader's presence links.
    const sessions = deskSessions(t.xmpp, t.credentials, log);
    const created = await provisionAccount(
      {
        admin,
        redis,
        domain: topology.domain,
        pubsubHost: topology.pubsubHost,
        instruments: deskInstruments(topology),
        log,
        sessions,
      },
      acct,
    );
    if (!created) {
      io.err(`tickdesk: ${name}@${topology.domain} already exists on the server`);
      return 1;
    }
    t.credentials.accounts[name] = acct;
    saveCredentials(topology.paths.credentials, t.credentials);
    io.out(`created ${name}@${topology.domain} (${role}); password written to ${topology.paths.credentials}`);
    return 0;
  } finally {
    redis.disconnect();
    await admin.stop();
  }
}
