import type { Logger } from 'pino';
import type { Rule } from '@tickdesk/schemas';
import { presenceSubscription, receivesPresence, rosterEntry, type XmppClient } from '@tickdesk/xmpp';
import { isRemoteTrader } from './desk-user.js';

export interface RemoteSubscriptionsDeps {
  client: XmppClient;
  /** A partner's trader is followed from now on (starts offline until their presence comes). */
  onNamed: (trader: string) => void;
  log: Logger;
}

/**
 * Asks each partner desk's trader that a rule names (recipient or backup) for their presence:
 * the engine routes by it as by a local trader's. Unlike a local trader, whose subscription
 * `tickdesk up` approves on both sides (presence-links.ts), a remote contact's server asks its
 * user, who approves in their client (RFC 6121 §3.1.3, §3.1.4); until then the trader stays
 * offline here, which routes like an offline local trader (sent, kept by their server, backup
 * told). A request already approved or pending is not sent again (§3.1.2).
 */
export function createRemoteSubscriptions({ client, onNamed, log: parentLog }: RemoteSubscriptionsDeps) {
  const log = parentLog.child({ component: 'remote-subscriptions' });
  const named = new Set<string>();

  async function subscribe(jid: string): Promise<void> {
    const entry = await rosterEntry(client.iq, jid);
    if (receivesPresence(entry) || entry.pending) return;
    await client.send(presenceSubscription(jid, 'subscribe'));
    log.info({ trader: jid }, "presence subscription asked of a partner desk's trader");
  }

  function name(trader: string): void {
    if (!isRemoteTrader(trader) || named.has(trader)) return;
    named.add(trader);
    onNamed(trader);
    subscribe(trader).catch((err: Error) => {
      // Asked again when a rule naming them changes or the engine restarts.
      named.delete(trader);
      log.warn({ err, trader }, 'presence subscription request failed');
    });
  }

  return {
    /** An active rule (loaded or changed): its remote recipient and backup are asked for presence. */
    onRule(rule: Pick<Rule, 'recipient' | 'backup'>): void {
      for (const t of [rule.recipient, rule.backup]) if (t !== undefined) name(t);
    },
  };
}
