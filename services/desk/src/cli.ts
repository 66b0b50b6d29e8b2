#!/usr/bin/env node
import { pino, type Logger } from 'pino';
import { Redis } from 'ioredis';
import { DEFAULT_INSTRUMENTS, DESK_ROLES } from '@tickdesk/schemas';
import { createLastPriceStore } from '@tickdesk/store';
import { createPubsub } from '@tickdesk/xmpp';
import { InfraError } from '@tickdesk/infra';
import { loadDeskConfig, type DeskConfig } from './config.js';
import { connectAs, deskRedisOptions, deskTarget } from './connect.js';
import { deskTopology } from './topology.js';
import { newPassword, saveCredentials, type Role } from './credentials.js';
import { provisionAccount } from '@tickdesk/accounts';
import { deskSessions } from './provision-desk.js';
import { runAlerts } from './run-alerts.js';
import { runApi } from './run-api.js';
import { runFeed } from './run-feed.js';
import { runRecorder } from './run-recorder.js';
import { exitOnUncaught } from './fatal.js';
import { isAlive, readDeskState } from './state-file.js';
import { portListening, statusLines } from './desk-status.js';
import { askSentinels, redisPrimaryLine } from './redis-status.js';
import { up } from './up.js';

const USAGE = `usage: tickdesk <command>
  up                                   start the desk in the foreground (Ctrl-C stops it)
  down                                 stop a running desk
  status                               what is running, and the last prices
  users add <name> --role <role>       create an account (trader|analyst|compliance|admin)
  users list                           accounts and roles
  nodes                                the instrument nodes on the pubsub service`;

const out = (line: string) => process.stdout.write(line + '\n');

async function main(argv: string[]): Promise<number> {
  const config = loadDeskConfig(process.env);
  const log = pino({ level: config.TICKDESK_LOG_LEVEL });
  const [cmd, sub, ...rest] = argv;
  switch (cmd) {
    case 'up':
      return up(config, pino({ level: 'warn' }), out);
    case 'run': {
      exitOnUncaught(log.child({ service: sub }));
      const topology = deskTopology(config);
      const runners: Record<string, () => Promise<() => Promise<void>>> = {
        feed: () => runFeed(config, topology, log),
        recorder: () => runRecorder(config, topology, process.env, log),
        alerts: () => runAlerts(config, topology, process.env, log),
        api: () => runApi(topology, process.env, log),
      };
      const stop = sub && runners[sub] ? await runners[sub]() : undefined;
      if (!stop) throw new Error(`unknown service ${sub}`);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await stop();
      return 0;
    }
    case 'down': {
      const s = readDeskState(config.TICKDESK_HOME);
      if (!s || !isAlive(s.pid)) {
        out('no desk is running');
        return 0;
      }
      process.kill(s.pid, 'SIGTERM');
      for (let i = 0; i < 200 && isAlive(s.pid); i++) await new Promise((r) => setTimeout(r, 100));
      out(isAlive(s.pid) ? `desk (pid ${s.pid}) did not stop` : 'desk stopped');
      return isAlive(s.pid) ? 1 : 0;
    }
    case 'status':
      return status(config);
    case 'users':
      return users(config, sub, rest, log);
    case 'nodes': {
      const topology = deskTopology(config);
      const t = deskTarget(topology);
      const admin = await connectAs(t.xmpp, t.credentials, 'admin', log, 'cli');
      const pubsub = createPubsub(admin, topology.pubsubHost);
      for (const n of await pubsub.nodes()) {
        const c = await pubsub.configuration(n.node);
        out(`${n.node.padEnd(16)} access=${c.access_model?.[0]} publish=${c.publish_model?.[0]} max_items=${c.max_items?.[0]}  ${n.name ?? ''}`);
      }
      await admin.stop();
      return 0;
    }
    default:
      out(USAGE);
      return cmd ? 2 : 0;
  }
}

/** How long `status` waits for Redis's last prices. */
const STATUS_REDIS_TIMEOUT_MS = 3_000;

