import type { Logger } from 'pino';
import type { Rule } from '@tickdesk/schemas';
import {
  parseJid,
  presenceSubscription,
  receivesPresence,
  removeRosterItem,
  rosterEntry,
  rosterItems,
  type XmppClient,
} from '@tickdesk/xmpp';
import { isRemoteTrader } from './desk-user.js';

/**
 * Partner desks' traders one engine follows at most (TICKDESK_ALERTS_REMOTE_TRADERS_MAX): each
 * is a roster item of the alerts account and a presence entry every REST read returns.
 */
export const DEFAULT_REMOTE_TRADERS_MAX = 1_000;

/** What of a stored rule names partner traders. */
type NamingRule = Pick<Rule, 'id' | 'recipient' | 'backup'>;

export interface RemoteSubscriptionsDeps {
  client: XmppClient;
  /** The desk's domain: its own users in the roster are never partner traders. */
  domain: string;
  /** Partner desks' domains: a trader of a domain taken off the peers file is not followed. */
  peers: ReadonlySet<string>;
  max?: number;
  /** A partner's trader is followed from now on (starts offline until their presence comes). */
  onNamed: (trader: string) => void;
  /** A partner's trader is not followed any more: their presence entry goes. */
  onDropped: (trader: string) => Promise<void>;
  /** The traders with a presence entry in Redis (read at start, for partner traders left behind). */
  stored: () => Promise<readonly string[]>;
  log: Logger;
}

/**
 * Follows the presence of each partner desk's trader that a stored rule names (recipient or
 * backup), whatever the rule's status: a paused rule may be resumed, and a triggered or expired
 * one's alerts may still be on their way. Every engine loads every stored rule (rule-sync.ts),
 * whatever instruments it holds, so each one decides alike from the same rules; the presence
 * entry another engine needs is one its rules name, and these rules name it too.
 *
 * A remote contact's server asks its user, who approves in their client (RFC 6121 §3.1.3,
 * §3.1.4); until then the trader stays offline here, which routes like an offline local trader
 * (sent, kept by their server, backup told). A request already approved or pending is not sent
 * again (§3.1.2). Once no rule names them: unsubscribed (§3.3.1), their roster item removed
 * (§2.5) and their presence entry with it, so the desk stops showing a trader it does not follow.
 */
export function createRemoteSubscriptions(deps: RemoteSubscriptionsDeps) {
  const { client, domain, peers, max = DEFAULT_REMOTE_TRADERS_MAX, onNamed, onDropped, stored } = deps;
  const log = deps.log.child({ component: 'remote-subscriptions' });
  /** The partner traders each stored rule names, and how many rules name each trader. */
  const byRule = new Map<string, string[]>();
  const rulesNaming = new Map<string, number>();
  const followed = new Set<string>();
  // Rules changed one by one since the last full read: their change is at least as fresh as that read.
  const touched = new Set<string>();
  // One roster operation at a time per trader: a drop and a new request never interleave.
  const queues = new Map<string, Promise<void>>();

  const isPartner = (t: string): boolean => isRemoteTrader(t) && peers.has(t.slice(t.lastIndexOf('@') + 1));

  function queue(trader: string, what: string, op: () => Promise<void>): void {
    const next = (queues.get(trader) ?? Promise.resolve())
      .then(op)
      .catch((err: Error) => log.warn({ err, trader }, `${what} failed`));
    queues.set(trader, next);
    void next.then(() => queues.get(trader) === next && queues.delete(trader));
  }

  async function subscribe(jid: string): Promise<void> {
    if (!followed.has(jid)) return;
    const entry = await rosterEntry(client.iq, jid);
    if (receivesPresence(entry) || entry.pending) return;
    await client.send(presenceSubscription(jid, 'subscribe'));
    log.info({ trader: jid }, "presence subscription asked of a partner desk's trader");
  }

  async function unsubscribe(jid: string): Promise<void> {
    if (followed.has(jid)) return; // named again meanwhile
    await client.send(presenceSubscription(jid, 'unsubscribe'));
    await removeRosterItem(client.iq, jid);
    log.info({ trader: jid }, "partner desk's trader no rule names: unsubscribed, roster item removed");
  }

  function follow(trader: string): void {
    if (followed.has(trader)) return queue(trader, 'presence subscription request', () => subscribe(trader));
    if (followed.size >= max)
      return void log.warn({ trader, max }, 'partner traders followed at their limit: this one is not followed');
    followed.add(trader);
    onNamed(trader);
    queue(trader, 'presence subscription request', () => subscribe(trader));
  }

  function drop(trader: string): void {
    if (!followed.delete(trader)) return;
    queue(trader, 'dropping a partner trader', async () => {
      await onDropped(trader);
      await unsubscribe(trader);
    });
    // Room again under the limit: a trader named meanwhile is followed now.
    for (const t of rulesNaming.keys()) if (!followed.has(t) && followed.size < max) follow(t);
  }

  function setRule(id: string, names: string[]): void {
    const before = byRule.get(id) ?? [];
    if (names.length) byRule.set(id, names);
    else byRule.delete(id);
    for (const t of names) rulesNaming.set(t, (rulesNaming.get(t) ?? 0) + 1);
    for (const t of before) {
      const n = (rulesNaming.get(t) ?? 1) - 1;
      if (n > 0) rulesNaming.set(t, n);
      else rulesNaming.delete(t);
    }
    for (const t of before) if (!rulesNaming.has(t)) drop(t);
    for (const t of names) follow(t);
  }

  const named = (rule: NamingRule): string[] => [
    ...new Set([rule.recipient, rule.backup].filter((t): t is string => t !== undefined && isPartner(t))),
  ];

  return {
    /** A stored rule, new or changed (any status): the partner traders it names are followed, those it no longer names may go. */
    onRule(rule: NamingRule): void {
      touched.add(rule.id);
      setRule(rule.id, named(rule));
    },
    /** A rule deleted. */
    onRuleGone(id: string): void {
      touched.add(id);
      setRule(id, []);
    },
    /**
     * Every stored rule (at start, or after missed changes): the ones not among them are gone.
     * A rule heard of one by one while they were read keeps what that change said.
     */
    onRules(rules: readonly NamingRule[]): void {
      const ids = new Set(rules.map((r) => r.id));
      for (const id of [...byRule.keys()]) if (!ids.has(id) && !touched.has(id)) setRule(id, []);
      for (const rule of rules) if (!touched.has(rule.id)) setRule(rule.id, named(rule));
      touched.clear();
    },
    follows: (trader: string): boolean => followed.has(trader),
    /**
     * At start, once the stored rules are in: partner traders a previous run followed and no
     * rule names now (deleted meanwhile, or their domain taken off the peers file) leave the
     * roster and the presence snapshot.
     */
    async prune(): Promise<void> {
      const left = new Set((await stored()).filter((t) => isRemoteTrader(t) && !followed.has(t)));
      for (const t of left) await onDropped(t);
      for (const [jid] of await rosterItems(client.iq)) {
        const contact = parseJid(jid);
        if (contact?.local && contact.domain !== domain && !followed.has(jid)) {
          left.add(jid);
          queue(jid, 'dropping a partner trader', () => unsubscribe(jid));
        }
      }
      await Promise.all(queues.values());
      if (left.size) log.info({ traders: [...left] }, 'partner traders no rule names any more dropped at start');
    },
  };
}
