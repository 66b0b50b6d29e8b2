import type { Logger } from 'pino';
import type { XmppClient } from '@tickdesk/xmpp';
import { createPubsub } from '@tickdesk/xmpp';
import { barsNode, ticksNode, type Instrument } from '@tickdesk/schemas';
import { ensureInstrumentNodes, retryTransient, type RetryOptions } from '@tickdesk/feed-core';

/**
 * Create the instrument nodes as the feed account (it becomes their owner) and make
 * `coOwners` (the admin account) owners too (XEP-0060 §8.9), so that the API's admin
 * session manages affiliations on any server: Prosody's component `admins` would
 * cover it, ejabberd has no such role. One request at a time, each retried while it
 * fails transiently (a fresh ejabberd cluster aborts concurrent Mnesia transactions).
 */
export async function provisionNodes(
  feed: XmppClient,
  pubsubHost: string,
  instruments: readonly Instrument[],
  coOwners: readonly string[] = [],
  opts: { log?: Logger; retry?: RetryOptions } = {},
): Promise<string[]> {
  const pubsub = createPubsub(feed, pubsubHost);
  const retry: RetryOptions = { ...(opts.log ? { log: opts.log } : {}), ...opts.retry };
  const made = await ensureInstrumentNodes(pubsub, instruments, undefined, retry);
  if (coOwners.length > 0) {
    for (const i of instruments) {
      for (const node of [ticksNode(i.symbol), barsNode(i.symbol)]) {
        const changes = coOwners.map((jid) => ({ jid, affiliation: 'owner' as const }));
        await retryTransient(`affiliations ${node}`, () => pubsub.setAffiliations(node, changes), retry);
      }
    }
  }
  return made;
}
