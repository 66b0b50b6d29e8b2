import type { Logger } from 'pino';
import { ticksNode, type Instrument } from '@tickdesk/schemas';
import { createPubsub, parseJid, type PubsubPeer } from '@tickdesk/xmpp';
import { entitle } from './accounts.js';
import { RemoteGrantError, remoteAccount } from './remote-jid.js';

/**
 * Remote grants (one account of a peer desk, one instrument) a desk holds unless configured
 * otherwise (TICKDESK_API_REMOTE_GRANTS_MAX): each is an entry in two nodes' affiliation
 * lists, which Prosody holds in memory and sends whole to every owner request.
 */
export const DEFAULT_MAX_REMOTE_GRANTS = 1_000;

export interface RemoteGrantsDeps {
  /** A session of the server admin account, owner of every instrument node. */
  admin: PubsubPeer;
  pubsubHost: string;
  instruments: readonly Instrument[];
  /** The peer desks' domains (topology.federation.peers); none: every remote account is refused. */
  peerDomains: readonly string[];
  maxGrants?: number;
  log: Logger;
}

export interface RemoteGrant {
  jid: string;
  symbols: string[];
}

/**
 * Entitlements of accounts on peer desks: the same XEP-0060 `member` affiliation on our
 * `ticks/` and `bars/` nodes as a local analyst's (accounts.ts `entitle`, which removes
 * the subscriptions before the affiliation on revocation). Remote accounts have no role,
 * so their grants are read back from the nodes, never from Redis.
 */
export function createRemoteGrants(deps: RemoteGrantsDeps) {
  const max = deps.maxGrants ?? DEFAULT_MAX_REMOTE_GRANTS;
  const symbols = deps.instruments.map((i) => i.symbol);
  const log = deps.log.child({ component: 'remote-grants' });
  const account = (jid: string) => remoteAccount(jid, deps.peerDomains);
  // Grants one after the other, so that each counts the ones before it (within this process).
  let queue: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(fn: () => Promise<T>): Promise<T> => {
    const turn = queue.then(fn, fn);
    queue = turn.catch(() => undefined);
    return turn;
  };
  const instrument = (symbol: string) => {
    if (!symbols.includes(symbol)) throw new RemoteGrantError('unknown-instrument', `unknown instrument ${symbol}`);
  };

  /** Every peer-desk account with a ticks/ affiliation (XEP-0060 §8.9.1), one request per instrument. */
  async function all(): Promise<RemoteGrant[]> {
    const pubsub = createPubsub(deps.admin, deps.pubsubHost);
    const peers = new Set(deps.peerDomains.map((d) => d.toLowerCase()));
    const byJid = new Map<string, string[]>();
    for (const symbol of symbols) {
      for (const a of await pubsub.affiliations(ticksNode(symbol))) {
        const j = parseJid(a.jid);
        if (a.affiliation !== 'member' || !j?.local || !peers.has(j.domain)) continue;
        const bare = j.bare().toString();
        byJid.set(bare, [...(byJid.get(bare) ?? []), symbol]);
      }
    }
    return [...byJid]
      .map(([jid, held]) => ({ jid, symbols: held }))
      .sort((a, b) => (a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0));
  }

  return {
    /** The most remote grants this desk holds. */
    max,
    /** The bare JID of a peer desk's account, or a RemoteGrantError (remote-jid.ts). */
    account,
    /** Every remote account's grants, or one account's (its symbols empty when it has none). */
    async list(jid?: string): Promise<RemoteGrant[]> {
      if (jid === undefined) return all();
      const bare = account(jid);
      return [(await all()).find((g) => g.jid === bare) ?? { jid: bare, symbols: [] }];
    },
    /** Member of the instrument's nodes; false when the account held it already. Refused beyond `max` grants. */
    async grant(jid: string, symbol: string): Promise<boolean> {
      const bare = account(jid);
      instrument(symbol);
      return inTurn(async () => {
        const grants = await all();
        if (grants.some((g) => g.jid === bare && g.symbols.includes(symbol))) return false;
        const held = grants.reduce((n, g) => n + g.symbols.length, 0);
        if (held >= max)
          throw new RemoteGrantError(
            'limit',
            `this desk holds ${held} remote grants, the most allowed (TICKDESK_API_REMOTE_GRANTS_MAX): revoke one first`,
          );
        await entitle(deps.admin, deps.pubsubHost, bare, [symbol], 'member');
        log.info({ jid: bare, symbol }, 'remote account entitled');
        return true;
      });
    },
    /** Subscriptions removed, then the affiliation (as for a local analyst). */
    async revoke(jid: string, symbol: string): Promise<void> {
      const bare = account(jid);
      instrument(symbol);
      await entitle(deps.admin, deps.pubsubHost, bare, [symbol], 'none');
      log.info({ jid: bare, symbol }, 'remote entitlement revoked');
    },
  };
}
export type RemoteGrants = ReturnType<typeof createRemoteGrants>;
