import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import type { Instrument } from '@tickdesk/schemas';
import { createXmppClient, type XmppClient } from '@tickdesk/xmpp';
import { createRoleStore } from '@tickdesk/store';
import { provisionUser, type Account } from './accounts.js';
import { linkPresence } from './presence-links.js';

/** The alert engine's account: every trader must see it and be seen by it (routing by presence). */
export const DESK_ACCOUNT = 'alerts';

/**
 * Opens a session as `user` with `password`, or with the password known for it; resolves
 * undefined when none is known (an account made elsewhere, whose password was handed out once).
 */
export type SessionOpener = (user: string, password?: string) => Promise<XmppClient | undefined>;

/** Sessions for presence links, with the passwords `passwordOf` knows (the desk's credentials file). */
export function createSessionOpener(opts: {
  service: string;
  domain: string;
  ca?: string;
  log: Logger;
  passwordOf: (user: string) => string | undefined;
}): SessionOpener {
  return async (user, password) => {
    const pw = password ?? opts.passwordOf(user);
    if (pw === undefined) return undefined;
    const client = createXmppClient({
      service: opts.service,
      domain: opts.domain,
      username: user,
      password: pw,
      log: opts.log,
      resource: 'provision',
      reconnect: false,
      ...(opts.ca ? { ca: opts.ca } : {}),
    });
    await client.start();
    return client;
  };
}

export interface ProvisionDeps {
  /** A session of the server admin account (XEP-0133 and pubsub affiliations). */
  admin: XmppClient;
  redis: Redis;
  domain: string;
  pubsubHost: string;
  instruments: readonly Instrument[];
  log: Logger;
  sessions: SessionOpener;
}

/**
 * The one way an account is made, by the CLI and by the REST API alike: the XMPP account
 * (XEP-0133), its role in Redis, its entitlements (pubsub affiliations) and, for a
 * trader, mutual presence subscriptions with the alert engine's account and every other
 * trader. Idempotent; returns false when the XMPP account already existed.
 */
export async function provisionAccount(
  deps: ProvisionDeps,
  acct: Account,
  grants: readonly string[] = [],
): Promise<boolean> {
  const created = await provisionUser(deps, acct, grants);
  if (acct.role === 'trader') await linkTrader(deps, acct.user, acct.password);
  return created;
}

async function traders(redis: Redis): Promise<string[]> {
  const all = await createRoleStore({ redis }).all();
  return Object.entries(all)
    .filter(([, role]) => role === 'trader')
    .map(([user]) => user)
    .sort();
}

/**
 * Link `user` with the alert engine's account (required: an error when it cannot be
 * done) and with every other trader whose session can be opened (skipped and logged
 * otherwise: their dashboards then do not show each other online).
 */
export async function linkTrader(
  deps: Pick<ProvisionDeps, 'redis' | 'log' | 'sessions'>,
  user: string,
  password?: string,
): Promise<void> {
  const open: XmppClient[] = [];
  const session = async (u: string, pw?: string) => {
    const c = await deps.sessions(u, pw);
    if (c) open.push(c);
    return c;
  };
  try {
    const mine = await session(user, password);
    const desk = await session(DESK_ACCOUNT);
    if (!mine || !desk)
      throw new Error(`cannot link ${user} with ${DESK_ACCOUNT}: no password for ${mine ? DESK_ACCOUNT : user}`);
    await linkPresence(desk, mine, deps.log);
    const skipped: string[] = [];
    for (const other of await traders(deps.redis)) {
      if (other === user) continue;
      const c = await session(other);
      if (c) await linkPresence(mine, c, deps.log);
      else skipped.push(other);
    }
    if (skipped.length > 0) deps.log.info({ user, skipped }, 'traders without a known password not linked by presence');
  } finally {
    await Promise.all(open.map((c) => c.stop().catch(() => undefined)));
  }
}

/** Every trader with the alert engine's account and with each other (a desk's start). */
export async function linkAllTraders(deps: Pick<ProvisionDeps, 'redis' | 'log' | 'sessions'>): Promise<void> {
  const open: XmppClient[] = [];
  try {
    const desk = await deps.sessions(DESK_ACCOUNT);
    if (!desk) throw new Error(`no password for ${DESK_ACCOUNT}`);
    open.push(desk);
    const online: XmppClient[] = [];
    for (const t of await traders(deps.redis)) {
      const c = await deps.sessions(t);
      if (c) {
        online.push(c);
        open.push(c);
      } else deps.log.info({ user: t }, 'trader without a known password not linked by presence');
    }
    for (const [i, t] of online.entries()) {
      await linkPresence(desk, t, deps.log);
      for (const other of online.slice(i + 1)) await linkPresence(t, other, deps.log);
    }
  } finally {
    await Promise.all(open.map((c) => c.stop().catch(() => undefined)));
  }
}
