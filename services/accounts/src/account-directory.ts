import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DISABLED_ROLE, ticksNode, type Instrument } from '@tickdesk/schemas';
import {
  changeUserPassword,
  createPubsub,
  endUserSessions,
  jidDomain,
  parseJid,
  type XmppClient,
} from '@tickdesk/xmpp';
import { createRoleStore } from '@tickdesk/store';
import { entitle, type Role } from './accounts.js';
import { provisionAccount, type SessionOpener } from './provision-account.js';
import { createRemoteGrants } from './remote-grants.js';

export interface AccountDirectoryDeps {
  /** A session of the server admin account (XEP-0133 and pubsub affiliations). */
  admin: XmppClient;
  redis: Redis;
  domain: string;
  pubsubHost: string;
  instruments: readonly Instrument[];
  log: Logger;
  /** Sessions for a new trader's presence links (the alert engine's password, the desk's traders'); without them no trader can be created. */
  sessions?: SessionOpener;
  /** The peer desks' domains (topology.federation.peers), whose accounts may be entitled; none by default. */
  peerDomains?: readonly string[];
  /** Remote grants the desk may hold (DEFAULT_MAX_REMOTE_GRANTS). */
  maxRemoteGrants?: number;
}

/**
 * Account administration for programs (the REST API): creation through the same
 * path as the CLI (provision-account.ts: XEP-0133, role, entitlements, a trader's
 * presence links), roles in Redis, analysts' entitlements as pubsub affiliations, and disabling (a
 * fresh random password, sessions ended, role removed). Standard XEPs only.
 */
export function createAccountDirectory(deps: AccountDirectoryDeps) {
  const jid = (user: string) => `${user}@${deps.domain}`;
  const known = new Set(deps.instruments.map((i) => i.symbol));
  const roles = createRoleStore({ redis: deps.redis });
  // Remote accounts never get a desk role: a name with '@' is a JID, not one of our accounts.
  const localOnly = (user: string) => {
    if (user.includes('@')) throw new RangeError(`${user} is not a local account: remote accounts get no desk role`);
  };

  return {
    async roleOf(user: string): Promise<string | undefined> {
      return roles.get(user);
    },
    async list(): Promise<Array<{ user: string; role: string }>> {
      const all = await roles.all();
      return Object.entries(all)
        .map(([user, role]) => ({ user, role }))
        .sort((a, b) => a.user.localeCompare(b.user));
    },
    /** Creates the account with a generated password, returned once; false when it exists. */
    async create(user: string, role: Exclude<Role, 'service'>): Promise<{ created: boolean; password: string }> {
      localOnly(user);
      const password = randomBytes(18).toString('base64url');
      if (await roles.exists(user)) return { created: false, password: '' };
      const { sessions } = deps;
      if (!sessions && role === 'trader')
        throw new Error('a trader cannot be created without sessions for its presence links');
      const created = await provisionAccount(
        { ...deps, sessions: sessions ?? (() => Promise.resolve(undefined)) },
        { user, role, password },
      );
      return { created, password: created ? password : '' };
    },
    async setRole(user: string, role: Exclude<Role, 'service'>): Promise<void> {
      localOnly(user);
      const before = await roles.get(user);
      await roles.set(user, role);
      const all = deps.instruments.map((i) => i.symbol);
      // Desk roles read every instrument; an analyst keeps only explicit grants.
      if (role !== 'analyst') await entitle(deps.admin, deps.pubsubHost, jid(user), all, 'member');
      else if (before !== 'analyst') await entitle(deps.admin, deps.pubsubHost, jid(user), all, 'none');
      deps.log.info({ user, from: before, to: role }, 'role changed');
    },
    async disable(user: string): Promise<void> {
      await changeUserPassword(deps.admin, deps.domain, jid(user), randomBytes(24).toString('base64url'));
      await endUserSessions(deps.admin, deps.domain, jid(user)).catch((err: Error) =>
        deps.log.info({ user, err }, 'no session to end'),
      );
      await roles.set(user, DISABLED_ROLE);
      await entitle(
        deps.admin,
        deps.pubsubHost,
        jid(user),
        deps.instruments.map((i) => i.symbol),
        'none',
      );
      deps.log.info({ user }, 'account disabled');
    },
    /** Instruments whose ticks/ node lists the user as a member. */
    async entitlements(user: string): Promise<string[]> {
      const members = await this.members();
      return deps.instruments.map((i) => i.symbol).filter((s) => members.get(s)?.has(user));
    },
    /**
     * Every instrument's readers by affiliation: symbol → users of this domain affiliated
     * with its ticks/ node (XEP-0060 §8.9.1), one request per instrument for all users.
     */
    async members(): Promise<Map<string, Set<string>>> {
      const pubsub = createPubsub(deps.admin, deps.pubsubHost);
      const domain = jidDomain(deps.domain);
      const out = new Map<string, Set<string>>();
      await Promise.all(
        deps.instruments.map(async (i) => {
          const affs = await pubsub.affiliations(ticksNode(i.symbol));
          const users = affs
            .filter((a) => a.affiliation !== 'none' && a.affiliation !== 'outcast')
            .flatMap((a) => {
              const j = parseJid(a.jid);
              return j?.local && j.domain === domain ? [j.local] : [];
            });
          out.set(i.symbol, new Set(users));
        }),
      );
      return out;
    },
    async grant(user: string, symbol: string, on: boolean): Promise<void> {
      if (!known.has(symbol)) throw new RangeError(`unknown instrument ${symbol}`);
      await entitle(deps.admin, deps.pubsubHost, jid(user), [symbol], on ? 'member' : 'none');
    },
    /** Grants to accounts of peer desks (remote-grants.ts). */
    remote: createRemoteGrants({
      admin: deps.admin,
      pubsubHost: deps.pubsubHost,
      instruments: deps.instruments,
      peerDomains: deps.peerDomains ?? [],
      ...(deps.maxRemoteGrants === undefined ? {} : { maxGrants: deps.maxRemoteGrants }),
      log: deps.log,
    }),
  };
}
export type AccountDirectory = ReturnType<typeof createAccountDirectory>;
