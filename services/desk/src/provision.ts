import type { XmppClient } from '@tickdesk/xmpp';
import { createPubsub } from '@tickdesk/xmpp';
import { barsNode, ticksNode, type Instrument } from '@tickdesk/schemas';
import { ensureInstrumentNodes } from '@tickdesk/feed-core';

/**
 * Create the instrument nodes as the feed account (it becomes their owner) and make
 * `coOwners` (the admin account) owners too (XEP-0060 §8.9), so that the API's admin
 * session manages affiliations on any server: Prosody's component `admins` would
 * cover it, ejabberd has no such role.
 */
export async function provisionNodes(feed: XmppClient, pubsubHost: string, instruments: readonly Instrument[], coOwners: readonly string[] = []): Promise<string[]> {
  const pubsub = createPubsub(feed, pubsubHost);
  const made = await ensureInstrumentNodes(pubsub, instruments);
  if (coOwners.length > 0) {
    for (const i of instruments) {
      for (const node of [ticksNode(i.symbol), barsNode(i.symbol)]) {
        await pubsub.setAffiliations(node, coOwners.map((jid) => ({ jid, affiliation: 'owner' as const })));
      }
    }
  }
  return made;
}
