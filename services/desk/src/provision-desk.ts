import { Redis } from 'ioredis';
import { redisConnection } from '@tickdesk/infra';
import type { Logger } from 'pino';
import type { Instrument } from '@tickdesk/schemas';
import type { XmppClient } from '@tickdesk/xmpp';
import { connectAs, type XmppTarget } from './connect.js';
import { DEMO_USERS, newPassword, saveCredentials, type Credentials, type Role } from './credentials.js';
import type { DeskInfra } from './desk-infra.js';
import { linkDesk, linkPresence, provisionUser, USERS_KEY } from '@tickdesk/accounts';
import { provisionNodes } from './provision.js';

/** The desk account and every trader with a known password see each other's presence. */
export async function linkTraders(target: XmppTarget, credentials: Credentials, log: Logger, only?: string): Promise<void> {
  const traders = Object.values(credentials.accounts).filter((a) => a.role === 'trader').map((a) => a.user);
  const clients: XmppClient[] = [];
  try {
    const desk = await connectAs(target, credentials, 'alerts', log, 'provision');
    clients.push(desk);
    for (const t of traders) clients.push(await connectAs(target, credentials, t, log, 'provision'));
    const traderClients = clients.slice(1);
    if (only === undefined) await linkDesk(desk, traderClients, log);
    else {
      const mine = traderClients[traders.indexOf(only)]!;
      await linkPresence(desk, mine, log);
      for (const other of traderClients) if (other !== mine) await linkPresence(mine, other, log);
    }
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
  }
}

/**
 * Bring a desk to its provisioned state (idempotent): instrument nodes owned by the
 * feed account, the demo users with their roles and entitlements. The demo analyst
 * `ana` is entitled to every instrument; `extraUsers` get no grants.
 */
export async function provisionDesk({ infra, instruments, log, extraUsers = [] }: {
  infra: DeskInfra;
  instruments: readonly Instrument[];
  log: Logger;
  extraUsers?: ReadonlyArray<[string, Role]>;
}): Promise<void> {
  const target = { service: infra.service, domain: infra.domain, ca: infra.ca };
  const { credentials } = infra;
  for (const [user, role] of extraUsers) credentials.accounts[user] ??= { user, role, password: newPassword() };
  saveCredentials(infra.credentialsPath, credentials);
  const feed = await connectAs(target, credentials, 'feed', log, 'provision');
  const admin = await connectAs(target, credentials, 'admin', log, 'provision');
  // As the desk user (the first of startRedis's users): roles in td:users.
  const redis = new Redis({ ...redisConnection(infra.redis.port, infra.redis.login), lazyConnect: true });
  try {
    await redis.connect();
    await provisionNodes(feed, infra.pubsubHost, instruments);
    const deps = { admin, redis, domain: infra.domain, pubsubHost: infra.pubsubHost, instruments, log };
    // The admin account owns every node service-wide (pubsub admin): a node affiliation
    // would only narrow that, so it gets its role and nothing else.
    await redis.hset(USERS_KEY, 'admin', 'admin');
    await provisionUser(deps, credentials.accounts.recorder!);
    await provisionUser(deps, credentials.accounts.alerts!);
    for (const [user] of [...DEMO_USERS, ...extraUsers]) {
      const acct = credentials.accounts[user]!;
      await provisionUser(deps, acct, user === 'ana' ? instruments.map((i) => i.symbol) : []);
    }
    await linkTraders(target, credentials, log);
  } finally {
    redis.disconnect();
    await feed.stop();
    await admin.stop();
  }
}
