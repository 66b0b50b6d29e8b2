import { RemoteGrantError, remoteAccount, type RemoteGrants } from '@tickdesk/accounts';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';

/** Peer desks of the fake: their accounts may be entitled. */
const PEERS = ['deskb.localhost', 'partner.example'];

/**
 * Remote grants kept in memory, with the real JID check (remote-jid.ts) and limit, as the
 * XMPP one keeps them in the nodes' affiliations.
 */
export function fakeRemoteGrants(max = 3): RemoteGrants & { held: Map<string, Set<string>> } {
  const held = new Map<string, Set<string>>();
  const account = (jid: string) => remoteAccount(jid, PEERS);
  const instrument = (symbol: string) => {
    if (!DEFAULT_INSTRUMENTS.some((i) => i.symbol === symbol))
      throw new RemoteGrantError('unknown-instrument', `unknown instrument ${symbol}`);
  };
  const count = () => [...held.values()].reduce((n, s) => n + s.size, 0);
  return {
    held,
    max,
    account,
    list: (jid?: string) =>
      Promise.resolve(
        jid === undefined
          ? [...held].filter(([, s]) => s.size > 0).map(([j, s]) => ({ jid: j, symbols: [...s] }))
          : [{ jid: account(jid), symbols: [...(held.get(account(jid)) ?? [])] }],
      ),
    grant(jid: string, symbol: string) {
      const bare = account(jid);
      instrument(symbol);
      const set = held.get(bare) ?? new Set<string>();
      if (set.has(symbol)) return Promise.resolve(false);
      if (count() >= max) return Promise.reject(new RemoteGrantError('limit', `${max} remote grants held`));
      held.set(bare, set.add(symbol));
      return Promise.resolve(true);
    },
    revoke(jid: string, symbol: string) {
      const bare = account(jid);
      instrument(symbol);
      held.get(bare)?.delete(symbol);
      return Promise.resolve();
    },
  };
}
