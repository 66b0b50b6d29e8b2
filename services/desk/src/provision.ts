import type { XmppClient } from '@tickdesk/xmpp';
import { createPubsub } from '@tickdesk/xmpp';
import type { Instrument } from '@tickdesk/schemas';
import { ensureInstrumentNodes } from '@tickdesk/feed-core';

/** Create the instrument nodes as the feed account (it becomes their owner). */
export async function provisionNodes(feed: XmppClient, pubsubHost: string, instruments: readonly Instrument[]): Promise<string[]> {
  return ensureInstrumentNodes(createPubsub(feed, pubsubHost), instruments);
}
