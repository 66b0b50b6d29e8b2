import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Instrument } from '@tickdesk/schemas';
import { connectAs } from './connect.js';
import { DEMO_USERS, newPassword, saveCredentials, type Role } from './credentials.js';
import type { DeskInfra } from './desk-infra.js';
import { provisionNodes, provisionUser, USERS_KEY } from './provision.js';

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
  const redis = new Redis(infra.redis.url, { lazyConnect: true });
  try {
    await redis.connect();
    await provisionNodes(feed, infra.pubsubHost, instruments);
    const deps = { admin, redis, domain: infra.domain, pubsubHost: infra.pubsubHost, instruments, log };
    // The admin account owns every node service-wide (pubsub admin): a node affiliation
    // would only narrow that, so it gets its role and nothing else.
    await redis.hset(USERS_KEY, 'admin', 'admin');
    await provisionUser(deps, credentials.accounts.recorder!);
    for (const [user] of [...DEMO_USERS, ...extraUsers]) {
      const acct = credentials.accounts[user]!;
      await provisionUser(deps, acct, user === 'ana' ? instruments.map((i) => i.symbol) : []);
    }
  } finally {
    redis.disconnect();
    await feed.stop();
    await admin.stop();
  }
}
