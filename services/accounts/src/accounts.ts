import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import { barsNode, ticksNode, type AccountRole, type Instrument } from '@tickdesk/schemas';
import { createRoleStore } from '@tickdesk/store';
import { addUser, bareJid, createPubsub, XmppError, type PubsubPeer, type XmppClient } from '@tickdesk/xmpp';

/** A role the desk gives an account (`disabled` is set only by disabling one). */
export type Role = Exclude<AccountRole, 'disabled'>;
export interface Account {
  user: string;
  password: string;
  role: Role;
}

/** Redis hash of every account's role (field = user name), declared in @tickdesk/store. */
export { USERS_KEY } from '@tickdesk/store';

/** Roles entitled to every instrument; analysts are entitled per instrument by grant. */
const DESK_ROLES: ReadonlySet<Role> = new Set(['trader', 'compliance', 'admin', 'service']);

/**
 * Create an XMPP account with XEP-0133 (as the admin), record its role in Redis and
 * entitle it: desk roles to every instrument node, analysts to `grants`.
 * Returns false when the account already existed (its role and entitlements are still set).
 */
export async function provisionUser(
  deps: {
    admin: XmppClient;
    redis: Redis;
    domain: string;
    pubsubHost: string;
    instruments: readonly Instrument[];
    log: Logger;
  },
  acct: Account,
  grants: readonly string[] = [],
): Promise<boolean> {
  const jid = `${acct.user}@${deps.domain}`;
  let created = true;
  try {
    await addUser(deps.admin, deps.domain, jid, acct.password);
  } catch (err) {
    if (accountExists(err)) created = false;
    else throw err;
  }
  await createRoleStore({ redis: deps.redis }).set(acct.user, acct.role);
  const symbols = DESK_ROLES.has(acct.role) ? deps.instruments.map((i) => i.symbol) : grants;
  await entitle(deps.admin, deps.pubsubHost, jid, symbols, 'member');
  deps.log.info({ jid, role: acct.role, created, entitled: symbols.length }, 'user provisioned');
  return created;
}

/**
 * XEP-0133 §4.1 add-user for an existing account: ejabberd answers the IQ with
 * `<conflict/>` (RFC 6120 §8.3.3.4); Prosody completes the command with an error note
 * and no condition, so only its note's text tells.
 */
export function accountExists(err: unknown): boolean {
  if (!(err instanceof XmppError)) return false;
  return err.condition === 'conflict' || (err.condition === 'bad-request' && /already exists/i.test(err.message));
}

/**
 * Grant (member) or revoke (none) access to instruments' ticks/ and bars/ nodes. A
 * revocation first removes the account's subscriptions (XEP-0060 §8.8.2): Prosody
 * 0.12 keeps delivering to a subscriber whose affiliation alone is removed.
 */
export async function entitle(
  admin: PubsubPeer,
  pubsubHost: string,
  jid: string,
  symbols: readonly string[],
  affiliation: 'member' | 'none',
): Promise<void> {
  const pubsub = createPubsub(admin, pubsubHost);
  const account = bareJid(jid);
  for (const s of symbols) {
    for (const node of [ticksNode(s), barsNode(s)]) {
      if (affiliation === 'none') {
        const subs = (await pubsub.subscriptions(node)).filter((x) => bareJid(x.jid) === account);
        if (subs.length > 0)
          await pubsub.setSubscriptions(
            node,
            subs.map((x) => ({ jid: x.jid, subscription: 'none' })),
          );
      }
      await pubsub.setAffiliations(node, [{ jid, affiliation }]);
    }
  }
}