/** A part's own report's detail (an alert engine's instruments), from GET /state on its loopback metrics port. */
async function partReport(port: number): Promise<string | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/state`, { signal: AbortSignal.timeout(1_000) });
  const body = (await res.json()) as { detail?: unknown };
  return typeof body.detail === 'string' ? body.detail.slice(0, 300) : undefined;
}

async function status(config: DeskConfig): Promise<number> {
  const s = readDeskState(config.TICKDESK_HOME);
  if (!s || !isAlive(s.pid)) {
    out('desk: stopped');
    return 3;
  }
  const { lines } = await statusLines(s, { alive: isAlive, listening: (port) => portListening(port), report: partReport });
  for (const line of lines) out(line);
  const topology = deskTopology(config);
  const sentinelPassword = deskTarget(topology).credentials.redis.sentinelPassword;
  if (topology.redis.mode === 'sentinel' && sentinelPassword) out(redisPrimaryLine(await askSentinels(topology.redis.sentinels, sentinelPassword, topology.redis.masterName), s.ports.redis));
  const redis = new Redis({ ...deskRedisOptions(topology, deskTarget(topology).credentials, 'desk'), lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  // A Redis that hangs (a stopped primary before its fail-over) must not hang the status.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${STATUS_REDIS_TIMEOUT_MS / 1000} s`)), STATUS_REDIS_TIMEOUT_MS)));
  try {
    const last = await Promise.race([redis.connect().then(() => createLastPriceStore({ redis }).all()), timeout]);
    const bySymbol = new Map(last.map((p) => [p.symbol, p]));
    for (const i of DEFAULT_INSTRUMENTS) {
      const l = bySymbol.get(i.symbol);
      out(`  ${i.symbol.padEnd(9)} ${l ? `${l.price} at ${l.eventTime}` : 'no ticks yet'}`);
    }
  } catch (err) {
    out(`  last prices: Redis did not answer (${(err as Error).message})`);
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
  return 0;
}

const ROLES: readonly Role[] = DESK_ROLES;

async function users(config: DeskConfig, sub: string | undefined, rest: string[], log: Logger): Promise<number> {
  const topology = deskTopology(config);
  const t = deskTarget(topology);
  if (sub === 'list') {
    for (const a of Object.values(t.credentials.accounts)) out(`${a.user.padEnd(12)} ${a.role}`);
    return 0;
  }
  const name = rest[0];
  const roleIdx = rest.indexOf('--role');
  const role = rest[roleIdx + 1] as Role | undefined;
  if (sub !== 'add' || !name || roleIdx < 0 || !role || !ROLES.includes(role) || !/^[a-z0-9._-]{1,64}$/.test(name)) {
    out('usage: tickdesk users add <name> --role trader|analyst|compliance|admin   (name: a-z 0-9 . _ -)');
    return 2;
  }
  if (t.credentials.accounts[name]) {
    out(`${name} already exists (role ${t.credentials.accounts[name]!.role})`);
    return 1;
  }
  const acct = { user: name, role, password: newPassword() };
  const admin = await connectAs(t.xmpp, t.credentials, 'admin', log, 'cli');
  const redis = new Redis(deskRedisOptions(topology, t.credentials, 'desk'));
  try {
    // The same path as POST /v1/users: account, role, entitlements, a trader's presence links.
    const sessions = deskSessions(t.xmpp, t.credentials, log);
    const created = await provisionAccount({ admin, redis, domain: topology.domain, pubsubHost: topology.pubsubHost, instruments: DEFAULT_INSTRUMENTS, log, sessions }, acct);
    if (!created) {
      out(`${name}@${topology.domain} already exists on the server`);
      return 1;
    }
    t.credentials.accounts[name] = acct;
    saveCredentials(topology.paths.credentials, t.credentials);
    out(`created ${name}@${topology.domain} (${role}); password written to ${topology.paths.credentials}`);
    return 0;
  } finally {
    redis.disconnect();
    await admin.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const e = err as Error & { code?: string };
    process.stderr.write(`tickdesk: ${e instanceof InfraError || e.name === 'ConfigError' || e.name === 'XmppError' ? e.message : (e.stack ?? e.message)}\n`);
    process.exit(1);
  },
);
