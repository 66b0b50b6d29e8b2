import { Redis } from 'ioredis';
import { redisConnection } from '@tickdesk/infra';
import type { Logger } from 'pino';
import { DISABLED_ROLE, isDeskRole, type Instrument } from '@tickdesk/schemas';
import { connectAs, type XmppTarget } from './connect.js';
import {
  DEMO_USERS,
  newPassword,
  saveCredentials,
  SERVICE_ACCOUNTS,
  type Credentials,
  type Role,
} from './credentials.js';
import type { DeskInfra } from './desk-infra.js';
import {
  createSessionOpener,
  linkAllTraders,
  provisionUser,
  type Account,
  type SessionOpener,
} from '@tickdesk/accounts';
import { createRoleStore } from '@tickdesk/store';
import { provisionNodes } from './provision.js';
import { retryTransient } from '@tickdesk/feed-core';
import { provisionAuditNode } from '@tickdesk/alerts';
import { createPubsub } from '@tickdesk/xmpp';
import { archiveNothing } from './archive-prefs.js';

/** Sessions as the desk's accounts, with the passwords of its credentials file (presence links). */
export function deskSessions(target: XmppTarget, credentials: Credentials, log: Logger): SessionOpener {
  return createSessionOpener({ ...target, log, passwordOf: (user) => credentials.accounts[user]?.password });
}

/**
 * Bring a desk to its provisioned state (idempotent): instrument nodes owned by the
 * feed account, the demo users with their roles and entitlements. The demo analyst
 * `ana` is entitled to every instrument; `extraUsers` get no grants.
 */
export async function provisionDesk({
  infra,
  instruments,
  log,
  extraUsers = [],
}: {
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
  // As the desk user (the first of startRedis's users): roles (@tickdesk/store role-store.ts).
  const redis = new Redis({ ...redisConnection(infra.redis.port, infra.redis.login), lazyConnect: true });
  try {
    await redis.connect();
    await provisionNodes(feed, infra.pubsubHost, instruments, [`admin@${infra.domain}`], { log });
    // The live compliance feed's node: the engine's account publishes to it and keeps its readers.
    await retryTransient(
      'audit node',
      () => provisionAuditNode(createPubsub(admin, infra.pubsubHost), [`alerts@${infra.domain}`]),
      { log },
    );
    const deps = { admin, redis, domain: infra.domain, pubsubHost: infra.pubsubHost, instruments, log };
    // The admin account co-owns every instrument node (provisionNodes): it gets its role
    // and no member affiliation, which would replace its ownership.
    await createRoleStore({ redis }).set('admin', 'admin');
    // provisionUser is idempotent: retried whole while the server fails transiently (its affiliations, on a fresh cluster).
    const provision = (acct: Account, grants: readonly string[] = []) =>
      retryTransient(`provision ${acct.user}`, () => provisionUser(deps, acct, grants), { log });
    await provision(credentials.accounts.recorder!);
    await provision(credentials.accounts.alerts!);
    // The credentials file gives a demo account its first role; after that Redis's is the
    // current one (an admin may have changed it or disabled the account): a restart keeps it.
    const roles = createRoleStore({ redis });
    for (const [user] of [...DEMO_USERS, ...extraUsers]) {
      const acct = credentials.accounts[user]!;
      const recorded = await roles.get(user);
      if (recorded === DISABLED_ROLE) {
        log.info({ user }, 'account disabled: left as it is');
        continue;
      }
      const role = isDeskRole(recorded) ? recorded : acct.role;
      await provision({ ...acct, role }, user === 'ana' && role === 'analyst' ? instruments.map((i) => i.symbol) : []);
    }
    // Accounts `users add` wrote to the credentials file, again: a runtime folder that the
    // other XMPP server ran before (TICKDESK_XMPP_SERVER changed) has them in Redis but not
    // on this server, and linking the traders would log in as them. Redis's role is the
    // current one: a disabled account stays unmade; an analyst's grants are not carried over.
    const listed = new Set([...SERVICE_ACCOUNTS, ...DEMO_USERS, ...extraUsers].map(([user]) => user));
    for (const acct of Object.values(credentials.accounts)) {
      const role = listed.has(acct.user) ? undefined : await roles.deskRole(acct.user);
      if (role) await provision({ ...acct, role });
    }
    await linkAllTraders({ redis, log, sessions: deskSessions(target, credentials, log) });
    // The service accounts keep no message archive of their own (archive-prefs.ts).
    for (const [user] of SERVICE_ACCOUNTS) {
      const client =
        user === 'feed'
          ? feed
          : user === 'admin'
            ? admin
            : await connectAs(target, credentials, user, log, 'provision');
      try {
        await retryTransient(`archive preferences of ${user}`, () => archiveNothing(client, user, log), { log });
      } finally {
        if (client !== feed && client !== admin) await client.stop();
      }
    }
  } finally {
    redis.disconnect();
    await feed.stop();
    await admin.stop();
  }
}
